package localrun_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// reviewAccount is the part of GET /v1/account this test reads.
type reviewAccount struct {
	ID            string   `json:"id"`
	State         string   `json:"state"`
	Status        int      `json:"status"`
	Reasons       []string `json:"reasons"`
	RejectType    string   `json:"reject_type"`
	ReuploadSlots []string `json:"reupload_slots"`
	Attempts      int      `json:"attempts"`
}

func (c *docsClient) account() reviewAccount {
	c.t.Helper()
	e := c.json(http.MethodGet, "/v1/account", nil, 200, 1000)
	var a reviewAccount
	if err := json.Unmarshal(e.Data, &a); err != nil {
		c.t.Fatal(err)
	}
	return a
}

// waitAccount polls GET /v1/account until the account leaves SUBMITTED, at most within.
func (c *docsClient) waitAccount(within time.Duration) (reviewAccount, time.Duration) {
	c.t.Helper()
	start := time.Now()
	for {
		a := c.account()
		if a.State != string(kyc.StateSubmitted) {
			return a, time.Since(start)
		}
		if time.Since(start) > within {
			c.t.Fatalf("account still SUBMITTED after %s", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type meData struct {
	ID                  string `json:"id"`
	Status              int    `json:"status"`
	AuthenticationState int    `json:"authenticationState"`
	Role                string `json:"role"`
}

func (c *docsClient) me() meData {
	c.t.Helper()
	e := c.json(http.MethodGet, "/v1/user/me", nil, 200, 1000)
	var m meData
	if err := json.Unmarshal(e.Data, &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// The whole review pipeline through the local runner, as the app and an operator use it:
// a user registers, uploads both sides of an ID card with presigned PUTs and submits; the
// worker fed by the runner's event source moves the account to PENDING_REVIEW. An
// operator makes a reviewer with the GrantRole function through the Invoke API; the
// reviewer sees the account in the list with its ID number masked, downloads a document
// (the very bytes uploaded) and approves it, and the user is certified. A second user's
// front image has data after its end: the worker rejects it as corrupt.
func TestRunnerReviewEndToEnd(t *testing.T) {
	dir := t.TempDir()
	keepWorkingDir(t)
	var out testenv.SyncBuffer // the reconciler logs from its own goroutine
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "test-review", Out: &out})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Close()
	outbox := filepath.Join(dir, "outbox", "sms.jsonl")
	register := func(phone string) *docsClient {
		t.Helper()
		c := newDocsClient(t, r.APIURL)
		c.json(http.MethodPost, "/v1/user/sms-code", map[string]string{"phone": phone, "purpose": kyc.PurposeRegister}, 200, 1000)
		code, err := localsms.LastCode(outbox, phone, kyc.PurposeRegister)
		if err != nil {
			t.Fatalf("LastCode: %v", err)
		}
		e := c.json(http.MethodPost, "/v1/user/register", map[string]string{"phone": phone, "code": code, "password": "a fine passphrase"}, 201, 1000)
		var reg struct{ Token string }
		if err := json.Unmarshal(e.Data, &reg); err != nil || reg.Token == "" {
			t.Fatalf("register data %s", e.Data)
		}
		c.token = reg.Token
		return c
	}

	// The user submits; the worker passes the submission.
	user := register("13800138001")
	front, back := filechecktest.PNG(320, 200), filechecktest.PNG(320, 201)
	keys := map[string]string{"ID_number": docsID, "name": "张三",
		"frontOfID": user.upload("frontOfID", "image/png", front), "backOfID": user.upload("backOfID", "image/png", back)}
	user.json(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", keys, 200, 12001)
	acct, took := user.waitAccount(2 * time.Second)
	if acct.State != string(kyc.StatePendingReview) || acct.Status != 4 {
		t.Fatalf("account %+v, want PENDING_REVIEW (status 4)", acct)
	}
	t.Logf("SUBMITTED -> PENDING_REVIEW observed after %s", took.Round(time.Millisecond))
	if m := user.me(); m.AuthenticationState != 0 {
		t.Fatalf("me before approval %+v", m)
	}

	// An operator makes a reviewer: `aws lambda invoke --function-name GrantRoleFunction`.
	rev := register("13800138002")
	fn, _ := lambdafn.Lookup(lambdafn.GrantRole)
	resp, err := http.Post(r.InvokeURL+"/2015-03-31/functions/"+fn.LogicalID+"/invocations", "application/json",
		strings.NewReader(`{"phone":"13800138002","role":"reviewer"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var granted struct {
		UserID string `json:"user_id"`
		Role   string `json:"role"`
	}
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" || json.Unmarshal(body, &granted) != nil || granted.Role != "reviewer" {
		t.Fatalf("GrantRole = %d %s (%s)", resp.StatusCode, body, resp.Header.Get("X-Amz-Function-Error"))
	}
	// The grant ended the sessions the reviewer opened as a user: log in again.
	if resp, body := rev.do(http.MethodGet, "/v1/user/me", "", nil); resp.StatusCode != 401 {
		t.Fatalf("me with the session from before the grant = %d %s, want 401", resp.StatusCode, body)
	}
	login := rev.json(http.MethodPost, "/v1/user/login", map[string]string{"phone": "13800138002", "password": "a fine passphrase"}, 200, 1000)
	var li struct{ Token string }
	if err := json.Unmarshal(login.Data, &li); err != nil || li.Token == "" {
		t.Fatalf("login data %s", login.Data)
	}
	rev.token = li.Token
	if m := rev.me(); m.Role != "reviewer" || m.ID != granted.UserID {
		t.Fatalf("reviewer's me %+v, want role reviewer and id %s", m, granted.UserID)
	}

	// The reviewer's list shows the account, its name, phone and ID number masked.
	lresp, lbody := rev.do(http.MethodGet, "/v1/cms/account/getUnAuthoredPersonalAccount", "", nil)
	var list struct {
		ErrorCode  int `json:"error_code"`
		TotalCount int `json:"totalCount"`
		Data       []struct {
			ID            string `json:"id"`
			Name          string `json:"name"`
			Tel           string `json:"tel"`
			Type          string `json:"type"`
			IDNumber      string `json:"id_number"`
			NotAuthorized bool   `json:"not_authorized"`
		} `json:"data"`
	}
	if err := json.Unmarshal(lbody, &list); err != nil || lresp.StatusCode != 200 || list.ErrorCode != 1000 {
		t.Fatalf("list = %d %s", lresp.StatusCode, lbody)
	}
	if list.TotalCount != 1 || len(list.Data) != 1 {
		t.Fatalf("list %s, want the one account", lbody)
	}
	item := list.Data[0]
	if item.ID != acct.ID || item.Name != "张*" || item.Tel != "138****8001" || item.Type != "personal_account" ||
		item.IDNumber != "1101"+strings.Repeat("*", 10)+"002X" || !item.NotAuthorized || bytes.Contains(lbody, []byte(docsID)) {
		t.Errorf("list item %+v (%s)", item, lbody)
	}
	// A plain user may not see the list.
	user.json(http.MethodGet, "/v1/cms/account/getUnAuthoredPersonalAccount", nil, 403, 1020)

	// The reviewer downloads the front: a 302 to a presigned URL serving the bytes uploaded.
	dresp, dbody := rev.do(http.MethodGet, "/v1/cms/account/"+acct.ID+"/downloadAuthFrontOfID", "", nil)
	if dresp.StatusCode != http.StatusFound {
		t.Fatalf("download = %d %s, want 302", dresp.StatusCode, dbody)
	}
	got, err := http.Get(dresp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != 200 || !bytes.Equal(b, front) {
		t.Errorf("presigned download: %d, %d bytes; want 200 and the %d bytes uploaded", got.StatusCode, len(b), len(front))
	}

	// Approval certifies the user.
	rev.json(http.MethodPost, "/v1/cms/account/"+acct.ID+"/authorizeAccount", nil, 200, 12001)
	if m := user.me(); m.AuthenticationState != 1 || m.Status != 0 {
		t.Errorf("me after approval %+v, want authenticationState 1, status 0", m)
	}
	trail, err := r.Services.Store.ListAudit(t.Context(), acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, rec := range trail {
		actions = append(actions, rec.Action)
		if rec.Action == "approve" && (rec.Actor != granted.UserID || rec.ActorRole != kyc.RoleReviewer || rec.RequestID == "") {
			t.Errorf("approve record %+v", rec)
		}
	}
	if want := []string{"submit", "automated_checks", "download", "approve"}; !slices.Equal(actions, want) {
		t.Errorf("audit trail %q, want %q", actions, want)
	}

	// A second user's front image is a PNG with garbage after its end: accepted at submit
	// (the first bytes are a PNG), rejected by the worker's full decode.
	second := register("13800138003")
	bad := append(filechecktest.PNG(320, 200), []byte("<script>alert(document.cookie)</script>")...)
	keys = map[string]string{"ID_number": "440524188001010014",
		"frontOfID": second.upload("frontOfID", "image/png", bad), "backOfID": second.upload("backOfID", "image/png", back)}
	second.json(http.MethodPost, "/v1/cms/account/uploadPersonalLicence", keys, 200, 12001)
	rejected, _ := second.waitAccount(2 * time.Second)
	if rejected.State != string(kyc.StateRejected) || rejected.RejectType != "RETRY" || rejected.Status != 3 ||
		!slices.Equal(rejected.Reasons, []string{"corrupt:frontOfID"}) || !slices.Equal(rejected.ReuploadSlots, []string{"frontOfID"}) {
		t.Errorf("second account %+v, want REJECTED RETRY with corrupt:frontOfID", rejected)
	}
	if lresp, lbody := rev.do(http.MethodGet, "/v1/cms/account/getUnAuthoredPersonalAccount", "", nil); lresp.StatusCode != 200 || !bytes.Contains(lbody, []byte(`"totalCount":0`)) {
		t.Errorf("list after all: %d %s, want empty", lresp.StatusCode, lbody)
	}
}
