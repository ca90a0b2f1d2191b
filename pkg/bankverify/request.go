package bankverify

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Request is what an integrator sends to start a verification (API.md's
// bank_account_name, bank_account_no, bank_name, and an optional branch).
type Request struct {
	AccountName string
	AccountNo   string
	BankName    string
	Branch      string
}

// Field names of a Request in errors, as API.md spells them.
const (
	FieldAccountName = "bank_account_name"
	FieldAccountNo   = "bank_account_no"
	FieldBankName    = "bank_name"
	FieldBranch      = "branch"
)

// Account numbers: Chinese corporate accounts run from about 8 to 30 digits; these bounds
// refuse typos, not unusual banks.
const (
	minAccountNo = 8
	maxAccountNo = 32
	maxBankName  = 100 // characters, bank name and branch
)

// ReasonNameMismatch is the reason of the error when the account name is not the
// company's (also pkg/payout's reason when a bank says so).
const ReasonNameMismatch = "account_name_mismatch"

// ParseRequest validates r and returns it normalised: the account name as
// idcheck.CompanyName writes it, the account number without the spaces and hyphens people
// type into it, names trimmed. The account name must equal companyName (the account's
// registered name) after the same normalisation; otherwise the error is EVERIFY (422 /
// 1012) with reason account_name_mismatch, since the form is well made but names someone
// else. Errors name the field and never echo the values.
func ParseRequest(r Request, companyName string) (Request, error) {
	if strings.TrimSpace(r.AccountName) == "" {
		return Request{}, kyc.FieldError(kyc.EMISSING, FieldAccountName, "required")
	}
	name, err := idcheck.CompanyName(r.AccountName)
	if err != nil {
		return Request{}, kyc.FieldError(kyc.EINVALID, FieldAccountName, err.Error())
	}
	no := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' {
			return -1
		}
		return r
	}, r.AccountNo)
	switch {
	case no == "":
		return Request{}, kyc.FieldError(kyc.EMISSING, FieldAccountNo, "required")
	case strings.Trim(no, "0123456789") != "" || len(no) < minAccountNo || len(no) > maxAccountNo:
		return Request{}, kyc.FieldError(kyc.EINVALID, FieldAccountNo, "must be 8 to 32 digits")
	}
	bank, err := text(r.BankName, FieldBankName, true)
	if err != nil {
		return Request{}, err
	}
	branch, err := text(r.Branch, FieldBranch, false)
	if err != nil {
		return Request{}, err
	}
	// The company's name was normalised when stored; normalising again costs nothing and
	// keeps a name stored before CompanyName existed comparable.
	company, err := idcheck.CompanyName(companyName)
	if err != nil || name != company {
		return Request{}, &kyc.Error{Code: kyc.EVERIFY, Field: FieldAccountName, Reason: ReasonNameMismatch,
			Message: "The bank account name must be the company's registered name."}
	}
	return Request{AccountName: name, AccountNo: no, BankName: bank, Branch: branch}, nil
}

// text trims a bank or branch name and refuses control and invisible characters, which
// would make a stored name read differently from what it is.
func text(s, field string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		return "", kyc.FieldError(kyc.EMISSING, field, "required")
	case n > maxBankName:
		return "", kyc.FieldError(kyc.EINVALID, field, "must be at most 100 characters")
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) || !unicode.IsPrint(r) && r != ' ' && r != '\u3000' {
			return "", kyc.FieldError(kyc.EINVALID, field, "must not contain control or invisible characters")
		}
	}
	return s, nil
}
