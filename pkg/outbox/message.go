package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/realname-kyc/realname/pkg/webhook"
)

// Message kinds.
const (
	kindEvent    = "event"
	kindDelivery = "delivery"
)

// Message is a delivery-queue message: an event to fan out (Event), or a delivery to
// attempt at Due if the delivery is still at Version (an older message is stale: the
// attempt it stood for was recorded).
type Message struct {
	Kind       string               `json:"kind"`
	Event      *webhook.OutboxEvent `json:"event,omitempty"`
	EndpointID string               `json:"endpoint_id,omitempty"`
	EventID    string               `json:"event_id,omitempty"`
	Version    int64                `json:"version,omitempty"`
	Due        time.Time            `json:"due,omitzero"`
}

// Sender puts a message on the delivery queue, delivered after delay (0 to 15 minutes).
// sqsqueue.Queue's SendDelayed is one.
type Sender interface {
	SendDelayed(ctx context.Context, body string, delay time.Duration) error
}

func send(ctx context.Context, q Sender, m Message, delay time.Duration) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("outbox: marshal message: %w", err)
	}
	if err := q.SendDelayed(ctx, string(body), delay); err != nil {
		return fmt.Errorf("outbox: send %s message: %w", m.Kind, err)
	}
	return nil
}

func eventMessage(ev webhook.OutboxEvent) Message { return Message{Kind: kindEvent, Event: &ev} }

func deliveryMessage(d webhook.Delivery) Message {
	return Message{Kind: kindDelivery, EndpointID: d.EndpointID, EventID: d.EventID, Version: d.Version, Due: d.NextAt}
}
