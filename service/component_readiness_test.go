package service_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/service"
)

// Readiness follows the broker both ways within seconds: 503 once it is gone, 200 soon after
// it is back on the same address. A readiness client that kept its broken connection
// answered 503 for ten minutes after the broker returned, taking every instance out of
// service for that long during a rolling broker restart.
func TestReadinessFollowsABrokerRestart(t *testing.T) {
	dir := t.TempDir()
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 1, dir)
	if err != nil {
		t.Fatal(err)
	}
	addr := broker.Addr()
	defer func() { broker.Close() }()
	h := startService(t, map[string]string{"KAFKA_BROKERS": addr, "KAFKA_PARTITIONS": "1", "KAFKA_DIAL_TIMEOUT": "500ms"}, service.Options{})

	broker.Close()
	stopped := time.Now()
	h.eventually(10*time.Second, "/readyz 503 with the broker gone", func() (bool, string) {
		code, body := h.do("GET", "/readyz", "", nil)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "kafka"), body
	})
	t.Logf("not ready %s after the broker stopped", time.Since(stopped).Round(time.Millisecond))

	if broker, err = kafka.StartEmbedded(addr, 1, dir); err != nil {
		t.Fatalf("restarting the broker on %s: %v", addr, err)
	}
	restarted := time.Now()
	h.eventually(15*time.Second, "/readyz 200 with the broker back", func() (bool, string) {
		code, body := h.do("GET", "/readyz", "", nil)
		return code == http.StatusOK, body
	})
	t.Logf("ready %s after the broker restarted", time.Since(restarted).Round(time.Millisecond))
	h.setStock("sku-back", 1) // and commands flow again
}
