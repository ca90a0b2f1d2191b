package company

import (
	"slices"
	"strconv"
)

// API field names of the company form (seed 001). Clients send them, errors name them and
// audit records list them, so they never change.
const (
	FieldEmail               = "emailOrMobile"
	FieldName                = "name"
	FieldOrganizationType    = "organizationType"
	FieldIdentificationType  = "identificationType"
	FieldRegNo               = "organizationRegNo"
	FieldRegImg              = "organizationRegImg"
	FieldLegalName           = "legalName"
	FieldLegalIDCard         = "legalIdentityCard"
	FieldLegalMobile         = "legalMobile"
	FieldLegalIDFrontImg     = "legalIdentityFrontImg"
	FieldLegalIDBackImg      = "legalIdentityBackImg"
	FieldSignImg             = "signImg"
	FieldAddress             = "address"
	FieldAuthorizeName       = "authorizeName"
	FieldAuthorizeCard       = "authorizeCard"
	FieldAuthorizeMobile     = "authorizeMobilePhone"
	FieldOrganizationCode    = "organizationCode"
	FieldOrganizationCodeImg = "organizationCodeImg"
	FieldTaxCertificateImg   = "taxCertificateImg"
	FieldSignApplication     = "signApplication"
	// FieldAuthStatus is the reapply request's mode, not a profile field.
	FieldAuthStatus = "authStatus"
	// FieldForm marks a stored version that did not come from seed 001's form: FormSeed000
	// for the version seed 000's uploadCompanyLicense writes, which holds only what that
	// route takes (name, credit code, documents). The review worker keeps seed 000's
	// rules for it; a modification parses the merged form in full, so the version after
	// it is a seed 001 one.
	FieldForm = "form"
)

// FormSeed000 is FieldForm's value on a seed 000 company's version.
const FormSeed000 = "seed000"

// Document slots of a company (DOMAIN.md "Documents", API.md "Upload slots"). Each is
// the form's field name, except the licence, which keeps seed 000's slot name so that
// seed 000's routes (downAuthLicence) and the existing checks find it.
const (
	SlotLicence             = "licence" // the form's organizationRegImg
	SlotOrganizationCodeImg = FieldOrganizationCodeImg
	SlotTaxCertificateImg   = FieldTaxCertificateImg
	SlotSignApplication     = FieldSignApplication
	SlotSignImg             = FieldSignImg
	// SlotLegalIDFront and SlotLegalIDBack are new slots: the legal person's ID card, with
	// frontOfID's and backOfID's content rules (images, 2 MB). They are not frontOfID and
	// backOfID because an enterprise change keeps the personal account's own ID photos in
	// those slots until a reviewer approves the change.
	SlotLegalIDFront = FieldLegalIDFrontImg
	SlotLegalIDBack  = FieldLegalIDBackImg
	// SlotCertificateBack is a new slot: the back of the enterprise certificate, the second
	// file of seed 002's verified_file_url (the front is the licence). Content rules as
	// licence's (images or PDF, 10 MB).
	SlotCertificateBack = "certificateBackImg"
)

// Organization types (organizationType).
const (
	OrgEnterprise  = 0 // 企业
	OrgInstitution = 1 // 事业单位, public institution
)

// Identification types (identificationType).
const (
	IDMultiCertificate = 0 // 多证: licence, organization code certificate, tax certificate
	IDUnified          = 1 // 多证合一: one licence with a unified social credit code
)

// Profile is one version of a company's real-name profile: every field of seed 001's
// form, normalised. Document fields hold the upload or object key of the file in that
// slot ("" when absent); Documents maps them to slots. The JSON names are the API's.
//
// A Profile is made by ParseProfile or Modify, never by hand, so that every value in it
// has passed its rule; the one exception is seed 000's (Seed000), made of the values
// that route checked itself.
type Profile struct {
	// Seed000 marks the profile of seed 000's uploadCompanyLicense: its version says so
	// (FieldForm), since it lacks the form's required fields.
	Seed000 bool `json:"-"`

	Email               string `json:"emailOrMobile"`
	Name                string `json:"name"`
	OrganizationType    int    `json:"organizationType"`
	IdentificationType  int    `json:"identificationType"`
	RegNo               string `json:"organizationRegNo"`
	RegImg              string `json:"organizationRegImg"`
	LegalName           string `json:"legalName"`
	LegalIDCard         string `json:"legalIdentityCard,omitempty"`
	LegalMobile         string `json:"legalMobile,omitempty"`
	LegalIDFrontImg     string `json:"legalIdentityFrontImg,omitempty"`
	LegalIDBackImg      string `json:"legalIdentityBackImg,omitempty"`
	SignImg             string `json:"signImg,omitempty"`
	Address             string `json:"address,omitempty"`
	AuthorizeName       string `json:"authorizeName,omitempty"`
	AuthorizeCard       string `json:"authorizeCard,omitempty"`
	AuthorizeMobile     string `json:"authorizeMobilePhone,omitempty"`
	OrganizationCode    string `json:"organizationCode,omitempty"`
	OrganizationCodeImg string `json:"organizationCodeImg,omitempty"`
	TaxCertificateImg   string `json:"taxCertificateImg,omitempty"`
	SignApplication     string `json:"signApplication,omitempty"`
	// Version counts the profile's versions from 1; every modification or re-application
	// writes the next one and keeps the earlier ones.
	Version int64 `json:"version"`
}

// field is one form field: its name, whether it is a document, and where it lives in a
// Profile. The two integer fields are kept as text here so that one table serves
// parsing, merging and comparing.
type field struct {
	name string
	slot string // the document slot; "" for a text field
	get  func(*Profile) *string
}

// fields lists the form in seed 001's order, which is the order problems are reported in.
// organizationType and identificationType are not in it: they decide the other fields'
// rules, so they are read first (see parseTypes).
var fields = []field{
	{name: FieldEmail, get: func(p *Profile) *string { return &p.Email }},
	{name: FieldName, get: func(p *Profile) *string { return &p.Name }},
	{name: FieldRegNo, get: func(p *Profile) *string { return &p.RegNo }},
	{name: FieldRegImg, slot: SlotLicence, get: func(p *Profile) *string { return &p.RegImg }},
	{name: FieldLegalName, get: func(p *Profile) *string { return &p.LegalName }},
	{name: FieldLegalIDCard, get: func(p *Profile) *string { return &p.LegalIDCard }},
	{name: FieldLegalMobile, get: func(p *Profile) *string { return &p.LegalMobile }},
	{name: FieldLegalIDFrontImg, slot: SlotLegalIDFront, get: func(p *Profile) *string { return &p.LegalIDFrontImg }},
	{name: FieldLegalIDBackImg, slot: SlotLegalIDBack, get: func(p *Profile) *string { return &p.LegalIDBackImg }},
	{name: FieldSignImg, slot: SlotSignImg, get: func(p *Profile) *string { return &p.SignImg }},
	{name: FieldAddress, get: func(p *Profile) *string { return &p.Address }},
	{name: FieldAuthorizeName, get: func(p *Profile) *string { return &p.AuthorizeName }},
	{name: FieldAuthorizeCard, get: func(p *Profile) *string { return &p.AuthorizeCard }},
	{name: FieldAuthorizeMobile, get: func(p *Profile) *string { return &p.AuthorizeMobile }},
	{name: FieldOrganizationCode, get: func(p *Profile) *string { return &p.OrganizationCode }},
	{name: FieldOrganizationCodeImg, slot: SlotOrganizationCodeImg, get: func(p *Profile) *string { return &p.OrganizationCodeImg }},
	{name: FieldTaxCertificateImg, slot: SlotTaxCertificateImg, get: func(p *Profile) *string { return &p.TaxCertificateImg }},
	{name: FieldSignApplication, slot: SlotSignApplication, get: func(p *Profile) *string { return &p.SignApplication }},
}

// FieldNames returns every field name of the form, the two type fields first, then seed
// 001's order. The slice is new on each call.
func FieldNames() []string {
	names := []string{FieldOrganizationType, FieldIdentificationType}
	for _, f := range fields {
		names = append(names, f.name)
	}
	return names
}

// Fields returns the profile as the form would send it: every non-empty field by name
// (the types as decimal text). ParseProfile(p.Fields(), now) gives p back (Version
// aside), which is how Modify merges a request over the current version.
func (p Profile) Fields() map[string]string {
	m := map[string]string{
		FieldOrganizationType:   strconv.Itoa(p.OrganizationType),
		FieldIdentificationType: strconv.Itoa(p.IdentificationType),
	}
	if p.Seed000 {
		m[FieldForm] = FormSeed000
	}
	for _, f := range fields {
		if v := *f.get(&p); v != "" {
			m[f.name] = v
		}
	}
	return m
}

// Documents returns the profile's documents by slot (SlotLicence and the others): the
// keys a submission stores. The map is new on each call.
func (p Profile) Documents() map[string]string {
	docs := map[string]string{}
	for _, f := range fields {
		if v := *f.get(&p); f.slot != "" && v != "" {
			docs[f.slot] = v
		}
	}
	return docs
}

// RequiredSlots returns the document slots a company of these types must fill, in the
// order they are checked: the licence always; for multi-certificate companies the
// organization code certificate, and the tax certificate unless the company is a public
// institution (seed 001: "事业单位选填"). The review worker checks the same list.
func RequiredSlots(organizationType, identificationType int) []string {
	slots := []string{SlotLicence}
	if identificationType == IDMultiCertificate {
		slots = append(slots, SlotOrganizationCodeImg)
		if organizationType != OrgInstitution {
			slots = append(slots, SlotTaxCertificateImg)
		}
	}
	return slots
}

// diff returns the names of the fields whose values differ between a and b, sorted, as an
// audit record lists them.
func diff(a, b Profile) []string {
	fa, fb := a.Fields(), b.Fields()
	var changed []string
	for _, name := range FieldNames() {
		if fa[name] != fb[name] {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	return changed
}
