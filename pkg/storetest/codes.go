package storetest

// The rules of SMS codes that hold whichever method touches a code: expiry, wrong tries,
// replacement, and isolation per phone and purpose. Codes are stored with CountAndPutCode,
// tried with TryCode and used by RegisterUser (register) and ResetPassword
// (reset_password). What the user routes' tests (users_combined.go) check of the same
// rules is not repeated here: TryCode's match, refusals and count of wrong tries
// (testTryCode, testTryCodeConcurrent), single use (testRegisterUser, testResetPassword)
// and concurrent uses of one code (testResetPasswordConcurrent).

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

// putCode stores c as the service does, with CountAndPutCode, counting nothing.
func putCode(t *testing.T, s kyc.Store, c kyc.SMSCode) {
	t.Helper()
	err := s.CountAndPutCode(t.Context(), c, nil, nil, c.CreatedAt, func([]int64, string) (int, bool, error) {
		return 0, true, nil
	})
	if err != nil {
		t.Fatalf("CountAndPutCode: %v", err)
	}
}

// tryCode runs TryCode of hash against c's phone and purpose at minute 1.
func tryCode(t *testing.T, s kyc.Store, c kyc.SMSCode, hash string) error {
	t.Helper()
	_, err := s.TryCode(t.Context(), c.Phone, c.Purpose, hash, At(1))
	return err
}

// resetWith is ResetPassword of user fixture n with hash against the reset code of c's
// phone at minute 2.
func resetWith(t *testing.T, s kyc.Store, n int, c kyc.SMSCode, hash string) error {
	t.Helper()
	_, err := s.ResetPassword(t.Context(), c.Phone, hash, UserID(n), "hash-new", At(2))
	return err
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

// wrongTries makes n wrong tries at minute 1, each refused.
func wrongTries(t *testing.T, s kyc.Store, c kyc.SMSCode, n int) {
	t.Helper()
	for i := range n {
		wantBadCode(t, fmt.Sprintf("wrong try %d", i+1), tryCode(t, s, c, codeHash(900+i)))
	}
}

// testCodeExpiry: a code is live until now reaches its ExpiresAt, by the caller's clock
// alone. From then on TryCode and its use refuse it, and neither a refused try nor a
// refused use counts or uses anything: the code works again at a time it is live.
func testCodeExpiry(t *testing.T, s kyc.Store) {
	ctx := t.Context()
	c := newCode(1, 1)
	putCode(t, s, c)
	live := c.ExpiresAt.Add(-time.Millisecond)
	if _, err := s.TryCode(ctx, c.Phone, c.Purpose, c.CodeHash, live); err != nil {
		t.Errorf("TryCode a millisecond before expiry: %v, want nil", err)
	}
	for _, now := range []time.Time{c.ExpiresAt, c.ExpiresAt.Add(time.Millisecond), c.ExpiresAt.Add(24 * time.Hour)} {
		after := now.Sub(c.ExpiresAt)
		_, err := s.TryCode(ctx, c.Phone, c.Purpose, c.CodeHash, now)
		wantBadCode(t, fmt.Sprintf("TryCode %s after expiry", after), err)
		for i := range kyc.MaxCodeAttempts {
			_, err := s.TryCode(ctx, c.Phone, c.Purpose, codeHash(900+i), now)
			wantBadCode(t, fmt.Sprintf("wrong try %d, %s after expiry", i+1, after), err)
		}
		_, sess, err := register(t, s, 1, c, now)
		wantBadCode(t, fmt.Sprintf("RegisterUser %s after expiry", after), err)
		checkNotWritten(t, s, 1)
		wantSessions(t, fmt.Sprintf("session of RegisterUser %s after expiry", after), s, false, sess)
	}
	if _, _, err := register(t, s, 1, c, live); err != nil {
		t.Errorf("RegisterUser before expiry, after refusals and %d wrong tries after it: %v, want nil", 3*kyc.MaxCodeAttempts, err)
	}
}

// testCodeWrong: MaxCodeAttempts-1 wrong tries leave a code usable, by RegisterUser and by
// ResetPassword; after the MaxCodeAttempts-th ResetPassword refuses it and changes nothing.
// (TryCode's side is testTryCode's; RegisterUser with a dead code, testRegisterUser's.)
func testCodeWrong(t *testing.T, s kyc.Store) {
	reg := newCode(1, 1)
	putCode(t, s, reg)
	wrongTries(t, s, reg, kyc.MaxCodeAttempts-1)
	if _, _, err := register(t, s, 1, reg, At(1)); err != nil {
		t.Errorf("RegisterUser after %d wrong tries: %v, want nil", kyc.MaxCodeAttempts-1, err)
	}

	alive := resetCode(1, 2)
	putCode(t, s, alive)
	wrongTries(t, s, alive, kyc.MaxCodeAttempts-1)
	wantCodeOK(t, fmt.Sprintf("ResetPassword after %d wrong tries", kyc.MaxCodeAttempts-1), resetWith(t, s, 1, alive, alive.CodeHash))

	dead := resetCode(1, 3)
	putCode(t, s, dead)
	wrongTries(t, s, dead, kyc.MaxCodeAttempts)
	before := getUser(t, s, 1)
	_, err := s.ResetPassword(t.Context(), dead.Phone, dead.CodeHash, UserID(1), "hash-dead", At(2))
	wantBadCode(t, fmt.Sprintf("ResetPassword after %d wrong tries", kyc.MaxCodeAttempts), err)
	wantSame(t, "user after the refused reset", before, getUser(t, s, 1))
}

// testCodeReplace: a new code of a phone and purpose replaces the old one outright. The
// old hash no longer works, and the new code starts unused and with no wrong tries,
// whether the old one had tries, was used or was dead, even with the same hash. A refused
// use counts no try.
func testCodeReplace(t *testing.T, s kyc.Store) {
	create(t, s, 1, kyc.PersonalAccount)
	old := resetCode(1, 1)
	putCode(t, s, old)
	wrongTries(t, s, old, kyc.MaxCodeAttempts-1)

	fresh := resetCode(1, 2)
	fresh.CreatedAt, fresh.ExpiresAt = At(1), At(6)
	putCode(t, s, fresh)
	wantBadCode(t, "ResetPassword with the replaced code", resetWith(t, s, 1, fresh, old.CodeHash))
	wrongTries(t, s, fresh, kyc.MaxCodeAttempts-1)
	wantCodeOK(t, "ResetPassword with the new code after the old one's wrong tries", resetWith(t, s, 1, fresh, fresh.CodeHash))

	// A used code, too, is replaced by a usable one, even with the same hash.
	again := fresh
	again.CreatedAt = At(2)
	putCode(t, s, again)
	wantCodeOK(t, "ResetPassword with a new code after a used one", resetWith(t, s, 1, again, again.CodeHash))

	// So is a dead one.
	dead := resetCode(1, 3)
	putCode(t, s, dead)
	wrongTries(t, s, dead, kyc.MaxCodeAttempts)
	wantBadCode(t, "TryCode of the dead code", tryCode(t, s, dead, dead.CodeHash))
	last := dead
	last.CreatedAt = At(1)
	putCode(t, s, last)
	wantCodeOK(t, "TryCode of a new code after a dead one", tryCode(t, s, last, last.CodeHash))
	wantCodeOK(t, "ResetPassword with a new code after a dead one", resetWith(t, s, 1, last, last.CodeHash))
}

// testCodeScope: each phone has its own code per purpose. A code does not match for
// another phone or purpose while that one has a code of its own, wrong tries count against
// one code only, and using one leaves the others as they were.
func testCodeScope(t *testing.T, s kyc.Store) {
	reg := newCode(1, 1)          // phone 1, register
	reset := resetCode(1, 2)      // phone 1, reset_password
	other := newCode(2, 3)        // phone 2, register
	otherReset := resetCode(2, 4) // phone 2, reset_password
	for _, c := range []kyc.SMSCode{reg, reset, other, otherReset} {
		putCode(t, s, c)
	}
	wantBadCode(t, "register code tried as the reset_password code", tryCode(t, s, reset, reg.CodeHash))
	wantBadCode(t, "another phone's code", tryCode(t, s, reg, other.CodeHash))

	// Wrong tries on one code do not count against the phone's other purpose nor against
	// another phone's code of the same purpose.
	wrongTries(t, s, reset, kyc.MaxCodeAttempts)
	wantBadCode(t, "dead reset_password code", tryCode(t, s, reset, reset.CodeHash))
	wantCodeOK(t, "register code of the phone whose reset_password code died", tryCode(t, s, reg, reg.CodeHash))
	wantCodeOK(t, "another phone's reset_password code", tryCode(t, s, otherReset, otherReset.CodeHash))

	// Using the register code leaves another phone's register code alone.
	if _, _, err := register(t, s, 1, reg, At(1)); err != nil {
		t.Fatalf("RegisterUser with phone 1's code: %v", err)
	}
	wantCodeOK(t, "another phone's code after this phone's was used", tryCode(t, s, other, other.CodeHash))
	if _, _, err := register(t, s, 2, other, At(1)); err != nil {
		t.Fatalf("RegisterUser with phone 2's code: %v", err)
	}

	// Using a reset_password code leaves the phone's register code alone (a new one, since
	// phone 1 is registered now) and another phone's reset_password code.
	reset2, reg2 := resetCode(1, 5), newCode(1, 6)
	putCode(t, s, reset2)
	putCode(t, s, reg2)
	wantCodeOK(t, "ResetPassword with phone 1's code", resetWith(t, s, 1, reset2, reset2.CodeHash))
	wantCodeOK(t, "register code of the phone whose reset_password code was used", tryCode(t, s, reg2, reg2.CodeHash))
	wantCodeOK(t, "ResetPassword with phone 2's code after phone 1's was used", resetWith(t, s, 2, otherReset, otherReset.CodeHash))
}
