package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// WorkerStore is what the delivery worker reads and writes; *dynamo.Store is one.
type WorkerStore interface {
	ListEndpoints(ctx context.Context) ([]webhook.Endpoint, error)
	FanOut(ctx context.Context, ev webhook.OutboxEvent, ds []webhook.Delivery) error
	GetDeliveryAndEndpoint(ctx context.Context, endpointID, eventID string) (webhook.Delivery, webhook.Endpoint, error)
	RecordAttempt(ctx context.Context, d webhook.Delivery, disable *webhook.Endpoint) (webhook.Delivery, error)
}

// Worker is the delivery worker: the webhook queue's consumer.
type Worker struct {
	Store  WorkerStore
	Queue  Sender
	Box    webhook.SecretBox
	Client *http.Client
	// Options and Resolver are the SSRF guard's, checked again before each attempt
	// (Client's dialer checks the address actually dialled).
	Options  webhook.Options
	Resolver webhook.Resolver
	Clock    kyc.Clock
	Log      *slog.Logger
	// Retry is webhook.NextAttempt with a random jitter unless set (tests shorten it).
	Retry func(failed int) (time.Duration, bool)
}

// NewWorker returns a worker with the production HTTP client, resolver and schedule.
func NewWorker(store WorkerStore, q Sender, box webhook.SecretBox, opts webhook.Options, clock kyc.Clock, log *slog.Logger) *Worker {
	return &Worker{Store: store, Queue: q, Box: box, Client: webhook.NewClient(opts), Options: opts,
		Resolver: net.DefaultResolver, Clock: clock, Log: log}
}

func (w *Worker) retry(failed int) (time.Duration, bool) {
	if w.Retry != nil {
		return w.Retry(failed)
	}
	return webhook.NextAttempt(failed, rand.Float64)
}

// Handle is the worker's Lambda handler (SQS event source with ReportBatchItemFailures):
// each record is handled on its own; one whose work may not have been done is reported,
// so SQS delivers it again, and the rest are acknowledged.
//
// The records are handled in parallel: an attempt may wait 15 s for a slow receiver, and
// one slow endpoint must not hold up the batch's other deliveries.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		resp events.SQSEventResponse
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	for _, r := range ev.Records {
		wg.Go(func() {
			if err := w.HandleBody(ctx, r.Body); err != nil {
				w.Log.ErrorContext(ctx, "webhook message failed", slog.String("message_id", r.MessageId), slog.String("error", err.Error()))
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return resp, nil
}

// HandleBody handles one message body; an error means "deliver it again".
func (w *Worker) HandleBody(ctx context.Context, body string) error {
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		// A body we cannot read will never be readable: dropping it loses nothing the
		// sweeper cannot find again (the outbox record and the due delivery stay).
		w.Log.WarnContext(ctx, "webhook message unreadable, dropped", slog.String("error", err.Error()))
		return nil
	}
	switch {
	case m.Kind == kindEvent && m.Event != nil:
		return w.fanOut(ctx, *m.Event)
	case m.Kind == kindDelivery && m.EndpointID != "" && m.EventID != "":
		return w.deliver(ctx, m)
	}
	w.Log.WarnContext(ctx, "webhook message of unknown kind, dropped", slog.String("kind", m.Kind))
	return nil
}

// fanOut turns an event into one delivery per matching endpoint, in one transaction with
// the removal of the event from the outbox, and queues each delivery: two DynamoDB calls.
func (w *Worker) fanOut(ctx context.Context, ev webhook.OutboxEvent) error {
	eps, err := w.Store.ListEndpoints(ctx)
	if err != nil {
		return err
	}
	now := w.Clock.Now()
	var ds []webhook.Delivery
	for _, e := range eps {
		if e.Wants(ev.Type, ev.App) {
			ds = append(ds, webhook.Delivery{EndpointID: e.ID, EventID: ev.ID, EventType: ev.Type, Body: ev.Body,
				State: webhook.DeliveryPending, NextAt: now, CreatedAt: now, UpdatedAt: now, Version: 1})
		}
	}
	if err := w.Store.FanOut(ctx, ev, ds); err != nil {
		if kyc.ErrorCode(err) == kyc.ECONFLICT {
			return nil // fanned out already (a sweep and the dispatcher both queued it)
		}
		return err
	}
	for _, d := range ds {
		if err := send(ctx, w.Queue, deliveryMessage(d), 0); err != nil {
			// The delivery is stored and due: the sweeper queues it.
			w.Log.WarnContext(ctx, "webhook delivery not queued: the sweeper will", slog.String("event_id", d.EventID),
				slog.String("endpoint_id", d.EndpointID), slog.String("error", err.Error()))
		}
	}
	w.Log.InfoContext(ctx, "webhook event fanned out", slog.String("event_id", ev.ID), slog.String("type", ev.Type), slog.Int("deliveries", len(ds)))
	return nil
}

// deliver makes one attempt of a due delivery and records it: two DynamoDB calls (one
// read, one write). A message not yet due is sent on (no call).
func (w *Worker) deliver(ctx context.Context, m Message) error {
	now := w.Clock.Now()
	if delay, ok := webhook.NextHop(now, m.Due); !ok {
		return send(ctx, w.Queue, m, delay)
	}
	d, ep, err := w.Store.GetDeliveryAndEndpoint(ctx, m.EndpointID, m.EventID)
	if err != nil {
		if kyc.ErrorCode(err) == kyc.ENOTFOUND {
			return nil
		}
		return err
	}
	if d.State != webhook.DeliveryPending || d.Version != m.Version {
		return nil // stale: this attempt was made and recorded, or replaced by a replay
	}
	next := d
	next.Attempts++
	next.UpdatedAt = now
	var disable *webhook.Endpoint
	switch {
	case ep.ID == "":
		next.State, next.LastStatus, next.LastError = webhook.DeliveryFailed, 0, "endpoint deleted"
	case ep.Disabled:
		next.State, next.LastStatus, next.LastError = webhook.DeliveryFailed, 0, "endpoint disabled"
	default:
		status, reason := w.attempt(ctx, ep, d, now)
		next.LastStatus, next.LastError = status, reason
		switch webhook.Classify(status, errorIf(reason)) {
		case webhook.Delivered:
			next.State = webhook.DeliveryDelivered
		case webhook.Disable:
			next.State, disable = webhook.DeliveryFailed, &ep
		default:
			next.Failures++
			if wait, more := w.retry(next.Failures); more {
				next.NextAt = now.Add(wait)
			} else {
				next.State = webhook.DeliveryFailed
			}
		}
	}
	saved, err := w.Store.RecordAttempt(ctx, next, disable)
	if err != nil {
		if kyc.ErrorCode(err) == kyc.ECONFLICT {
			return nil // another worker recorded this attempt
		}
		return err
	}
	w.Log.InfoContext(ctx, "webhook attempt", slog.String("event_id", d.EventID), slog.String("endpoint_id", d.EndpointID),
		slog.Int("attempt", saved.Attempts), slog.Int("status", saved.LastStatus), slog.String("state", saved.State))
	if saved.State == webhook.DeliveryPending {
		delay, _ := webhook.NextHop(now, saved.NextAt)
		if err := send(ctx, w.Queue, deliveryMessage(saved), delay); err != nil {
			w.Log.WarnContext(ctx, "webhook retry not queued: the sweeper will", slog.String("event_id", d.EventID), slog.String("error", err.Error()))
		}
	}
	return nil
}

// errorIf makes Classify see a transport failure.
func errorIf(reason string) error {
	if reason == "" {
		return nil
	}
	return errors.New(reason)
}

// maxResponseRead is how much of a receiver's answer is read (to reuse the connection);
// the body is never stored.
const maxResponseRead = 64 << 10

// attempt signs and POSTs the delivery's body. It returns the status, or 0 and a reason
// that names no URL or address (the delivery log is the owner's to read, and the
// receiver's address is not the owner's to map).
func (w *Worker) attempt(ctx context.Context, ep webhook.Endpoint, d webhook.Delivery, now time.Time) (int, string) {
	if err := webhook.CheckURL(ctx, ep.URL, w.Options, w.Resolver); err != nil {
		return 0, "url refused: " + kyc.ErrorMessage(err)
	}
	var secrets [][]byte
	for _, s := range ep.LiveSecrets(now) {
		key, err := w.Box.Open(ctx, ep.ID, s.Sealed)
		if err != nil {
			return 0, "secret unavailable"
		}
		raw, err := webhook.ParseSecret(string(key))
		if err != nil {
			return 0, "secret unavailable"
		}
		secrets = append(secrets, raw)
	}
	h, err := webhook.Headers(secrets, d.EventID, now, d.Body)
	if err != nil {
		return 0, "cannot sign"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, "bad request"
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "realname-webhooks/1")
	resp, err := w.Client.Do(req)
	if err != nil {
		switch {
		case errors.Is(err, webhook.ErrForbiddenDial):
			return 0, "address refused"
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return 0, "timeout"
		}
		return 0, "connection failed"
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	_ = resp.Body.Close()
	return resp.StatusCode, ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Replay queues a delivery again at once with the same webhook-id: the delivery goes back
// to pending with a fresh retry schedule, its attempts kept. One write (conditional on the
// version read) and one send; if the send fails the delivery is pending and due, and the
// sweeper queues it.
func Replay(ctx context.Context, store interface {
	RecordAttempt(ctx context.Context, d webhook.Delivery, disable *webhook.Endpoint) (webhook.Delivery, error)
}, q Sender, d webhook.Delivery, now time.Time) (webhook.Delivery, error) {
	d.State, d.Failures, d.NextAt, d.UpdatedAt = webhook.DeliveryPending, 0, now, now
	saved, err := store.RecordAttempt(ctx, d, nil)
	if err != nil {
		return webhook.Delivery{}, fmt.Errorf("replay: %w", err)
	}
	_ = send(ctx, q, deliveryMessage(saved), 0)
	return saved, nil
}
