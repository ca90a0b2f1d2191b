package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/secretbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// webhookFixture is the API with the webhook adapters: a file-key secret box and the
// local webhook queue.
func webhookFixture(t *testing.T, opts webhook.Options) (*fixture, http.Handler, string) {
	t.Helper()
	f := newFixture(t)
	box, err := secretbox.Open(filepath.Join(t.TempDir(), "webhook.key"))
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Secrets, f.svc.WebhookOptions = box, opts
	f.svc.WebhookQueue = localqueue.Delayed{Queue: localqueue.New(localqueue.Options{})}
	admin := f.session(t, f.user(t, kyc.RoleAdmin), time.Hour)
	return f, muxOf(t, f.svc), admin
}

func call(t *testing.T, h http.Handler, token, method, path string, body any) (*httptest.ResponseRecorder, envelopeJSON) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	r := httptest.NewRequest(method, path, bytes.NewReader(b))
	r.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	w := serve(h, r)
	return w, envelopeOf(t, w)
}

// The endpoint lifecycle through HTTP: created 201 with a whsec_ secret shown once, listed
// without it, rotated (a new secret, the old one's overlap end shown), deleted; another
// admin manages the same platform endpoints.
func TestWebhookRoutes(t *testing.T) {
	f, h, admin := webhookFixture(t, webhook.Options{AllowLoopbackHTTP: true})
	w, e := call(t, h, admin, http.MethodPost, "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9999/hook", "events": []string{"account.approved"}})
	if w.Code != http.StatusCreated || e.ErrorCode != 1000 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var created struct {
		ID     string   `json:"id"`
		Secret string   `json:"secret"`
		Events []string `json:"events"`
	}
	_ = json.Unmarshal(e.Data, &created)
	if _, err := webhook.ParseSecret(created.Secret); err != nil || created.ID == "" {
		t.Fatalf("created %+v: %v", created, err)
	}
	if strings.Contains(f.log.String(), created.Secret) {
		t.Error("the secret is in the log")
	}
	r := httptest.NewRequest(http.MethodGet, "/v1/webhooks", nil)
	r.Header.Set("Authorization", "Bearer "+admin)
	w = serve(h, r)
	if w.Code != 200 || strings.Contains(w.Body.String(), "whsec_") || !strings.Contains(w.Body.String(), created.ID) {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	other := f.session(t, f.user(t, kyc.RoleAdmin), time.Hour)
	w, e = call(t, h, other, http.MethodPost, "/v1/webhooks/"+created.ID+"/rotate", nil)
	var rotated struct {
		Secret     string `json:"secret"`
		OldExpires string `json:"rotated_secret_expires_at"`
	}
	_ = json.Unmarshal(e.Data, &rotated)
	if w.Code != 200 || rotated.Secret == created.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.OldExpires == "" {
		t.Fatalf("rotate: %d %s", w.Code, w.Body)
	}
	r = httptest.NewRequest(http.MethodGet, "/v1/webhooks/"+created.ID+"/deliveries", nil)
	r.Header.Set("Authorization", "Bearer "+admin)
	if w := serve(h, r); w.Code != 200 {
		t.Errorf("deliveries: %d %s", w.Code, w.Body)
	}
	if w, _ := call(t, h, admin, http.MethodPost, "/v1/webhooks/"+created.ID+"/deliveries/evt_none_1/replay", nil); w.Code != 404 {
		t.Errorf("replay of no delivery: %d %s", w.Code, w.Body)
	}
	if w, _ := call(t, h, admin, http.MethodDelete, "/v1/webhooks/"+created.ID, nil); w.Code != 200 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w, _ := call(t, h, admin, http.MethodDelete, "/v1/webhooks/"+created.ID, nil); w.Code != 404 {
		t.Errorf("delete again: %d", w.Code)
	}
}

// Registration refuses what it must, naming the field, and stores nothing: http on AWS,
// loopback, private and metadata addresses, unknown event types.
func TestWebhookRegistrationRefusals(t *testing.T) {
	f, h, admin := webhookFixture(t, webhook.Options{})
	for name, body := range map[string]map[string]any{
		"http":           {"url": "http://hooks.example.com/h"},
		"loopback":       {"url": "https://127.0.0.1/h"},
		"private":        {"url": "https://10.0.0.8/h"},
		"metadata":       {"url": "https://169.254.169.254/latest/meta-data"},
		"localhost name": {"url": "https://localhost/h"},
		"unknown event":  {"url": "https://93.184.216.34/h", "events": []string{"account.deleted"}},
		"no url":         {},
	} {
		w, e := call(t, h, admin, http.MethodPost, "/v1/webhooks", body)
		var fe struct{ Field string }
		_ = json.Unmarshal(e.Data, &fe)
		if w.Code != 400 || (fe.Field != "url" && fe.Field != "events") {
			t.Errorf("%s: %d %s, want 400 naming the field", name, w.Code, w.Body)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/v1/webhooks", nil)
	r.Header.Set("Authorization", "Bearer "+admin)
	if w := serve(h, r); !strings.Contains(w.Body.String(), `"data":[]`) {
		t.Errorf("endpoints after refusals: %s", w.Body)
	}
	_ = f
}

// A submission queues its account.submitted event as soon as it commits, as a decision
// does: the sweeper is only the fallback.
func TestSubmissionQueuesItsEvent(t *testing.T) {
	d := newDocFixture(t)
	q := localqueue.New(localqueue.Options{})
	d.svc.WebhookQueue = localqueue.Delayed{Queue: q}
	d.mux = muxOf(t, d.svc)
	u := d.newUser(t, kyc.RoleUser)
	d.submitPersonal(t, u)
	msgs, err := q.Receive(t.Context(), 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, `"type":"account.submitted"`) || !strings.Contains(msgs[0].Body, u.AccountID) {
		t.Fatalf("webhook queue holds %+v, want the submission's account.submitted event", msgs)
	}
}
