package localrun_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
)

// Issue 13's "done when", through the local runner as `make run` wires it: an admin
// registers a receiver on 127.0.0.1, a reviewer-level admin approves an account, and the
// receiver gets the signed account.approved event within seconds; the signature verifies
// with the spec's reference library and the secret the registration showed.
func TestRunnerDeliversSignedEventOnApproval(t *testing.T) {
	dir := t.TempDir()
	keepWorkingDir(t)
	var out bytes.Buffer
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "test-webhooks", Out: &out})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Close()

	type hit struct {
		header http.Header
		body   []byte
		at     time.Time
	}
	var mu sync.Mutex
	var hits []hit
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		mu.Lock()
		hits = append(hits, hit{req.Header.Clone(), b, time.Now()})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	smsOut := filepath.Join(dir, "outbox", "sms.jsonl")
	register := func(phone string) *docsClient {
		t.Helper()
		c := newDocsClient(t, r.APIURL)
		c.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": phone, "purpose": kyc.PurposeRegister}, 200, 1000)
		code, err := localsms.LastCode(smsOut, phone, kyc.PurposeRegister)
		if err != nil {
			t.Fatalf("LastCode: %v", err)
		}
		e := c.json(http.MethodPost, "/v1/user/register", map[string]string{"phone": phone, "code": code, "password": "a fine passphrase"}, 201, 1000)
		var reg struct{ Token string }
		_ = json.Unmarshal(e.Data, &reg)
		c.token = reg.Token
		return c
	}
	user := register("13800138011")
	keys := map[string]string{"ID_number": docsID, "name": "张三",
		"frontOfID": user.upload("frontOfID", "image/png", filechecktest.PNG(320, 200)), "backOfID": user.upload("backOfID", "image/png", filechecktest.PNG(320, 201))}
	user.json(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", keys, 200, 12001)
	acct, _ := user.waitAccount(2 * time.Second)
	if acct.State != string(kyc.StatePendingReview) {
		t.Fatalf("account %+v, want PENDING_REVIEW", acct)
	}

	// An operator makes an admin (GrantRole through the Invoke API), who logs in.
	adm := register("13800138012")
	fn, _ := lambdafn.Lookup(lambdafn.GrantRole)
	resp, err := http.Post(r.InvokeURL+"/2015-03-31/functions/"+fn.LogicalID+"/invocations", "application/json",
		strings.NewReader(`{"phone":"13800138012","role":"admin"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login := adm.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": "13800138012", "password": "a fine passphrase"}, 200, 1000)
	var li struct{ Token string }
	_ = json.Unmarshal(login.Data, &li)
	adm.token = li.Token

	e := adm.json(http.MethodPost, "/v1/webhooks", map[string]any{"url": rcv.URL + "/realname"}, 201, 1000)
	var created struct{ ID, Secret string }
	if err := json.Unmarshal(e.Data, &created); err != nil || !strings.HasPrefix(created.Secret, "whsec_") {
		t.Fatalf("created %s", e.Data)
	}

	approvedAt := time.Now()
	adm.json(http.MethodPost, "/v1/cms/account/"+acct.ID+"/authorizeAccount", nil, 200, 12001)
	deadline := time.Now().Add(5 * time.Second)
	var got hit
	for {
		mu.Lock()
		n := len(hits)
		if n > 0 {
			got = hits[0]
		}
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery within 5 s of the approval; runner log:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("approval -> signed delivery in %s", got.at.Sub(approvedAt).Round(time.Millisecond))
	wh, err := standardwebhooks.NewWebhook(created.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.body, got.header); err != nil {
		t.Fatalf("reference library refused the delivery: %v", err)
	}
	var ev struct {
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(got.body, &ev); err != nil || ev.Type != "account.approved" || ev.Data["account_id"] != acct.ID || ev.Data["state"] != "APPROVED" {
		t.Errorf("body %s", got.body)
	}
	if bytes.Contains(got.body, []byte(docsID)) || bytes.Contains(got.body, []byte("张三")) || bytes.Contains(got.body, []byte("13800138011")) {
		t.Errorf("the body carries personal data: %s", got.body)
	}
	// The delivery log says so.
	time.Sleep(200 * time.Millisecond)
	_, logBody := adm.do(http.MethodGet, "/v1/webhooks/"+created.ID+"/deliveries", "", nil)
	if !strings.Contains(string(logBody), `"state":"delivered"`) || !strings.Contains(string(logBody), `"last_status":204`) {
		t.Errorf("delivery log %s", logBody)
	}
}
