package company

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// fail_check_items of an enterprise change (seed 002, API.md): the preconditions the
// account must meet, each named when unmet (400 / 1025). Clients match on them, so they
// never change; new ones are added at the end.
const (
	// FailNotPersonalApproved: the account is a personal account that is not APPROVED;
	// only a verified person can turn their account into a company's.
	FailNotPersonalApproved = "NOT_PERSONAL_APPROVED"
	// FailIsOrgAccount: the account is a company account already (seed 002's name).
	FailIsOrgAccount = "IS_ORG_ACCOUNT"
	// FailUnderReview: an enterprise change of the account awaits review, or the account
	// itself is SUBMITTED or PENDING_REVIEW.
	FailUnderReview = "UNDER_REVIEW"
	// FailAttemptsExceeded: the account has used all its enterprise change attempts.
	FailAttemptsExceeded = "ATTEMPTS_EXCEEDED"
)

// Request field names of an enterprise change (seed 002's own spelling, legel_* included),
// in the order CheckEnterpriseChange checks them.
const (
	FieldCustomerID      = "customer_id"
	FieldIdentifyType    = "identify_type"
	FieldChangeType      = "change_type"
	FieldCertificateType = "certificate_type"
	FieldVerifiedFileURL = "verified_file_url"
	FieldCorpName        = "corp_name"
	FieldVerifiedNumber  = "verified_number"
	FieldRegCountry      = "reg_country"
	FieldRegAddress      = "reg_address"
	FieldPersonName      = "enterprise_person.legel_name"
	FieldPersonIDNumber  = "enterprise_person.legel_id_number"
	FieldCertifierRole   = "enterprise_person.certifier_role"
)

// Limits and the only values seed 002 defines.
const (
	MaxChangeFiles      = 4
	maxVerifiedNumber   = 32
	maxCustomerID       = 64
	identifyCertificate = "1"           // identify_type: the enterprise certificate's scanned copy
	changeToEnterprise  = "1"           // change_type: personal to enterprise
	roleLegalPerson     = "legalPerson" // certifier_role: the legal representative
	countryChina        = "CN"
)

// Number is an integer field that clients send as a JSON number or a string ("1"), as
// API.md allows. It keeps the text as sent; the check that reads it refuses a wrong
// value naming its field, rather than the decoder refusing the whole body.
type Number string

// UnmarshalJSON keeps a string's content, null as absent, and any other JSON value as
// its text.
func (n *Number) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = Number(s)
	default:
		*n = Number(b)
	}
	return nil
}

// EnterprisePerson is seed 002's enterprise_person: the legal person of the company.
type EnterprisePerson struct {
	LegalName     string `json:"legel_name"`
	LegalIDNumber string `json:"legel_id_number"`
	CertifierRole string `json:"certifier_role,omitempty"`
}

// ChangeInput is the body of POST /v1/account/enterprise-change as sent (seed 002).
type ChangeInput struct {
	CustomerID       string            `json:"customer_id,omitempty"`
	IdentifyType     Number            `json:"identify_type"`
	VerifiedFileURL  []string          `json:"verified_file_url"`
	CorpName         string            `json:"corp_name"`
	VerifiedNumber   string            `json:"verified_number"`
	ChangeType       Number            `json:"change_type"`
	CertificateType  Number            `json:"certificate_type,omitempty"`
	RegCountry       string            `json:"reg_country,omitempty"`
	RegAddress       string            `json:"reg_address,omitempty"`
	EnterprisePerson *EnterprisePerson `json:"enterprise_person,omitempty"`
}

// Change is a validated, normalised enterprise change.
type Change struct {
	CustomerID     string
	CorpName       string // company name rules (full-width brackets)
	VerifiedNumber string // a USCC, 15-digit registration number or 12-digit institution number
	// OrganizationType is certificate_type when given (0 enterprise, 1 public institution,
	// as organizationType), else 0.
	OrganizationType int
	// CertificateTypeGiven tells a certificate_type of 0 from none, so that Input gives
	// back what was sent.
	CertificateTypeGiven bool
	RegCountry           string // "" or "CN"
	RegAddress           string
	LegalName            string // "" without enterprise_person
	LegalIDNumber        string
	CertifierRole        string
	// Files are the verified_file_url keys in their order: certificate front and back,
	// then the legal person's ID front and back.
	Files []string
}

// changeSlots are the slots of verified_file_url's positions.
var changeSlots = [MaxChangeFiles]string{SlotLicence, SlotCertificateBack, SlotLegalIDFront, SlotLegalIDBack}

// Documents returns the change's files by slot. The map is new on each call.
func (c Change) Documents() map[string]string {
	docs := make(map[string]string, len(c.Files))
	for i, key := range c.Files {
		docs[changeSlots[i]] = key
	}
	return docs
}

// Input returns the request that gives c: CheckEnterpriseChange of it gives c again.
func (c Change) Input() ChangeInput {
	in := ChangeInput{
		CustomerID: c.CustomerID, IdentifyType: identifyCertificate, ChangeType: changeToEnterprise,
		VerifiedFileURL: append([]string(nil), c.Files...), CorpName: c.CorpName,
		VerifiedNumber: c.VerifiedNumber, RegCountry: c.RegCountry, RegAddress: c.RegAddress,
	}
	if c.CertificateTypeGiven {
		in.CertificateType = Number(fmt.Sprint(c.OrganizationType))
	}
	if c.LegalName != "" {
		in.EnterprisePerson = &EnterprisePerson{LegalName: c.LegalName, LegalIDNumber: c.LegalIDNumber, CertifierRole: c.CertifierRole}
	}
	return in
}

// DecodeChange reads a JSON request body into a ChangeInput. A value of the wrong JSON type
// is EINVALID naming its field; a body that is not a JSON object is EINVALID naming
// "body". Unknown fields are ignored (seed 002's xaccount_type is the vendor's own).
func DecodeChange(body []byte) (ChangeInput, error) {
	var in ChangeInput
	if err := json.Unmarshal(body, &in); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return ChangeInput{}, kyc.FieldError(kyc.EINVALID, typeErr.Field, "must be a JSON "+jsonKind(typeErr.Field))
		}
		return ChangeInput{}, kyc.FieldError(kyc.EINVALID, "body", "must be a JSON object")
	}
	return in, nil
}

// jsonKind names what a field must be, for DecodeChange's reasons.
func jsonKind(field string) string {
	switch field {
	case FieldVerifiedFileURL:
		return "array of upload keys"
	case "enterprise_person":
		return "object"
	}
	return "string"
}

// ChangeState is what the account's side of an enterprise change is judged on.
type ChangeState struct {
	Account kyc.Account
	// PendingChange says an enterprise change of the account awaits review.
	PendingChange bool
	// Attempts counts the enterprise changes the account has submitted (accepted ones
	// only: a refused request is no attempt), MaxAttempts bounds them.
	Attempts    int
	MaxAttempts int
}

// FailCheckItems returns every precondition st does not meet, by its documented name, in
// the order of the Fail* constants; nil when the account may change.
func FailCheckItems(st ChangeState) []string {
	var items []string
	a := st.Account
	switch {
	case a.Type == kyc.CompanyAccount:
		items = append(items, FailIsOrgAccount)
	case a.State != kyc.StateApproved:
		items = append(items, FailNotPersonalApproved)
	}
	if st.PendingChange || a.State == kyc.StateSubmitted || a.State == kyc.StatePendingReview {
		items = append(items, FailUnderReview)
	}
	if st.Attempts >= st.MaxAttempts {
		items = append(items, FailAttemptsExceeded)
	}
	return items
}

// CheckEnterpriseChange judges an enterprise change request (seed 002): first the request
// itself, whose first problem is an error naming its field (EMISSING 997 or EINVALID 1006,
// in the order of the Field* constants); then the account, every unmet precondition named
// in failItems (the caller answers 400 / 1025 with them as data.fail_check_items and writes
// nothing). now judges the legal person's birth date.
func CheckEnterpriseChange(st ChangeState, in ChangeInput, now time.Time) (c Change, failItems []string, err error) {
	c, err = ParseChange(in, now)
	if err != nil {
		return Change{}, nil, err
	}
	if items := FailCheckItems(st); len(items) > 0 {
		return Change{}, items, nil
	}
	return c, nil, nil
}

// ParseChange validates and normalises the request's fields (see CheckEnterpriseChange).
func ParseChange(in ChangeInput, now time.Time) (Change, error) {
	var c Change
	for _, step := range []func(*Change, ChangeInput, time.Time) *kyc.Error{
		parseCustomerID, parseCodes, parseFiles, parseCorp, parseCountryAddress, parsePerson,
	} {
		if err := step(&c, in, now); err != nil {
			return Change{}, err
		}
	}
	return c, nil
}

func parseCustomerID(c *Change, in ChangeInput, _ time.Time) *kyc.Error {
	id := strings.TrimSpace(in.CustomerID)
	if len(id) > maxCustomerID {
		return kyc.FieldError(kyc.EINVALID, FieldCustomerID, "must be at most 64 characters")
	}
	if _, err := documentKey(FieldCustomerID, id); err != nil {
		return kyc.FieldError(kyc.EINVALID, FieldCustomerID, "must be an account id")
	}
	c.CustomerID = id
	return nil
}

// parseCodes checks identify_type and change_type, the only values seed 002 defines, and
// certificate_type, read as organizationType.
func parseCodes(c *Change, in ChangeInput, _ time.Time) *kyc.Error {
	for _, code := range []struct {
		name, v, want, reason string
	}{
		{FieldIdentifyType, string(in.IdentifyType), identifyCertificate, "must be 1 (the enterprise certificate's scanned copy)"},
		{FieldChangeType, string(in.ChangeType), changeToEnterprise, "must be 1 (personal to enterprise)"},
	} {
		switch strings.TrimSpace(code.v) {
		case "":
			return kyc.FieldError(kyc.EMISSING, code.name, reasonRequired)
		case code.want:
		default:
			return kyc.FieldError(kyc.EINVALID, code.name, code.reason)
		}
	}
	switch strings.TrimSpace(string(in.CertificateType)) {
	case "":
	case "0":
		c.CertificateTypeGiven = true
	case "1":
		c.OrganizationType, c.CertificateTypeGiven = OrgInstitution, true
	default:
		return kyc.FieldError(kyc.EINVALID, FieldCertificateType, "must be 0 (enterprise) or 1 (public institution)")
	}
	return nil
}

// parseFiles checks verified_file_url: 1 or 2 certificate files without enterprise_person
// (front, then back), exactly 4 with it (certificate front and back, the legal person's ID
// front and back), so that every position means one thing; each an upload key, none twice.
func parseFiles(c *Change, in ChangeInput, _ time.Time) *kyc.Error {
	files := in.VerifiedFileURL
	switch {
	case len(files) == 0:
		return kyc.FieldError(kyc.EMISSING, FieldVerifiedFileURL, reasonRequired)
	case len(files) > MaxChangeFiles:
		return kyc.FieldError(kyc.EINVALID, FieldVerifiedFileURL, "must be at most 4 files")
	case in.EnterprisePerson != nil && len(files) != MaxChangeFiles:
		return kyc.FieldError(kyc.EINVALID, FieldVerifiedFileURL, "with enterprise_person, must be 4 files: certificate front, certificate back, then the legal person's ID card front and back")
	case in.EnterprisePerson == nil && len(files) > 2:
		return kyc.FieldError(kyc.EINVALID, FieldVerifiedFileURL, "without enterprise_person, must be the certificate's front and back (1 or 2 files)")
	}
	seen := map[string]bool{}
	for i, f := range files {
		name := fmt.Sprintf("%s[%d]", FieldVerifiedFileURL, i)
		key, err := documentKey(name, strings.TrimSpace(f))
		switch {
		case err != nil:
			return err
		case key == "":
			return kyc.FieldError(kyc.EMISSING, name, reasonKey)
		case seen[key]:
			return kyc.FieldError(kyc.EINVALID, name, "the same file is given twice")
		}
		seen[key] = true
		c.Files = append(c.Files, key)
	}
	return nil
}

// parseCorp checks corp_name (company name rules) and verified_number: a unified social
// credit code, a 15-digit registration number or a 12-digit public institution number,
// told apart by length.
func parseCorp(c *Change, in ChangeInput, _ time.Time) *kyc.Error {
	name := strings.TrimSpace(in.CorpName)
	if name == "" {
		return kyc.FieldError(kyc.EMISSING, FieldCorpName, reasonRequired)
	}
	name, err := idcheck.CompanyName(name)
	if err != nil {
		return kyc.FieldError(kyc.EINVALID, FieldCorpName, err.Error())
	}
	c.CorpName = name
	num := strings.TrimSpace(in.VerifiedNumber)
	switch n := utf8.RuneCountInString(num); {
	case n == 0:
		return kyc.FieldError(kyc.EMISSING, FieldVerifiedNumber, reasonRequired)
	case n > maxVerifiedNumber:
		return kyc.FieldError(kyc.EINVALID, FieldVerifiedNumber, "must be at most 32 characters")
	case n == 18:
		num, err = idcheck.USCC(num)
	case n == 15:
		num, err = idcheck.RegistrationNumber(num)
	default:
		if num, err = idcheck.InstitutionNumber(num); err != nil {
			err = errors.New("must be a unified social credit code (18 characters), a 15-digit registration number or a 12-digit public institution number")
		}
	}
	if err != nil {
		return kyc.FieldError(kyc.EINVALID, FieldVerifiedNumber, err.Error())
	}
	c.VerifiedNumber = num
	return nil
}

// parseCountryAddress checks reg_country (the product verifies mainland companies only,
// with mainland identifiers, so CN or nothing) and reg_address.
func parseCountryAddress(c *Change, in ChangeInput, _ time.Time) *kyc.Error {
	switch country := strings.TrimSpace(in.RegCountry); {
	case country == "":
	case strings.EqualFold(country, countryChina):
		c.RegCountry = countryChina
	default:
		return kyc.FieldError(kyc.EINVALID, FieldRegCountry, "must be CN: only companies registered in mainland China are verified")
	}
	if addr := strings.TrimSpace(in.RegAddress); addr != "" {
		addr, err := address(FieldRegAddress, addr)
		if err != nil {
			return err
		}
		c.RegAddress = addr
	}
	return nil
}

// parsePerson checks enterprise_person when given: the legal person's name and resident
// ID number are required, certifier_role may only be legalPerson.
func parsePerson(c *Change, in ChangeInput, now time.Time) *kyc.Error {
	p := in.EnterprisePerson
	if p == nil {
		return nil
	}
	name, id := strings.TrimSpace(p.LegalName), strings.TrimSpace(p.LegalIDNumber)
	if name == "" {
		return kyc.FieldError(kyc.EMISSING, FieldPersonName, reasonRequired)
	}
	name, err := idcheck.PersonName(name)
	if err != nil {
		return kyc.FieldError(kyc.EINVALID, FieldPersonName, err.Error())
	}
	if id == "" {
		return kyc.FieldError(kyc.EMISSING, FieldPersonIDNumber, reasonRequired)
	}
	if id, err = idcheck.ResidentIDAt(id, now); err != nil {
		return kyc.FieldError(kyc.EINVALID, FieldPersonIDNumber, err.Error())
	}
	role := strings.TrimSpace(p.CertifierRole)
	if role != "" && role != roleLegalPerson {
		return kyc.FieldError(kyc.EINVALID, FieldCertifierRole, "must be legalPerson")
	}
	c.LegalName, c.LegalIDNumber, c.CertifierRole = name, id, role
	return nil
}
