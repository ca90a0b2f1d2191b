package payout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var sandboxNow = func() time.Time { return time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC) }

func TestSandboxWritesOneLinePerPayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".local", "outbox", "payouts.jsonl")
	s := NewSandbox(path, sandboxNow)
	got, err := s.Pay(t.Context(), goodPayout())
	if err != nil || got != (Receipt{Status: Accepted, Reference: "sbx_bv_01JF2X3Y4Z", Provider: SandboxName}) {
		t.Fatalf("Pay = %+v, %v", got, err)
	}
	lines, err := ReadSandbox(path)
	if err != nil {
		t.Fatal(err)
	}
	want := SandboxLine{VerificationID: "bv_01JF2X3Y4Z", AccountID: "acct_1", AccountNo: "****3445", BankName: "测试银行",
		Amount: "0.37", AmountFen: 37, Status: Accepted, Reference: "sbx_bv_01JF2X3Y4Z", At: "2026-12-06T10:00:00Z"}
	if len(lines) != 1 || lines[0] != want {
		t.Fatalf("file holds %+v, want [%+v]", lines, want)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), accountNo) {
		t.Errorf("the file holds the whole account number: %s", raw)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
}

// The sandbox is idempotent as a provider is: the same verification id is one payout.
func TestSandboxIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payouts.jsonl")
	first, err := NewSandbox(path, sandboxNow).Pay(t.Context(), goodPayout())
	if err != nil {
		t.Fatal(err)
	}
	// A new Sandbox on the same file (a restarted runner) knows the payout too.
	again, err := NewSandbox(path, time.Now).Pay(t.Context(), goodPayout())
	if err != nil || again != first {
		t.Fatalf("second Pay = %+v, %v; want %+v", again, err, first)
	}
	if lines, err := ReadSandbox(path); err != nil || len(lines) != 1 {
		t.Fatalf("%d lines, %v; want one", len(lines), err)
	}
}

func TestSandboxRefusals(t *testing.T) {
	s := NewSandbox(filepath.Join(t.TempDir(), "p.jsonl"), sandboxNow)
	for i, c := range []struct {
		name, no string
		want     Status
		reason   string
	}{
		{companyName, accountNo, Accepted, ""},
		{companyName + SandboxNameMismatchSuffix, accountNo, Refused, ReasonNameMismatch},
		{companyName, closedNo, Refused, ReasonAccountClosed},
	} {
		po := goodPayout()
		po.VerificationID, po.AccountName, po.AccountNo = fmt.Sprintf("bv_%d", i), c.name, c.no
		got, err := s.Pay(t.Context(), po)
		if err != nil || got.Status != c.want || got.Reason != c.reason {
			t.Errorf("Pay(%s, %s) = %+v, %v; want %s %q", c.name, MaskAccountNo(c.no), got, err, c.want, c.reason)
		}
	}
	lines, err := ReadSandbox(s.Path())
	if err != nil || len(lines) != 3 || lines[1].Reason != ReasonNameMismatch || lines[2].Status != Refused {
		t.Errorf("lines %+v, %v", lines, err)
	}
}

// Many goroutines paying at once, some the same verification: one whole line per
// verification id, none torn or repeated.
func TestSandboxConcurrent(t *testing.T) {
	s := NewSandbox(filepath.Join(t.TempDir(), "p.jsonl"), nil)
	const ids, each = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, ids*each)
	for i := range ids * each {
		wg.Go(func() {
			po := goodPayout()
			po.VerificationID = fmt.Sprintf("bv_%d", i%ids)
			po.AmountFen = int64(1 + i%ids)
			if _, err := s.Pay(context.Background(), po); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	lines, err := ReadSandbox(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l.VerificationID] {
			t.Errorf("%s paid twice", l.VerificationID)
		}
		seen[l.VerificationID] = true
	}
	if len(seen) != ids {
		t.Errorf("%d verifications paid, want %d", len(seen), ids)
	}
}

func TestSandboxRefusesBeforeWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	s := NewSandbox(path, sandboxNow)
	bad := goodPayout()
	bad.AmountFen = 0
	if _, err := s.Pay(t.Context(), bad); err == nil || errors.Is(err, ErrUnavailable) {
		t.Errorf("Pay of a zero amount = %v, want a validation error", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Pay(ctx, goodPayout()); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Pay with a cancelled context = %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file exists after refusals: %v", err)
	}
}

// A line a developer broke by hand is skipped, not fatal to later payouts.
func TestSandboxSkipsABrokenLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.jsonl")
	if err := os.WriteFile(path, []byte("not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSandbox(path, sandboxNow).Pay(t.Context(), goodPayout()); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if n := strings.Count(string(raw), "\n"); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}

func TestNew(t *testing.T) {
	if p, err := New(Config{}, nil); err != nil || p.(*Sandbox).Path() != DefaultSandboxFile {
		t.Errorf("New(default) = %T, %v", p, err)
	}
	if p, err := New(Config{Provider: ProviderHTTP, URL: "https://pay.example.com", Key: "k", Secret: "s"}, nil); err != nil {
		t.Errorf("New(http) = %T, %v", p, err)
	} else if _, ok := p.(*HTTP); !ok {
		t.Errorf("New(http) = %T", p)
	}
	for _, c := range []Config{
		{Provider: "bank"},
		{Provider: ProviderHTTP, URL: "http://pay.example.com", Key: "k", Secret: "s"},
		{Provider: ProviderHTTP, URL: "https://pay.example.com"},
	} {
		if _, err := New(c, nil); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestFormatAndMask(t *testing.T) {
	for fen, want := range map[int64]string{1: "0.01", 37: "0.37", 99: "0.99", 100: "1.00", 12345: "123.45", -5: "-0.05", 0: "0.00"} {
		if got := FormatFen(fen); got != want {
			t.Errorf("FormatFen(%d) = %q, want %q", fen, got, want)
		}
	}
	for no, want := range map[string]string{accountNo: "****3445", "1234": "****", "12": "**", "": ""} {
		if got := MaskAccountNo(no); got != want {
			t.Errorf("MaskAccountNo(%q) = %q, want %q", no, got, want)
		}
	}
}
