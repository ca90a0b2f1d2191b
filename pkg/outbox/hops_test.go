package outbox_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
)

// recordingSender records what the worker queues and with which delay.
type recordingSender struct {
	mu    sync.Mutex
	sent  []string
	delay []time.Duration
}

func (s *recordingSender) SendDelayed(_ context.Context, body string, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent, s.delay = append(s.sent, body), append(s.delay, d)
	return nil
}

// A delivery message that arrives before it is due (a retry 10 h away) is sent on with
// SQS's longest delay, 15 minutes, unchanged, and nothing is read or attempted: the chain
// of re-sends that carries waits beyond SQS's limit. The last hop is the remainder.
func TestEarlyDeliveryMessageHopsOn(t *testing.T) {
	now := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		due  time.Duration
		want time.Duration
	}{{10 * time.Hour, 15 * time.Minute}, {15*time.Minute + time.Second, 15 * time.Minute}, {90 * time.Second, 90 * time.Second}} {
		s := &recordingSender{}
		w := &outbox.Worker{Queue: s, Clock: kyc.NewFixedClock(now)} // no store: a hop must not touch it
		m := outbox.Message{Kind: "delivery", EndpointID: "ep1", EventID: "evt_a_2", Version: 3, Due: now.Add(tc.due)}
		body, _ := json.Marshal(m)
		if err := w.HandleBody(t.Context(), string(body)); err != nil {
			t.Fatalf("due in %s: %v", tc.due, err)
		}
		if len(s.sent) != 1 || s.delay[0] != tc.want || s.sent[0] != string(body) {
			t.Errorf("due in %s: sent %v with delays %v, want the same message once with %s", tc.due, s.sent, s.delay, tc.want)
		}
	}
}
