package routeflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/secretbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// webhooks is the flow's webhook side: the local webhook queue, a file-key secret box, a
// receiver on 127.0.0.1, and the delivery worker that the flow drains the queue with
// (setup, not a row: the worker's calls are the bench's webhook part).
type webhooks struct {
	svc      *app.Services
	queue    *localqueue.Queue
	receiver *httptest.Server
	worker   *outbox.Worker
	endpoint string
}

func newWebhooks(_ context.Context, svc *app.Services, dir string) (*webhooks, error) {
	box, err := secretbox.Open(filepath.Join(dir, "webhook.key"))
	if err != nil {
		return nil, err
	}
	q := localqueue.New(localqueue.Options{Visibility: 30 * time.Second, MaxReceives: 5})
	svc.WebhookQueue, svc.Secrets = localqueue.Delayed{Queue: q}, box
	svc.WebhookOptions = webhook.Options{AllowLoopbackHTTP: true}
	ws, ok := svc.Store.(outbox.WorkerStore)
	if !ok {
		return nil, errors.New("routeflow: the store has no webhook side")
	}
	w := &webhooks{svc: svc, queue: q,
		receiver: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))}
	w.worker = outbox.NewWorker(ws, svc.WebhookQueue, box, svc.WebhookOptions, svc.Clock, svc.Log)
	return w, nil
}

func (w *webhooks) close() { w.receiver.Close() }

func (w *webhooks) endpoints() *outbox.Endpoints {
	return &outbox.Endpoints{Store: w.svc.Store.(outbox.EndpointStore), Box: w.svc.Secrets, Queue: w.svc.WebhookQueue,
		Options: w.svc.WebhookOptions, Clock: w.svc.Clock, IDs: w.svc.IDs, Log: w.svc.Log}
}

// register makes the platform's endpoint at the receiver, as an admin would.
func (w *webhooks) register(ctx context.Context) error {
	c, err := w.endpoints().Register(ctx, webhook.Owner{Kind: webhook.OwnerAdmin, ID: "routeflow"}, w.receiver.URL+"/hooks", nil)
	w.endpoint = c.ID
	return err
}

// drain hands the webhook queue's messages to the worker, one at a time, until it is
// empty; with step, each message is a row of the webhook worker (its calls metered).
func (w *webhooks) drain(ctx context.Context, step workerStepFunc) error {
	for idle := 0; idle < 2; {
		msgs, err := w.queue.Receive(ctx, 1, 50*time.Millisecond)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			idle++
			continue
		}
		idle = 0
		m := msgs[0]
		var head struct{ Kind string }
		_ = json.Unmarshal([]byte(m.Body), &head)
		handle := func(ctx context.Context) (int, error) { return 0, w.worker.HandleBody(ctx, m.Body) }
		if step != nil {
			err = step("webhook worker: "+head.Kind+" message", "webhook worker (SQS event, 1 message)", "WebhookWorkerFunction", handle)
		} else {
			_, err = handle(ctx)
		}
		if err != nil {
			return fmt.Errorf("webhook worker: %w", err)
		}
		if err := w.queue.Delete(ctx, m.ReceiptHandle); err != nil {
			return err
		}
	}
	return nil
}

type workerStepFunc func(name, route, function string, f func(ctx context.Context) (int, error)) error
type stepFunc func(c *Client, name, method, path string, body any, want int) error
type queryStepFunc func(c *Client, name, method, path, query string, body any, want int) error

// steps are the admin's webhook rows: the decisions so far are delivered (setup), then the
// admin reads the log, replays a delivery, rotates the secret, registers, lists and
// deletes an endpoint.
func (w *webhooks) steps(adm *Client, step workerStepFunc, jsonStep stepFunc, queryStep queryStepFunc) error {
	ctx := context.Background()
	if err := w.drain(ctx, step); err != nil {
		return err
	}
	base := "/v1/webhooks/" + w.endpoint
	if err := queryStep(adm, "admin reads a webhook's deliveries", http.MethodGet, base+"/deliveries", "?limit=10", nil, 200); err != nil {
		return err
	}
	e, err := adm.JSON(http.MethodGet, base+"/deliveries", nil, 200)
	if err != nil {
		return err
	}
	var ds []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(e.Data, &ds); err != nil || len(ds) == 0 {
		return fmt.Errorf("the platform's endpoint has no deliveries after the decisions (%v)", err)
	}
	for _, d := range ds {
		if d.State != webhook.DeliveryDelivered {
			return fmt.Errorf("delivery %s is %s, want delivered", d.ID, d.State)
		}
	}
	if err := jsonStep(adm, "admin replays a delivery", http.MethodPost, base+"/deliveries/"+ds[0].ID+"/replay", nil, 200); err != nil {
		return err
	}
	if err := w.drain(ctx, nil); err != nil {
		return err
	}
	if err := jsonStep(adm, "admin rotates a webhook secret", http.MethodPost, base+"/rotate", nil, 200); err != nil {
		return err
	}
	if err := jsonStep(adm, "admin registers a webhook", http.MethodPost, "/v1/webhooks",
		map[string]any{"url": w.receiver.URL + "/other", "events": []string{webhook.AccountApproved}}, 201); err != nil {
		return err
	}
	if err := jsonStep(adm, "admin lists webhooks", http.MethodGet, "/v1/webhooks", nil, 200); err != nil {
		return err
	}
	list, err := adm.JSON(http.MethodGet, "/v1/webhooks", nil, 200)
	if err != nil {
		return err
	}
	var eps []struct{ ID string }
	_ = json.Unmarshal(list.Data, &eps)
	for _, ep := range eps {
		if ep.ID != w.endpoint {
			return jsonStep(adm, "admin deletes a webhook", http.MethodDelete, "/v1/webhooks/"+ep.ID, nil, 200)
		}
	}
	return fmt.Errorf("the registered webhook is not listed")
}

var _ kyc.Clock = (*shiftClock)(nil)
