package filecheck

import (
	"slices"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// MiB is the unit of DOMAIN.md's "MB" limits.
const MiB = 1024 * 1024

// Slot is the content rule of one document slot of DOMAIN.md.
type Slot struct {
	Name         string            // the slot name used in the API, e.g. "frontOfID"
	AccountTypes []kyc.AccountType // account types that may fill it; both for "any"
	Formats      []Format          // formats accepted, by content
	MaxBytes     int64             // inclusive size limit
	Image        ImageRule         // further rule for images in this slot; zero means none
}

// ImageRule is a slot-specific rule on top of the general image checks.
type ImageRule struct {
	Width, Height int  // exact size in pixels; 0 means any
	Transparent   bool // at least one pixel must be less than fully opaque
}

// Allows reports whether the slot accepts files of format f.
func (s Slot) Allows(f Format) bool { return f != FormatUnknown && slices.Contains(s.Formats, f) }

// ForAccount reports whether an account of type t may fill the slot.
func (s Slot) ForAccount(t kyc.AccountType) bool { return slices.Contains(s.AccountTypes, t) }

// Slots returns the slot table of DOMAIN.md. It is built on each call so that no caller
// can change another's rules.
func Slots() []Slot {
	personal, company := kyc.PersonalAccount, kyc.CompanyAccount
	images := func() []Format { return []Format{FormatJPEG, FormatPNG, FormatBMP, FormatGIF} }
	imagesOrPDF := func() []Format { return append(images(), FormatPDF) }
	return []Slot{
		// ID card sides: a personal account's holder, or a company's legal person.
		{Name: "frontOfID", AccountTypes: []kyc.AccountType{personal, company}, Formats: images(), MaxBytes: 2 * MiB},
		{Name: "backOfID", AccountTypes: []kyc.AccountType{personal, company}, Formats: images(), MaxBytes: 2 * MiB},
		// Business licence (organizationRegImg, its name in seed 001's form). A personal
		// account fills it, and the three slots below, for its change into an enterprise
		// (seed 002): it stays personal until the change is approved.
		{Name: "licence", AccountTypes: []kyc.AccountType{personal, company}, Formats: imagesOrPDF(), MaxBytes: 10 * MiB},
		// The back of the certificate (seed 002's verified_file_url[1]).
		{Name: "certificateBackImg", AccountTypes: []kyc.AccountType{personal, company}, Formats: imagesOrPDF(), MaxBytes: 10 * MiB},
		// The legal person's ID card (seed 001's legalIdentityFrontImg/BackImg): apart from
		// frontOfID/backOfID, which a personal account changing into an enterprise keeps.
		{Name: "legalIdentityFrontImg", AccountTypes: []kyc.AccountType{personal, company}, Formats: images(), MaxBytes: 2 * MiB},
		{Name: "legalIdentityBackImg", AccountTypes: []kyc.AccountType{personal, company}, Formats: images(), MaxBytes: 2 * MiB},
		// Platform confirmation file, filled in from the sample.
		{Name: "confirmation", AccountTypes: []kyc.AccountType{company}, Formats: imagesOrPDF(), MaxBytes: 10 * MiB},
		// Multi-certificate companies (identificationType 0) only.
		{Name: "organizationCodeImg", AccountTypes: []kyc.AccountType{company}, Formats: imagesOrPDF(), MaxBytes: 10 * MiB},
		{Name: "taxCertificateImg", AccountTypes: []kyc.AccountType{company}, Formats: imagesOrPDF(), MaxBytes: 10 * MiB},
		// Optional.
		{Name: "signApplication", AccountTypes: []kyc.AccountType{company}, Formats: []Format{FormatJPEG, FormatPNG, FormatPDF}, MaxBytes: 10 * MiB},
		// Company seal, optional (generated when absent): stamped onto documents, so it
		// must be a square PNG with a transparent background.
		{Name: "signImg", AccountTypes: []kyc.AccountType{company}, Formats: []Format{FormatPNG}, MaxBytes: 2 * MiB,
			Image: ImageRule{Width: 180, Height: 180, Transparent: true}},
		// Reviewed by hand, any account.
		{Name: "qualification", AccountTypes: []kyc.AccountType{personal, company}, Formats: []Format{FormatJPEG, FormatPNG, FormatPDF}, MaxBytes: 10 * MiB},
		// The user's avatar: any user, not a KYC document.
		{Name: "portrait", AccountTypes: []kyc.AccountType{personal, company}, Formats: []Format{FormatJPEG, FormatPNG}, MaxBytes: 2 * MiB},
	}
}

// canonicalSlot maps another name of a slot to the slot's own: seed 001's form names the
// licence organizationRegImg, seed 000 licence.
func canonicalSlot(name string) string {
	if name == "organizationRegImg" {
		return "licence"
	}
	return name
}

// LookupSlot returns the slot called name (exact, case-sensitive match), or of which name
// is an alias; the slot returned carries its own name.
func LookupSlot(name string) (Slot, bool) {
	name = canonicalSlot(name)
	for _, s := range Slots() {
		if s.Name == name {
			return s, true
		}
	}
	return Slot{}, false
}
