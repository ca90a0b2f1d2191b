package payout

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
	"time"
)

// DefaultSandboxFile is where the local runner's sandbox writes payouts (API.md).
const DefaultSandboxFile = ".local/outbox/payouts.jsonl"

// SandboxName is the provider name receipts of the sandbox carry.
const SandboxName = "sandbox"

// Sandbox rules: an account name ending in SandboxNameMismatchSuffix is refused with
// account_name_mismatch, an account number ending in SandboxClosedSuffix with
// account_closed (as pkg/identity's sandbox refuses names ending in 假).
const (
	SandboxNameMismatchSuffix = "假"
	SandboxClosedSuffix       = "0000"
)

// SandboxLine is one line of the sandbox file. The amount is there on purpose: in a local
// run it is how the developer learns what to confirm. The account number is masked.
type SandboxLine struct {
	VerificationID string `json:"verification_id"`
	AccountID      string `json:"account_id,omitempty"`
	AccountNo      string `json:"account_no"` // masked: ****1234
	BankName       string `json:"bank_name"`
	Amount         string `json:"amount"` // "0.37"
	AmountFen      int64  `json:"amount_fen"`
	Status         Status `json:"status"`
	Reason         string `json:"reason,omitempty"`
	Reference      string `json:"reference"`
	At             string `json:"at"` // RFC 3339, UTC
}

// Sandbox is the local provider: it moves no money and appends one SandboxLine per payout
// to its file. It is idempotent as a real provider is: a verification id already in the
// file gets the receipt written the first time and no second line. Safe for concurrent
// use within a process (one mutex around read-and-append); across processes each line is
// one append-mode write, which local file systems do not interleave.
type Sandbox struct {
	path string
	now  func() time.Time
	mu   sync.Mutex
}

// NewSandbox returns a sandbox writing to path (DefaultSandboxFile if empty). now is the
// clock of the lines' times (time.Now if nil).
func NewSandbox(path string, now func() time.Time) *Sandbox {
	if path == "" {
		path = DefaultSandboxFile
	}
	if now == nil {
		now = time.Now
	}
	return &Sandbox{path: path, now: now}
}

// Path is the file the sandbox writes.
func (s *Sandbox) Path() string { return s.path }

// Pay records p by the sandbox's rules.
func (s *Sandbox) Pay(ctx context.Context, p Payout) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := p.Validate(); err != nil {
		return Receipt{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if line, ok, err := s.find(p.VerificationID); err != nil {
		return Receipt{}, err
	} else if ok {
		return Receipt{Status: line.Status, Reason: line.Reason, Reference: line.Reference, Provider: SandboxName}, nil
	}
	r := Receipt{Status: Accepted, Reference: "sbx_" + p.VerificationID, Provider: SandboxName}
	switch {
	case strings.HasSuffix(p.AccountName, SandboxNameMismatchSuffix):
		r.Status, r.Reason = Refused, ReasonNameMismatch
	case strings.HasSuffix(p.AccountNo, SandboxClosedSuffix):
		r.Status, r.Reason = Refused, ReasonAccountClosed
	}
	b, err := json.Marshal(SandboxLine{
		VerificationID: p.VerificationID, AccountID: p.AccountID, AccountNo: MaskAccountNo(p.AccountNo),
		BankName: p.BankName, Amount: FormatFen(p.AmountFen), AmountFen: p.AmountFen,
		Status: r.Status, Reason: r.Reason, Reference: r.Reference, At: s.now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("payout sandbox: encode: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return Receipt{}, fmt.Errorf("payout sandbox: %w", err)
	}
	// 0600: the file holds the amounts, the secret of each local verification.
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return Receipt{}, fmt.Errorf("payout sandbox: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return Receipt{}, fmt.Errorf("payout sandbox: write: %w", err)
	}
	if err := f.Close(); err != nil {
		return Receipt{}, fmt.Errorf("payout sandbox: close: %w", err)
	}
	return r, nil
}

// find is the line of a verification id already paid, if any. A line that is not JSON
// (a developer's edit) is skipped rather than blocking every later payout.
func (s *Sandbox) find(id string) (SandboxLine, bool, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return SandboxLine{}, false, nil
	}
	if err != nil {
		return SandboxLine{}, false, fmt.Errorf("payout sandbox: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var l SandboxLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.VerificationID == id {
			return l, true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return SandboxLine{}, false, fmt.Errorf("payout sandbox: read: %w", err)
	}
	return SandboxLine{}, false, nil
}

// ReadSandbox returns the lines of a sandbox file in order (tests and the local runner's
// tools read amounts with it).
func ReadSandbox(path string) ([]SandboxLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("payout sandbox: %w", err)
	}
	defer f.Close()
	var lines []SandboxLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var l SandboxLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("payout sandbox: line %d: %w", len(lines)+1, err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("payout sandbox: read: %w", err)
	}
	return lines, nil
}
