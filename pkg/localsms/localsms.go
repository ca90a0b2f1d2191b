// Package localsms is the SMS sender of local mode: instead of texting a phone it appends
// each code to an outbox file, one JSON object per line, so that a developer (or a test,
// or a tool) can read the code without a phone:
//
//	{"phone":"13800138000","code":"482913","purpose":"register","at":"2026-01-02T03:04:05.123456789Z"}
//
// The file holds live codes and phone numbers, so it is created 0600 in a 0700 folder,
// and this package never logs. It grows without bound; delete it when it is in the way.
// Only cmd/ and tests import this package; no Lambda links it.
package localsms

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// DefaultPath is where New puts the outbox when given no path, inside the git-ignored
// .local/ folder that holds the rest of local mode's data.
const DefaultPath = ".local/outbox/sms.jsonl"

// ErrNoCode is returned (wrapped) by LastCode when the outbox has no code for that phone
// and purpose.
var ErrNoCode = errors.New("no code in the SMS outbox")

// Entry is one line of the outbox.
type Entry struct {
	Phone   string `json:"phone"`
	Code    string `json:"code"` // "" for a notice (kyc.PurposeRegisteredNotice)
	Purpose string `json:"purpose"`
	At      string `json:"at"` // RFC 3339 with nanoseconds, UTC
}

// Outbox is a kyc.SMSSender that appends to a file. Safe for concurrent use; several
// processes may append to the same file too (each line is one O_APPEND write).
type Outbox struct {
	path  string
	clock kyc.Clock

	mu sync.Mutex
	f  *os.File // nil once closed
}

var _ kyc.SMSSender = (*Outbox)(nil)

// New opens (creating if needed) the outbox at path, DefaultPath if empty, for
// appending; it never truncates. The folder is created 0700 and the file 0600; an
// existing file is set to 0600, since it may have been made by hand with wider rights.
// A nil clock means kyc.SystemClock.
func New(path string, clock kyc.Clock) (*Outbox, error) {
	if path == "" {
		path = DefaultPath
	}
	if clock == nil {
		clock = kyc.SystemClock{}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sms outbox: create folder for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sms outbox: open %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("sms outbox: restrict %s to its owner: %w", path, err)
	}
	return &Outbox{path: path, clock: clock, f: f}, nil
}

// Path returns the outbox file, for the local runner to tell the developer where codes go.
func (o *Outbox) Path() string { return o.path }

// Send appends one line for the code. It refuses what the SNS sender refuses (a phone
// that is not 11 digits starting with 1, an unknown purpose, a code that is not 4 to 10
// digits), so local mode does not accept requests that fail on AWS; the errors name the
// field, never its value.
func (o *Outbox) Send(ctx context.Context, phone, purpose, code string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sms outbox %s: %w", purpose, err)
	}
	if err := kyc.CheckSMS(phone, purpose, code); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return fmt.Errorf("sms outbox %s: %s is closed", purpose, o.path)
	}
	// The time is read under the lock so that, within one Outbox, later lines never
	// carry earlier times.
	line, err := json.Marshal(Entry{Phone: phone, Code: code, Purpose: purpose, At: o.clock.Now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return fmt.Errorf("sms outbox %s: encode: %w", purpose, err)
	}
	// One write per line: with O_APPEND the kernel puts it at the end whole, so lines
	// from other processes sharing the file do not interleave with it.
	if _, err := o.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("sms outbox %s: append to %s: %w", purpose, o.path, err)
	}
	return nil
}

// Close closes the file. Sends after Close fail; a second Close does nothing.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	if err != nil {
		return fmt.Errorf("sms outbox: close %s: %w", o.path, err)
	}
	return nil
}

// LastCode returns the newest code sent to phone for purpose: that of the last such line
// in the file at path, the order in which the lines were appended. It wraps ErrNoCode if
// there is none, and fs.ErrNotExist if the file does not exist (nothing was ever sent,
// or the path is wrong).
//
// A last line without its newline is skipped: a writer may be appending it right now.
// Any other line that is not an outbox entry is an error, since then the file is not
// what the caller thinks it is.
func LastCode(path, phone, purpose string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read sms outbox: %w", err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i != len(data)-1 {
		data = data[:i+1] // i is -1 when there is no complete line at all
	}
	var last string
	found := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Phone == "" || e.Purpose == "" || (e.Code == "") != (e.Purpose == kyc.PurposeRegisteredNotice) {
			// The line's content stays out of the error: it may hold a phone and code.
			return "", fmt.Errorf("read sms outbox %s: line %d is not an outbox entry", path, n)
		}
		if e.Phone == phone && e.Purpose == purpose {
			last, found = e.Code, true
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read sms outbox %s: %w", path, err)
	}
	if !found {
		return "", fmt.Errorf("%w for purpose %q to that phone (%s)", ErrNoCode, purpose, path)
	}
	return last, nil
}
