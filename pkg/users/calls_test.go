package users_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/password"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// TestRouteCalls counts the DynamoDB calls of each user route's success, as cmd/bench's
// calls part does per HTTP request: the service's own calls plus, for a route that needs a
// token, the auth middleware's GetSession (made here through the same counted store). No
// route may take more than three, login included: its attempt is reserved (one
// conditional write) before its password is checked, and the phone, user and account
// come in one read (ids derived from the phone).
func TestRouteCalls(t *testing.T) {
	e := newEnv(t)
	calls := &testenv.CallLog{}
	counted := dynamo.New(testenv.CountingClient(e.client, calls), e.table)
	d := e.deps
	d.Store = counted
	svc := users.New(d)
	ctx := t.Context()
	const phone, adminPhone, pw = "13800138000", "13900139000", "a fine passphrase"
	e.register(t, adminPhone, pw) // made uncounted, like the bench's admin
	if _, err := e.service.SetRoleByPhone(ctx, users.Operator("test"), adminPhone, "admin"); err != nil {
		t.Fatal(err)
	}
	adminRes, err := e.service.Login(ctx, adminPhone, pw)
	if err != nil {
		t.Fatal(err)
	}
	// auth is the middleware's session lookup.
	auth := func(token string) kyc.Principal {
		t.Helper()
		sess, err := counted.GetSession(ctx, users.HashToken(token), e.clock.Now())
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		return sess.Principal()
	}
	var token, code, userID string
	steps := []struct {
		route  string
		before int // counted by cmd/bench before the combined store methods, where it counted
		do     func() error
		want   []string
	}{
		{"POST /v1/user/sms-code (register)", 5, func() error {
			return svc.SendCode(ctx, phone, kyc.PurposeRegister, "192.0.2.1")
		}, []string{"BatchGetItem", "TransactWriteItems"}},
		{"POST /v1/user/register", 5, func() error {
			code, err = localsms.LastCode(e.outbox, phone, kyc.PurposeRegister)
			if err != nil {
				return err
			}
			_, err := svc.Register(ctx, users.RegisterInput{Phone: phone, Code: code, Password: pw})
			return err
		}, []string{"TransactWriteItems", "TransactWriteItems"}},
		{"POST /v1/user/login", 5, func() error {
			res, err := svc.Login(ctx, phone, pw)
			token = res.Token
			return err
		}, []string{"TransactWriteItems", "BatchGetItem", "TransactWriteItems"}},
		{"GET /v1/user/me", 2, func() error {
			p, err := svc.Me(ctx, auth(token))
			userID = p.ID
			return err
		}, []string{"GetItem", "BatchGetItem"}},
		{"POST /v1/admin/users/{id}/role", 5, func() error {
			auth(adminRes.Token)
			_, err := svc.SetRole(ctx, users.Operator("test"), userID, "reviewer")
			return err
		}, []string{"GetItem", "Query", "TransactWriteItems"}},
		{"POST /v1/user/logout", 3, func() error {
			res, err := svc.Login(ctx, phone, pw) // uncounted: SetRole ended the session
			if err != nil {
				return err
			}
			calls.Take()
			return svc.Logout(ctx, auth(res.Token).TokenHash)
		}, []string{"GetItem", "DeleteItem", "DeleteItem"}},
		{"POST /v1/user/sms-code (reset_password)", 7, func() error {
			e.clock.Advance(2 * time.Minute)
			return svc.SendCode(ctx, phone, kyc.PurposeResetPassword, "192.0.2.1")
		}, []string{"BatchGetItem", "TransactWriteItems"}},
		{"POST /v1/user/password/reset", 7, func() error {
			code, err = localsms.LastCode(e.outbox, phone, kyc.PurposeResetPassword)
			if err != nil {
				return err
			}
			return svc.ResetPassword(ctx, phone, code, "another fine passphrase")
		}, []string{"TransactWriteItems", "Query", "TransactWriteItems"}},
		{"SetFrozen (no route yet)", 0, func() error {
			_, err := svc.SetFrozen(ctx, users.Operator("test"), userID, true)
			return err
		}, []string{"Query", "TransactWriteItems"}},
	}
	calls.Take()
	var table strings.Builder
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.route, err)
		}
		got := calls.Take()
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: calls %v, want %v", st.route, got, st.want)
		}
		if len(got) > 3 {
			t.Errorf("%s: %d calls, more than 3", st.route, len(got))
		}
		table.WriteString("\n  " + st.route + ": " + itoa(st.before) + " -> " + itoa(len(got)) + " " + strings.Join(got, ", "))
	}
	t.Logf("DynamoDB calls per request, before -> now:%s", table.String())

	// The rare paths: a login that rehashes the password adds its UpdateItem.
	d.Password = password.OWASP()
	if _, err := users.New(d).Login(ctx, adminPhone, pw); err != nil {
		t.Fatal(err)
	}
	if got := calls.Take(); !slices.Equal(got, []string{"TransactWriteItems", "BatchGetItem", "UpdateItem", "TransactWriteItems"}) {
		t.Errorf("login with a rehash: calls %v", got)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// dynamoOver is the store on e's table through a client that records its calls in l.
func dynamoOver(e *env, l *testenv.CallLog) *dynamo.Store {
	return dynamo.New(testenv.CountingClient(e.client, l), e.table)
}
