//go:build !unix

package service_test

import (
	"testing"
	"time"
)

// processCPU is not measured here: reportCPU then reports nothing.
func processCPU(*testing.B) time.Duration { return -1 }
