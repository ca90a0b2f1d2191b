package payout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Payout is one payment to make. VerificationID is the idempotency key: two Pay calls
// with the same id are one payout.
type Payout struct {
	VerificationID string
	AccountID      string // the platform account verified; the sandbox file names it
	AccountName    string // the bank account's holder, the company's registered name
	AccountNo      string // the bank account number, digits only
	BankName       string
	Branch         string // optional
	AmountFen      int64  // in fen (0.01 CNY), more than zero
}

// Status is what a provider did with a payout.
type Status string

const (
	Accepted Status = "accepted"
	Refused  Status = "refused"
)

// Reasons of a refusal. A provider's reason that is not one of these becomes
// ReasonRefused, so the API answers only documented values.
const (
	ReasonNameMismatch     = "account_name_mismatch"
	ReasonAccountClosed    = "account_closed"
	ReasonAccountNotFound  = "account_not_found"
	ReasonAccountFrozen    = "account_frozen"
	ReasonBankNotSupported = "bank_not_supported"
	ReasonRefused          = "refused"
)

// Receipt is a provider's answer to a payout it judged. Reference is the provider's id of
// the payout (for reconciliation); Reason is set only when Status is Refused.
type Receipt struct {
	Status    Status
	Reason    string
	Reference string
	Provider  string
}

// ErrUnavailable is a provider that could not answer: down, timing out, refusing our
// credentials or answering nonsense. Whether money moved is unknown; the caller may pay
// the same Payout again later (same VerificationID), and answers 503 meanwhile.
var ErrUnavailable = errors.New("payout: provider unavailable")

// Provider makes payouts.
type Provider interface {
	Pay(ctx context.Context, p Payout) (Receipt, error)
}

var (
	_ Provider = (*Sandbox)(nil)
	_ Provider = (*HTTP)(nil)
)

// reason keeps a provider's refusal reason only if it is one of ours.
func reason(r string) string {
	switch r {
	case ReasonNameMismatch, ReasonAccountClosed, ReasonAccountNotFound, ReasonAccountFrozen, ReasonBankNotSupported:
		return r
	}
	return ReasonRefused
}

// Longest values accepted; a provider's limits are at least these.
const (
	maxIDLength   = 128
	maxTextLength = 255 // account name, bank name, branch (characters)
	minAccountNo  = 6
	maxAccountNo  = 32
)

// Validate reports what is wrong with p without naming its values. Callers validate user
// input first (pkg/bankverify); this catches a caller's mistake before money moves.
func (p Payout) Validate() error {
	switch {
	case p.VerificationID == "" || len(p.VerificationID) > maxIDLength:
		return errors.New("payout: verification id must be 1 to 128 bytes")
	case strings.ContainsFunc(p.VerificationID, func(r rune) bool { return r <= ' ' || r > '~' }):
		return errors.New("payout: verification id must be printable ASCII (it is an HTTP header)")
	case p.AmountFen <= 0:
		return errors.New("payout: amount must be more than zero")
	case !text(p.AccountName, true) || !text(p.BankName, true) || !text(p.Branch, false):
		return errors.New("payout: account name and bank name are required, up to 255 characters")
	case len(p.AccountNo) < minAccountNo || len(p.AccountNo) > maxAccountNo || strings.Trim(p.AccountNo, "0123456789") != "":
		return errors.New("payout: account number must be 6 to 32 digits")
	}
	return nil
}

func text(s string, required bool) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n <= maxTextLength && (n > 0 || !required)
}

// FormatFen writes an amount in fen as yuan with two decimals ("0.37"), as API.md and
// the sandbox file write amounts.
func FormatFen(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// MaskAccountNo keeps the last four digits of an account number ("****1234"), enough for
// a person to recognise the account and not enough to pay into it.
func MaskAccountNo(no string) string {
	if len(no) <= 4 {
		return strings.Repeat("*", len(no))
	}
	return "****" + no[len(no)-4:]
}
