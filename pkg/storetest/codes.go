package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// codeHash looks like the hex SHA-256 of a code, as the service stores it.
func codeHash(n int) string { return fmt.Sprintf("%064x", 0xc0de0000+n) }

// newCode is a register code n for phone fixture user, live from minute 0 to minute 5.
func newCode(user, n int) kyc.SMSCode {
	return kyc.SMSCode{
		Phone:     NewUser(user).Phone,
		Purpose:   kyc.PurposeRegister,
		CodeHash:  codeHash(n),
		CreatedAt: At(0),
		ExpiresAt: At(5),
	}
}

func putCode(t *testing.T, s kyc.Store, c kyc.SMSCode) {
	t.Helper()
	if err := s.PutCode(t.Context(), c); err != nil {
		t.Fatalf("PutCode: %v", err)
	}
}

// check runs CheckCode of hash against c's phone and purpose at minute 1.
func check(t *testing.T, s kyc.Store, c kyc.SMSCode, hash string, consume bool) error {
	t.Helper()
	return s.CheckCode(t.Context(), c.Phone, c.Purpose, hash, At(1), consume)
}

func wantCodeOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v, want nil", what, err)
	}
}

func wantBadCode(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, kyc.EBADCODE)
}

// wrongTries makes n wrong tries, each refused.
func wrongTries(t *testing.T, s kyc.Store, c kyc.SMSCode, n int, consume bool) {
	t.Helper()
	for i := range n {
		wantBadCode(t, fmt.Sprintf("wrong try %d", i+1), check(t, s, c, codeHash(900+i), consume))
	}
}

func testCodeMatch(t *testing.T, s kyc.Store) {
	c := newCode(1, 1)
	putCode(t, s, c)
	// Checking without consuming leaves the code usable, however often.
	wantCodeOK(t, "CheckCode without consume", check(t, s, c, c.CodeHash, false))
	wantCodeOK(t, "CheckCode without consume again", check(t, s, c, c.CodeHash, false))
	wantCodeOK(t, "CheckCode with consume", check(t, s, c, c.CodeHash, true))
	// Used: refused whether or not the caller would consume it.
	wantBadCode(t, "CheckCode with consume of a used code", check(t, s, c, c.CodeHash, true))
	wantBadCode(t, "CheckCode without consume of a used code", check(t, s, c, c.CodeHash, false))
}

func testCodeUnknown(t *testing.T, s kyc.Store) {
	c := newCode(1, 1)
	wantBadCode(t, "CheckCode with no code stored", check(t, s, c, c.CodeHash, true))
	putCode(t, s, c)
	other := newCode(2, 1)
	wantBadCode(t, "CheckCode of another phone", check(t, s, other, c.CodeHash, true))
	prefix := c
	prefix.Phone = c.Phone[:len(c.Phone)-1]
	wantBadCode(t, "CheckCode of a phone that is a prefix of the code's", check(t, s, prefix, c.CodeHash, false))
	longer := c
	longer.Phone = c.Phone + "0"
	wantBadCode(t, "CheckCode of a phone that starts with the code's", check(t, s, longer, c.CodeHash, false))
	wantBadCode(t, "CheckCode of an empty phone", s.CheckCode(t.Context(), "", c.Purpose, c.CodeHash, At(1), false))
	wantBadCode(t, "CheckCode of an empty purpose", s.CheckCode(t.Context(), c.Phone, "", c.CodeHash, At(1), false))
	// None of that touched the stored code.
	wantCodeOK(t, "CheckCode of the right phone", check(t, s, c, c.CodeHash, true))
}

func testCodeWrong(t *testing.T, s kyc.Store) {
	// MaxCodeAttempts-1 wrong tries leave the code alive, with or without consume.
	alive := newCode(1, 1)
	putCode(t, s, alive)
	wrongTries(t, s, alive, kyc.MaxCodeAttempts-2, true)
	wrongTries(t, s, alive, 1, false)
	wantCodeOK(t, fmt.Sprintf("right code after %d wrong tries", kyc.MaxCodeAttempts-1), check(t, s, alive, alive.CodeHash, true))

	// The MaxCodeAttempts-th wrong try kills it: the right code is refused from then on.
	// Tries without consume count too, or they would be an unlimited oracle.
	dead := newCode(2, 2)
	putCode(t, s, dead)
	wrongTries(t, s, dead, kyc.MaxCodeAttempts-1, false)
	wrongTries(t, s, dead, 1, true)
	wantBadCode(t, fmt.Sprintf("right code after %d wrong tries, without consume", kyc.MaxCodeAttempts), check(t, s, dead, dead.CodeHash, false))
	wantBadCode(t, fmt.Sprintf("right code after %d wrong tries", kyc.MaxCodeAttempts), check(t, s, dead, dead.CodeHash, true))
	// Further wrong tries on a dead code are refused the same way.
	wrongTries(t, s, dead, 2, true)
}

func testCodeExpiry(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	c := newCode(1, 1)
	putCode(t, s, c)
	if err := s.CheckCode(ctx, c.Phone, c.Purpose, c.CodeHash, c.ExpiresAt.Add(-time.Millisecond), false); err != nil {
		t.Errorf("CheckCode a millisecond before expiry: %v, want nil", err)
	}
	for _, now := range []time.Time{c.ExpiresAt, c.ExpiresAt.Add(time.Millisecond), c.ExpiresAt.Add(24 * time.Hour)} {
		for _, consume := range []bool{false, true} {
			err := s.CheckCode(ctx, c.Phone, c.Purpose, c.CodeHash, now, consume)
			wantBadCode(t, fmt.Sprintf("CheckCode %s after expiry (consume %v)", now.Sub(c.ExpiresAt), consume), err)
		}
	}
	// Refusing an expired code did not use it: it still works at a time it is live (the
	// store judges expiry by the caller's clock alone).
	if err := s.CheckCode(ctx, c.Phone, c.Purpose, c.CodeHash, c.ExpiresAt.Add(-time.Millisecond), true); err != nil {
		t.Errorf("CheckCode before expiry after refusals after it: %v, want nil", err)
	}
}

func testCodeReplace(t *testing.T, s kyc.Store) {
	old := newCode(1, 1)
	putCode(t, s, old)
	wrongTries(t, s, old, kyc.MaxCodeAttempts-1, true)

	// A new code replaces the old one, and starts with no wrong tries.
	fresh := newCode(1, 2)
	fresh.CreatedAt, fresh.ExpiresAt = At(1), At(6)
	putCode(t, s, fresh)
	wantBadCode(t, "CheckCode of the replaced code", check(t, s, fresh, old.CodeHash, false))
	wrongTries(t, s, fresh, kyc.MaxCodeAttempts-2, true) // with the try above: MaxCodeAttempts-1
	wantCodeOK(t, "CheckCode of the new code after the old one's wrong tries", check(t, s, fresh, fresh.CodeHash, true))

	// A used code, too, is replaced by a usable one, even with the same hash.
	again := fresh
	again.CreatedAt = At(2)
	putCode(t, s, again)
	wantCodeOK(t, "CheckCode of a new code after a used one", check(t, s, again, again.CodeHash, true))

	// So is a dead one.
	wrongTries(t, s, again, kyc.MaxCodeAttempts, true)
	last := newCode(1, 3)
	putCode(t, s, last)
	wantCodeOK(t, "CheckCode of a new code after a dead one", check(t, s, last, last.CodeHash, true))
}

func testCodeScope(t *testing.T, s kyc.Store) {
	reg := newCode(1, 1)
	reset := newCode(1, 2)
	reset.Purpose = kyc.PurposeResetPassword
	other := newCode(2, 3)
	for _, c := range []kyc.SMSCode{reg, reset, other} {
		putCode(t, s, c)
	}
	asReset := reg
	asReset.Purpose = kyc.PurposeResetPassword
	wantBadCode(t, "register code used to reset the password", check(t, s, asReset, reg.CodeHash, false))
	wantBadCode(t, "another phone's code", check(t, s, reg, other.CodeHash, false))

	// Wrong tries on one purpose do not count against the other.
	wrongTries(t, s, reset, kyc.MaxCodeAttempts, true)
	wantBadCode(t, "dead reset_password code", check(t, s, reset, reset.CodeHash, true))
	wantCodeOK(t, "register code after the reset_password code died", check(t, s, reg, reg.CodeHash, false))
	// Using one leaves the other and other phones' codes alone.
	wantCodeOK(t, "register code", check(t, s, reg, reg.CodeHash, true))
	wantCodeOK(t, "another phone's code after this phone's was used", check(t, s, other, other.CodeHash, true))
}

func testCodeConcurrentConsume(t *testing.T, s kyc.Store) {
	c := newCode(1, 1)
	putCode(t, s, c)
	const n = 50
	errs := concurrently(n, func(int) error {
		return s.CheckCode(t.Context(), c.Phone, c.Purpose, c.CodeHash, At(1), true)
	})
	if got := codes(errs); got[""] != 1 || got[kyc.EBADCODE] != n-1 {
		t.Fatalf("%d concurrent consuming checks of the right code: results by code %v, want exactly one success and %d %s",
			n, got, n-1, kyc.EBADCODE)
	}
}

func testCodeConcurrentWrong(t *testing.T, s kyc.Store) {
	c := newCode(1, 1)
	putCode(t, s, c)
	const n = 20
	errs := concurrently(n, func(i int) error {
		return s.CheckCode(t.Context(), c.Phone, c.Purpose, codeHash(900+i), At(1), i%2 == 0)
	})
	if got := codes(errs); got[kyc.EBADCODE] != n {
		t.Fatalf("%d concurrent wrong tries: results by code %v, want all %s", n, got, kyc.EBADCODE)
	}
	// Every wrong try was counted, or at least MaxCodeAttempts of them: the code is dead.
	wantBadCode(t, fmt.Sprintf("right code after %d concurrent wrong tries", n), check(t, s, c, c.CodeHash, true))
}
