package httpapi

import (
	"net"
	"net/http"
	"strconv"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// The webhook endpoint routes (issue 13, API.md "Webhooks"). Admins own the platform's
// endpoints, which receive every event; integrator apps get their own with the
// integrator issue (webhook.OwnerApp), which only has to map its principal to an Owner
// here.

// endpointsService builds the endpoint service from the adapters env has: the store,
// the secret box (register and rotate) and the webhook queue (replay).
func endpointsService(env *app.Env) *outbox.Endpoints {
	s := &outbox.Endpoints{Store: endpointStore(env), Box: env.Secrets, Options: env.WebhookOptions,
		Resolver: net.DefaultResolver, Clock: env.Clock, IDs: env.IDs, Log: env.Log}
	if env.WebhookQueue != nil {
		s.Queue = env.WebhookQueue
	}
	return s
}

// endpointStore is the store's webhook side; every kyc.Store this project has (pkg/dynamo)
// has it, and a store without it fails the route's tests.
func endpointStore(env *app.Env) outbox.EndpointStore {
	s, _ := env.Store.(outbox.EndpointStore)
	return s
}

func withWebhooks(env *app.Env) *API {
	return &API{svc: &env.Services, webhooks: endpointsService(env)}
}

// webhookOwner is the caller as an endpoint owner: an integrator app, or an admin.
func webhookOwner(r *http.Request) webhook.Owner {
	p, _ := PrincipalFrom(r.Context())
	if p.Role == kyc.RoleIntegrator {
		return webhook.Owner{Kind: webhook.OwnerApp, ID: p.AppKey}
	}
	return webhook.Owner{Kind: webhook.OwnerAdmin, ID: p.UserID}
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r, "events")
	if err != nil {
		return err
	}
	if err := f.require("url"); err != nil {
		return err
	}
	c, err := a.webhooks.Register(r.Context(), webhookOwner(r), f["url"], f.list("events"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "webhook created: the secret is shown this once", c)
	return nil
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	eps, err := a.webhooks.List(r.Context(), webhookOwner(r))
	if err != nil {
		return err
	}
	total := int64(len(eps))
	writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodeOK, Msg: "ok", Data: eps, TotalCount: &total})
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := a.webhooks.Delete(r.Context(), webhookOwner(r), r.PathValue("id")); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "webhook deleted", nil)
	return nil
}

func (a *API) rotateWebhook(w http.ResponseWriter, r *http.Request) error {
	c, err := a.webhooks.Rotate(r.Context(), webhookOwner(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "secret rotated: the new secret is shown this once; the old one signs for 24 h", c)
	return nil
}

func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return kyc.FieldError(kyc.EINVALID, "limit", "must be a whole number from 1 to 100")
		}
		limit = n
	}
	if limit == 0 {
		limit = 20
	}
	ds, err := a.webhooks.Deliveries(r.Context(), webhookOwner(r), r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	total := int64(len(ds))
	writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodeOK, Msg: "ok", Data: ds, TotalCount: &total})
	return nil
}

func (a *API) replayWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.webhooks.Replay(r.Context(), webhookOwner(r), r.PathValue("id"), r.PathValue("deliveryId"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "delivery queued again", d)
	return nil
}

// CreateWebhook serves POST /v1/webhooks.
func CreateWebhook(env *app.Env) (http.Handler, error) {
	return withWebhooks(env).routeHandler("webhooks-create", (*API).createWebhook), nil
}

// ListWebhooks serves GET /v1/webhooks.
func ListWebhooks(env *app.Env) (http.Handler, error) {
	return withWebhooks(env).routeHandler("webhooks-list", (*API).listWebhooks), nil
}

// DeleteWebhook serves DELETE /v1/webhooks/{id}.
func DeleteWebhook(env *app.Env) (http.Handler, error) {
	return withWebhooks(env).routeHandler("webhooks-delete", (*API).deleteWebhook), nil
}

// RotateWebhook serves POST /v1/webhooks/{id}/rotate.
func RotateWebhook(env *app.Env) (http.Handler, error) {
	return withWebhooks(env).routeHandler("webhooks-rotate", (*API).rotateWebhook), nil
}

// ListWebhookDeliveries serves GET /v1/webhooks/{id}/deliveries.
func ListWebhookDeliveries(env *app.Env) (http.Handler, error) {
	return withWebhooks(env).routeHandler("webhooks-deliveries", (*API).webhookDeliveries), nil
}

// ReplayWebhookDelivery serves POST /v1/webhooks/{id}/deliveries/{deliveryId}/replay.
func ReplayWebhookDelivery(env *app.Env) (http.Handler, error) {
	return withWebhooks(env).routeHandler("webhooks-replay", (*API).replayWebhookDelivery), nil
}
