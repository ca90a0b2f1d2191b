package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// EndpointStore is what the endpoint routes read and write; *dynamo.Store is one.
type EndpointStore interface {
	PutEndpoint(ctx context.Context, e webhook.Endpoint) (webhook.Endpoint, error)
	GetEndpoint(ctx context.Context, id string) (webhook.Endpoint, error)
	UpdateEndpoint(ctx context.Context, e webhook.Endpoint) (webhook.Endpoint, error)
	DeleteEndpoint(ctx context.Context, id string, version int64) error
	ListEndpoints(ctx context.Context) ([]webhook.Endpoint, error)
	GetEndpointAndDeliveries(ctx context.Context, endpointID string, limit int) (webhook.Endpoint, []webhook.Delivery, error)
	GetDeliveryAndEndpoint(ctx context.Context, endpointID, eventID string) (webhook.Delivery, webhook.Endpoint, error)
	RecordAttempt(ctx context.Context, d webhook.Delivery, disable *webhook.Endpoint) (webhook.Delivery, error)
}

// Endpoints manages webhook endpoints and their delivery logs for their owners: the
// /v1/webhooks routes. Each method is at most two DynamoDB calls (the session is the
// route's third).
type Endpoints struct {
	Store EndpointStore
	Box   webhook.SecretBox
	// Queue is needed by Replay only.
	Queue    Sender
	Options  webhook.Options
	Resolver webhook.Resolver
	Clock    kyc.Clock
	IDs      kyc.IDs
	Log      *slog.Logger
}

// MaxEndpointsPerOwner bounds one owner's endpoints: each costs every event a delivery.
const MaxEndpointsPerOwner = 20

// maxLiveSecrets bounds the secrets that sign at once: the current one and two rotated
// out within the last day (three rotations a day is plenty; more is refused).
const maxLiveSecrets = 3

// EndpointView is an endpoint as its owner sees it: never a secret.
type EndpointView struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Disabled  bool      `json:"disabled"`
	Owner     string    `json:"owner"`
	CreatedAt time.Time `json:"created_at"`
	// RotatedSecretExpiresAt is when the last rotated-out secret stops signing, if one
	// still does.
	RotatedSecretExpiresAt *time.Time `json:"rotated_secret_expires_at,omitempty"`
}

// Created is a new endpoint (or a rotated secret) with its secret, shown this once.
type Created struct {
	EndpointView
	Secret string `json:"secret"`
}

// DeliveryView is one entry of a delivery log.
type DeliveryView struct {
	ID         string     `json:"id"` // the event id, which is also the webhook-id sent
	EventID    string     `json:"event_id"`
	Type       string     `json:"type"`
	State      string     `json:"state"`
	Attempts   int        `json:"attempts"`
	LastStatus int        `json:"last_status"`
	LastError  string     `json:"last_error,omitempty"`
	NextTry    *time.Time `json:"next_try"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

func (s *Endpoints) view(e webhook.Endpoint) EndpointView {
	v := EndpointView{ID: e.ID, URL: e.URL, Events: e.Events, Disabled: e.Disabled, Owner: string(e.Owner.Kind), CreatedAt: e.CreatedAt}
	if v.Events == nil {
		v.Events = []string{}
	}
	now := s.Clock.Now()
	for _, sec := range e.LiveSecrets(now) {
		if !sec.NotAfter.IsZero() && (v.RotatedSecretExpiresAt == nil || sec.NotAfter.After(*v.RotatedSecretExpiresAt)) {
			t := sec.NotAfter
			v.RotatedSecretExpiresAt = &t
		}
	}
	return v
}

func deliveryView(d webhook.Delivery) DeliveryView {
	v := DeliveryView{ID: d.EventID, EventID: d.EventID, Type: d.EventType, State: d.State, Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError, UpdatedAt: d.UpdatedAt}
	if d.State == webhook.DeliveryPending {
		t := d.NextAt
		v.NextTry = &t
	}
	return v
}

// CheckEvents validates the event types an endpoint subscribes to: known ones, each once;
// none means all.
func CheckEvents(events []string) ([]string, error) {
	var out []string
	for _, e := range events {
		if !webhook.IsEventType(e) {
			return nil, kyc.FieldError(kyc.EINVALID, "events", "unknown event type "+fmt.Sprintf("%q", e))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Register creates an endpoint for owner: the URL passes the SSRF guard (CheckURL), the
// events are known, and a new secret is sealed. One read (the owner's count) and one
// write.
func (s *Endpoints) Register(ctx context.Context, owner webhook.Owner, url string, events []string) (Created, error) {
	evs, err := CheckEvents(events)
	if err != nil {
		return Created{}, err
	}
	if err := webhook.CheckURL(ctx, url, s.Options, s.Resolver); err != nil {
		return Created{}, err
	}
	all, err := s.Store.ListEndpoints(ctx)
	if err != nil {
		return Created{}, err
	}
	n := 0
	for _, e := range all {
		if owner.Manages(e) {
			n++
		}
	}
	if n >= MaxEndpointsPerOwner {
		return Created{}, kyc.Errorf(kyc.ETOOMANY, "at most %d webhook endpoints", MaxEndpointsPerOwner)
	}
	id := s.IDs.NewID()
	secret, sealed, err := s.newSecret(ctx, id)
	if err != nil {
		return Created{}, err
	}
	now := s.Clock.Now()
	e, err := s.Store.PutEndpoint(ctx, webhook.Endpoint{ID: id, Owner: owner, URL: url, Events: evs,
		Secrets: []webhook.SealedSecret{{Sealed: sealed}}, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return Created{}, err
	}
	s.Log.InfoContext(ctx, "webhook endpoint registered", slog.String("endpoint_id", id), slog.String("owner_kind", string(owner.Kind)))
	return Created{EndpointView: s.view(e), Secret: secret}, nil
}

func (s *Endpoints) newSecret(ctx context.Context, endpointID string) (string, []byte, error) {
	secret, err := webhook.NewSecret()
	if err != nil {
		return "", nil, err
	}
	sealed, err := s.Box.Seal(ctx, endpointID, []byte(secret))
	if err != nil {
		return "", nil, fmt.Errorf("seal webhook secret: %w", err)
	}
	return secret, sealed, nil
}

// List returns owner's endpoints: one Query.
func (s *Endpoints) List(ctx context.Context, owner webhook.Owner) ([]EndpointView, error) {
	all, err := s.Store.ListEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	out := []EndpointView{}
	for _, e := range all {
		if owner.Manages(e) {
			out = append(out, s.view(e))
		}
	}
	return out, nil
}

// owned reads endpoint id for owner: another owner's endpoint is ENOTFOUND, as a
// missing one, so ids cannot be probed.
func (s *Endpoints) owned(ctx context.Context, owner webhook.Owner, id string) (webhook.Endpoint, error) {
	e, err := s.Store.GetEndpoint(ctx, id)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	if !owner.Manages(e) {
		return webhook.Endpoint{}, kyc.Errorf(kyc.ENOTFOUND, "Endpoint not found.")
	}
	return e, nil
}

// Delete removes owner's endpoint: one read, one conditional delete.
func (s *Endpoints) Delete(ctx context.Context, owner webhook.Owner, id string) error {
	e, err := s.owned(ctx, owner, id)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteEndpoint(ctx, id, e.Version); err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "webhook endpoint deleted", slog.String("endpoint_id", id))
	return nil
}

// Rotate gives owner's endpoint a new secret, returned once; the previous current secret
// keeps signing for webhook.RotationOverlap, and rotated-out secrets past theirs are
// dropped. One read, one conditional write.
func (s *Endpoints) Rotate(ctx context.Context, owner webhook.Owner, id string) (Created, error) {
	e, err := s.owned(ctx, owner, id)
	if err != nil {
		return Created{}, err
	}
	now := s.Clock.Now()
	live := e.LiveSecrets(now)
	if len(live) >= maxLiveSecrets {
		return Created{}, kyc.Errorf(kyc.ETOOMANY, "at most %d secrets sign at once: wait for a rotated one to expire", maxLiveSecrets)
	}
	secret, sealed, err := s.newSecret(ctx, id)
	if err != nil {
		return Created{}, err
	}
	next := []webhook.SealedSecret{{Sealed: sealed}}
	for _, sec := range live {
		if sec.NotAfter.IsZero() {
			sec.NotAfter = now.Add(webhook.RotationOverlap)
		}
		next = append(next, sec)
	}
	e.Secrets, e.UpdatedAt = next, now
	saved, err := s.Store.UpdateEndpoint(ctx, e)
	if err != nil {
		return Created{}, err
	}
	s.Log.InfoContext(ctx, "webhook secret rotated", slog.String("endpoint_id", id))
	return Created{EndpointView: s.view(saved), Secret: secret}, nil
}

// Deliveries returns owner's endpoint's delivery log (up to limit): one Query.
func (s *Endpoints) Deliveries(ctx context.Context, owner webhook.Owner, id string, limit int) ([]DeliveryView, error) {
	e, ds, err := s.Store.GetEndpointAndDeliveries(ctx, id, limit)
	if err != nil {
		return nil, err
	}
	if !owner.Manages(e) {
		return nil, kyc.Errorf(kyc.ENOTFOUND, "Endpoint not found.")
	}
	out := make([]DeliveryView, 0, len(ds))
	for _, d := range ds {
		out = append(out, deliveryView(d))
	}
	return out, nil
}

// Replay sends a delivery of owner's endpoint again, with the same webhook-id: one read,
// one conditional write, and the send. A disabled endpoint is 409: it asked us to stop.
func (s *Endpoints) Replay(ctx context.Context, owner webhook.Owner, id, deliveryID string) (DeliveryView, error) {
	d, e, err := s.Store.GetDeliveryAndEndpoint(ctx, id, deliveryID)
	if err != nil {
		return DeliveryView{}, err
	}
	if e.ID == "" || !owner.Manages(e) {
		return DeliveryView{}, kyc.Errorf(kyc.ENOTFOUND, "Delivery not found.")
	}
	if e.Disabled {
		return DeliveryView{}, kyc.Errorf(kyc.ECONFLICT, "the endpoint is disabled (it answered 410 Gone)")
	}
	saved, err := Replay(ctx, s.Store, s.Queue, d, s.Clock.Now())
	if err != nil {
		return DeliveryView{}, err
	}
	return deliveryView(saved), nil
}
