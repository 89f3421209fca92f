package service

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/example/orders-service/adapters/kafka"
)

// Config is everything the service reads from its environment. Each field's tags are the
// one source of what the operator sees: env names the variable, envDefault its default and
// help its meaning (plain text). `orders-service --help` prints them, and tests check that
// README.md's configuration table says the same.
type Config struct {
	HTTPAddr    string        `env:"HTTP_ADDR" envDefault:":8080" help:"HTTP listen address"`
	HTTPMaxWait time.Duration `env:"HTTP_MAX_WAIT" envDefault:"30s" help:"longest wait GET /orders/{id} and POST /orders grant a Prefer: wait=N; whole seconds, up to 10m; 0s turns waiting off"`

	KafkaBrokers           []string      `env:"KAFKA_BROKERS" envSeparator:"," help:"comma-separated bootstrap brokers; empty starts the embedded broker"`
	KafkaEmbeddedAddr      string        `env:"KAFKA_EMBEDDED_ADDR" envDefault:"127.0.0.1:9092" help:"where the embedded broker listens (port 0: any free port)"`
	KafkaEmbeddedDataDir   string        `env:"KAFKA_EMBEDDED_DATA_DIR" help:"keep the embedded broker's data in this directory; empty: in memory"`
	KafkaPartitions        int           `env:"KAFKA_PARTITIONS" envDefault:"8" help:"partitions of topics the service creates"`
	KafkaReplicationFactor int           `env:"KAFKA_REPLICATION_FACTOR" envDefault:"1" help:"replication factor of topics the service creates"`
	KafkaTopicPrefix       string        `env:"KAFKA_TOPIC_PREFIX" help:"prefix of every topic name"`
	KafkaConsumerGroup     string        `env:"KAFKA_CONSUMER_GROUP_PREFIX" envDefault:"orders-service." help:"prefix of every consumer group"`
	KafkaClientID          string        `env:"KAFKA_CLIENT_ID" envDefault:"orders-service" help:"Kafka client ID"`
	KafkaDialTimeout       time.Duration `env:"KAFKA_DIAL_TIMEOUT" envDefault:"3s" help:"how long to wait for a broker connection"`
	KafkaIdempotent        bool          `env:"KAFKA_IDEMPOTENT_PRODUCER" envDefault:"true" help:"Kafka's idempotent producer; see Guarantees and limits before turning it off"`
	KafkaProducers         int           `env:"KAFKA_PRODUCERS" envDefault:"1" help:"producers (connections) a publisher spreads sends over, by key; more helps a multi-broker cluster, not the single-threaded embedded broker"`

	// Secured clusters (kafka_security.go): applied to every Kafka client the service makes.
	KafkaTLS                   bool         `env:"KAFKA_TLS" envDefault:"false" help:"connect to the brokers over TLS (SSL and SASL_SSL listeners)"`
	KafkaTLSCAFile             string       `env:"KAFKA_TLS_CA_FILE" help:"PEM file of the CA certificates that sign the brokers' certificates; empty: the system's CAs"`
	KafkaTLSCertFile           string       `env:"KAFKA_TLS_CERT_FILE" help:"PEM client certificate, for brokers that require one (mutual TLS); with KAFKA_TLS_KEY_FILE"`
	KafkaTLSKeyFile            string       `env:"KAFKA_TLS_KEY_FILE" help:"PEM private key of KAFKA_TLS_CERT_FILE"`
	KafkaTLSServerName         string       `env:"KAFKA_TLS_SERVER_NAME" help:"name the brokers' certificates must hold; empty: each broker's host"`
	KafkaTLSInsecureSkipVerify bool         `env:"KAFKA_TLS_INSECURE_SKIP_VERIFY" envDefault:"false" help:"accept any broker certificate, for debugging only: anyone on the network path can then read the traffic, SASL credentials included"`
	KafkaSASLMechanism         string       `env:"KAFKA_SASL_MECHANISM" help:"PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty: no SASL"`
	KafkaSASLUsername          string       `env:"KAFKA_SASL_USERNAME" help:"SASL username"`
	KafkaSASLPassword          kafka.Secret `env:"KAFKA_SASL_PASSWORD" help:"SASL password; never logged or printed"`
	KafkaSASLPasswordFile      string       `env:"KAFKA_SASL_PASSWORD_FILE" help:"file holding the SASL password (a secrets mount), instead of KAFKA_SASL_PASSWORD; a trailing newline is ignored"`

	DatabaseURL            string        `env:"DATABASE_URL" help:"PostgreSQL connection URL; empty keeps state in memory"`
	DatabaseMaxConns       int           `env:"DATABASE_MAX_CONNS" envDefault:"10" help:"connection pool size"`
	DatabaseConnectTimeout time.Duration `env:"DATABASE_CONNECT_TIMEOUT" envDefault:"5s" help:"bound on connecting to PostgreSQL"`
	OutboxShards           int           `env:"OUTBOX_SHARDS" envDefault:"4" help:"outbox tables, each relayed to Kafka by its own relay"`
	InboxRetention         time.Duration `env:"INBOX_RETENTION" envDefault:"168h" help:"how long processed-message IDs are kept for deduplication"`
	InboxPruneInterval     time.Duration `env:"INBOX_PRUNE_INTERVAL" envDefault:"1h" help:"how often old inbox entries are deleted"`

	DebugPprof bool `env:"DEBUG_PPROF" envDefault:"false" help:"serve Go's profiler at /debug/pprof/ on the HTTP port"`

	MetricsLagInterval time.Duration `env:"METRICS_LAG_INTERVAL" envDefault:"15s" help:"how often the consumer lag, the poison topic's size and the outbox backlog served at /metrics are read"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info" help:"debug, info, warn, error"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"text" help:"text or json"`

	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s" help:"bound on graceful shutdown after SIGINT/SIGTERM"`
	HandlerTimeout  time.Duration `env:"HANDLER_TIMEOUT" envDefault:"10s" help:"bound on one handler attempt"`

	RetryMaxRetries      int           `env:"RETRY_MAX_RETRIES" envDefault:"5" help:"retries after the first attempt"`
	RetryInitialInterval time.Duration `env:"RETRY_INITIAL_INTERVAL" envDefault:"100ms" help:"first backoff"`
	RetryMaxInterval     time.Duration `env:"RETRY_MAX_INTERVAL" envDefault:"2s" help:"longest backoff"`
	RetryMaxElapsedTime  time.Duration `env:"RETRY_MAX_ELAPSED_TIME" envDefault:"30s" help:"give up (and poison) after this long"`
}

// maxHTTPMaxWait bounds HTTP_MAX_WAIT: a waiting request holds a connection.
const maxHTTPMaxWait = 10 * time.Minute

// minMetricsLagInterval bounds METRICS_LAG_INTERVAL: each read asks Kafka for the offsets
// of every partition, and the database for the outbox backlog.
const minMetricsLagInterval = 100 * time.Millisecond

// LoadConfig reads the environment and validates it. Errors name the variable.
func LoadConfig() (Config, error) {
	return parseConfig(env.Options{})
}

// ConfigFromMap reads configuration from a map instead of the process environment, with the
// same defaults and checks; tests use it.
func ConfigFromMap(vars map[string]string) (Config, error) {
	return parseConfig(env.Options{Environment: vars})
}

func parseConfig(opts env.Options) (Config, error) {
	var c Config
	if err := env.ParseWithOptions(&c, opts); err != nil {
		return Config{}, fmt.Errorf("reading configuration: %w", nameVariables(err))
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, nil
}

func (c Config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(validAddr(c.HTTPAddr), "HTTP_ADDR %q is not a host:port address", c.HTTPAddr)
	check(c.HTTPMaxWait >= 0 && c.HTTPMaxWait <= maxHTTPMaxWait && c.HTTPMaxWait%time.Second == 0,
		"HTTP_MAX_WAIT must be whole seconds from 0s (no waiting) to %s, got %s", maxHTTPMaxWait, c.HTTPMaxWait)
	for _, b := range c.KafkaBrokers {
		check(validAddr(strings.TrimSpace(b)) && strings.TrimSpace(b) != "", "KAFKA_BROKERS entry %q is not a host:port address", b)
	}
	if len(c.KafkaBrokers) == 0 {
		check(validAddr(c.KafkaEmbeddedAddr), "KAFKA_EMBEDDED_ADDR %q is not a host:port address", c.KafkaEmbeddedAddr)
	}
	check(c.KafkaPartitions >= 1 && c.KafkaPartitions <= 10000, "KAFKA_PARTITIONS must be between 1 and 10000, got %d", c.KafkaPartitions)
	if c.Embedded() {
		// The embedded broker is one node: a topic cannot have more replicas than brokers,
		// and kfake's own refusal at topic creation names no variable.
		check(c.KafkaReplicationFactor == 1,
			"KAFKA_REPLICATION_FACTOR must be 1 with the embedded broker (KAFKA_BROKERS empty), which is a single node and cannot hold more replicas; set KAFKA_BROKERS to use a real cluster, got %d",
			c.KafkaReplicationFactor)
	} else {
		check(c.KafkaReplicationFactor >= 1 && c.KafkaReplicationFactor <= 32, "KAFKA_REPLICATION_FACTOR must be between 1 and 32, got %d", c.KafkaReplicationFactor)
	}
	check(validTopicPrefix(c.KafkaTopicPrefix), "KAFKA_TOPIC_PREFIX %q may hold only letters, digits, '.', '_' and '-'", c.KafkaTopicPrefix)
	check(c.KafkaConsumerGroup != "", "KAFKA_CONSUMER_GROUP_PREFIX must not be empty")
	check(c.KafkaProducers >= 1 && c.KafkaProducers <= 64, "KAFKA_PRODUCERS must be between 1 and 64, got %d", c.KafkaProducers)
	check(c.KafkaDialTimeout > 0, "KAFKA_DIAL_TIMEOUT must be positive, got %s", c.KafkaDialTimeout)
	_, err := c.slogLevel()
	check(err == nil, "LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel)
	check(c.LogFormat == "json" || c.LogFormat == "text", "LOG_FORMAT must be json or text, got %q", c.LogFormat)
	check(c.DatabaseMaxConns >= 1 && c.DatabaseMaxConns <= 1000, "DATABASE_MAX_CONNS must be between 1 and 1000, got %d", c.DatabaseMaxConns)
	check(c.DatabaseConnectTimeout > 0, "DATABASE_CONNECT_TIMEOUT must be positive, got %s", c.DatabaseConnectTimeout)
	check(c.OutboxShards >= 1 && c.OutboxShards <= 64, "OUTBOX_SHARDS must be between 1 and 64, got %d", c.OutboxShards)
	check(c.InboxRetention >= time.Hour, "INBOX_RETENTION must be at least 1h, got %s", c.InboxRetention)
	check(c.InboxPruneInterval > 0, "INBOX_PRUNE_INTERVAL must be positive, got %s", c.InboxPruneInterval)
	check(c.ShutdownTimeout > 0, "SHUTDOWN_TIMEOUT must be positive, got %s", c.ShutdownTimeout)
	check(c.HandlerTimeout > 0, "HANDLER_TIMEOUT must be positive, got %s", c.HandlerTimeout)
	check(c.RetryMaxRetries >= 0 && c.RetryMaxRetries <= 100, "RETRY_MAX_RETRIES must be between 0 and 100, got %d", c.RetryMaxRetries)
	check(c.RetryInitialInterval > 0, "RETRY_INITIAL_INTERVAL must be positive, got %s", c.RetryInitialInterval)
	check(c.RetryMaxInterval >= c.RetryInitialInterval, "RETRY_MAX_INTERVAL (%s) must not be below RETRY_INITIAL_INTERVAL (%s)", c.RetryMaxInterval, c.RetryInitialInterval)
	check(c.RetryMaxElapsedTime > 0, "RETRY_MAX_ELAPSED_TIME must be positive, got %s", c.RetryMaxElapsedTime)
	check(c.MetricsLagInterval >= minMetricsLagInterval, "METRICS_LAG_INTERVAL must be at least %s, got %s", minMetricsLagInterval, c.MetricsLagInterval)
	errs = append(errs, c.validateKafkaSecurity()...)
	return errors.Join(errs...)
}

// nameVariables rewrites the env library's parse errors, which name Go fields, to name the
// environment variable instead: that is what the operator has to fix.
func nameVariables(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	t := reflect.TypeFor[Config]()
	out := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := t.FieldByName(pe.Name); ok {
				variable, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				e = fmt.Errorf("%s: %w", variable, pe.Err)
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func (c Config) slogLevel() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(c.LogLevel))
	return l, err
}

// Embedded reports whether the service runs its own broker.
func (c Config) Embedded() bool { return len(c.KafkaBrokers) == 0 }

func validAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port != ""
}

func validTopicPrefix(p string) bool {
	return !strings.ContainsFunc(p, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	})
}
