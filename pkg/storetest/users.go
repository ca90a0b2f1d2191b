package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// fullUserAccount is user and account 1 with every field set, so a field the store forgets
// to write shows up as a difference.
func fullUserAccount() (kyc.User, kyc.Account) {
	u := NewUser(1)
	u.Role = kyc.RoleReviewer
	u.Portrait = "portraits/test-object-1"
	u.RegistrationID = "test-registration-1"
	u.Frozen = true
	u.UpdatedAt = At(1)
	a := NewAccount(1, kyc.CompanyAccount)
	a.Name = "Test Company 测试 (1)"
	a.NotActive = true
	a.RejectType = kyc.RejectRetry
	a.Reasons = []string{"licence_unreadable", "id_number_checksum"}
	a.ReuploadSlots = []string{"licence"}
	a.Documents = map[string]kyc.Document{
		"licence":      {Slot: "licence", Key: "docs/test-object-2", ContentType: "application/pdf", Size: 123456, UploadedAt: At(2), Check: "ok"},
		"confirmation": {Slot: "confirmation", Key: "docs/test-object-3", ContentType: "image/png", Size: 789, UploadedAt: At(3), Check: "corrupt"},
		"unchecked":    {Slot: "unchecked", Key: "docs/test-object-4", ContentType: "image/jpeg", Size: 1, UploadedAt: At(3)},
	}
	a.Attempts = 2
	a.SubmittedAt = At(4)
	a.UpdatedAt = At(5)
	return u, a
}

func testUserRoundTrip(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	u, a := fullUserAccount()
	got, err := s.CreateUser(ctx, u, a)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	want := u
	want.Version = 1
	wantSame(t, "CreateUser result", want, got)

	byID, err := s.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	wantSame(t, "GetUser", want, byID)

	byPhone, err := s.GetUserByPhone(ctx, u.Phone)
	if err != nil {
		t.Fatalf("GetUserByPhone: %v", err)
	}
	wantSame(t, "GetUserByPhone", want, byPhone)

	wantA := a
	wantA.Version = 1
	checkAccount(t, s, wantA)

	bothU, bothA, err := s.GetUserAndAccount(ctx, u.ID, a.ID)
	if err != nil {
		t.Fatalf("GetUserAndAccount: %v", err)
	}
	wantSame(t, "GetUserAndAccount user", want, bothU)
	wantSame(t, "GetUserAndAccount account", wantA, bothA)
}

func testUserMissing(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	_, err := s.GetUser(ctx, UserID(2))
	wantCode(t, "GetUser of a missing id", err, kyc.ENOTFOUND)
	_, err = s.GetUserByPhone(ctx, NewUser(2).Phone)
	wantCode(t, "GetUserByPhone of a missing phone", err, kyc.ENOTFOUND)
	_, err = s.GetAccount(ctx, AccountID(2))
	wantCode(t, "GetAccount of a missing id", err, kyc.ENOTFOUND)
	// An account id is not a user id and the other way round.
	_, err = s.GetUser(ctx, AccountID(1))
	wantCode(t, "GetUser of an account id", err, kyc.ENOTFOUND)
	_, err = s.GetAccount(ctx, UserID(1))
	wantCode(t, "GetAccount of a user id", err, kyc.ENOTFOUND)
	// Both are read or neither: a missing user or a missing account is ENOTFOUND.
	for _, tt := range []struct{ name, user, account string }{
		{"missing user", UserID(2), AccountID(1)},
		{"missing account", UserID(1), AccountID(2)},
		{"ids swapped", AccountID(1), UserID(1)},
		{"empty user id", "", AccountID(1)},
		{"empty account id", UserID(1), ""},
	} {
		_, _, err = s.GetUserAndAccount(ctx, tt.user, tt.account)
		wantCode(t, "GetUserAndAccount, "+tt.name, err, kyc.ENOTFOUND)
	}
}

// checkNotWritten fails if any trace of user and account n is in the store.
func checkNotWritten(t *testing.T, s kyc.Store, n int) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetUser(ctx, UserID(n))
	wantCode(t, fmt.Sprintf("GetUser of refused user %d", n), err, kyc.ENOTFOUND)
	_, err = s.GetAccount(ctx, AccountID(n))
	wantCode(t, fmt.Sprintf("GetAccount of refused account %d", n), err, kyc.ENOTFOUND)
}

func testCreateTakenPhone(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	first := create(t, s, 1, kyc.PersonalAccount)

	u2, a2 := NewUser(2), NewAccount(2, kyc.CompanyAccount)
	u2.Phone = NewUser(1).Phone
	_, err := s.CreateUser(ctx, u2, a2)
	wantCode(t, "CreateUser with a taken phone", err, kyc.EEXISTS)
	checkNotWritten(t, s, 2)

	// The phone still leads to the first user, and the first account is untouched.
	got, err := s.GetUserByPhone(ctx, u2.Phone)
	if err != nil {
		t.Fatalf("GetUserByPhone: %v", err)
	}
	want := NewUser(1)
	want.Version = 1
	wantSame(t, "GetUserByPhone of the taken phone", want, got)
	checkAccount(t, s, first)
}

func testCreateTakenIDs(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	first := create(t, s, 1, kyc.PersonalAccount)

	// Same user id, new phone and account: refused, and neither the phone nor the account
	// may leak into the store.
	u2, a2 := NewUser(2), NewAccount(2, kyc.PersonalAccount)
	u2.ID = UserID(1)
	a2.OwnerID = u2.ID
	_, err := s.CreateUser(ctx, u2, a2)
	wantCode(t, "CreateUser with a taken user id", err, kyc.EEXISTS)
	_, err = s.GetUserByPhone(ctx, u2.Phone)
	wantCode(t, "GetUserByPhone of the refused user's phone", err, kyc.ENOTFOUND)
	_, err = s.GetAccount(ctx, a2.ID)
	wantCode(t, "GetAccount of the refused user's account", err, kyc.ENOTFOUND)

	// Same account id, new user and phone.
	u3, a3 := NewUser(3), NewAccount(3, kyc.CompanyAccount)
	u3.AccountID = AccountID(1)
	a3.ID = AccountID(1)
	_, err = s.CreateUser(ctx, u3, a3)
	wantCode(t, "CreateUser with a taken account id", err, kyc.EEXISTS)
	_, err = s.GetUser(ctx, u3.ID)
	wantCode(t, "GetUser of the refused user", err, kyc.ENOTFOUND)
	_, err = s.GetUserByPhone(ctx, u3.Phone)
	wantCode(t, "GetUserByPhone of the refused user's phone", err, kyc.ENOTFOUND)

	want := NewUser(1)
	want.Version = 1
	got, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	wantSame(t, "first user after refused creates", want, got)
	checkAccount(t, s, first)
}

func testCreateConcurrentSamePhone(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	const n = 50
	phone := NewUser(0).Phone
	errs := concurrently(n, func(i int) error {
		u := NewUser(i + 1)
		u.Phone = phone
		_, err := s.CreateUser(ctx, u, NewAccount(i+1, kyc.PersonalAccount))
		return err
	})
	c := codes(errs)
	if c[""] != 1 || c[kyc.EEXISTS] != n-1 {
		t.Fatalf("%d concurrent CreateUser with one phone: results by code %v, want 1 success and %d %q", n, c, n-1, kyc.EEXISTS)
	}
	winner := -1
	for i, err := range errs {
		if err == nil {
			winner = i + 1
		}
	}
	got, err := s.GetUserByPhone(ctx, phone)
	if err != nil {
		t.Fatalf("GetUserByPhone: %v", err)
	}
	want := NewUser(winner)
	want.Phone = phone
	want.Version = 1
	wantSame(t, "GetUserByPhone: the winner", want, got)
	wantA := NewAccount(winner, kyc.PersonalAccount)
	wantA.Version = 1
	checkAccount(t, s, wantA)
	for i := 1; i <= n; i++ {
		if i != winner {
			checkNotWritten(t, s, i)
		}
	}
}

func testUpdateUser(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	u, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	promoted := u
	promoted.Role = kyc.RoleAdmin
	if _, err := s.UpdateUser(ctx, promoted); kyc.ErrorCode(err) != kyc.EINVALID {
		t.Fatalf("UpdateUser changing the role: %v, want %s (roles change through ChangeUser)", err, kyc.EINVALID)
	}
	frozen := u
	frozen.Frozen = true
	if _, err := s.UpdateUser(ctx, frozen); kyc.ErrorCode(err) != kyc.EINVALID {
		t.Fatalf("UpdateUser freezing: %v, want %s (freezing goes through ChangeUser)", err, kyc.EINVALID)
	}
	u.PasswordHash = "test-hash-new"
	u.Portrait = "portraits/test-object-9"
	u.RegistrationID = "test-registration-9"
	u.UpdatedAt = At(10)

	got, err := s.UpdateUser(ctx, u)
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	want := u
	want.Version = 2
	wantSame(t, "UpdateUser result", want, got)
	stored, err := s.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	wantSame(t, "GetUser after UpdateUser", want, stored)
	byPhone, err := s.GetUserByPhone(ctx, u.Phone)
	if err != nil {
		t.Fatalf("GetUserByPhone: %v", err)
	}
	wantSame(t, "GetUserByPhone after UpdateUser", want, byPhone)

	// A second update from the returned value works too: the version chain continues.
	got.Frozen = false
	got2, err := s.UpdateUser(ctx, got)
	if err != nil {
		t.Fatalf("second UpdateUser: %v", err)
	}
	want2 := want
	want2.Frozen = false
	want2.Version = 3
	wantSame(t, "second UpdateUser result", want2, got2)
}

func testUpdateUserStale(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	u, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	first := u
	first.PasswordHash = "test-hash-first"
	won, err := s.UpdateUser(ctx, first)
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}

	for _, v := range []int64{u.Version, u.Version + 5, 0} {
		stale := u
		stale.Version = v
		stale.Portrait = "portraits/stale"
		_, err = s.UpdateUser(ctx, stale)
		wantCode(t, fmt.Sprintf("UpdateUser at version %d while stored is %d", v, won.Version), err, kyc.ECONFLICT)
	}
	got, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	wantSame(t, "GetUser after refused updates", won, got)
}

func testUpdateUserMissing(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	u := NewUser(1)
	u.Version = 1
	_, err := s.UpdateUser(ctx, u)
	if c := kyc.ErrorCode(err); c != kyc.ENOTFOUND && c != kyc.ECONFLICT {
		t.Errorf("UpdateUser of a missing user: %v (code %q), want %q or %q", err, c, kyc.ENOTFOUND, kyc.ECONFLICT)
	}
	_, err = s.GetUser(ctx, u.ID)
	wantCode(t, "GetUser after UpdateUser of a missing user", err, kyc.ENOTFOUND)
	_, err = s.GetUserByPhone(ctx, u.Phone)
	wantCode(t, "GetUserByPhone after UpdateUser of a missing user", err, kyc.ENOTFOUND)
}

func testUpdateUserKeepsPhone(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	u, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	before := u
	u.Phone = NewUser(2).Phone
	_, _ = s.UpdateUser(ctx, u) // refusing or ignoring the phone are both fine

	// Either way the user is as it was, phone included; only the version may have moved
	// (an update that ignored the phone).
	sameButVersion := cmpopts.IgnoreFields(kyc.User{}, "Version")
	got, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	wantSame(t, "GetUser after UpdateUser with another phone", before, got, sameButVersion)
	if _, err := s.GetUserByPhone(ctx, u.Phone); !kyc.IsCode(err, kyc.ENOTFOUND) {
		t.Errorf("GetUserByPhone of the new phone: %v, want %q: UpdateUser indexed it", err, kyc.ENOTFOUND)
	}
	byOld, err := s.GetUserByPhone(ctx, before.Phone)
	if err != nil {
		t.Fatalf("GetUserByPhone of the old phone: %v", err)
	}
	wantSame(t, "GetUserByPhone of the old phone", got, byOld)
}

func testUpdateUserConcurrent(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	u, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	const n = 20
	errs := concurrently(n, func(i int) error {
		v := u
		v.RegistrationID = fmt.Sprintf("test-registration-%d", i)
		_, err := s.UpdateUser(ctx, v)
		return err
	})
	c := codes(errs)
	if c[""] != 1 || c[kyc.ECONFLICT] != n-1 {
		t.Fatalf("%d concurrent UpdateUser from one version: results by code %v, want 1 success and %d %q", n, c, n-1, kyc.ECONFLICT)
	}
	got, err := s.GetUser(ctx, UserID(1))
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	for i, err := range errs {
		if err == nil {
			want := u
			want.RegistrationID = fmt.Sprintf("test-registration-%d", i)
			want.Version = u.Version + 1
			wantSame(t, "GetUser after concurrent updates (the winner's)", want, got)
		}
	}
}
