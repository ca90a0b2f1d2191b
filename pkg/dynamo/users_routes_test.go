package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
)

var routesNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func routesSession(n int, u kyc.User) kyc.Session {
	return kyc.Session{TokenHash: fmt.Sprintf("%064x", n), UserID: u.ID, AccountID: u.AccountID, Role: u.Role,
		CreatedAt: routesNow, ExpiresAt: routesNow.Add(time.Hour), UserVersion: u.Version}
}

// TestUserRoutesCalls pins the DynamoDB calls of the user routes' combined methods that
// the package documentation promises, on success and on the usual refusals.
func TestUserRoutesCalls(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		s := d.countingStore(d.table(t))
		ctx := t.Context()
		u, a := mkUser(1, kyc.PersonalAccount)
		code := kyc.SMSCode{Phone: u.Phone, Purpose: kyc.PurposeRegister, CodeHash: "right", CreatedAt: routesNow, ExpiresAt: routesNow.Add(5 * time.Minute)}
		keys, ends := []string{"ip", "min", "day"}, []time.Time{routesNow.Add(time.Hour), routesNow.Add(time.Minute), routesNow.Add(24 * time.Hour)}
		all := func([]int64, string) (int, bool, error) { return 3, true, nil }
		var reset kyc.SMSCode
		steps := []struct {
			name string
			do   func() error
			code string
			want []string
		}{
			{"CountAndPutCode", func() error { return s.CountAndPutCode(ctx, code, keys, ends, routesNow, all) }, "",
				[]string{"BatchGetItem", "TransactWriteItems"}},
			{"CountAndPutCode refused at once", func() error {
				return s.CountAndPutCode(ctx, code, keys, ends, routesNow, func([]int64, string) (int, bool, error) {
					return 0, false, kyc.Errorf(kyc.ETOOMANY, "no")
				})
			}, kyc.ETOOMANY, []string{"BatchGetItem"}},
			{"TryCode wrong", func() error { _, err := s.TryCode(ctx, u.Phone, kyc.PurposeRegister, "wrong", routesNow); return err }, kyc.EBADCODE,
				[]string{"UpdateItem"}},
			{"TryCode absent", func() error { _, err := s.TryCode(ctx, "p9", kyc.PurposeRegister, "wrong", routesNow); return err }, kyc.EBADCODE,
				[]string{"UpdateItem"}},
			{"TryCode right", func() error { _, err := s.TryCode(ctx, u.Phone, kyc.PurposeRegister, "right", routesNow); return err }, "",
				[]string{"UpdateItem"}},
			{"RegisterUser", func() error {
				_, err := s.RegisterUser(ctx, u, a, "right", routesNow, routesSession(1, u))
				return err
			}, "", []string{"TransactWriteItems"}},
			{"RegisterUser taken", func() error {
				u2, a2 := mkUser(2, kyc.PersonalAccount)
				u2.Phone = u.Phone
				_, err := s.RegisterUser(ctx, u2, a2, "right", routesNow, routesSession(2, u2))
				return err
			}, kyc.EEXISTS, []string{"TransactWriteItems"}},
			{"PhoneAndCounter", func() error { _, _, _, err := s.PhoneAndCounter(ctx, u.Phone, "login-lock", routesNow); return err }, "",
				[]string{"BatchGetItem"}},
			{"OpenSession", func() error { u.Version = 1; return s.OpenSession(ctx, routesSession(3, u)) }, "", []string{"TransactWriteItems"}},
			{"ChangeUser without a write", func() error {
				_, err := s.ChangeUser(ctx, u.ID, func(u kyc.User) (kyc.User, bool, error) { return u, false, nil })
				return err
			}, "", []string{"Query"}},
			{"ChangeUser", func() error {
				_, err := s.ChangeUser(ctx, u.ID, func(u kyc.User) (kyc.User, bool, error) { u.Role = kyc.RoleAdmin; return u, true, nil })
				return err
			}, "", []string{"Query", "TransactWriteItems"}},
			{"CountAndPutCode of a reset code", func() error {
				reset = code
				reset.Purpose = kyc.PurposeResetPassword
				return s.CountAndPutCode(ctx, reset, []string{"reset-min"}, ends[1:2], routesNow, func([]int64, string) (int, bool, error) { return 1, true, nil })
			}, "", []string{"BatchGetItem", "TransactWriteItems"}},
			{"ResetPassword", func() error {
				_, err := s.ResetPassword(ctx, u.Phone, "right", u.ID, "new-hash", routesNow)
				return err
			}, "", []string{"Query", "TransactWriteItems"}},
			{"ResetPassword with the used code", func() error {
				_, err := s.ResetPassword(ctx, u.Phone, "right", u.ID, "new-hash", routesNow)
				return err
			}, kyc.EBADCODE, []string{"Query", "TransactWriteItems"}},
		}
		s.take()
		for _, st := range steps {
			if err := st.do(); kyc.ErrorCode(err) != st.code {
				t.Errorf("%s: %v, want code %q", st.name, err, st.code)
			}
			if got := s.take(); !slices.Equal(got, st.want) {
				t.Errorf("%s: calls %v, want %v", st.name, got, st.want)
			}
		}

		// More sessions than one transaction holds: the rest go first, in one batch.
		u.Version = 3 // created, role changed, password reset
		for i := range 60 {
			if err := s.OpenSession(ctx, routesSession(100+i, u)); err != nil {
				t.Fatal(err)
			}
		}
		s.take()
		if _, err := s.ChangeUser(ctx, u.ID, func(u kyc.User) (kyc.User, bool, error) { u.PasswordHash = "hash-3"; return u, true, nil }); err != nil {
			t.Fatal(err)
		}
		if got := s.take(); !slices.Equal(got, []string{"Query", "BatchWriteItem", "TransactWriteItems"}) {
			t.Errorf("ChangeUser with 60 sessions: calls %v, want Query, BatchWriteItem, TransactWriteItems", got)
		}
		for i := range 60 {
			if _, err := s.GetSession(ctx, fmt.Sprintf("%064x", 100+i), routesNow); !kyc.IsCode(err, kyc.ENOTFOUND) {
				t.Fatalf("session %d after ChangeUser: %v", i, err)
			}
		}
	})
}

// TestUserRoutesItems checks the attributes the combined methods rely on: the phone item
// carries the account id (CreateUser and RegisterUser), the code item the user id
// (CountAndPutCode), the user item the count of opened sessions; and items written before
// those existed are read right.
func TestUserRoutesItems(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := dynamo.New(d.client, table)
		ctx := t.Context()
		u1, a1 := mkUser(1, kyc.PersonalAccount)
		if _, err := s.CreateUser(ctx, u1, a1); err != nil {
			t.Fatal(err)
		}
		if got := render(d.rawAt(t, table, s.PhoneKey("p1"))); got != render(with(s.PhoneKey("p1"), item{"Kind": str("phone"), "UserID": str("u1"), "AccountID": str("a1")})) {
			t.Errorf("phone item of CreateUser: %s", got)
		}
		// A phone item of before: no AccountID.
		if _, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table),
			Item: with(s.PhoneKey("old"), item{"Kind": str("phone"), "UserID": str("u-old")})}); err != nil {
			t.Fatal(err)
		}
		if uid, aid, _, err := s.PhoneAndCounter(ctx, "old", "", routesNow); err != nil || uid != "u-old" || aid != "" {
			t.Errorf("PhoneAndCounter of an old phone item: %q %q %v; want u-old and no account id", uid, aid, err)
		}

		// A code of CountAndPutCode names the phone's user; one written before (without
		// UserID) names none.
		c := kyc.SMSCode{Phone: "p1", Purpose: kyc.PurposeResetPassword, CodeHash: "h", CreatedAt: routesNow, ExpiresAt: routesNow.Add(time.Minute)}
		if err := s.CountAndPutCode(ctx, c, nil, nil, routesNow, func([]int64, string) (int, bool, error) { return 0, true, nil }); err != nil {
			t.Fatal(err)
		}
		if v := d.rawAt(t, table, s.CodeKey("p1", kyc.PurposeResetPassword))["UserID"]; render(item{"v": v}) != render(item{"v": str("u1")}) {
			t.Errorf("code item UserID %v, want u1", v)
		}
		if uid, err := s.TryCode(ctx, "p1", c.Purpose, "h", routesNow); err != nil || uid != "u1" {
			t.Errorf("TryCode: %q, %v; want u1", uid, err)
		}
		if _, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: s.CodeKey("p1", kyc.PurposeResetPassword),
			UpdateExpression: aws.String("REMOVE UserID")}); err != nil {
			t.Fatal(err)
		}
		if uid, err := s.TryCode(ctx, "p1", c.Purpose, "h", routesNow); err != nil || uid != "" {
			t.Errorf("TryCode of a code item without UserID: %q, %v; want no user id", uid, err)
		}

		// TryCode counts a wrong try on the item and nothing else.
		attempts := func() string {
			v, _ := d.rawAt(t, table, s.CodeKey("p1", kyc.PurposeResetPassword))["Attempts"].(*types.AttributeValueMemberN)
			return v.Value
		}
		_, _ = s.TryCode(ctx, "p1", c.Purpose, "wrong", routesNow)
		if a := attempts(); a != "1" {
			t.Errorf("Attempts %s after a wrong try, want 1", a)
		}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() { _, _ = s.TryCode(ctx, "p1", c.Purpose, "wrong", routesNow) })
		}
		wg.Wait()
		if a := attempts(); a != fmt.Sprint(kyc.MaxCodeAttempts) {
			t.Errorf("Attempts %s after 21 wrong tries, want exactly %d", a, kyc.MaxCodeAttempts)
		}

		// OpenSession counts the sessions opened on the user item.
		u1.Version = 1
		for i := range 2 {
			if err := s.OpenSession(ctx, routesSession(i, u1)); err != nil {
				t.Fatal(err)
			}
		}
		if v := d.rawItem(t, table, "USER#u1", "USER")["SessionsOpened"]; render(item{"v": v}) != render(item{"v": num("2")}) {
			t.Errorf("SessionsOpened %v, want 2", v)
		}
	})
}

// TestResetPasswordSessionOpenedMeanwhile: a session opened (from the user as it was)
// after ResetPassword read the user's sessions and before its write is not left alive:
// the write fails on the user's SessionsOpened, and the second round ends it too.
func TestResetPasswordSessionOpenedMeanwhile(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		plain := dynamo.New(d.client, table)
		ctx := t.Context()
		u, a := mkUser(1, kyc.PersonalAccount)
		u, err := plain.CreateUser(ctx, u, a)
		if err != nil {
			t.Fatal(err)
		}
		c := kyc.SMSCode{Phone: u.Phone, Purpose: kyc.PurposeResetPassword, CodeHash: "h", CreatedAt: routesNow, ExpiresAt: routesNow.Add(time.Minute)}
		if err := plain.CountAndPutCode(ctx, c, nil, nil, routesNow, func([]int64, string) (int, bool, error) { return 0, true, nil }); err != nil {
			t.Fatal(err)
		}
		late := routesSession(7, u)
		var once sync.Once
		var calls []string
		hooked := dynamodb.New(d.client.Options(), func(o *dynamodb.Options) {
			o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
				return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("loginMeanwhile",
					func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
						_, isTx := in.Parameters.(*dynamodb.TransactWriteItemsInput)
						calls = append(calls, fmt.Sprintf("%T", in.Parameters))
						if isTx {
							once.Do(func() {
								if err := plain.OpenSession(ctx, late); err != nil {
									t.Errorf("OpenSession meanwhile: %v", err)
								}
							})
						}
						return next.HandleInitialize(ctx, in)
					}), middleware.Before)
			})
		})
		got, err := dynamo.New(hooked, table).ResetPassword(ctx, u.Phone, "h", u.ID, "new-hash", routesNow)
		if err != nil || got.PasswordHash != "new-hash" || got.Version != 2 {
			t.Fatalf("ResetPassword: %+v, %v", got, err)
		}
		if _, err := plain.GetSession(ctx, late.TokenHash, routesNow); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("the session opened during the reset: %v, want it ended", err)
		}
		want := []string{"*dynamodb.QueryInput", "*dynamodb.TransactWriteItemsInput", "*dynamodb.QueryInput", "*dynamodb.TransactWriteItemsInput"}
		if !slices.Equal(calls, want) {
			t.Errorf("calls %v, want %v", calls, want)
		}
	})
}

// GetLoginByPhone: a user with the phone's derived ids is one BatchGetItem; one made with
// other ids costs a second read of the ids its phone item names; a phone item from
// before it kept the account id, a user read and an account read; no user, ENOTFOUND.
func TestGetLoginByPhone(t *testing.T) {
	onEngines(t, func(t *testing.T, d db) {
		table := d.table(t)
		s := d.countingStore(table)
		ctx := t.Context()
		derived, derivedAcct := mkUser(11, kyc.PersonalAccount)
		derived.ID, derived.AccountID = s.UserIDsForPhone(derived.Phone)
		derivedAcct.ID, derivedAcct.OwnerID = derived.AccountID, derived.ID
		other, otherAcct := mkUser(12, kyc.PersonalAccount)
		for _, ua := range [][2]any{{derived, derivedAcct}, {other, otherAcct}} {
			if _, err := s.CreateUser(ctx, ua[0].(kyc.User), ua[1].(kyc.Account)); err != nil {
				t.Fatal(err)
			}
		}
		if a, b := s.UserIDsForPhone(derived.Phone); a != derived.ID || b != derived.AccountID || a == b || len(a) != 26 {
			t.Fatalf("UserIDsForPhone is not stable or not an id: %q %q", a, b)
		}
		if a, _ := s.UserIDsForPhone(other.Phone); a == derived.ID {
			t.Fatal("two phones derive one id")
		}
		s.take()
		for _, tc := range []struct {
			name  string
			phone string
			want  kyc.User
			calls []string
		}{
			{"derived ids", derived.Phone, derived, []string{"BatchGetItem"}},
			{"other ids", other.Phone, other, []string{"BatchGetItem", "BatchGetItem"}},
		} {
			u, a, err := s.GetLoginByPhone(ctx, tc.phone)
			if err != nil || u.ID != tc.want.ID || a.ID != tc.want.AccountID || a.OwnerID != u.ID {
				t.Errorf("%s: GetLoginByPhone = %s / %s, %v; want %s / %s", tc.name, u.ID, a.ID, err, tc.want.ID, tc.want.AccountID)
			}
			if got := s.take(); !slices.Equal(got, tc.calls) {
				t.Errorf("%s: calls %v, want %v", tc.name, got, tc.calls)
			}
		}
		if _, _, err := s.GetLoginByPhone(ctx, "p99"); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("GetLoginByPhone(no user) = %v, want ENOTFOUND", err)
		}
		if got := s.take(); !slices.Equal(got, []string{"BatchGetItem"}) {
			t.Errorf("no user: calls %v, want [BatchGetItem]", got)
		}
		// The phone item as CreateUser wrote it before it kept the account id.
		old := s.PhoneKey(other.Phone)
		old["Kind"] = &types.AttributeValueMemberS{Value: "phone"}
		old["UserID"] = &types.AttributeValueMemberS{Value: other.ID}
		if _, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: old}); err != nil {
			t.Fatal(err)
		}
		s.take()
		if u, a, err := s.GetLoginByPhone(ctx, other.Phone); err != nil || u.ID != other.ID || a.ID != other.AccountID {
			t.Errorf("old phone item: %s / %s, %v", u.ID, a.ID, err)
		}
		if got := s.take(); !slices.Equal(got, []string{"BatchGetItem", "GetItem", "GetItem"}) {
			t.Errorf("old phone item: calls %v", got)
		}
	})
}
