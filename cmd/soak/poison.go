package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"
)

// badMessage is one kind of message the service must poison: moved to the poison topic
// with its reason, its partition flowing on.
type badMessage struct {
	topic   string
	typ     string // "" for none
	payload string
	what    string
}

// badMessages cycle through the failures a consumer must survive: a payload that is not
// JSON, an unknown command type, a message without a type, and events that fail their
// checks (read by one group, and by two: orders.events feeds the stock policy and the
// projection, so that one is poisoned twice).
var badMessages = []badMessage{
	{topicOrderCommands, cmdPlaceOrder, `{"order_id": "soak-poison", "customer_id": `, "PlaceOrder whose payload is not JSON"},
	{topicStockCommands, "stock.Bogus.v1", `{}`, "command of an unknown type"},
	{topicOrderEvents, evOrderPlaced, `{"order_id": "", "version": 1, "customer_id": "c", "items": [{"sku": "x", "quantity": 1}]}`, "OrderPlaced without an order ID"},
	{topicStockEvents, evStockReserved, `{"order_id": "soak-poison", "items": []}`, "StockReserved without items"},
	{topicOrderCommands, "", `{}`, "command without a type header"},
}

// injectPoison produces bad message i straight to its topic, as a foreign or broken
// producer would, and returns where it landed. It carries the soak_poison header, which
// the poisoned copy keeps.
func injectPoison(ctx context.Context, brokerAddr, topicPrefix, runID string, i int) (Injected, error) {
	m := badMessages[i%len(badMessages)]
	id := fmt.Sprintf("poison-%d", i)
	cl, err := newKafkaClient(brokerAddr, kgo.RecordRetries(20), kgo.RequestTimeoutOverhead(5*time.Second))
	if err != nil {
		return Injected{}, err
	}
	defer cl.Close()
	rec := &kgo.Record{
		Topic: topicPrefix + m.topic,
		Key:   []byte("soak-" + id),
		Value: []byte(m.payload),
		Headers: []kgo.RecordHeader{
			{Key: headerInjected, Value: []byte(id)},
			{Key: headerUUID, Value: []byte(uuid.NewString())},
			{Key: headerCorrelation, Value: []byte(fmt.Sprintf("soak.%s.%s", runID, id))},
		},
	}
	if m.typ != "" {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerType, Value: []byte(m.typ)})
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := cl.ProduceSync(ctx, rec).First()
	if err != nil {
		return Injected{}, fmt.Errorf("producing %s (%s) to %s: %w", id, m.what, rec.Topic, err)
	}
	return Injected{ID: id, Topic: m.topic, Partition: res.Partition, Offset: res.Offset, What: m.what}, nil
}
