package main

import "time"

// History is everything a run observed, and all the checker reads: the HTTP requests and
// their answers, every message on every topic (read at the end by an independent client),
// the poison messages the tool injected, the lifetimes of the service's processes, and the
// read model and stock levels once the flow settled. It is plain data, so a run can be
// saved (--history) and checked again offline (--check), and the unit tests can build
// histories with known violations.
type History struct {
	Mode      string    `json:"mode"` // modeMemory or modePostgres
	Instances int       `json:"instances"`
	Seed      uint64    `json:"seed"`
	Rate      float64   `json:"rate"`
	Duration  string    `json:"duration"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	// TopicPrefix is the run's KAFKA_TOPIC_PREFIX; Record.Topic is without it, and the
	// poison headers that name a topic are read without it too.
	TopicPrefix string `json:"topic_prefix"`

	Requests  []Request  `json:"requests"`
	Records   []Record   `json:"records"` // every topic; each partition in offset order
	Injected  []Injected `json:"injected"`
	Lifetimes []Lifetime `json:"lifetimes"`
	Faults    []Fault    `json:"faults"`

	// OrderedSKUs are the SKUs orders ask for; each gets one stock count before the load
	// and never another, so on hand = that count - units shipped (see check_stock.go).
	OrderedSKUs []string `json:"ordered_skus"`
	// CountedSKUs are counted again and again during the load and never ordered: their
	// on hand is the last count, whatever the order of counts and shipments elsewhere.
	CountedSKUs []string `json:"counted_skus"`

	Views   map[string]View `json:"views"` // GET /orders/{id} at the end, by order ID
	Stock   []StockRead     `json:"stock"` // GET /stock/{sku} at the end, from every instance
	Settled bool            `json:"settled"`
	// Reaped lists the consumer group members of dead processes the tool removed, working
	// around a defect of the embedded broker (reaper.go).
	Reaped []string `json:"reaped,omitempty"`
	// SettleNote says why the flow was not found settled, when it was not.
	SettleNote string `json:"settle_note,omitempty"`
}

const (
	modeMemory   = "memory"
	modePostgres = "postgres"
)

// Operations of the load, as recorded on each Request.
const (
	opInitialCount = "initial-count" // the one count of an ordered SKU, before the load
	opRecount      = "recount"       // memory mode: counting ordered SKUs again after a restart emptied the state
	opPlace        = "place"
	opPlaceAgain   = "place-again" // the same placement, same Idempotency-Key, sent again
	opCancel       = "cancel"
	opShip         = "ship"
	opCount        = "count" // a count of a CountedSKU
	opReadStock    = "read-stock"
)

// Request is one HTTP request and what came back. A retry is a Request of its own with the
// same Op, Key and Attempt+1.
type Request struct {
	Seq            int       `json:"seq"`
	Op             string    `json:"op"`
	Attempt        int       `json:"attempt"`
	Instance       int       `json:"instance"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	CorrelationID  string    `json:"correlation_id"`
	CustomerID     string    `json:"customer_id,omitempty"`
	Items          []Line    `json:"items,omitempty"`
	SKU            string    `json:"sku,omitempty"`
	Quantity       int       `json:"quantity,omitempty"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Status         int       `json:"status"`          // 0: no answer
	Error          string    `json:"error,omitempty"` // why there was no usable answer
	OrderID        string    `json:"order_id,omitempty"`
	OrderStatus    string    `json:"order_status,omitempty"` // a 201's order status
	Level          *Level    `json:"level,omitempty"`        // a GET /stock answer
}

// accepted tells whether the service took the command: 202, or 201 for a placement that
// waited for its outcome.
func (r Request) accepted() bool {
	return r.Status == 202 || (r.Status == 201 && r.Op != opReadStock)
}

// Line is one SKU and its quantity, as on the wire.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Level is a stock level as GET /stock answers it.
type Level struct {
	Available int `json:"available"`
	Reserved  int `json:"reserved"`
	OnHand    int `json:"on_hand"`
}

// Record is one Kafka message, with the headers and payload fields the checker reads.
type Record struct {
	Topic         string            `json:"topic"` // without the run's topic prefix
	Partition     int32             `json:"partition"`
	Offset        int64             `json:"offset"`
	Key           string            `json:"key"`
	Timestamp     time.Time         `json:"timestamp"`
	Type          string            `json:"type,omitempty"`
	UUID          string            `json:"uuid,omitempty"`
	CorrelationID string            `json:"correlation_id,omitempty"`
	CausationID   string            `json:"causation_id,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"` // poison topic and injected records only
	Body          Payload           `json:"body"`
	BodyError     string            `json:"body_error,omitempty"`
}

// Payload holds the fields of every message type the service sends; each type fills some.
type Payload struct {
	OrderID    string `json:"order_id,omitempty"`
	Version    int    `json:"version,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	Items      []Line `json:"items,omitempty"`
	SKU        string `json:"sku,omitempty"`
	Quantity   int    `json:"quantity,omitempty"`
	OnHand     int    `json:"on_hand,omitempty"`
	Reserved   int    `json:"reserved,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Command    string `json:"command,omitempty"`
	CommandID  string `json:"command_id,omitempty"`
}

// Injected is a poison message the tool produced straight to a topic.
type Injected struct {
	ID        string `json:"id"` // also its soak_poison header
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	What      string `json:"what"`
}

// Lifetime is one process of one instance, from its start to its exit (zero End: still
// running when the history was taken).
type Lifetime struct {
	Instance int       `json:"instance"`
	ClientID string    `json:"client_id"` // its KAFKA_CLIENT_ID
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Exit     string    `json:"exit,omitempty"`
}

// Fault is one injected fault.
type Fault struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Detail string    `json:"detail"`
	Error  string    `json:"error,omitempty"`
}

// View is an order as GET /orders/{id} showed it at the end.
type View struct {
	Found   bool   `json:"found"`
	Status  string `json:"status,omitempty"`
	Version int    `json:"version,omitempty"` // from the ETag ("<version>.<refusals>...")
	Error   string `json:"error,omitempty"`
}

// StockRead is one GET /stock/{sku} at the end, from one instance.
type StockRead struct {
	Instance int    `json:"instance"`
	SKU      string `json:"sku"`
	Level    Level  `json:"level"`
	Error    string `json:"error,omitempty"`
}
