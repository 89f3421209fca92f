package messaging

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// stalls are the consumers whose partition cannot move on: a message there waits for a
// dependency that is down, or failed and the poison topic does not take it. Readiness reports
// them, with the cause, until they move on.
type stalls struct {
	mu    sync.Mutex
	byKey map[string]stall
}

type stall struct {
	since time.Time
	cause string
}

func newStalls() *stalls { return &stalls{byKey: map[string]stall{}} }

func (s *stalls) set(where string, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.byKey[where]
	if !ok {
		st.since = time.Now()
	}
	st.cause = cause.Error()
	s.byKey[where] = st
}

func (s *stalls) clear(where string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, where)
}

// err describes every stalled consumer, or is nil.
func (s *stalls) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byKey) == 0 {
		return nil
	}
	parts := make([]string, 0, len(s.byKey))
	for _, where := range slices.Sorted(maps.Keys(s.byKey)) {
		st := s.byKey[where]
		parts = append(parts, fmt.Sprintf("consumer %s stalled for %s: %s",
			where, time.Since(st.since).Round(time.Second), st.cause))
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}
