package submission

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// SubmitOrganization validates seed 001's full company form (fields by name, document
// fields holding upload keys from POST /v1/uploads) and submits it: the documents are
// checked against their upload records and copied into place, the account becomes a
// SUBMITTED company account and the profile's next version is written in the same atomic
// write, then the account is queued for review (see submit). Every document the form
// names is adopted; company.RequiredSlots decide which must be there (no confirmation
// file: seed 001 has none).
//
// files, when not nil, are documents sent in the request itself (seed 001's multipart
// form) by form field name; each is checked in full and written to its final place, as
// seed 000's multipart submissions are, and takes the place of an upload key.
func (s *Service) SubmitOrganization(ctx context.Context, p kyc.Principal, in map[string]string, files map[string][]byte) error {
	if len(files) > 0 {
		in = maps.Clone(in)
		for _, slot := range documentSlots() {
			if _, ok := files[FieldOfSlot(slot)]; ok {
				// Stands for the file in the form's checks; never an upload key
				// (issuedKey), so the store is not asked about it.
				in[FieldOfSlot(slot)] = inlineDocument
			}
		}
	}
	prof, err := company.ParseProfile(in, s.clock.Now())
	if err != nil {
		return err
	}
	return s.submitProfile(ctx, p, prof, files)
}

// inlineDocument is what a document field sent as a file holds while the form is checked.
const inlineDocument = "inline-file"

// submitProfile submits prof, a parsed or merged profile whose document fields are upload
// keys, or inlineDocument for the documents in files (by field name).
func (s *Service) submitProfile(ctx context.Context, p kyc.Principal, prof company.Profile, files map[string][]byte) error {
	srcs := map[string]Source{}
	for slot, key := range prof.Documents() {
		if data, ok := files[FieldOfSlot(slot)]; ok && key == inlineDocument {
			srcs[slot] = Source{Data: data, Inline: true}
			continue
		}
		srcs[slot] = Source{Key: key}
	}
	slots := slices.Sorted(maps.Keys(srcs))
	sub := kyc.Submission{Type: kyc.CompanyAccount, Organization: prof.Name, IDNumber: prof.RegNo, Slots: slots}
	return s.submit(ctx, p, sub, srcs, &prof)
}

// profileVersion is the stored version of prof that a submission of acct writes: the next
// version number, and the document fields naming the objects the documents were copied to
// (the upload keys are used up).
func profileVersion(prof company.Profile, acct kyc.Account, docs map[string]kyc.Document, p kyc.Principal, at time.Time) *kyc.ProfileVersion {
	fields := prof.Fields()
	for slot, d := range docs {
		fields[FieldOfSlot(slot)] = d.Key
	}
	return &kyc.ProfileVersion{AccountID: acct.ID, Version: acct.ProfileVersion + 1, Fields: fields, At: at, Actor: p.UserID}
}

// FieldOfSlot is the form field that holds the document of slot: the slot's own name,
// but for the licence, which the form calls organizationRegImg.
func FieldOfSlot(slot string) string {
	if slot == company.SlotLicence {
		return company.FieldRegImg
	}
	return slot
}
