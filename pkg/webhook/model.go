package webhook

import (
	"context"
	"slices"
	"time"
)

// OwnerKind is who owns an endpoint: the platform's admins (every event) or an
// integrator app (the events of its own accounts; apps arrive with the integrator issue).
type OwnerKind string

// Owner kinds.
const (
	OwnerAdmin OwnerKind = "admin"
	OwnerApp   OwnerKind = "app"
)

// Owner is who registered an endpoint: an admin (ID is the admin's user id, for the
// audit; every admin manages every admin endpoint) or an app (ID is its app key).
type Owner struct {
	Kind OwnerKind
	ID   string
}

// Manages reports whether o may read, rotate, replay and delete endpoint e: admins share
// the platform's endpoints, an app has its own.
func (o Owner) Manages(e Endpoint) bool {
	if o.Kind != e.Owner.Kind {
		return false
	}
	return o.Kind == OwnerAdmin || o.ID != "" && o.ID == e.Owner.ID
}

// SealedSecret is an endpoint secret as stored: encrypted by a SecretBox. NotAfter is
// when a rotated-out secret stops signing (zero for the current one).
type SealedSecret struct {
	Sealed   []byte
	NotAfter time.Time
}

// RotationOverlap is how long a rotated-out secret keeps signing beside the new one
// (API.md): receivers have a day to switch.
const RotationOverlap = 24 * time.Hour

// Endpoint is a registered receiver.
type Endpoint struct {
	ID    string
	Owner Owner
	URL   string
	// Events are the event types the endpoint wants; empty means all.
	Events []string
	// Secrets sign deliveries: the current one first, then any still in their overlap.
	Secrets []SealedSecret
	// Disabled is set when the receiver answered 410 Gone: nothing more is sent.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64 // optimistic locking; the store sets it
}

// Wants reports whether e receives an event of type typ. Admin endpoints get every
// account's events; an app's endpoint only its own accounts' (appID is the app owning
// the event's account, "" when an app user's account).
func (e Endpoint) Wants(typ, appID string) bool {
	if e.Disabled {
		return false
	}
	if len(e.Events) > 0 && !slices.Contains(e.Events, typ) {
		return false
	}
	switch e.Owner.Kind {
	case OwnerAdmin:
		return true
	case OwnerApp:
		return appID != "" && appID == e.Owner.ID
	}
	return false
}

// LiveSecrets are the sealed secrets that sign at now: the current one and those whose
// overlap has not ended.
func (e Endpoint) LiveSecrets(now time.Time) []SealedSecret {
	var out []SealedSecret
	for _, s := range e.Secrets {
		if s.NotAfter.IsZero() || now.Before(s.NotAfter) {
			out = append(out, s)
		}
	}
	return out
}

// OutboxEvent is an event as the outbox keeps it until the delivery worker has fanned it
// out: written in the transaction of the state change that caused it.
type OutboxEvent struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	AccountID string `json:"account_id"`
	// App is the integrator app owning the account ("" for an app user's): its
	// endpoints receive the event (Endpoint.Wants).
	App string    `json:"app,omitempty"`
	At  time.Time `json:"at"`
	// Body is the webhook body, {type, timestamp, data}, as every delivery sends it.
	Body []byte `json:"body"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one event's delivery to one endpoint: the delivery log's entry. Its id is
// the event's id, which is also the webhook-id every attempt and replay sends.
type Delivery struct {
	EndpointID string
	EventID    string
	EventType  string
	Body       []byte
	State      string
	// Attempts counts attempts made; Failures counts those that failed since the last
	// replay (the retry schedule's position).
	Attempts   int
	Failures   int
	LastStatus int    // HTTP status of the last attempt (0: none, or no response)
	LastError  string // why the last attempt failed without a status (no URL, no PII)
	NextAt     time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// SecretBox seals endpoint secrets for storage: they must be used to sign, so they are
// encrypted, not hashed. The endpoint's id is bound to the ciphertext (AES-GCM's
// additional data, KMS's encryption context): a sealed secret copied onto another
// endpoint does not open. On AWS it is KMS (pkg/kmsbox); locally a key file
// (pkg/secretbox).
type SecretBox interface {
	Seal(ctx context.Context, endpointID string, secret []byte) ([]byte, error)
	Open(ctx context.Context, endpointID string, sealed []byte) ([]byte, error)
}
