package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestConfigDefaultsFollowTheMode(t *testing.T) {
	mem, err := parseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if mem.Instances != 1 || slices.Contains(mem.Faults, faultPGDrop) {
		t.Errorf("memory mode: %d instances, faults %v; want 1 instance and no pgdrop", mem.Instances, mem.Faults)
	}
	pg, err := parseConfig([]string{"--postgres", "postgres://u@h/db"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Instances != 2 || !slices.Contains(pg.Faults, faultPGDrop) {
		t.Errorf("postgres mode: %d instances, faults %v; want 2 instances and pgdrop", pg.Instances, pg.Faults)
	}
}

func TestConfigRejects(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--faults", "sigkill,meteor"}, `unknown kind "meteor"`},
		{[]string{"--faults", "pgdrop"}, "pgdrop needs --postgres"},
		{[]string{"--postgres", "mysql://x"}, "postgres:// URL"},
		{[]string{"--rate", "0"}, "--rate"},
		{[]string{"--duration", "10ms"}, "--duration"},
		{[]string{"--service-env", "NOEQUALS"}, "KEY=VALUE"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		_, err := parseConfig(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseConfig(%v) = %v, want an error mentioning %q", tt.args, err, tt.want)
		}
	}
}

func TestFaultPlanIsRepeatable(t *testing.T) {
	cfg, err := parseConfig([]string{"--postgres", "postgres://u@h/db", "--duration", "60s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, b := planFaults(cfg, 7), planFaults(cfg, 7)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("two plans from one seed differ or are empty: %v / %v", a, b)
	}
	for _, f := range a {
		if f.At < cfg.Warmup || f.At >= cfg.Duration || !slices.Contains(cfg.Faults, f.Kind) {
			t.Errorf("planned %v: outside the load or of a disabled kind", f)
		}
	}
	if c := planFaults(cfg, 8); slices.Equal(a, c) {
		t.Error("another seed planned the same faults")
	}
	cfg.Faults = nil
	if p := planFaults(cfg, 7); len(p) != 0 {
		t.Errorf("--faults none planned %v", p)
	}
}
