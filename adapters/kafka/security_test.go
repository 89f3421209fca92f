package kafka

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/IBM/sarama"
)

func TestSecretNeverPrints(t *testing.T) {
	const password = "hunter2-never-shown"
	settings := Settings{ClientID: "c", Security: Security{SASL: SASL{Mechanism: SASLPlain, Username: "u", Password: password}}}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("settings", "s", settings, "password", settings.Security.SASL.Password)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("settings", "password", settings.Security.SASL.Password)
	marshaled, err := json.Marshal(settings.Security.SASL)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v":        fmt.Sprintf("%v", settings),
		"%+v":       fmt.Sprintf("%+v", settings),
		"%#v":       fmt.Sprintf("%#v", settings),
		"%s":        fmt.Sprintf("%s", settings.Security.SASL.Password),
		"%q":        fmt.Sprintf("%q", settings.Security.SASL.Password),
		"slog text": text.String(),
		"slog json": js.String(),
		"json":      string(marshaled),
	} {
		if strings.Contains(out, password) || !strings.Contains(out, redacted) {
			t.Errorf("%s prints %q; want the password redacted", name, out)
		}
	}
	if got := settings.Security.SASL.Password.Reveal(); got != password {
		t.Errorf("Reveal() = %q", got)
	}
	if got := Secret("").String(); got != "" {
		t.Errorf("an empty secret prints %q; want nothing, so that unset looks unset", got)
	}
}

func TestApplySecurity(t *testing.T) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	tests := []struct {
		name      string
		sec       Security
		wantTLS   bool
		wantSASL  bool
		wantSCRAM bool
	}{
		{name: "plaintext", sec: Security{}},
		{name: "TLS", sec: Security{TLS: tlsConfig}, wantTLS: true},
		{name: "PLAIN", sec: Security{SASL: SASL{Mechanism: SASLPlain, Username: "u", Password: "p"}}, wantSASL: true},
		{name: "SCRAM-SHA-256 over TLS", sec: Security{TLS: tlsConfig, SASL: SASL{Mechanism: SASLScramSHA256, Username: "u", Password: "p"}}, wantTLS: true, wantSASL: true, wantSCRAM: true},
		{name: "SCRAM-SHA-512", sec: Security{SASL: SASL{Mechanism: SASLScramSHA512, Username: "u", Password: "p"}}, wantSASL: true, wantSCRAM: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := saramaConfig(Settings{Security: tt.sec})
			if err := c.Validate(); err != nil {
				t.Fatalf("Sarama refuses the config: %v", err)
			}
			if c.Net.TLS.Enable != tt.wantTLS || (tt.wantTLS && c.Net.TLS.Config != tlsConfig) {
				t.Errorf("TLS = %t %p, want %t", c.Net.TLS.Enable, c.Net.TLS.Config, tt.wantTLS)
			}
			if c.Net.SASL.Enable != tt.wantSASL {
				t.Fatalf("SASL.Enable = %t, want %t", c.Net.SASL.Enable, tt.wantSASL)
			}
			if !tt.wantSASL {
				return
			}
			if string(c.Net.SASL.Mechanism) != tt.sec.SASL.Mechanism || c.Net.SASL.User != "u" || c.Net.SASL.Password != "p" {
				t.Errorf("SASL = %s %q, want %s u", c.Net.SASL.Mechanism, c.Net.SASL.User, tt.sec.SASL.Mechanism)
			}
			if c.Net.SASL.Version != sarama.SASLHandshakeV1 || !c.Net.SASL.Handshake {
				t.Errorf("SASL handshake v%d (sent: %t), want v1: kfake accepts no other", c.Net.SASL.Version, c.Net.SASL.Handshake)
			}
			if (c.Net.SASL.SCRAMClientGeneratorFunc != nil) != tt.wantSCRAM {
				t.Errorf("SCRAM client set: %t, want %t", c.Net.SASL.SCRAMClientGeneratorFunc != nil, tt.wantSCRAM)
			}
		})
	}
}
