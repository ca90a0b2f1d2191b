package company

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

const (
	// MaxAddressLength is the longest address, in characters (seed 002's reg_address).
	MaxAddressLength = 256
	// MaxKeyLength is the longest document key a form may name. Keys are server-chosen
	// (POST /v1/uploads) and far shorter; the route checks each against its upload record.
	MaxKeyLength = 1024
)

// Reasons given for the rules between fields, so clients and tests can tell them apart.
const (
	reasonRequired     = "required"
	reasonType         = "must be 0 or 1"
	reasonMultiCert    = "required when identificationType is 0 (multi-certificate)"
	reasonTaxCert      = "required when identificationType is 0 (multi-certificate) and organizationType is 0 (enterprise)"
	reasonIDPair       = "required with the other side of the legal person's ID card"
	reasonAuthorizeFor = "required when the authorized person's ID number or mobile is given"
	reasonKey          = "must be an upload key from POST /v1/uploads"
)

// ParseProfile reads the company form (seed 001 fields by API name, as strings: numbers as
// decimal text, documents as upload keys) into a normalised Profile with Version 0. now
// judges resident ID birth dates. Keys the form does not have are ignored, so a route can
// pass its whole body (authStatus, customer_id, ...).
//
// The error is the first of Problems: one *kyc.Error, EMISSING (997) or EINVALID (1006),
// naming its field.
func ParseProfile(in map[string]string, now time.Time) (Profile, error) {
	p, problems := parse(in, now)
	if len(problems) > 0 {
		return Profile{}, problems[0]
	}
	return p, nil
}

// Problems returns every problem of the form, in a stable order: organizationType and
// identificationType first (the other rules depend on them), then seed 001's field order,
// then the rules between fields (an ID card's two sides, the authorized person's name).
// A form's field has at most one problem. nil means ParseProfile accepts it.
func Problems(in map[string]string, now time.Time) []*kyc.Error {
	_, problems := parse(in, now)
	return problems
}

// parse applies every rule and collects the problems. A field is absent when missing or
// only whitespace.
func parse(in map[string]string, now time.Time) (Profile, []*kyc.Error) {
	var p Profile
	problems := parseTypes(in, &p)
	typesOK := len(problems) == 0
	for _, f := range fields {
		v := strings.TrimSpace(in[f.name])
		if v == "" {
			if typesOK && required(f.name, p) {
				problems = append(problems, kyc.FieldError(kyc.EMISSING, f.name, requiredReason(f.name)))
			}
			continue
		}
		norm, err := normalise(f, v, p, now, typesOK)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		*f.get(&p) = norm
	}
	return p, append(problems, crossProblems(p, problems)...)
}

// parseTypes reads organizationType and identificationType: both required, 0 or 1.
func parseTypes(in map[string]string, p *Profile) []*kyc.Error {
	var problems []*kyc.Error
	for _, t := range []struct {
		name string
		dst  *int
	}{{FieldOrganizationType, &p.OrganizationType}, {FieldIdentificationType, &p.IdentificationType}} {
		switch strings.TrimSpace(in[t.name]) {
		case "":
			problems = append(problems, kyc.FieldError(kyc.EMISSING, t.name, reasonRequired))
		case "0":
			*t.dst = 0
		case "1":
			*t.dst = 1
		default:
			problems = append(problems, kyc.FieldError(kyc.EINVALID, t.name, reasonType))
		}
	}
	return problems
}

// required reports whether the field must be present in a profile of p's types.
func required(name string, p Profile) bool {
	switch name {
	case FieldEmail, FieldName, FieldRegNo, FieldRegImg, FieldLegalName:
		return true
	case FieldOrganizationCode, FieldOrganizationCodeImg:
		return p.IdentificationType == IDMultiCertificate
	case FieldTaxCertificateImg:
		return p.IdentificationType == IDMultiCertificate && p.OrganizationType == OrgEnterprise
	}
	return false
}

func requiredReason(name string) string {
	switch name {
	case FieldOrganizationCode, FieldOrganizationCodeImg:
		return reasonMultiCert
	case FieldTaxCertificateImg:
		return reasonTaxCert
	}
	return reasonRequired
}

// normalise validates one present value by its field's rule. The registration number's
// rule depends on the types, so it is only judged when they were read.
func normalise(f field, v string, p Profile, now time.Time, typesOK bool) (string, *kyc.Error) {
	var (
		norm string
		err  error
	)
	switch f.name {
	case FieldEmail:
		norm, err = idcheck.Email(v)
	case FieldName:
		norm, err = idcheck.CompanyName(v)
	case FieldRegNo:
		if !typesOK {
			return v, nil
		}
		norm, err = regNo(v, p)
	case FieldLegalName, FieldAuthorizeName:
		norm, err = idcheck.PersonName(v)
	case FieldLegalIDCard, FieldAuthorizeCard:
		norm, err = idcheck.ResidentIDAt(v, now)
	case FieldLegalMobile, FieldAuthorizeMobile:
		norm, err = idcheck.Mobile(v)
	case FieldOrganizationCode:
		norm, err = idcheck.OrganizationCode(v)
	case FieldAddress:
		return address(f.name, v)
	default: // documents
		return documentKey(f.name, v)
	}
	if err != nil {
		return "", kyc.FieldError(kyc.EINVALID, f.name, err.Error())
	}
	return norm, nil
}

// regNo validates organizationRegNo by type (API.md): a unified social credit code when
// identificationType is 1; when 0, an enterprise's 15-digit registration number or a
// public institution's 12-digit certificate number.
func regNo(v string, p Profile) (string, error) {
	switch {
	case p.IdentificationType == IDUnified:
		return idcheck.USCC(v)
	case p.OrganizationType == OrgInstitution:
		return idcheck.InstitutionNumber(v)
	default:
		return idcheck.RegistrationNumber(v)
	}
}

// address allows any printable text up to MaxAddressLength characters: addresses hold
// digits, punctuation and several scripts, and a reviewer must see what is stored.
func address(name, v string) (string, *kyc.Error) {
	if !utf8.ValidString(v) {
		return "", kyc.FieldError(kyc.EINVALID, name, "must be UTF-8 text")
	}
	if utf8.RuneCountInString(v) > MaxAddressLength {
		return "", kyc.FieldError(kyc.EINVALID, name, "must be at most 256 characters")
	}
	for _, r := range v {
		if !unicode.IsPrint(r) && r != ' ' {
			return "", kyc.FieldError(kyc.EINVALID, name, "must not contain control or invisible characters")
		}
	}
	return v, nil
}

// documentKey checks the form of an upload key: visible ASCII, bounded. Whether the key
// is the caller's, for this slot and uploaded, is the route's check (its upload record).
func documentKey(name, v string) (string, *kyc.Error) {
	if len(v) > MaxKeyLength {
		return "", kyc.FieldError(kyc.EINVALID, name, reasonKey)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return "", kyc.FieldError(kyc.EINVALID, name, reasonKey)
		}
	}
	return v, nil
}

// crossProblems applies the rules between optional fields, for fields that have no
// problem of their own yet:
//   - an ID card has two sides: one side's photo without the other is incomplete;
//   - the authorized person's ID number or mobile without their name identifies no one.
func crossProblems(p Profile, have []*kyc.Error) []*kyc.Error {
	named := map[string]bool{}
	for _, e := range have {
		named[e.Field] = true
	}
	var problems []*kyc.Error
	add := func(cond bool, name, reason string) {
		if cond && !named[name] {
			problems = append(problems, kyc.FieldError(kyc.EMISSING, name, reason))
		}
	}
	add(p.LegalIDFrontImg == "" && p.LegalIDBackImg != "", FieldLegalIDFrontImg, reasonIDPair)
	add(p.LegalIDBackImg == "" && p.LegalIDFrontImg != "", FieldLegalIDBackImg, reasonIDPair)
	add(p.AuthorizeName == "" && (p.AuthorizeCard != "" || p.AuthorizeMobile != ""), FieldAuthorizeName, reasonAuthorizeFor)
	return problems
}
