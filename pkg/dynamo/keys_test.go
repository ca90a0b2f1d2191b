package dynamo_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/password"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// keyAttributes are the attributes DynamoDB indexes on: the table's key and both GSIs'.
var keyAttributes = []string{dynamo.AttrPK, dynamo.AttrSK, dynamo.AttrPendingPK, dynamo.AttrPendingSK, dynamo.AttrSubmittedPK, dynamo.AttrSubmittedSK}

// keyFlow drives the store the way the product does, through the user service (so the
// counters carry the names the service gives them: phones and source IPs), and then
// through submissions and approvals of a personal and a company account, leaving a third
// account pending review. It returns every personal value the flow used (the phones as
// typed and as stored).
func keyFlow(t *testing.T, store *dynamo.Store) map[string]bool {
	t.Helper()
	ctx := t.Context()
	clock := kyc.NewFixedClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	outbox := filepath.Join(t.TempDir(), "sms.jsonl")
	sms, err := localsms.New(outbox, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sms.Close() })
	svc := users.New(users.Deps{Store: store, SMS: sms, Clock: clock, IDs: kyc.RandomIDs{}, Log: slog.New(slog.DiscardHandler),
		TokenTTL: time.Hour, Password: password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1, SaltLen: 16, KeyLen: 32}})

	const pw, ipA, ipB = "a fine passphrase", "192.0.2.7", "198.51.100.23"
	phones := []string{"13900000011", "13900000012", "13900000013"}
	personalID, otherID := idchecktest.ResidentID("11010519491231002"), idchecktest.ResidentID("11010519491231003")
	uscc := idchecktest.USCC("91350100M000100Y4")
	code := func(phone, purpose string) string {
		t.Helper()
		c, err := localsms.LastCode(outbox, phone, purpose)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i, p := range phones {
		if err := svc.SendCode(ctx, p, kyc.PurposeRegister, []string{ipA, ipB}[i%2]); err != nil {
			t.Fatalf("SendCode %d: %v", i, err)
		}
		if _, err := svc.Register(ctx, users.RegisterInput{Phone: p, Code: code(p, kyc.PurposeRegister), Password: pw, SourceIP: ipB}); err != nil {
			t.Fatalf("Register %d: %v", i, err)
		}
	}
	// Failed logins up to the lock, then a login once the lock is over, then a reset.
	for range users.LoginFailLimit {
		if _, err := svc.LoginFrom(ctx, phones[0], "not the passphrase", ipA); !kyc.IsCode(err, kyc.ELOGIN) {
			t.Fatalf("wrong login: %v, want %s", err, kyc.ELOGIN)
		}
	}
	clock.Advance(users.LoginFailWindow + time.Minute)
	if _, err := svc.LoginFrom(ctx, phones[0], pw, ipA); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if err := svc.SendCode(ctx, phones[0], kyc.PurposeResetPassword, ipA); err != nil {
		t.Fatalf("SendCode reset: %v", err)
	}
	if err := svc.ResetPassword(ctx, phones[0], code(phones[0], kyc.PurposeResetPassword), "another fine passphrase"); err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}

	values := map[string]bool{ipA: true, ipB: true, personalID: true, otherID: true, uscc: true}
	submit := func(phone string, typ kyc.AccountType, idNumber string, to ...kyc.State) {
		t.Helper()
		u, err := store.GetUserByPhone(ctx, phone)
		if err != nil {
			t.Fatalf("GetUserByPhone: %v", err)
		}
		values[phone], values[u.Phone] = true, true
		a, err := store.GetAccount(ctx, u.AccountID)
		if err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		a.Type, a.IDNumber, a.Name, a.Tel = typ, idNumber, "Zhang San", phone
		for _, state := range to {
			next := a
			next.State = state
			at := clock.Now()
			if state == kyc.StateSubmitted {
				next.SubmittedAt = at
			}
			a, err = store.Transition(ctx, kyc.Transition{Account: next, FromState: a.State, FromVersion: a.Version,
				Audit: kyc.AuditRecord{AccountID: a.ID, At: at, Actor: "system", Action: "transition", From: a.State, To: state}})
			if err != nil {
				t.Fatalf("Transition to %s: %v", state, err)
			}
		}
		if to[len(to)-1] == kyc.StateApproved {
			if owner, err := store.IdentityOwner(ctx, typ, idNumber); err != nil || owner != a.ID {
				t.Fatalf("IdentityOwner after the approval: %q, %v; want %q", owner, err, a.ID)
			}
		}
	}
	submit(phones[0], kyc.PersonalAccount, personalID, kyc.StateSubmitted, kyc.StatePendingReview, kyc.StateApproved)
	submit(phones[1], kyc.CompanyAccount, uscc, kyc.StateSubmitted, kyc.StatePendingReview, kyc.StateApproved)
	submit(phones[2], kyc.PersonalAccount, otherID, kyc.StateSubmitted, kyc.StatePendingReview)
	return values
}

// scanAll reads the whole table.
func scanAll(t *testing.T, client *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	in := &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)}
	for {
		out, err := client.Scan(t.Context(), in)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func strAttr(it map[string]types.AttributeValue, name string) string {
	if s, ok := it[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// TestKeysHoldNoPersonalValues: after registrations, failed and locked logins, a reset,
// and submissions and approvals of a personal and a company account, no key attribute of
// any item (the table's key, both GSIs' keys) contains a phone, an ID number, a company
// registration number or a source IP: the keys of the items they name are keyed hashes.
// The product still reads the phone back from the user item, which is not a key.
func TestKeysHoldNoPersonalValues(t *testing.T) {
	client, table := testenv.Table(t, testenv.Dynoxide)
	values := keyFlow(t, dynamo.New(client, table))
	kinds := map[string]int{}
	for _, it := range scanAll(t, client, table) {
		kinds[strAttr(it, "Kind")]++
		for _, name := range keyAttributes {
			k := strAttr(it, name)
			for v := range values {
				if strings.Contains(k, v) {
					t.Errorf("%s item: key attribute %s = %q contains the personal value %q", strAttr(it, "Kind"), name, k, v)
				}
			}
		}
		if strAttr(it, "Kind") == "user" && strAttr(it, "Phone") == "" {
			t.Errorf("user item %s lost its phone, which the product reads back", strAttr(it, dynamo.AttrPK))
		}
	}
	// The flow wrote every kind of item keyed by a personal value, or the check above
	// proved nothing: 3 phones; 3 register codes and a reset code; counters per IP and
	// per phone (two each per code sent) and of failed logins and the lock; 2 identities.
	for kind, least := range map[string]int{"phone": 3, "code": 4, "counter": 2 + 2*3 + 2, "identity": 2, "account": 3} {
		if kinds[kind] < least {
			t.Errorf("the table holds %d items of kind %s, want at least %d (all kinds: %v)", kinds[kind], kind, least, kinds)
		}
	}
}

// TestKeysDependOnSecret: the key of a phone's item is a keyed hash, so a store with
// another secret does not find the items of the first (a leaked table cannot be probed
// with a list of phones without the secret), and a secret shorter than MinKeySecret is
// refused.
func TestKeysDependOnSecret(t *testing.T) {
	client, table := testenv.Table(t, testenv.Dynoxide)
	ctx := t.Context()
	secretA, secretB := []byte(strings.Repeat("a", dynamo.MinKeySecret)), []byte(strings.Repeat("b", dynamo.MinKeySecret))
	a, err := dynamo.NewKeyed(client, table, secretA)
	if err != nil {
		t.Fatalf("NewKeyed with %d bytes: %v", len(secretA), err)
	}
	b, err := dynamo.NewKeyed(client, table, secretB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamo.NewKeyed(client, table, secretA[1:]); err == nil {
		t.Errorf("NewKeyed accepted a secret of %d bytes", len(secretA)-1)
	}
	// A store that ends up in a log or an error message does not carry its secret there,
	// in any of the forms fmt prints bytes in.
	head := secretA[:8]
	goBytes := make([]string, len(head))
	for i, b := range head {
		goBytes[i] = fmt.Sprintf("%#x", b)
	}
	forms := []string{string(head), strings.Trim(fmt.Sprint(head), "[]"), fmt.Sprintf("%x", head), strings.Join(goBytes, ", ")}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		got := fmt.Sprintf(verb, a)
		for _, form := range forms {
			if strings.Contains(got, form) {
				t.Errorf("Sprintf(%q, store) shows the secret (as %q): %.300s", verb, form, got)
			}
		}
	}

	u, acct := mkUser(1, kyc.PersonalAccount)
	if _, err := a.CreateUser(ctx, u, acct); err != nil {
		t.Fatal(err)
	}
	if got, err := a.GetUserByPhone(ctx, u.Phone); err != nil || got.ID != u.ID {
		t.Fatalf("the same secret: GetUserByPhone = %q, %v; want %q", got.ID, err, u.ID)
	}
	if got, err := b.GetUserByPhone(ctx, u.Phone); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("another secret: GetUserByPhone = %q, %v; want %s", got.ID, err, kyc.ENOTFOUND)
	}
	if render(a.PhoneKey(u.Phone)) == render(b.PhoneKey(u.Phone)) {
		t.Errorf("both secrets key the phone as %s", render(a.PhoneKey(u.Phone)))
	}
	// The item a's key names is there; it holds the user, not the phone, in its key.
	if it := (db{client: client}).rawItem(t, table, strAttr(a.PhoneKey(u.Phone), "PK"), "PHONE"); strAttr(it, "UserID") != u.ID {
		t.Errorf("the phone item under a's key: %s", render(it))
	}

	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	name := "login-fail:" + u.Phone
	if n, err := a.Incr(ctx, name, now, now.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("a.Incr = %d, %v", n, err)
	}
	if n, err := b.Counter(ctx, name, now); err != nil || n != 0 {
		t.Errorf("another secret: Counter = %d, %v; want 0", n, err)
	}
}

// TestCounterErrorsHoldNoName: a counter's name holds a phone or an IP, so the store's
// errors about a counter do not quote it (errors end up in logs): a repeated name in
// CountAndPutCode, and an Incr that never wins against other writers (injected: every
// UpdateItem fails its condition).
func TestCounterErrorsHoldNoName(t *testing.T) {
	client, table := testenv.Table(t, testenv.Dynoxide)
	ctx := t.Context()
	const phone = "13900000031"
	name := "sms-min:" + phone
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := dynamo.New(client, table)
	err := s.CountAndPutCode(ctx, kyc.SMSCode{Phone: phone, Purpose: kyc.PurposeRegister, CodeHash: "h", ExpiresAt: now.Add(time.Minute)},
		[]string{name, name}, []time.Time{now.Add(time.Minute), now.Add(time.Minute)}, now,
		func([]int64, string) (int, bool, error) { return 0, true, nil })
	if err == nil || strings.Contains(err.Error(), phone) {
		t.Errorf("CountAndPutCode with a repeated counter: %v; want an error without the phone", err)
	}

	losing := dynamo.New(dynamodb.New(client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("alwaysLose",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if _, ok := in.Parameters.(*dynamodb.UpdateItemInput); ok {
						return middleware.InitializeOutput{}, middleware.Metadata{}, &types.ConditionalCheckFailedException{Message: aws.String("injected")}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}), table)
	if _, err := losing.Incr(ctx, name, now, now.Add(time.Minute)); err == nil || strings.Contains(err.Error(), phone) {
		t.Errorf("Incr that never wins: %v; want an error without the phone", err)
	}
}
