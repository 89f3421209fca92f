package main

import (
	"context"
	"fmt"

	"github.com/example/orders-service/adapters/kafka"
)

// baselineSettings are the baseline's Kafka client settings: the service's client config
// (adapters/kafka) with the service's TLS and SASL, so that the baseline runs against a
// secured cluster the way the service does.
func baselineSettings(sec kafka.Security) kafka.Settings {
	return kafka.Settings{ClientID: "loadgen-baseline", Security: sec}
}

// checkBaselineBroker connects to the baseline's brokers before the load starts, so that a
// broker address or a security setting that does not fit fails now, not after the run.
func checkBaselineBroker(ctx context.Context, cfg config) error {
	if !cfg.Baseline {
		return nil
	}
	if err := kafka.Probe(ctx, cfg.Brokers, baselineSettings(cfg.Security)); err != nil {
		return fmt.Errorf("--baseline: %w (--brokers, and the KAFKA_TLS* and KAFKA_SASL_* variables, as for the service)", err)
	}
	return nil
}
