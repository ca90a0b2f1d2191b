package users_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// The rules of the user routes, at the service: what pkg/httpapi's tests check through
// HTTP, here so that a change of the store calls is checked where it is made.

const (
	phoneA, phoneB = "13800138000", "13900139000"
	goodPW         = "a fine passphrase"
	otherPW        = "another fine passphrase"
	testIP         = "192.0.2.1"
)

func (e *env) send(t *testing.T, phone, purpose, ip string) error {
	t.Helper()
	return e.service.SendCode(t.Context(), phone, purpose, ip)
}

func (e *env) outboxLines(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(e.outbox)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func wantErr(t *testing.T, what string, err error, code string) {
	t.Helper()
	if kyc.ErrorCode(err) != code {
		t.Errorf("%s: %v, want code %q", what, err, code)
	}
}

func wrongCode(code string) string {
	var n int
	fmt.Sscanf(code, "%d", &n)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

func TestSendCodeRateLimits(t *testing.T) {
	t.Run("one code per phone per minute", func(t *testing.T) {
		e := newEnv(t)
		wantErr(t, "first", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
		e.clock.Advance(59 * time.Second)
		wantErr(t, "within the minute", e.send(t, phoneA, kyc.PurposeRegister, testIP), kyc.ETOOMANY)
		wantErr(t, "within the minute, another IP", e.send(t, phoneA, kyc.PurposeRegister, "198.51.100.7"), kyc.ETOOMANY)
		wantErr(t, "another phone", e.send(t, phoneB, kyc.PurposeRegister, testIP), "")
		e.clock.Advance(time.Second)
		wantErr(t, "after the minute", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
		if n := e.outboxLines(t); n != 3 {
			t.Errorf("outbox has %d lines, want 3", n)
		}
	})
	t.Run("ten codes per phone per day", func(t *testing.T) {
		e := newEnv(t)
		for i := range users.CodesPerDay {
			if i > 0 {
				e.clock.Advance(users.CodeEvery + time.Second)
			}
			wantErr(t, fmt.Sprintf("code %d", i+1), e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
		}
		e.clock.Advance(users.CodeEvery + time.Second)
		wantErr(t, "the 11th", e.send(t, phoneA, kyc.PurposeRegister, testIP), kyc.ETOOMANY)
		// The refused request counted against the minute, which came before the day.
		e.clock.Advance(30 * time.Second)
		wantErr(t, "30 s after the refused one", e.send(t, phoneA, kyc.PurposeRegister, testIP), kyc.ETOOMANY)
		e.clock.Advance(23*time.Hour - e.clock.Now().Sub(testNow))
		wantErr(t, "23 h after the first", e.send(t, phoneA, kyc.PurposeRegister, testIP), kyc.ETOOMANY)
		e.clock.Advance(time.Hour)
		wantErr(t, "a day after the first", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
		if n := e.outboxLines(t); n != users.CodesPerDay+1 {
			t.Errorf("outbox has %d lines, want %d", n, users.CodesPerDay+1)
		}
	})
	t.Run("thirty codes per source IP per hour", func(t *testing.T) {
		e := newEnv(t)
		for i := range users.CodesPerIPHour {
			wantErr(t, fmt.Sprintf("code %d", i+1), e.send(t, fmt.Sprintf("1370000%04d", i), kyc.PurposeRegister, testIP), "")
		}
		wantErr(t, "the 31st", e.send(t, "13711110000", kyc.PurposeRegister, testIP), kyc.ETOOMANY)
		// The IP refused it before the phone's limits counted it.
		wantErr(t, "that phone from another IP", e.send(t, "13711110000", kyc.PurposeRegister, "198.51.100.7"), "")
		e.clock.Advance(time.Hour)
		wantErr(t, "an hour later", e.send(t, "13711110001", kyc.PurposeRegister, testIP), "")
	})
	t.Run("concurrent requests for one phone: one code", func(t *testing.T) {
		e := newEnv(t)
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() {
				errs[i] = e.service.SendCode(t.Context(), phoneA, kyc.PurposeRegister, fmt.Sprintf("198.51.100.%d", i))
			})
		}
		wg.Wait()
		sent := 0
		for _, err := range errs {
			switch {
			case err == nil:
				sent++
			case !kyc.IsCode(err, kyc.ETOOMANY):
				t.Errorf("SendCode: %v", err)
			}
		}
		if sent != 1 || e.outboxLines(t) != 1 {
			t.Errorf("%d sent, %d in the outbox; want 1", sent, e.outboxLines(t))
		}
	})
}

func TestSendCodeKnownAndUnknownPhones(t *testing.T) {
	e := newEnv(t)
	wantErr(t, "reset_password for an unknown phone", e.send(t, phoneA, kyc.PurposeResetPassword, testIP), "")
	if n := e.outboxLines(t); n != 0 {
		t.Errorf("outbox has %d lines, want 0", n)
	}
	e.clock.Advance(users.CodeEvery)
	e.register(t, phoneA, goodPW)
	e.clock.Advance(users.CodeEvery)
	wantErr(t, "register for a taken phone", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
	if _, err := localsms.LastCode(e.outbox, phoneA, kyc.PurposeRegisteredNotice); err != nil {
		t.Errorf("no notice went to the taken phone: %v", err)
	}
	// That request counted too.
	e.clock.Advance(30 * time.Second)
	wantErr(t, "reset 30 s later", e.send(t, phoneA, kyc.PurposeResetPassword, testIP), kyc.ETOOMANY)
	e.clock.Advance(30 * time.Second)
	wantErr(t, "reset a minute later", e.send(t, phoneA, kyc.PurposeResetPassword, testIP), "")
	wantErr(t, "unknown purpose", e.send(t, phoneB, "login", testIP), kyc.EINVALID)
	wantErr(t, "bad phone", e.send(t, "1380013800", kyc.PurposeRegister, testIP), kyc.EINVALID)
	if n := e.outboxLines(t); n != 3 {
		t.Errorf("outbox has %d lines, want the registration's code, the notice and the reset code", n)
	}
}

// No enumeration: register with a wrong code, and sms-code for register, answer a taken
// phone exactly as a free one, with the same store calls (so in the same time, but for
// noise) and, for sms-code, one SMS each.
func TestNoEnumeration(t *testing.T) {
	e := newEnv(t)
	e.register(t, phoneA, goodPW)
	e.clock.Advance(users.CodeEvery)
	calls := &testenv.CallLog{}
	d := e.deps
	d.Store = dynamoOver(e, calls)
	svc := users.New(d)
	type answer struct {
		err   string
		calls string
	}
	ask := func(f func() error) answer {
		calls.Take()
		err := f()
		a := answer{calls: strings.Join(calls.Take(), " ")}
		if err != nil {
			a.err = err.Error()
		}
		return a
	}
	for _, p := range []string{phoneA, phoneB} {
		wantErr(t, "send", svc.SendCode(t.Context(), p, kyc.PurposeRegister, testIP), "")
	}
	e.clock.Advance(users.CodeEvery)
	lines := e.outboxLines(t)
	taken := ask(func() error { return svc.SendCode(t.Context(), phoneA, kyc.PurposeRegister, testIP) })
	free := ask(func() error { return svc.SendCode(t.Context(), phoneB, kyc.PurposeRegister, testIP) })
	if taken != free {
		t.Errorf("sms-code for register: taken phone %+v, free phone %+v", taken, free)
	}
	if n := e.outboxLines(t); n != lines+2 {
		t.Errorf("%d SMS for the two requests, want 2 (a notice and a code)", n-lines)
	}
	code := e.lastCode(t, phoneB, kyc.PurposeRegister)
	register := func(p string) error {
		_, err := svc.Register(t.Context(), users.RegisterInput{Phone: p, Code: wrongCode(code), Password: goodPW})
		return err
	}
	taken = ask(func() error { return register(phoneA) })
	free = ask(func() error { return register(phoneB) })
	if taken != free || !strings.Contains(taken.err, kyc.EBADCODE) {
		t.Errorf("register with a wrong code: taken phone %+v, free phone %+v; want the same bad_code", taken, free)
	}
}

// Wrong codes from one address are limited over all phones; the right code is not.
func TestCodeTriesPerSource(t *testing.T) {
	e := newEnv(t)
	nextWindow(e, time.Hour)
	const ip = "203.0.113.30"
	n := 0
	for i := 0; n < users.CodeTriesPerSourceHour; i++ {
		p := fmt.Sprintf("137%08d", i)
		wantErr(t, "send", e.send(t, p, kyc.PurposeRegister, fmt.Sprintf("198.51.100.%d", i)), "")
		code := e.lastCode(t, p, kyc.PurposeRegister)
		for range kyc.MaxCodeAttempts - 1 {
			if n == users.CodeTriesPerSourceHour {
				break
			}
			_, err := e.service.Register(t.Context(), users.RegisterInput{Phone: p, Code: wrongCode(code), Password: goodPW, SourceIP: ip})
			wantErr(t, "a wrong code", err, kyc.EBADCODE)
			n++
		}
	}
	wantErr(t, "send", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
	code := e.lastCode(t, phoneA, kyc.PurposeRegister)
	_, err := e.service.Register(t.Context(), users.RegisterInput{Phone: phoneA, Code: wrongCode(code), Password: goodPW, SourceIP: ip})
	wantErr(t, "one wrong code more from that address", err, kyc.ETOOMANY)
	_, err = e.service.Register(t.Context(), users.RegisterInput{Phone: phoneA, Code: wrongCode(code), Password: goodPW, SourceIP: testIP})
	wantErr(t, "a wrong code from another address", err, kyc.EBADCODE)
	_, err = e.service.Register(t.Context(), users.RegisterInput{Phone: phoneA, Code: code, Password: goodPW, SourceIP: ip})
	wantErr(t, "the right code from the limited address", err, "")
	e.clock.Advance(users.CodeEvery)
	wantErr(t, "send a reset code", e.send(t, phoneA, kyc.PurposeResetPassword, testIP), "")
	code = e.lastCode(t, phoneA, kyc.PurposeResetPassword)
	err = e.service.ResetPasswordFrom(t.Context(), phoneA, wrongCode(code), otherPW, ip)
	wantErr(t, "a wrong reset code from the limited address", err, kyc.ETOOMANY)
}

func TestRegisterCodeRules(t *testing.T) {
	register := func(e *env, t *testing.T, code string) error {
		t.Helper()
		_, err := e.service.Register(t.Context(), users.RegisterInput{Phone: phoneA, Code: code, Password: goodPW})
		return err
	}
	t.Run("lifetime", func(t *testing.T) {
		e := newEnv(t)
		wantErr(t, "send", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
		code := e.lastCode(t, phoneA, kyc.PurposeRegister)
		e.clock.Advance(users.CodeTTL)
		wantErr(t, "at 5 minutes", register(e, t, code), kyc.EBADCODE)
		e.clock.Advance(-time.Second)
		wantErr(t, "just before 5 minutes", register(e, t, code), "")
	})
	for _, wrong := range []int{kyc.MaxCodeAttempts - 1, kyc.MaxCodeAttempts} {
		t.Run(fmt.Sprintf("%d wrong tries", wrong), func(t *testing.T) {
			e := newEnv(t)
			wantErr(t, "send", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
			code := e.lastCode(t, phoneA, kyc.PurposeRegister)
			for range wrong {
				wantErr(t, "wrong code", register(e, t, wrongCode(code)), kyc.EBADCODE)
			}
			want := ""
			if wrong == kyc.MaxCodeAttempts {
				want = kyc.EBADCODE
			}
			wantErr(t, "the right code", register(e, t, code), want)
		})
	}
	t.Run("single use", func(t *testing.T) {
		e := newEnv(t)
		wantErr(t, "send", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
		code := e.lastCode(t, phoneA, kyc.PurposeRegister)
		wantErr(t, "register", register(e, t, code), "")
		before := e.user(t, phoneA)
		wantErr(t, "register again with the code", register(e, t, code), kyc.EEXISTS)
		wantErr(t, "register again with a wrong code (no enumeration)", register(e, t, wrongCode(code)), kyc.EBADCODE)
		if after := e.user(t, phoneA); after.ID != before.ID || after.PasswordHash != before.PasswordHash {
			t.Errorf("the user changed")
		}
	})
	t.Run("a password refused costs nothing", func(t *testing.T) {
		e := newEnv(t)
		wantErr(t, "send", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
		code := e.lastCode(t, phoneA, kyc.PurposeRegister)
		for range kyc.MaxCodeAttempts {
			_, err := e.service.Register(t.Context(), users.RegisterInput{Phone: phoneA, Code: code, Password: "password123"})
			wantErr(t, "common password", err, kyc.EINVALID)
		}
		wantErr(t, "register", register(e, t, code), "")
	})
	t.Run("a reset code does not register", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phoneB, goodPW)
		e.clock.Advance(users.CodeEvery)
		wantErr(t, "send", e.send(t, phoneB, kyc.PurposeResetPassword, testIP), "")
		code := e.lastCode(t, phoneB, kyc.PurposeResetPassword)
		wantErr(t, "register with it", register(e, t, code), kyc.EBADCODE)
	})
}

// Of concurrent registrations of one phone with its code, exactly one succeeds and the
// rest are told the phone is taken; concurrent wrong guesses kill the code after
// MaxCodeAttempts. On both engines.
func TestConcurrentRegistrations(t *testing.T) {
	for _, engine := range []testenv.Engine{testenv.Dynoxide, testenv.DynamoDBLocal} {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnvOn(t, engine)
			wantErr(t, "send", e.send(t, phoneA, kyc.PurposeRegister, testIP), "")
			code := e.lastCode(t, phoneA, kyc.PurposeRegister)
			const n = 50
			errs := make([]error, n)
			tokens := make([]string, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					tokens[i], errs[i] = e.service.Register(t.Context(), users.RegisterInput{Phone: phoneA, Code: code, Password: goodPW})
				})
			}
			close(start)
			wg.Wait()
			created, taken := 0, 0
			var token string
			for _, err := range errs {
				switch {
				case err == nil:
					created++
				case kyc.IsCode(err, kyc.EEXISTS):
					taken++
				default:
					t.Errorf("Register: %v", err)
				}
			}
			for i, err := range errs {
				if err == nil {
					token = tokens[i]
				}
			}
			if created != 1 || taken != n-1 {
				t.Fatalf("%d created and %d told the phone is taken, want 1 and %d", created, taken, n-1)
			}
			s, err := e.store.GetSession(t.Context(), users.HashToken(token), e.clock.Now())
			if err != nil || s.UserID != e.user(t, phoneA).ID {
				t.Errorf("the winner's session %+v, %v; want the stored user's", s, err)
			}

			// Guesses at once: the code dies after MaxCodeAttempts wrong ones.
			wantErr(t, "send", e.send(t, phoneB, kyc.PurposeRegister, "198.51.100.7"), "")
			right := e.lastCode(t, phoneB, kyc.PurposeRegister)
			for i := range 30 {
				wg.Go(func() {
					guess := fmt.Sprintf("%06d", (mustAtoi(right)+1+i)%1_000_000)
					_, err := e.service.Register(t.Context(), users.RegisterInput{Phone: phoneB, Code: guess, Password: goodPW})
					if !kyc.IsCode(err, kyc.EBADCODE) {
						t.Errorf("a wrong guess: %v", err)
					}
				})
			}
			wg.Wait()
			_, err = e.service.Register(t.Context(), users.RegisterInput{Phone: phoneB, Code: right, Password: goodPW})
			wantErr(t, "the right code after 30 wrong guesses at once", err, kyc.EBADCODE)
		})
	}
}

func mustAtoi(s string) int {
	var n int
	fmt.Sscanf(s, "%d", &n)
	return n
}

// nextWindow advances the clock to the start of the next window of length w: the
// limits' windows are fixed, aligned on multiples of w.
func nextWindow(e *env, w time.Duration) {
	now := e.clock.Now()
	e.clock.Advance(now.Truncate(w).Add(w).Sub(now))
}

func TestLoginLockout(t *testing.T) {
	const ipA, ipB = "203.0.113.10", "203.0.113.20"
	t.Run("five failures lock the phone from that source until the window ends", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phoneA, goodPW)
		nextWindow(e, users.LoginFailWindow)
		for range users.LoginFailLimit {
			_, err := e.service.LoginFrom(t.Context(), phoneA, otherPW, ipA)
			wantErr(t, "wrong password", err, kyc.ELOGIN)
		}
		_, err := e.service.LoginFrom(t.Context(), phoneA, goodPW, ipA)
		wantErr(t, "locked, right password", err, kyc.ETOOMANY)
		_, err = e.service.LoginFrom(t.Context(), phoneA, goodPW, ipB)
		wantErr(t, "the owner from another address", err, "")
		e.clock.Advance(users.LoginFailWindow - time.Second)
		_, err = e.service.LoginFrom(t.Context(), phoneA, goodPW, ipA)
		wantErr(t, "still locked", err, kyc.ETOOMANY)
		e.clock.Advance(time.Second)
		_, err = e.service.LoginFrom(t.Context(), phoneA, goodPW, ipA)
		wantErr(t, "lock over", err, "")
	})
	t.Run("successes give their reservation back", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phoneA, goodPW)
		nextWindow(e, users.LoginFailWindow)
		for range 3 * users.LoginFailLimit {
			_, err := e.service.LoginFrom(t.Context(), phoneA, goodPW, ipA)
			wantErr(t, "right password", err, "")
		}
		for range users.LoginFailLimit - 1 {
			_, err := e.service.LoginFrom(t.Context(), phoneA, otherPW, ipA)
			wantErr(t, "wrong password", err, kyc.ELOGIN)
		}
		_, err := e.service.LoginFrom(t.Context(), phoneA, goodPW, ipA)
		wantErr(t, "right password after four failures", err, "")
	})
	t.Run("parallel guesses: no more checks than the limit", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phoneA, goodPW)
		nextWindow(e, users.LoginFailWindow)
		var checked, refused atomic.Int32
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				_, err := e.service.LoginFrom(context.Background(), phoneA, otherPW, ipA)
				switch kyc.ErrorCode(err) {
				case kyc.ELOGIN:
					checked.Add(1)
				case kyc.ETOOMANY:
					refused.Add(1)
				default:
					t.Errorf("a parallel guess: %v", err)
				}
			})
		}
		wg.Wait()
		if checked.Load() != users.LoginFailLimit || refused.Load() != 30-users.LoginFailLimit {
			t.Errorf("%d guesses checked and %d refused, want %d and %d", checked.Load(), refused.Load(), users.LoginFailLimit, 30-users.LoginFailLimit)
		}
	})
	t.Run("a guess spread over addresses meets the phone's daily ceiling", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phoneA, goodPW)
		nextWindow(e, 24*time.Hour)
		for i := range users.LoginPhonePerDay {
			ip := fmt.Sprintf("198.51.%d.%d", i/users.LoginFailLimit/250, i/users.LoginFailLimit%250)
			_, err := e.service.LoginFrom(t.Context(), phoneA, otherPW, ip)
			wantErr(t, "wrong password from "+ip, err, kyc.ELOGIN)
		}
		_, err := e.service.LoginFrom(t.Context(), phoneA, goodPW, "192.0.2.99")
		wantErr(t, "a fresh address over the ceiling", err, kyc.ETOOMANY)
		nextWindow(e, 24*time.Hour)
		_, err = e.service.LoginFrom(t.Context(), phoneA, goodPW, "192.0.2.99")
		wantErr(t, "the next day", err, "")
	})
	t.Run("one address trying many phones meets its hourly limit", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phoneA, goodPW)
		nextWindow(e, time.Hour)
		for i := range users.LoginSourcePerHour {
			_, err := e.service.LoginFrom(t.Context(), fmt.Sprintf("139%08d", i), goodPW, ipA)
			wantErr(t, "an unknown phone", err, kyc.ELOGIN)
		}
		_, err := e.service.LoginFrom(t.Context(), phoneA, goodPW, ipA)
		wantErr(t, "over the address's limit", err, kyc.ETOOMANY)
		_, err = e.service.LoginFrom(t.Context(), phoneA, goodPW, ipB)
		wantErr(t, "from another address", err, "")
	})
	t.Run("an unknown phone looks like a wrong password and locks too", func(t *testing.T) {
		e := newEnv(t)
		e.register(t, phoneA, goodPW)
		nextWindow(e, users.LoginFailWindow)
		_, wrong := e.service.Login(t.Context(), phoneA, otherPW)
		_, unknown := e.service.Login(t.Context(), phoneB, goodPW)
		if wrong == nil || unknown == nil || wrong.Error() != unknown.Error() {
			t.Errorf("wrong password: %v; unknown phone: %v; want the same error", wrong, unknown)
		}
		for range users.LoginFailLimit - 1 {
			_, err := e.service.Login(t.Context(), phoneB, goodPW)
			wantErr(t, "unknown phone", err, kyc.ELOGIN)
		}
		_, err := e.service.Login(t.Context(), phoneB, goodPW)
		wantErr(t, "unknown phone, locked", err, kyc.ETOOMANY)
	})
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	t1 := e.register(t, phoneA, goodPW)
	res, err := e.service.Login(t.Context(), phoneA, goodPW)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(users.CodeEvery)
	wantErr(t, "send", e.send(t, phoneA, kyc.PurposeResetPassword, testIP), "")
	code := e.lastCode(t, phoneA, kyc.PurposeResetPassword)

	wantErr(t, "a wrong code", e.service.ResetPassword(t.Context(), phoneA, wrongCode(code), otherPW), kyc.EBADCODE)
	wantErr(t, "a common password", e.service.ResetPassword(t.Context(), phoneA, code, "password123"), kyc.EINVALID)
	e.wantSession(t, "after refusals", t1, kyc.RoleUser)

	wantErr(t, "reset", e.service.ResetPassword(t.Context(), phoneA, code, otherPW), "")
	e.wantSession(t, "the registration's session", t1, "")
	e.wantSession(t, "the login's session", res.Token, "")
	_, err = e.service.Login(t.Context(), phoneA, goodPW)
	wantErr(t, "login with the old password", err, kyc.ELOGIN)
	_, err = e.service.Login(t.Context(), phoneA, otherPW)
	wantErr(t, "login with the new password", err, "")
	wantErr(t, "the code again", e.service.ResetPassword(t.Context(), phoneA, code, "yet another passphrase"), kyc.EBADCODE)

	// An unknown phone: no code was sent, so none works.
	wantErr(t, "send for an unknown phone", e.send(t, phoneB, kyc.PurposeResetPassword, testIP), "")
	wantErr(t, "reset of an unknown phone", e.service.ResetPassword(t.Context(), phoneB, "123456", otherPW), kyc.EBADCODE)
}

// Items written before the store kept the account id with the phone, and the user id with
// a reset code, still work: a login reads the user and the account one by one, a reset
// looks the phone up.
func TestItemsOfBefore(t *testing.T) {
	e := newEnv(t)
	e.register(t, phoneA, goodPW)
	u := e.user(t, phoneA)
	// The phone item as CreateUser wrote it before: no AccountID.
	phoneItem := e.store.PhoneKey(phoneA)
	phoneItem["Kind"] = &types.AttributeValueMemberS{Value: "phone"}
	phoneItem["UserID"] = &types.AttributeValueMemberS{Value: u.ID}
	if _, err := e.client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: phoneItem}); err != nil {
		t.Fatal(err)
	}
	calls := &testenv.CallLog{}
	d := e.deps
	d.Store = dynamoOver(e, calls)
	svc := users.New(d)
	res, err := svc.Login(t.Context(), phoneA, goodPW)
	if err != nil {
		t.Fatalf("Login with an old phone item: %v", err)
	}
	// The user has the phone's derived ids, so the old phone item costs nothing more
	// (pkg/dynamo's TestGetLoginByPhone reads one of a user with other ids).
	if got := strings.Join(calls.Take(), " "); got != "TransactWriteItems BatchGetItem TransactWriteItems" {
		t.Errorf("login calls %s", got)
	}
	e.wantSession(t, "the login's session", res.Token, kyc.RoleUser)

	// A reset code as the store wrote it before: no UserID. It is stored as the service
	// stores one, then the user id is taken off the item.
	code := "654321"
	now := e.clock.Now()
	if err := e.store.CountAndPutCode(t.Context(), kyc.SMSCode{Phone: phoneA, Purpose: kyc.PurposeResetPassword, CodeHash: users.CodeHash(phoneA, kyc.PurposeResetPassword, code),
		CreatedAt: now, ExpiresAt: now.Add(users.CodeTTL)}, nil, nil, now, func([]int64, string) (int, bool, error) { return 0, true, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(e.table), Key: e.store.CodeKey(phoneA, kyc.PurposeResetPassword),
		UpdateExpression: aws.String("REMOVE UserID"), ConditionExpression: aws.String("attribute_exists(UserID)")}); err != nil {
		t.Fatalf("taking the user id off the code item: %v", err)
	}
	if err := svc.ResetPassword(t.Context(), phoneA, code, otherPW); err != nil {
		t.Fatalf("ResetPassword with an old code item: %v", err)
	}
	if got := strings.Join(calls.Take(), " "); got != "TransactWriteItems GetItem GetItem Query TransactWriteItems" {
		t.Errorf("reset calls %s", got)
	}
	e.wantSession(t, "the login's session after the reset", res.Token, "")
	if _, err := svc.Login(t.Context(), phoneA, otherPW); err != nil {
		t.Errorf("Login with the new password: %v", err)
	}
}
