//go:build unix

package service_test

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time this process has used, user and system. Per order it is the
// figure to compare between runs: throughput on a shared 2-core machine moves by a third
// from one run to the next, the CPU an order costs much less. It counts the whole process:
// the service, the embedded broker and the benchmark's HTTP clients (not PostgreSQL's).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
