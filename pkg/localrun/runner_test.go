package localrun_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/lambdafn"
	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// startRunner starts the default runner on free loopback ports with the environment env
// (nothing of the developer's own). The embedded S3 gateway allows one per process, so
// tests that call it never run in parallel.
func startRunner(t *testing.T, dir string, env ...string) *localrun.Runner {
	t.Helper()
	keepWorkingDir(t)
	var out testenv.SyncBuffer // the reconciler logs from its own goroutine
	r, err := localrun.Start(t.Context(), localrun.Options{Dir: dir, APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Version: "test-run", Out: &out, Getenv: envOf(env...)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return r
}

// submit creates a user and account and moves the account to SUBMITTED with one uploaded
// document, as the submit handler does, and returns the stored account.
func submit(t *testing.T, r *localrun.Runner, n string) kyc.Account {
	t.Helper()
	ctx := t.Context()
	svc := r.Services
	u := kyc.User{ID: "user-" + n, Phone: "test-phone-" + n, PasswordHash: "h", Role: kyc.RoleUser, AccountID: "acct-" + n}
	a := kyc.Account{ID: u.AccountID, OwnerID: u.ID, Type: kyc.PersonalAccount, State: kyc.StateUnverified}
	if _, err := svc.Store.CreateUser(ctx, u, a); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	a, err := svc.Store.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	next := a
	next.State, next.IDNumber, next.Name = kyc.StateSubmitted, "11010519491231002X", "张三"
	next.SubmittedAt = time.Now()
	next.Documents = map[string]kyc.Document{}
	for i, slot := range []string{"frontOfID", "backOfID"} {
		png := filechecktest.PNG(40+i, 30)
		key := "accounts/" + a.ID + "/" + slot
		if err := svc.Docs.Put(ctx, key, "image/png", bytes.NewReader(png)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		next.Documents[slot] = kyc.Document{Slot: slot, Key: key, ContentType: "image/png", Size: int64(len(png))}
	}
	stored, err := svc.Store.Transition(ctx, kyc.Transition{Account: next, FromState: kyc.StateUnverified, FromVersion: a.Version,
		Audit: kyc.AuditRecord{Actor: u.ID, ActorRole: kyc.RoleUser, Action: "transition", From: kyc.StateUnverified, To: kyc.StateSubmitted}})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}
	return stored
}

func waitState(t *testing.T, r *localrun.Runner, id string, want kyc.State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := r.Services.Store.GetAccount(t.Context(), id)
		if err == nil && a.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("account %s is %s (%v) after 10s, want %s", id, a.State, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The runner wires the embedded backends so that a submission sent to the queue reaches
// the review worker through the event source, the worker can be invoked through the
// Invoke API with a real submission, and the data outlives a restart. (That every route
// is served is pkg/conformance's test.)
func TestRunnerEmbedded(t *testing.T) {
	dir := t.TempDir()
	r := startRunner(t, dir)
	closed := false
	defer func() {
		if !closed {
			r.Close()
		}
	}()
	if got := r.Services.Backends.Store; got != "dynamodb (dynoxide)" {
		t.Errorf("store backend %q, want dynamodb (dynoxide)", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "dynamo.db")); err != nil {
		t.Errorf("dynoxide's data file: %v", err)
	}
	if !strings.HasPrefix(r.APIURL, "http://127.0.0.1:") || !strings.HasPrefix(r.InvokeURL, "http://127.0.0.1:") {
		t.Fatalf("URLs %s %s; want loopback", r.APIURL, r.InvokeURL)
	}
	for name, ping := range map[string]func() error{
		"store": func() error { return r.Services.Store.Ping(t.Context()) },
		"docs":  func() error { return r.Services.Docs.Ping(t.Context()) },
		"queue": func() error { return r.Services.Queue.Ping(t.Context()) },
	} {
		if err := ping(); err != nil {
			t.Errorf("%s ping: %v", name, err)
		}
	}

	t.Run("queue feeds the review worker", func(t *testing.T) {
		a := submit(t, r, "queued")
		body, _ := json.Marshal(kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
		if _, err := r.Services.Queue.Send(t.Context(), string(body)); err != nil {
			t.Fatal(err)
		}
		waitState(t, r, a.ID, kyc.StatePendingReview)
	})

	t.Run("review worker through the Invoke API", func(t *testing.T) {
		a := submit(t, r, "invoked")
		body, _ := json.Marshal(kyc.ReviewMessage{AccountID: a.ID, Version: a.Version})
		ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: string(body)}, {MessageId: "m-bad", Body: "garbage"}}})
		worker, _ := lambdafn.Lookup(lambdafn.ReviewWorker)
		resp, err := http.Post(r.InvokeURL+"/2015-03-31/functions/"+worker.LogicalID+"/invocations", "application/json", bytes.NewReader(ev))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var res events.SQSEventResponse
		if err := json.Unmarshal(out, &res); err != nil || resp.StatusCode != 200 {
			t.Fatalf("invoke = %d %s", resp.StatusCode, out)
		}
		if len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != "m-bad" {
			t.Errorf("batchItemFailures = %+v, want only m-bad", res.BatchItemFailures)
		}
		waitState(t, r, a.ID, kyc.StatePendingReview)
	})

	r.Close()
	closed = true

	// A second start on the same folder finds the data of the first.
	r2 := startRunner(t, dir)
	defer r2.Close()
	a, err := r2.Services.Store.GetAccount(t.Context(), "acct-queued")
	if err != nil || a.State != kyc.StatePendingReview {
		t.Fatalf("after restart: account = %s, %v; want PENDING_REVIEW", a.State, err)
	}
	if _, err := r2.Services.Docs.Head(t.Context(), a.Documents["frontOfID"].Key); err != nil {
		t.Errorf("after restart: document: %v", err)
	}
	var banner bytes.Buffer
	r2.PrintBanner(&banner, time.Second)
	for _, want := range []string{r2.APIURL, r2.InvokeURL, "store:", "documents:", "queue:"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}
}
