package bankverify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/realname-kyc/realname/pkg/kyc"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	t0     = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
)

// Placeholders, not a real company or account.
const (
	company = "测试科技（北京）有限公司"
	acctNo  = "6222020200112233445"
)

func TestNewAmountCoversTheRange(t *testing.T) {
	seen := map[Amount]int{}
	for range 20000 {
		a, err := NewAmount()
		if err != nil {
			t.Fatal(err)
		}
		if a < MinFen || a > MaxFen {
			t.Fatalf("NewAmount = %d, outside %d..%d", a, MinFen, MaxFen)
		}
		seen[a]++
	}
	// 20000 draws over 99 values: each about 202 times; a value never or rarely drawn
	// means a biased or narrowed generator (the chance of under 120 for a fair one is
	// below 1e-8 per value).
	if len(seen) != MaxFen-MinFen+1 {
		t.Fatalf("%d distinct amounts, want all %d", len(seen), MaxFen-MinFen+1)
	}
	for a, n := range seen {
		if n < 120 {
			t.Errorf("amount %s drawn %d times in 20000", a, n)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]Amount{
		"0.37": 37, "0.01": 1, "0.99": 99, "0.3": 30, ".37": 37, " 0.37 ": 37, "0.37元": 37, "0.05": 5,
		"０.３７": 37, "０．３７": 37, // full-width, as a Chinese input method may type them
	} {
		if got, err := ParseAmount(in); err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, code := range map[string]string{
		"": kyc.EMISSING, "  ": kyc.EMISSING, "0.00": kyc.EINVALID, "0": kyc.EINVALID, "37": kyc.EINVALID,
		"1.00": kyc.EINVALID, "0.370": kyc.EINVALID, "0,37": kyc.EINVALID, "abc": kyc.EINVALID, "-0.37": kyc.EINVALID,
		"0.3x": kyc.EINVALID, "0.+3": kyc.EINVALID, "00.37": kyc.EINVALID, "0.": kyc.EINVALID, "٠.٣٧": kyc.EINVALID,
	} {
		if _, err := ParseAmount(in); kyc.ErrorCode(err) != code {
			t.Errorf("ParseAmount(%q) = %v, want %s", in, err, code)
		}
	}
	for a := Amount(MinFen); a <= MaxFen; a++ {
		if got, err := ParseAmount(a.String()); err != nil || got != a {
			t.Errorf("ParseAmount(%s.String()) = %d, %v", a, got, err)
		}
	}
	if s := Amount(7).String(); s != "0.07" {
		t.Errorf("Amount(7) = %q", s)
	}
}

func TestHashAmount(t *testing.T) {
	h, err := HashAmount(secret, "bv_1", 37)
	if err != nil {
		t.Fatal(err)
	}
	if !AmountMatches(secret, "bv_1", h, 37) {
		t.Error("the amount does not match its own hash")
	}
	// Every other amount, another verification's id, another secret: no match. The
	// second is why the id is in the MAC: equal amounts must not hash alike.
	for a := Amount(MinFen); a <= MaxFen; a++ {
		if a != 37 && AmountMatches(secret, "bv_1", h, a) {
			t.Errorf("amount %s matches the hash of 0.37", a)
		}
	}
	if AmountMatches(secret, "bv_2", h, 37) {
		t.Error("the hash matches under another verification id")
	}
	other := []byte(strings.Repeat("x", MinSecretLength))
	if AmountMatches(other, "bv_1", h, 37) {
		t.Error("the hash matches under another secret")
	}
	if h2, _ := HashAmount(secret, "bv_2", 37); h2 == h {
		t.Error("two verifications of 0.37 hash alike")
	}
	if len(h) != 64 {
		t.Errorf("hash %q", h)
	}
	if _, err := HashAmount(secret[:31], "bv_1", 37); err == nil {
		t.Error("a 31-byte secret was accepted")
	}
	for _, bad := range []string{"", "zz", h[:62], h + "00"} {
		if AmountMatches(secret, "bv_1", bad, 37) {
			t.Errorf("a malformed hash %q matched", bad)
		}
	}
}

func TestParseRequest(t *testing.T) {
	good := Request{AccountName: "测试科技(北京)有限公司", AccountNo: "6222 0202-0011 2233 445", BankName: " 测试银行 ", Branch: "测试支行"}
	got, err := ParseRequest(good, company)
	want := Request{AccountName: company, AccountNo: acctNo, BankName: "测试银行", Branch: "测试支行"}
	if err != nil || got != want {
		t.Fatalf("ParseRequest = %+v, %v; want %+v", got, err, want)
	}
	// The company's stored name in ASCII parentheses compares equal too.
	if _, err := ParseRequest(want, "测试科技(北京)有限公司"); err != nil {
		t.Errorf("ASCII parentheses in the company name: %v", err)
	}
	cases := []struct {
		name   string
		mod    func(*Request)
		code   string
		field  string
		reason string
	}{
		{"another company", func(r *Request) { r.AccountName = "别的公司" }, kyc.EVERIFY, FieldAccountName, ReasonNameMismatch},
		{"the name shortened", func(r *Request) { r.AccountName = "测试科技有限公司" }, kyc.EVERIFY, FieldAccountName, ReasonNameMismatch},
		{"no name", func(r *Request) { r.AccountName = " " }, kyc.EMISSING, FieldAccountName, "required"},
		{"an invisible character", func(r *Request) { r.AccountName = "测试科技\u200b(北京)有限公司" }, kyc.EINVALID, FieldAccountName, ""},
		{"no number", func(r *Request) { r.AccountNo = "" }, kyc.EMISSING, FieldAccountNo, "required"},
		{"letters in the number", func(r *Request) { r.AccountNo = "6222O20200112233445" }, kyc.EINVALID, FieldAccountNo, ""},
		{"a short number", func(r *Request) { r.AccountNo = "1234567" }, kyc.EINVALID, FieldAccountNo, ""},
		{"a long number", func(r *Request) { r.AccountNo = strings.Repeat("1", 33) }, kyc.EINVALID, FieldAccountNo, ""},
		{"no bank", func(r *Request) { r.BankName = "" }, kyc.EMISSING, FieldBankName, "required"},
		{"a control character in the bank", func(r *Request) { r.BankName = "测试\x07银行" }, kyc.EINVALID, FieldBankName, ""},
		{"a long branch", func(r *Request) { r.Branch = strings.Repeat("支", 101) }, kyc.EINVALID, FieldBranch, ""},
	}
	for _, c := range cases {
		r := good
		c.mod(&r)
		_, err := ParseRequest(r, company)
		e, ok := err.(*kyc.Error)
		if !ok || e.Code != c.code || e.Field != c.field || (c.reason != "" && e.Reason != c.reason) {
			t.Errorf("%s: ParseRequest = %v; want %s on %s (%s)", c.name, err, c.code, c.field, c.reason)
			continue
		}
		if strings.Contains(e.Error(), acctNo) || strings.Contains(e.Error(), "别的公司") {
			t.Errorf("%s: the error %q echoes a value", c.name, e)
		}
	}
}

func newVerification(t *testing.T, amount Amount) Verification {
	t.Helper()
	r, err := ParseRequest(Request{AccountName: company, AccountNo: acctNo, BankName: "测试银行"}, company)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New("bv_1", "acct_1", r, amount, secret, t0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNew(t *testing.T) {
	v := newVerification(t, 37)
	want := Verification{ID: "bv_1", AccountID: "acct_1", AccountName: company, AccountNoMasked: "****3445", BankName: "测试银行",
		AmountHash: v.AmountHash, Status: StatusPaid, CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour), Version: 1}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("New (-want +got):\n%s", diff)
	}
	if !AmountMatches(secret, "bv_1", v.AmountHash, 37) {
		t.Error("the stored hash is not the amount's")
	}
	for name, f := range map[string]func() error{
		"no id":         func() error { _, err := New("", "acct_1", Request{}, 37, secret, t0); return err },
		"no account":    func() error { _, err := New("bv_1", "", Request{}, 37, secret, t0); return err },
		"amount 0":      func() error { _, err := New("bv_1", "acct_1", Request{}, 0, secret, t0); return err },
		"amount 100":    func() error { _, err := New("bv_1", "acct_1", Request{}, 100, secret, t0); return err },
		"a weak secret": func() error { _, err := New("bv_1", "acct_1", Request{}, 37, []byte("short"), t0); return err },
	} {
		if f() == nil {
			t.Errorf("New with %s was accepted", name)
		}
	}
}

// The state machine: PAID -> VERIFIED | FAILED (third wrong answer) | EXPIRED (7 days),
// each answer's code, what is written, and what a finished verification answers.
func TestConfirm(t *testing.T) {
	paid := newVerification(t, 37)
	wrongOnce := paid
	wrongOnce.Wrong, wrongOnce.Version = 1, 2
	wrongTwice := paid
	wrongTwice.Wrong, wrongTwice.Version = 2, 3
	verified := paid
	verified.Status, verified.DecidedAt, verified.Version = StatusVerified, t0.Add(time.Hour), 2
	failed := wrongTwice
	failed.Wrong, failed.Status, failed.DecidedAt, failed.Version = 3, StatusFailed, t0.Add(time.Hour), 4
	expired := paid
	expired.Status, expired.DecidedAt, expired.Version = StatusExpired, t0.Add(Lifetime), 2

	at := t0.Add(time.Hour)
	lastMoment := t0.Add(Lifetime - time.Nanosecond)
	cases := []struct {
		name          string
		v             Verification
		answer        Amount
		now           time.Time
		wantStatus    Status
		wantWrong     int
		wantWrite     bool
		wantCode      string
		wantRemaining string
	}{
		{"right", paid, 37, at, StatusVerified, 0, true, "", ""},
		{"right after two wrong", wrongTwice, 37, at, StatusVerified, 2, true, "", ""},
		{"right at the last moment", paid, 37, lastMoment, StatusVerified, 0, true, "", ""},
		{"first wrong", paid, 38, at, StatusPaid, 1, true, kyc.EVERIFY, "2"},
		{"second wrong", wrongOnce, 1, at, StatusPaid, 2, true, kyc.EVERIFY, "1"},
		{"third wrong fails it", wrongTwice, 99, at, StatusFailed, 3, true, kyc.EVERIFY, "0"},
		{"right but 7 days on", paid, 37, t0.Add(Lifetime), StatusExpired, 0, true, EEXPIRED, ""},
		{"wrong and 7 days on", wrongOnce, 38, t0.Add(8 * 24 * time.Hour), StatusExpired, 1, true, EEXPIRED, ""},
		{"expired already", expired, 37, t0.Add(Lifetime + time.Hour), StatusExpired, 0, false, EEXPIRED, ""},
		{"failed, then right", failed, 37, at, StatusFailed, 3, false, kyc.ECONFLICT, ""},
		{"verified, right again (a retry)", verified, 37, at, StatusVerified, 0, false, "", ""},
		{"verified, then wrong", verified, 38, at, StatusVerified, 0, false, kyc.ECONFLICT, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, err := Confirm(c.v, c.answer, secret, c.now)
			if got := kyc.ErrorCode(err); got != c.wantCode {
				t.Fatalf("Confirm = %v, want code %q", err, c.wantCode)
			}
			if next.Status != c.wantStatus || next.Wrong != c.wantWrong {
				t.Errorf("next is %s with %d wrong, want %s with %d", next.Status, next.Wrong, c.wantStatus, c.wantWrong)
			}
			if wrote := next.Version != c.v.Version; wrote != c.wantWrite {
				t.Errorf("write = %v, want %v", wrote, c.wantWrite)
			} else if wrote && next.Version != c.v.Version+1 {
				t.Errorf("version %d after %d", next.Version, c.v.Version)
			}
			if next.Status.Terminal() && c.wantWrite && !next.DecidedAt.Equal(c.now) {
				t.Errorf("decided at %v, want %v", next.DecidedAt, c.now)
			}
			if next.AmountHash != c.v.AmountHash || next.ID != c.v.ID || next.ExpiresAt != c.v.ExpiresAt {
				t.Error("Confirm changed what it must not")
			}
			if c.wantCode == kyc.EVERIFY {
				e := err.(*kyc.Error)
				if e.Reason != ReasonAmountMismatch || e.Data["remaining"] != c.wantRemaining || e.Data["reason"] != ReasonAmountMismatch {
					t.Errorf("error %+v, want remaining %s", e, c.wantRemaining)
				}
				if strings.Contains(e.Error(), "0.37") || strings.Contains(e.Error(), c.answer.String()) {
					t.Errorf("error %q names an amount", e)
				}
			}
		})
	}
}

// Three wrong answers in a row from a fresh verification, each written as Confirm says,
// end FAILED; the right amount after that does not verify.
func TestConfirmThreeStrikes(t *testing.T) {
	v := newVerification(t, 37)
	for i, a := range []Amount{1, 2, 3} {
		next, err := Confirm(v, a, secret, t0.Add(time.Minute))
		if !kyc.IsCode(err, kyc.EVERIFY) || next.Version != v.Version+1 {
			t.Fatalf("answer %d: %v, version %d", i+1, err, next.Version)
		}
		v = next
	}
	if v.Status != StatusFailed || v.Remaining() != 0 {
		t.Fatalf("after three wrong answers: %s, %d remaining", v.Status, v.Remaining())
	}
	if _, err := Confirm(v, 37, secret, t0.Add(time.Minute)); !kyc.IsCode(err, kyc.ECONFLICT) {
		t.Errorf("the right amount after FAILED: %v, want ECONFLICT", err)
	}
}

func TestConfirmRefusesAnUnknownState(t *testing.T) {
	v := newVerification(t, 37)
	v.Status = "PAYING"
	if _, err := Confirm(v, 37, secret, t0); err == nil || kyc.ErrorCode(err) != kyc.EINTERNAL {
		t.Errorf("Confirm of an unknown state = %v, want an internal error", err)
	}
}

func TestStatusAtAndRemaining(t *testing.T) {
	v := newVerification(t, 37)
	if v.StatusAt(t0.Add(Lifetime-time.Second)) != StatusPaid || v.StatusAt(t0.Add(Lifetime)) != StatusExpired {
		t.Error("StatusAt does not expire a PAID verification at 7 days")
	}
	if v.Remaining() != 3 {
		t.Errorf("Remaining = %d, want 3", v.Remaining())
	}
	v.Status = StatusVerified
	if v.StatusAt(t0.Add(30*24*time.Hour)) != StatusVerified || v.Remaining() != 0 {
		t.Error("a VERIFIED verification expires or takes answers")
	}
	for s, want := range map[Status]bool{StatusPaid: false, StatusVerified: true, StatusFailed: true, StatusExpired: true} {
		if s.Terminal() != want {
			t.Errorf("%s.Terminal() = %v", s, !want)
		}
	}
}

func TestMayStartAndLimit(t *testing.T) {
	const name = "示例科技（北京）有限公司"
	for s, want := range map[Status]string{"": "", StatusPaid: "", StatusFailed: "", StatusExpired: "", StatusVerified: kyc.ECONFLICT} {
		if got := kyc.ErrorCode(MayStart(Verification{Status: s, AccountName: name}, "示例科技(北京)有限公司")); got != want {
			t.Errorf("MayStart after %q = %q, want %q", s, got, want)
		}
	}
	// Verified under a name the company no longer has: a new verification proves the new one.
	if err := MayStart(Verification{Status: StatusVerified, AccountName: name}, "示例新科技（北京）有限公司"); err != nil {
		t.Errorf("MayStart after a rename = %v, want nil", err)
	}
	l := DailyLimit("acct_1")
	if l.Max != 3 || l.Window != 24*time.Hour || l.Offset != kyc.BeijingOffset || !strings.Contains(l.Key, "acct_1") {
		t.Errorf("DailyLimit = %+v", l)
	}
	if DailyLimit("acct_2").Key == l.Key {
		t.Error("two accounts share a limit")
	}
}

func TestPayoutRefusedAndEvent(t *testing.T) {
	e, ok := PayoutRefused("account_closed").(*kyc.Error)
	if !ok || e.Code != kyc.EVERIFY || e.Reason != "account_closed" {
		t.Errorf("PayoutRefused = %v", e)
	}
	if e := PayoutRefused("").(*kyc.Error); e.Reason == "" {
		t.Error("a refusal without a reason has none")
	}
	v := newVerification(t, 37)
	v.Status = StatusVerified
	got := EventData(v)
	want := map[string]string{"account_id": "acct_1", "verification_id": "bv_1", "status": "VERIFIED"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventData (-want +got):\n%s", diff)
	}
}

// Both verdicts, in either order, approve; a rejection decides alone; only
// PENDING_REVIEW moves.
