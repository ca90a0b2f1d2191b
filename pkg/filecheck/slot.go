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
		// Business licence (organizationRegImg).
		{Name: "licence", AccountTypes: []kyc.AccountType{company}, Formats: imagesOrPDF(), MaxBytes: 10 * MiB},
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

// LookupSlot returns the slot called name (exact, case-sensitive match).
func LookupSlot(name string) (Slot, bool) {
	for _, s := range Slots() {
		if s.Name == name {
			return s, true
		}
	}
	return Slot{}, false
}
