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
)

// Config is everything the service reads from its environment. Each field names its
// variable; README.md has the same table.
type Config struct {
	HTTPAddr    string        `env:"HTTP_ADDR" envDefault:":8080"`
	HTTPMaxWait time.Duration `env:"HTTP_MAX_WAIT" envDefault:"30s"`

	KafkaBrokers           []string      `env:"KAFKA_BROKERS" envSeparator:","`
	KafkaEmbeddedAddr      string        `env:"KAFKA_EMBEDDED_ADDR" envDefault:"127.0.0.1:9092"`
	KafkaEmbeddedDataDir   string        `env:"KAFKA_EMBEDDED_DATA_DIR"`
	KafkaPartitions        int           `env:"KAFKA_PARTITIONS" envDefault:"8"`
	KafkaReplicationFactor int           `env:"KAFKA_REPLICATION_FACTOR" envDefault:"1"`
	KafkaTopicPrefix       string        `env:"KAFKA_TOPIC_PREFIX"`
	KafkaConsumerGroup     string        `env:"KAFKA_CONSUMER_GROUP_PREFIX" envDefault:"orders-service."`
	KafkaClientID          string        `env:"KAFKA_CLIENT_ID" envDefault:"orders-service"`
	KafkaDialTimeout       time.Duration `env:"KAFKA_DIAL_TIMEOUT" envDefault:"3s"`
	KafkaIdempotent        bool          `env:"KAFKA_IDEMPOTENT_PRODUCER" envDefault:"true"`
	KafkaProducers         int           `env:"KAFKA_PRODUCERS" envDefault:"1"`

	DatabaseURL            string        `env:"DATABASE_URL"`
	DatabaseMaxConns       int           `env:"DATABASE_MAX_CONNS" envDefault:"10"`
	DatabaseConnectTimeout time.Duration `env:"DATABASE_CONNECT_TIMEOUT" envDefault:"5s"`
	OutboxShards           int           `env:"OUTBOX_SHARDS" envDefault:"4"`
	InboxRetention         time.Duration `env:"INBOX_RETENTION" envDefault:"168h"`
	InboxPruneInterval     time.Duration `env:"INBOX_PRUNE_INTERVAL" envDefault:"1h"`

	DebugPprof bool `env:"DEBUG_PPROF" envDefault:"false"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"text"`

	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s"`
	HandlerTimeout  time.Duration `env:"HANDLER_TIMEOUT" envDefault:"10s"`

	RetryMaxRetries      int           `env:"RETRY_MAX_RETRIES" envDefault:"5"`
	RetryInitialInterval time.Duration `env:"RETRY_INITIAL_INTERVAL" envDefault:"100ms"`
	RetryMaxInterval     time.Duration `env:"RETRY_MAX_INTERVAL" envDefault:"2s"`
	RetryMaxElapsedTime  time.Duration `env:"RETRY_MAX_ELAPSED_TIME" envDefault:"30s"`
}

// maxHTTPMaxWait bounds HTTP_MAX_WAIT: a waiting request holds a connection.
const maxHTTPMaxWait = 10 * time.Minute

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
	check(c.KafkaReplicationFactor >= 1 && c.KafkaReplicationFactor <= 32, "KAFKA_REPLICATION_FACTOR must be between 1 and 32, got %d", c.KafkaReplicationFactor)
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
