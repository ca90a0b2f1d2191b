package storetest

// Contract of the user routes' combined reads and writes (kyc.Store's "user routes" block):
// each does what the single-item methods do, with the same rules (code liveness, counter
// windows, versions), and the tests check it through those methods.

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// resetCode is a reset_password code n for user fixture user's phone, live from minute 0
// to minute 5.
func resetCode(user, n int) kyc.SMSCode {
	c := newCode(user, n)
	c.Purpose = kyc.PurposeResetPassword
	return c
}

// userSession is session n of user fixture user, opened from the user at version.
func userSession(n, user int, version int64) kyc.Session {
	sess := newSession(n, user)
	sess.AccountID = AccountID(user)
	sess.UserVersion = version
	return sess
}

func openSession(t *testing.T, s kyc.Store, sess kyc.Session) {
	t.Helper()
	if err := s.OpenSession(t.Context(), sess); err != nil {
		t.Fatalf("OpenSession %d: %v", sess.UserVersion, err)
	}
}

// wantSessions fails unless each session is there (live) or gone, as alive says.
func wantSessions(t *testing.T, what string, s kyc.Store, alive bool, sessions ...kyc.Session) {
	t.Helper()
	for _, sess := range sessions {
		_, err := s.GetSession(t.Context(), sess.TokenHash, At(1))
		switch {
		case alive && err != nil:
			t.Errorf("%s: session %.8s: %v, want it alive", what, sess.TokenHash, err)
		case !alive && !kyc.IsCode(err, kyc.ENOTFOUND):
			t.Errorf("%s: session %.8s: %v, want it ended (ENOTFOUND)", what, sess.TokenHash, err)
		}
	}
}

func getUser(t *testing.T, s kyc.Store, n int) kyc.User {
	t.Helper()
	u, err := s.GetUser(t.Context(), UserID(n))
	if err != nil {
		t.Fatalf("GetUser %d: %v", n, err)
	}
	return u
}

func counter(t *testing.T, s kyc.Store, key string, now time.Time) int64 {
	t.Helper()
	n, err := s.Counter(t.Context(), key, now)
	if err != nil {
		t.Fatalf("Counter %s: %v", key, err)
	}
	return n
}

func testPhoneAndCounter(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	phone := NewUser(1).Phone
	const key = "login-lock:test-1"
	uid, aid, n, err := s.PhoneAndCounter(ctx, phone, key, At(0))
	if err != nil || uid != "" || aid != "" || n != 0 {
		t.Errorf("PhoneAndCounter of an unknown phone and absent counter: %q %q %d %v; want empty", uid, aid, n, err)
	}
	create(t, s, 1, kyc.PersonalAccount)
	for range 3 {
		if _, err := s.Incr(ctx, key, At(0), At(10)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name        string
		phone, key  string
		now         time.Time
		uid, aid    string
		want        int64
		wantCounter bool
	}{
		{"both", phone, key, At(1), UserID(1), AccountID(1), 3, true},
		{"counter's window passed", phone, key, At(10), UserID(1), AccountID(1), 0, true},
		{"no counter asked", phone, "", At(1), UserID(1), AccountID(1), 0, false},
		{"no phone asked", "", key, At(1), "", "", 3, true},
		{"another phone", NewUser(2).Phone, key, At(1), "", "", 3, true},
		{"another counter", phone, key + "0", At(1), UserID(1), AccountID(1), 0, true},
	} {
		uid, aid, n, err := s.PhoneAndCounter(ctx, tt.phone, tt.key, tt.now)
		if err != nil || uid != tt.uid || aid != tt.aid || n != tt.want {
			t.Errorf("%s: %q %q %d %v; want %q %q %d", tt.name, uid, aid, n, err, tt.uid, tt.aid, tt.want)
		}
		if tt.wantCounter {
			if c := counter(t, s, tt.key, tt.now); c != n {
				t.Errorf("%s: PhoneAndCounter read %d, Counter %d", tt.name, n, c)
			}
		}
	}
}

// codeRequest calls CountAndPutCode with three counters whose windows end at minutes 10,
// 20 and 30 after now, recording what decide saw, and decide answering as given.
func codeRequest(t *testing.T, s kyc.Store, c kyc.SMSCode, now time.Time, keys []string, count int, put bool, result error) ([]int64, string, error) {
	t.Helper()
	ends := make([]time.Time, len(keys))
	for i := range keys {
		ends[i] = now.Add(time.Duration(10*(i+1)) * time.Minute)
	}
	var counts []int64
	var userID string
	err := s.CountAndPutCode(t.Context(), c, keys, ends, now, func(cs []int64, uid string) (int, bool, error) {
		counts, userID = append([]int64(nil), cs...), uid
		return count, put, result
	})
	return counts, userID, err
}

func testCountAndPutCode(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	keys := []string{"sms-ip:test", "sms-min:test-1", "sms-day:test-1"}
	c := newCode(1, 1)
	counts, uid, err := codeRequest(t, s, c, At(0), keys, 3, true, nil)
	if err != nil || fmt.Sprint(counts) != "[0 0 0]" || uid != "" {
		t.Fatalf("first request: counts %v, user %q, %v; want [0 0 0], no user, nil", counts, uid, err)
	}
	for _, k := range keys {
		if n := counter(t, s, k, At(0)); n != 1 {
			t.Errorf("counter %s = %d after the first request, want 1", k, n)
		}
	}
	if uid, err := s.TryCode(ctx, c.Phone, c.Purpose, c.CodeHash, At(1)); err != nil || uid != "" {
		t.Errorf("TryCode of the stored code: %q, %v; want no user id, nil", uid, err)
	}

	// decide counts the first counter only, stores nothing, and its error comes back.
	refused := kyc.Errorf(kyc.ETOOMANY, "test refusal")
	other := newCode(1, 2)
	counts, _, err = codeRequest(t, s, other, At(1), keys, 1, false, refused)
	if !errors.Is(err, refused) || fmt.Sprint(counts) != "[1 1 1]" {
		t.Errorf("counting one: counts %v, %v; want [1 1 1] and decide's error", counts, err)
	}
	if a, b, d := counter(t, s, keys[0], At(1)), counter(t, s, keys[1], At(1)), counter(t, s, keys[2], At(1)); a != 2 || b != 1 || d != 1 {
		t.Errorf("counters %d %d %d after counting one, want 2 1 1", a, b, d)
	}
	_, err = s.TryCode(ctx, other.Phone, other.Purpose, other.CodeHash, At(1))
	wantBadCode(t, "TryCode of a code decide did not store", err)

	// Asking for nothing writes nothing.
	_, _, err = codeRequest(t, s, other, At(1), keys, 0, false, refused)
	if !errors.Is(err, refused) {
		t.Errorf("asking for nothing: %v, want decide's error", err)
	}
	if a := counter(t, s, keys[0], At(1)); a != 2 {
		t.Errorf("counter %s = %d after asking for nothing, want 2", keys[0], a)
	}

	// A counter whose window has passed starts again at 1, in the window given now.
	other.CreatedAt, other.ExpiresAt = At(10), At(15)
	counts, _, err = codeRequest(t, s, other, At(10), keys, 3, true, nil)
	if err != nil || fmt.Sprint(counts) != "[0 1 1]" {
		t.Fatalf("after the first window: counts %v, %v; want [0 1 1]", counts, err)
	}
	if a := counter(t, s, keys[0], At(19)); a != 1 {
		t.Errorf("counter %s = %d in its new window, want 1", keys[0], a)
	}
	if a := counter(t, s, keys[0], At(20)); a != 0 {
		t.Errorf("counter %s = %d after its new window, want 0", keys[0], a)
	}
	if b := counter(t, s, keys[1], At(19)); b != 2 {
		t.Errorf("counter %s = %d, want 2 (its window, from minute 0 to 20, runs)", keys[1], b)
	}
	// The new code replaced the old one.
	_, err = s.TryCode(ctx, c.Phone, c.Purpose, c.CodeHash, At(11))
	wantBadCode(t, "TryCode of the replaced code", err)
	if _, err := s.TryCode(ctx, other.Phone, other.Purpose, other.CodeHash, At(11)); err != nil {
		t.Errorf("TryCode of the new code: %v", err)
	}

	// A known phone: decide gets its user, and the stored code names the user.
	create(t, s, 2, kyc.PersonalAccount)
	rc := resetCode(2, 3)
	_, uid, err = codeRequest(t, s, rc, At(0), []string{"sms-min:test-2"}, 1, true, nil)
	if err != nil || uid != UserID(2) {
		t.Fatalf("known phone: user %q, %v; want %q", uid, err, UserID(2))
	}
	if uid, err := s.TryCode(ctx, rc.Phone, rc.Purpose, rc.CodeHash, At(1)); err != nil || uid != UserID(2) {
		t.Errorf("TryCode of a code stored for a known phone: %q, %v; want %q", uid, err, UserID(2))
	}

	// Refusals of bad arguments.
	for _, tt := range []struct {
		name  string
		c     kyc.SMSCode
		keys  []string
		ends  int
		count int
	}{
		{"ends do not match keys", c, keys, 2, 0},
		{"repeated key", c, []string{"k", "k"}, 2, 0},
		{"empty key", c, []string{""}, 1, 0},
		{"code without a hash", kyc.SMSCode{Phone: c.Phone, Purpose: c.Purpose}, keys, 3, 0},
		{"count beyond the keys", c, keys, 3, 4},
	} {
		err := s.CountAndPutCode(ctx, tt.c, tt.keys, make([]time.Time, tt.ends), At(0), func([]int64, string) (int, bool, error) {
			return tt.count, false, nil
		})
		if err == nil {
			t.Errorf("%s: nil error", tt.name)
		}
	}
}

// testCountAndPutCodeConcurrent: requests that race on a counter are each counted once,
// against the value they saw: with a limit of 5 on a shared counter, exactly 5 of 12
// concurrent requests pass and the counter ends at 5; per-request counters count too.
func testCountAndPutCodeConcurrent(t *testing.T, s kyc.Store) {
	const n, limit = 12, 5
	var decisions atomic.Int64
	errs := concurrently(n, func(i int) error {
		keys := []string{"sms-ip:shared", fmt.Sprintf("sms-min:test-%d", i)}
		ends := []time.Time{At(60), At(1)}
		return s.CountAndPutCode(t.Context(), newCode(i+1, i), keys, ends, At(0), func(counts []int64, _ string) (int, bool, error) {
			decisions.Add(1)
			if counts[0] >= limit {
				return 0, false, kyc.Errorf(kyc.ETOOMANY, "limit")
			}
			return 2, true, nil
		})
	})
	if got := codes(errs); got[""] != limit || got[kyc.ETOOMANY] != n-limit {
		t.Errorf("outcomes %v, want %d passed and %d refused", got, limit, n-limit)
	}
	if v := counter(t, s, "sms-ip:shared", At(0)); v != limit {
		t.Errorf("shared counter = %d, want %d", v, limit)
	}
	passed := 0
	for i := range n {
		v := counter(t, s, fmt.Sprintf("sms-min:test-%d", i), At(0))
		_, err := s.TryCode(t.Context(), NewUser(i+1).Phone, kyc.PurposeRegister, codeHash(i), At(0))
		if (v == 1) != (err == nil) || v > 1 {
			t.Errorf("request %d: own counter %d, code %v; want 1 and stored, or 0 and absent", i, v, err)
		}
		passed += int(v)
	}
	if passed != limit {
		t.Errorf("%d requests counted on their own counter, want %d", passed, limit)
	}
	t.Logf("decide ran %d times for %d requests", decisions.Load(), n)
}

func testTryCode(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	c := newCode(1, 1)
	try := func(hash string, now time.Time) error {
		_, err := s.TryCode(ctx, c.Phone, c.Purpose, hash, now)
		return err
	}
	wantBadCode(t, "TryCode with no code stored", try(c.CodeHash, At(1)))
	putCode(t, s, c)
	// A match uses nothing: the code still matches, however often.
	for i := range 3 {
		if err := try(c.CodeHash, At(1)); err != nil {
			t.Fatalf("TryCode of the right code, #%d: %v", i+1, err)
		}
	}
	// No other phone or purpose reaches the code: not the other purpose, another phone,
	// a phone that is a prefix of its phone or starts with it, nor an empty phone or
	// purpose. None of those tries counts against it (the four wrong tries below leave it
	// alive).
	prefix, longer := c, c
	prefix.Phone, longer.Phone = c.Phone[:len(c.Phone)-1], c.Phone+"0"
	emptyPhone, emptyPurpose := c, c
	emptyPhone.Phone, emptyPurpose.Purpose = "", ""
	for _, other := range []kyc.SMSCode{newCode(2, 1), resetCode(1, 1), prefix, longer, emptyPhone, emptyPurpose} {
		_, err := s.TryCode(ctx, other.Phone, other.Purpose, c.CodeHash, At(1))
		wantBadCode(t, fmt.Sprintf("TryCode of phone %q, purpose %q", other.Phone, other.Purpose), err)
	}
	// Wrong tries count: four leave the code alive, the fifth kills it.
	wrongTries(t, s, c, kyc.MaxCodeAttempts-1)
	if err := try(c.CodeHash, At(1)); err != nil {
		t.Errorf("TryCode of the right code after %d wrong tries: %v", kyc.MaxCodeAttempts-1, err)
	}
	wantBadCode(t, "the last wrong try", try(codeHash(999), At(1)))
	wantBadCode(t, "TryCode of the right code of a dead code", try(c.CodeHash, At(1)))
}

// testTryCodeConcurrent: wrong tries at once are counted one by one, so MaxCodeAttempts-1
// of them leave the code alive and 20 kill it.
func testTryCodeConcurrent(t *testing.T, s kyc.Store) {
	for _, tt := range []struct {
		user, tries int
		alive       bool
	}{{1, kyc.MaxCodeAttempts - 1, true}, {2, 20, false}} {
		c := newCode(tt.user, tt.user)
		putCode(t, s, c)
		errs := concurrently(tt.tries, func(i int) error {
			_, err := s.TryCode(t.Context(), c.Phone, c.Purpose, codeHash(900+i), At(1))
			return err
		})
		if got := codes(errs); got[kyc.EBADCODE] != tt.tries {
			t.Errorf("%d wrong tries at once: %v, want all EBADCODE", tt.tries, got)
		}
		_, err := s.TryCode(t.Context(), c.Phone, c.Purpose, c.CodeHash, At(1))
		if tt.alive && err != nil {
			t.Errorf("right code after %d wrong tries at once: %v, want it alive", tt.tries, err)
		}
		if !tt.alive {
			wantBadCode(t, fmt.Sprintf("right code after %d wrong tries at once", tt.tries), err)
		}
	}
}

// register is RegisterUser of user and account n with the code c (phone taken from c) and
// session n.
func register(t *testing.T, s kyc.Store, n int, c kyc.SMSCode, now time.Time) (kyc.User, kyc.Session, error) {
	t.Helper()
	u, a := NewUser(n), NewAccount(n, kyc.PersonalAccount)
	u.Phone, a.Tel = c.Phone, c.Phone
	sess := userSession(n, n, 0)
	got, err := s.RegisterUser(t.Context(), u, a, c.CodeHash, now, sess)
	return got, sess, err
}

func testRegisterUser(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	c := newCode(1, 1)
	putCode(t, s, c)
	got, sess, err := register(t, s, 1, c, At(1))
	if err != nil {
		t.Fatalf("RegisterUser: %v", err)
	}
	want := NewUser(1)
	want.Version = 1
	wantSame(t, "RegisterUser result", want, got)
	wantSame(t, "GetUser", want, getUser(t, s, 1))
	byPhone, err := s.GetUserByPhone(ctx, want.Phone)
	if err != nil {
		t.Fatalf("GetUserByPhone: %v", err)
	}
	wantSame(t, "GetUserByPhone", want, byPhone)
	wantA := NewAccount(1, kyc.PersonalAccount)
	wantA.Tel, wantA.Version = c.Phone, 1
	checkAccount(t, s, wantA)
	gotSess, err := s.GetSession(ctx, sess.TokenHash, At(1))
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	wantSame(t, "GetSession", sess, gotSess)
	if uid, aid, _, err := s.PhoneAndCounter(ctx, c.Phone, "", At(1)); err != nil || uid != UserID(1) || aid != AccountID(1) {
		t.Errorf("PhoneAndCounter: %q %q %v; want the new user and account", uid, aid, err)
	}
	wantBadCode(t, "TryCode of the code registered with", tryCode(t, s, c, c.CodeHash))

	// The phone is taken: EEXISTS whether the code is used (the same code again) or live
	// (a new code), and a live code stays live.
	_, _, err = register(t, s, 2, c, At(1))
	wantCode(t, "RegisterUser again with the used code", err, kyc.EEXISTS)
	fresh := newCode(1, 2)
	putCode(t, s, fresh)
	_, sess2, err := register(t, s, 2, fresh, At(1))
	wantCode(t, "RegisterUser of a taken phone", err, kyc.EEXISTS)
	checkNotWritten(t, s, 2)
	wantSessions(t, "the refused registration's session", s, false, sess2)
	wantCodeOK(t, "TryCode of the code of the refused registration", tryCode(t, s, fresh, fresh.CodeHash))

	// A code that is not live with that hash: EBADCODE, and nothing is written.
	dead := newCode(5, 5)
	putCode(t, s, dead)
	wrongTries(t, s, dead, kyc.MaxCodeAttempts)
	for _, tt := range []struct {
		name string
		n    int
		c    kyc.SMSCode
		hash string
		now  time.Time
	}{
		{"wrong hash", 3, newCode(3, 3), codeHash(999), At(1)},
		{"expired", 4, newCode(4, 4), "", At(5)},
		{"dead", 5, dead, "", At(1)},
		{"absent", 6, newCode(6, 6), "", At(1)},
	} {
		if tt.name != "dead" && tt.name != "absent" {
			putCode(t, s, tt.c)
		}
		try := tt.c
		if tt.hash != "" {
			try.CodeHash = tt.hash
		}
		_, sess, err := register(t, s, tt.n, try, tt.now)
		wantBadCode(t, "RegisterUser with a code "+tt.name, err)
		checkNotWritten(t, s, tt.n)
		wantSessions(t, "session of RegisterUser with a code "+tt.name, s, false, sess)
		if _, err := s.GetUserByPhone(ctx, tt.c.Phone); !kyc.IsCode(err, kyc.ENOTFOUND) {
			t.Errorf("%s: GetUserByPhone = %v, want ENOTFOUND", tt.name, err)
		}
	}

	// A session of another user is refused.
	u, a := NewUser(7), NewAccount(7, kyc.PersonalAccount)
	if _, err := s.RegisterUser(ctx, u, a, codeHash(7), At(1), userSession(7, 8, 0)); err == nil {
		t.Errorf("RegisterUser with another user's session: nil error")
	}
}

// testRegisterUserConcurrent: of 10 registrations of one phone with its code at once,
// one succeeds and the others get EEXISTS.
func testRegisterUserConcurrent(t *testing.T, s kyc.Store) {
	c := newCode(1, 1)
	putCode(t, s, c)
	const n = 10
	errs := concurrently(n, func(i int) error {
		u, a := NewUser(i+1), NewAccount(i+1, kyc.PersonalAccount)
		u.Phone = c.Phone
		_, err := s.RegisterUser(t.Context(), u, a, c.CodeHash, At(1), userSession(i+1, i+1, 0))
		return err
	})
	if got := codes(errs); got[""] != 1 || got[kyc.EEXISTS] != n-1 {
		t.Errorf("outcomes %v, want 1 success and %d EEXISTS", got, n-1)
	}
	u, err := s.GetUserByPhone(t.Context(), c.Phone)
	if err != nil {
		t.Fatalf("GetUserByPhone: %v", err)
	}
	for i := range n {
		if UserID(i+1) == u.ID {
			if errs[i] != nil {
				t.Errorf("the phone's user %s is one whose registration failed", u.ID)
			}
			continue
		}
		checkNotWritten(t, s, i+1)
	}
}

func testOpenSession(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	sess := userSession(1, 1, 1)
	openSession(t, s, sess)
	got, err := s.GetSession(ctx, sess.TokenHash, At(1))
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	want := sess
	want.UserVersion = 0 // not stored
	wantSame(t, "GetSession", want, got)
	// Opening a session does not change the user's version.
	u := getUser(t, s, 1)
	if u.Version != 1 {
		t.Errorf("version %d after OpenSession, want 1", u.Version)
	}
	u.Portrait = "portraits/test-object-1"
	if _, err := s.UpdateUser(ctx, u); err != nil {
		t.Fatalf("UpdateUser after OpenSession: %v", err)
	}
	stale := userSession(2, 1, 1)
	wantCode(t, "OpenSession from a user that changed since", s.OpenSession(ctx, stale), kyc.ECONFLICT)
	wantSessions(t, "the refused session", s, false, stale)
	wantCode(t, "OpenSession for a user that does not exist", s.OpenSession(ctx, userSession(3, 9, 1)), kyc.ECONFLICT)
	wantCode(t, "OpenSession without the user's version", s.OpenSession(ctx, userSession(4, 1, 0)), kyc.EMISSING)
}

// toAdmin is a change that makes the user an admin at minute 2.
func toAdmin(u kyc.User) (kyc.User, bool, error) {
	u.Role, u.UpdatedAt = kyc.RoleAdmin, At(2)
	return u, true, nil
}

func testChangeUser(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	sessions := []kyc.Session{userSession(1, 1, 1), userSession(2, 1, 1), newSession(3, 1)}
	openSession(t, s, sessions[0])
	openSession(t, s, sessions[1])
	if err := s.PutSession(ctx, sessions[2]); err != nil {
		t.Fatal(err)
	}
	other := userSession(4, 2, 1)
	create(t, s, 2, kyc.PersonalAccount)
	openSession(t, s, other)

	// No write: nothing changes and the sessions stay.
	got, err := s.ChangeUser(ctx, UserID(1), func(u kyc.User) (kyc.User, bool, error) {
		u.Role = kyc.RoleAdmin
		return u, false, nil
	})
	want := NewUser(1)
	want.Version = 1
	if err != nil {
		t.Fatalf("ChangeUser without a write: %v", err)
	}
	wantSame(t, "ChangeUser without a write", want, got)
	wantSame(t, "GetUser after ChangeUser without a write", want, getUser(t, s, 1))
	wantSessions(t, "after ChangeUser without a write", s, true, sessions...)

	// change's error: returned, nothing written.
	boom := errors.New("boom")
	if _, err := s.ChangeUser(ctx, UserID(1), func(u kyc.User) (kyc.User, bool, error) { return u, true, boom }); !errors.Is(err, boom) {
		t.Errorf("ChangeUser whose change fails: %v, want its error", err)
	}
	wantSessions(t, "after a failed change", s, true, sessions...)

	// A write: every field but id, phone and creation time; all sessions end; others' stay.
	got, err = s.ChangeUser(ctx, UserID(1), func(u kyc.User) (kyc.User, bool, error) {
		u.ID, u.Phone, u.CreatedAt = "other-id", "other-phone", At(9)
		u.Role, u.Frozen, u.Portrait, u.RegistrationID, u.PasswordHash, u.UpdatedAt = kyc.RoleAdmin, true, "portraits/x", "reg-1", "hash-2", At(2)
		return u, true, nil
	})
	if err != nil {
		t.Fatalf("ChangeUser: %v", err)
	}
	want.Role, want.Frozen, want.Portrait, want.RegistrationID, want.PasswordHash, want.UpdatedAt, want.Version = kyc.RoleAdmin, true, "portraits/x", "reg-1", "hash-2", At(2), 2
	wantSame(t, "ChangeUser result", want, got)
	wantSame(t, "GetUser after ChangeUser", want, getUser(t, s, 1))
	if byPhone, err := s.GetUserByPhone(ctx, NewUser(1).Phone); err != nil || byPhone.ID != UserID(1) {
		t.Errorf("GetUserByPhone after ChangeUser: %+v, %v", byPhone, err)
	}
	wantSessions(t, "after ChangeUser", s, false, sessions...)
	wantSessions(t, "another user's session after ChangeUser", s, true, other)
	// A session opened from the user as it was is refused.
	wantCode(t, "OpenSession from the user before the change", s.OpenSession(ctx, userSession(5, 1, 1)), kyc.ECONFLICT)

	_, err = s.ChangeUser(ctx, UserID(9), func(u kyc.User) (kyc.User, bool, error) {
		t.Errorf("change called for a missing user")
		return u, true, nil
	})
	wantCode(t, "ChangeUser of a missing user", err, kyc.ENOTFOUND)
}

// testChangeUserRaces: what happens between ChangeUser's read and its write is not lost.
// A session opened then (OpenSession from the version read) ends with the others; a
// change of the user then is read again and kept; a user that never stops changing is
// ECONFLICT.
func testChangeUserRaces(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	create(t, s, 2, kyc.PersonalAccount)
	if _, err := s.ChangeUser(ctx, UserID(2), toAdmin); err != nil { // so that user 1 is not the last admin
		t.Fatal(err)
	}
	before := userSession(1, 1, 1)
	openSession(t, s, before)
	late := userSession(2, 1, 1)
	calls := 0
	got, err := s.ChangeUser(ctx, UserID(1), func(u kyc.User) (kyc.User, bool, error) {
		calls++
		if calls == 1 {
			openSession(t, s, late) // a login that read the user before the change
		}
		return toAdmin(u)
	})
	if err != nil || got.Role != kyc.RoleAdmin || got.Version != 2 {
		t.Fatalf("ChangeUser: %+v, %v", got, err)
	}
	if calls < 2 {
		t.Errorf("change ran %d times: the session opened after the read did not make it read again", calls)
	}
	wantSessions(t, "sessions opened before and during ChangeUser", s, false, before, late)

	calls = 0
	got, err = s.ChangeUser(ctx, UserID(1), func(u kyc.User) (kyc.User, bool, error) {
		calls++
		if calls == 1 {
			v := u
			v.Portrait = "portraits/meanwhile"
			if _, err := s.UpdateUser(ctx, v); err != nil {
				t.Errorf("UpdateUser: %v", err)
			}
		}
		u.Role, u.UpdatedAt = kyc.RoleReviewer, At(3)
		return u, true, nil
	})
	if err != nil || got.Role != kyc.RoleReviewer || got.Portrait != "portraits/meanwhile" || got.Version != 4 {
		t.Errorf("ChangeUser racing UpdateUser: %+v, %v; want the reviewer with the portrait written meanwhile, version 4", got, err)
	}

	_, err = s.ChangeUser(ctx, UserID(1), func(u kyc.User) (kyc.User, bool, error) {
		v := u
		v.UpdatedAt = v.UpdatedAt.Add(time.Second)
		if _, err := s.UpdateUser(ctx, v); err != nil {
			return u, false, err
		}
		return toAdmin(u)
	})
	wantCode(t, "ChangeUser of a user that always changed meanwhile", err, kyc.ECONFLICT)
}

// testChangeUserManySessions: more sessions than one atomic write holds all end.
func testChangeUserManySessions(t *testing.T, s kyc.Store) {
	create(t, s, 1, kyc.PersonalAccount)
	var sessions []kyc.Session
	for i := range 60 {
		sessions = append(sessions, userSession(i+1, 1, 1))
	}
	errs := concurrently(len(sessions), func(i int) error { return s.OpenSession(t.Context(), sessions[i]) })
	if got := codes(errs); got[""] != len(sessions) {
		t.Fatalf("OpenSession: %v", got)
	}
	if _, err := s.ChangeUser(t.Context(), UserID(1), toAdmin); err != nil {
		t.Fatalf("ChangeUser: %v", err)
	}
	wantSessions(t, "after ChangeUser", s, false, sessions...)
}

func testResetPassword(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	create(t, s, 1, kyc.PersonalAccount)
	create(t, s, 2, kyc.PersonalAccount)
	sessions := []kyc.Session{userSession(1, 1, 1), userSession(2, 1, 1)}
	for _, sess := range sessions {
		openSession(t, s, sess)
	}
	other := userSession(3, 2, 1)
	openSession(t, s, other)
	c := resetCode(1, 1)
	putCode(t, s, c)
	phone := NewUser(1).Phone

	// Refusals change nothing.
	_, err := s.ResetPassword(ctx, phone, codeHash(999), UserID(1), "hash-new", At(2))
	wantBadCode(t, "ResetPassword with a wrong hash", err)
	_, err = s.ResetPassword(ctx, phone, c.CodeHash, UserID(2), "hash-new", At(2))
	wantBadCode(t, "ResetPassword of another user than the phone's", err)
	_, err = s.ResetPassword(ctx, phone, c.CodeHash, UserID(9), "hash-new", At(2))
	wantCode(t, "ResetPassword of a missing user", err, kyc.ENOTFOUND)
	_, err = s.ResetPassword(ctx, phone, c.CodeHash, UserID(1), "hash-new", At(5))
	wantBadCode(t, "ResetPassword with an expired code", err)
	wantSame(t, "password hash of user 1 after refusals", NewUser(1).PasswordHash, getUser(t, s, 1).PasswordHash)
	wantSame(t, "password hash of user 2 after refusals", NewUser(2).PasswordHash, getUser(t, s, 2).PasswordHash)
	wantSessions(t, "after refusals", s, true, append(sessions, other)...)
	wantCodeOK(t, "TryCode after refusals", tryCode(t, s, c, c.CodeHash))

	got, err := s.ResetPassword(ctx, phone, c.CodeHash, UserID(1), "hash-new", At(2))
	if err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}
	want := NewUser(1)
	want.PasswordHash, want.UpdatedAt, want.Version = "hash-new", At(2), 2
	wantSame(t, "ResetPassword result", want, got)
	wantSame(t, "GetUser after ResetPassword", want, getUser(t, s, 1))
	wantSessions(t, "after ResetPassword", s, false, sessions...)
	wantSessions(t, "another user's session after ResetPassword", s, true, other)
	wantBadCode(t, "TryCode of the used code", tryCode(t, s, c, c.CodeHash))
	_, err = s.ResetPassword(ctx, phone, c.CodeHash, UserID(1), "hash-again", At(2))
	wantBadCode(t, "ResetPassword with the used code", err)
	wantCode(t, "OpenSession from the user before the reset", s.OpenSession(ctx, userSession(4, 1, 1)), kyc.ECONFLICT)
}

// testResetPasswordConcurrent: of 5 resets with one code at once exactly one succeeds; a
// user with more sessions than one atomic write holds loses them all.
func testResetPasswordConcurrent(t *testing.T, s kyc.Store) {
	create(t, s, 1, kyc.PersonalAccount)
	var sessions []kyc.Session
	for i := range 60 {
		sessions = append(sessions, userSession(i+1, 1, 1))
	}
	errs := concurrently(len(sessions), func(i int) error { return s.OpenSession(t.Context(), sessions[i]) })
	if got := codes(errs); got[""] != len(sessions) {
		t.Fatalf("OpenSession: %v", got)
	}
	c := resetCode(1, 1)
	putCode(t, s, c)
	const n = 5
	errs = concurrently(n, func(i int) error {
		_, err := s.ResetPassword(t.Context(), c.Phone, c.CodeHash, UserID(1), fmt.Sprintf("hash-%d", i), At(2))
		return err
	})
	if got := codes(errs); got[""] != 1 || got[kyc.EBADCODE] != n-1 {
		t.Errorf("outcomes %v, want 1 success and %d EBADCODE", got, n-1)
	}
	u := getUser(t, s, 1)
	for i, err := range errs {
		if err == nil && u.PasswordHash != fmt.Sprintf("hash-%d", i) {
			t.Errorf("stored hash %q, want the winner's hash-%d", u.PasswordHash, i)
		}
	}
	if u.Version != 2 {
		t.Errorf("version %d, want 2: one reset", u.Version)
	}
	wantSessions(t, "after ResetPassword", s, false, sessions...)
}
