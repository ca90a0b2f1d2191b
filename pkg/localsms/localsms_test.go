package localsms_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
)

const phone = "13800138000"

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

func open(t *testing.T, path string, clock kyc.Clock) *localsms.Outbox {
	t.Helper()
	o, err := localsms.New(path, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// readEntries parses every line strictly: each must be a whole JSON object with exactly
// the four documented fields.
func readEntries(t *testing.T, path string) []localsms.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []localsms.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var fields map[string]string
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			t.Fatalf("line %d %q is not a JSON object of strings: %v", len(out)+1, sc.Text(), err)
		}
		if len(fields) != 4 {
			t.Fatalf("line %d has fields %v, want phone, code, purpose, at", len(out)+1, fields)
		}
		out = append(out, localsms.Entry{Phone: fields["phone"], Code: fields["code"], Purpose: fields["purpose"], At: fields["at"]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLineFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	o := open(t, path, kyc.NewFixedClock(t0))
	if err := o.Send(t.Context(), phone, kyc.PurposeRegister, "482913"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"phone":"13800138000","code":"482913","purpose":"register","at":"2026-01-02T03:04:05.123456789Z"}` + "\n"
	if string(data) != want {
		t.Fatalf("outbox = %q\nwant     %q", data, want)
	}
}

// Many goroutines sending at once: every send is one whole, valid line; none is lost or
// torn, and times never go backwards down the file.
func TestConcurrentSends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	clock := kyc.NewFixedClock(t0)
	o := open(t, path, tickingClock{clock})
	const senders, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				p := fmt.Sprintf("139%08d", g)
				if err := o.Send(t.Context(), p, kyc.PurposeRegister, fmt.Sprintf("%06d", g*1000+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	entries := readEntries(t, path)
	if len(entries) != senders*each {
		t.Fatalf("%d lines, want %d", len(entries), senders*each)
	}
	seen := map[string]bool{}
	var prev time.Time
	for i, e := range entries {
		seen[e.Phone+"/"+e.Code] = true
		at, err := time.Parse(time.RFC3339Nano, e.At)
		if err != nil {
			t.Fatalf("line %d: at %q: %v", i+1, e.At, err)
		}
		if at.Before(prev) {
			t.Fatalf("line %d is older than line %d", i+1, i)
		}
		prev = at
	}
	if len(seen) != senders*each {
		t.Fatalf("%d distinct sends in the file, want %d", len(seen), senders*each)
	}
	// Each sender's own codes come out in the order it sent them, so its newest is its last.
	for g := range senders {
		got, err := localsms.LastCode(path, fmt.Sprintf("139%08d", g), kyc.PurposeRegister)
		if want := fmt.Sprintf("%06d", g*1000+each-1); err != nil || got != want {
			t.Errorf("LastCode for sender %d = %q, %v; want %s", g, got, err, want)
		}
	}
}

// tickingClock moves a FixedClock on by a microsecond at every reading, so concurrent
// sends get distinct, increasing times.
type tickingClock struct{ c *kyc.FixedClock }

func (k tickingClock) Now() time.Time { k.c.Advance(time.Microsecond); return k.c.Now() }

func TestLastCode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	clock := kyc.NewFixedClock(t0)
	o := open(t, path, clock)
	send := func(p, purpose, code string) {
		t.Helper()
		clock.Advance(time.Second)
		if err := o.Send(t.Context(), p, purpose, code); err != nil {
			t.Fatal(err)
		}
	}
	send(phone, kyc.PurposeRegister, "111111")
	send(phone, kyc.PurposeResetPassword, "222222")
	send("13900139000", kyc.PurposeRegister, "333333")
	send(phone, kyc.PurposeRegister, "444444") // newest register code for phone
	send("13900139000", kyc.PurposeRegister, "555555")
	send(phone, kyc.PurposeResetPassword, "666666") // newest reset code for phone

	for _, tc := range []struct{ phone, purpose, want string }{
		{phone, kyc.PurposeRegister, "444444"},
		{phone, kyc.PurposeResetPassword, "666666"},
		{"13900139000", kyc.PurposeRegister, "555555"},
	} {
		if got, err := localsms.LastCode(path, tc.phone, tc.purpose); err != nil || got != tc.want {
			t.Errorf("LastCode(%s, %s) = %q, %v; want %s", tc.phone, tc.purpose, got, err, tc.want)
		}
	}

	_, err := localsms.LastCode(path, "13900139000", kyc.PurposeResetPassword)
	if !errors.Is(err, localsms.ErrNoCode) {
		t.Fatalf("LastCode with no such code = %v; want ErrNoCode", err)
	}
	if strings.Contains(err.Error(), "13900139000") {
		t.Errorf("ErrNoCode message %q names the phone", err)
	}
	if _, err := localsms.LastCode(filepath.Join(t.TempDir(), "none.jsonl"), phone, kyc.PurposeRegister); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LastCode of a missing file = %v; want fs.ErrNotExist", err)
	}
}

// A line still being written (no newline yet) is not read; a complete line that is not an
// entry is an error that does not quote the line.
func TestLastCodeTornAndBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	good := `{"phone":"13800138000","code":"111111","purpose":"register","at":"2026-01-02T03:04:05Z"}` + "\n"
	torn := `{"phone":"13800138000","code":"999999","purp`
	if err := os.WriteFile(path, []byte(good+torn), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := localsms.LastCode(path, phone, kyc.PurposeRegister); err != nil || got != "111111" {
		t.Fatalf("LastCode with a torn last line = %q, %v; want 111111", got, err)
	}
	if err := os.WriteFile(path, []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := localsms.LastCode(path, phone, kyc.PurposeRegister); !errors.Is(err, localsms.ErrNoCode) {
		t.Fatalf("LastCode with only a torn line = %v; want ErrNoCode", err)
	}
	for _, bad := range []string{torn + "\n", "not json\n", `{"phone":"13800138000"}` + "\n"} {
		if err := os.WriteFile(path, []byte(good+bad+good), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := localsms.LastCode(path, phone, kyc.PurposeRegister)
		if err == nil || errors.Is(err, localsms.ErrNoCode) || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("LastCode with bad line %q = %v; want an error naming line 2", bad, err)
		} else if strings.Contains(err.Error(), phone) {
			t.Errorf("error %q quotes the phone", err)
		}
	}
}

// Reopening appends to what is there: a restart of the local runner keeps earlier codes
// readable, and the newest code is the one sent last.
func TestReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	clock := kyc.NewFixedClock(t0)
	first, err := localsms.New(path, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Send(t.Context(), phone, kyc.PurposeRegister, "111111"); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if err := first.Send(t.Context(), phone, kyc.PurposeRegister, "000000"); err == nil {
		t.Fatal("Send after Close succeeded")
	}
	clock.Advance(time.Minute)
	second := open(t, path, clock)
	if err := second.Send(t.Context(), phone, kyc.PurposeRegister, "222222"); err != nil {
		t.Fatal(err)
	}
	entries := readEntries(t, path)
	if len(entries) != 2 || entries[0].Code != "111111" || entries[1].Code != "222222" {
		t.Fatalf("after reopen the outbox holds %+v; want 111111 then 222222", entries)
	}
	if got, err := localsms.LastCode(path, phone, kyc.PurposeRegister); err != nil || got != "222222" {
		t.Fatalf("LastCode after reopen = %q, %v; want 222222", got, err)
	}
}

// Two Outboxes on one file (two processes, in effect) interleave whole lines.
func TestTwoWritersOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	a, b := open(t, path, nil), open(t, path, nil)
	var wg sync.WaitGroup
	for _, o := range []*localsms.Outbox{a, b} {
		wg.Go(func() {
			for i := range 1000 {
				if err := o.Send(context.Background(), phone, kyc.PurposeResetPassword, fmt.Sprintf("%06d", i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(readEntries(t, path)); n != 2000 {
		t.Fatalf("%d lines, want 2000", n)
	}
}

func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deep", "outbox")
	path := filepath.Join(dir, "sms.jsonl")
	o := open(t, path, nil)
	if err := o.Send(t.Context(), phone, kyc.PurposeRegister, "123456"); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{dir: 0o700, filepath.Dir(dir): 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", p, got, want)
		}
	}

	// A file someone made with wider rights is narrowed, and its content kept.
	loose := filepath.Join(t.TempDir(), "loose.jsonl")
	if err := os.WriteFile(loose, []byte(`{"phone":"13800138000","code":"777777","purpose":"register","at":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil { // WriteFile's mode is subject to umask
		t.Fatal(err)
	}
	open(t, loose, nil)
	st, err := os.Stat(loose)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Fatalf("existing 0644 outbox has mode %o after New, want 600", got)
	}
	if got, err := localsms.LastCode(loose, phone, kyc.PurposeRegister); err != nil || got != "777777" {
		t.Fatalf("LastCode of the existing outbox = %q, %v; want its code kept", got, err)
	}
}

// New with no path uses DefaultPath, relative to the working directory.
func TestDefaultPath(t *testing.T) {
	t.Chdir(t.TempDir())
	o := open(t, "", nil)
	if o.Path() != localsms.DefaultPath {
		t.Fatalf("Path() = %q, want %q", o.Path(), localsms.DefaultPath)
	}
	if err := o.Send(t.Context(), phone, kyc.PurposeRegister, "123456"); err != nil {
		t.Fatal(err)
	}
	if got, err := localsms.LastCode(localsms.DefaultPath, phone, kyc.PurposeRegister); err != nil || got != "123456" {
		t.Fatalf("LastCode(DefaultPath) = %q, %v", got, err)
	}
}

// Bad input is refused like the SNS sender refuses it, writes nothing, and the error
// names the field but not the value.
func TestRefusesBadInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	o := open(t, path, nil)
	for _, tc := range []struct{ phone, purpose, code, field string }{
		{"1380013800", kyc.PurposeRegister, "123456", "phone"},
		{"+8613800138000", kyc.PurposeRegister, "123456", "phone"},
		{"13800138000\n", kyc.PurposeRegister, "123456", "phone"},
		{phone, "login", "123456", "purpose"},
		{phone, kyc.PurposeRegister, "", "code"},
		{phone, kyc.PurposeRegister, "12345a", "code"},
	} {
		err := o.Send(t.Context(), tc.phone, tc.purpose, tc.code)
		var ke *kyc.Error
		if !errors.As(err, &ke) || ke.Code != kyc.EINVALID || ke.Field != tc.field {
			t.Errorf("Send(%q, %q, %q) = %v; want EINVALID on %s", tc.phone, tc.purpose, tc.code, err, tc.field)
			continue
		}
		if strings.Contains(err.Error(), "1380013800") || (tc.code != "" && strings.Contains(err.Error(), tc.code)) {
			t.Errorf("error %q holds the phone or code", err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := o.Send(ctx, phone, kyc.PurposeRegister, "123456"); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context = %v; want context.Canceled", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 0 {
		t.Fatalf("refused sends wrote %d bytes to the outbox", st.Size())
	}
}
