package submission

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Source is where one document of a submission comes from: an upload key (the presigned
// path) or the file itself (the seed's multipart form).
type Source struct {
	Key    string
	Data   []byte
	Inline bool
	// Stored, when set, is a document the account already holds, submitted again as it
	// is (a re-application keeps the documents it does not replace).
	Stored *kyc.Document
}

// PersonalInput is uploadPersonalLicence's request: ID_number, optional name, and the
// frontOfID and backOfID documents.
type PersonalInput struct {
	IDNumber string
	Name     string
	Docs     map[string]Source
}

// CompanyInput is uploadCompanyLicense's request: organization, organizationRegNo (the
// company's unified social credit code) and the licence and confirmation documents.
type CompanyInput struct {
	Organization string
	RegNo        string
	Docs         map[string]Source
}

// SubmitPersonal validates and submits a personal verification.
func (s *Service) SubmitPersonal(ctx context.Context, p kyc.Principal, in PersonalInput) error {
	id, err := idcheck.ResidentIDAt(in.IDNumber, s.clock.Now())
	if err != nil {
		return kyc.FieldError(kyc.EINVALID, "ID_number", err.Error())
	}
	name := ""
	if in.Name != "" {
		if name, err = idcheck.PersonName(in.Name); err != nil {
			return kyc.FieldError(kyc.EINVALID, "name", err.Error())
		}
	}
	return s.submit(ctx, p, kyc.Submission{Type: kyc.PersonalAccount, Name: name, IDNumber: id}, in.Docs, nil)
}

// SubmitCompany validates and submits a company verification. organizationRegNo is
// required: it is the company identity that approval claims (one approved account per
// code), so a company without one could be approved without claiming anything. Seed
// 000's form carries no organization code, so only the one-certificate form is taken
// here: an 18-character unified social credit code, checked in full (idcheck.USCC). A
// 15-digit registration number (multi-certificate companies) needs the organization code
// and its certificates beside it (DOMAIN.md), which this route does not receive.
func (s *Service) SubmitCompany(ctx context.Context, p kyc.Principal, in CompanyInput) error {
	org, err := idcheck.CompanyName(in.Organization)
	if err != nil {
		return kyc.FieldError(kyc.EINVALID, "organization", err.Error())
	}
	reg, err := companyRegNo(in.RegNo)
	if err != nil {
		return err
	}
	// Seed 000's company fills the same versioned profile as seed 001's form, with what it
	// has: the name, the credit code (so a unified-certificate enterprise) and its
	// documents. GET /v1/organization and a later modification start from it.
	prof := company.Profile{Name: org, RegNo: reg, OrganizationType: 0, IdentificationType: 1, Seed000: true}
	return s.submit(ctx, p, kyc.Submission{Type: kyc.CompanyAccount, Organization: org, IDNumber: reg}, in.Docs, &prof)
}

// companyRegNo validates a company submission's organizationRegNo: missing is 997, a value
// that is not a unified social credit code is 1006 naming what is wrong.
func companyRegNo(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", kyc.FieldError(kyc.EMISSING, "organizationRegNo", "required")
	}
	reg, err := idcheck.USCC(s)
	if err != nil {
		if _, e := idcheck.RegistrationNumber(s); e == nil {
			return "", kyc.FieldError(kyc.EINVALID, "organizationRegNo",
				"must be the 18-character unified social credit code; a 15-digit registration number is not accepted here")
		}
		return "", kyc.FieldError(kyc.EINVALID, "organizationRegNo", err.Error())
	}
	return reg, nil
}

// submit checks the account may submit, stores the documents of srcs, moves the account
// to SUBMITTED with a conditional write (kyc.Submit, with sub and the stored documents)
// and queues it for review. If the queue refuses the message the transition is undone and
// the client gets an error, so no account is left SUBMITTED with nothing queued while the
// client was told it succeeded (if the undo fails too, the reconciler re-queues the
// account). Documents written by a failed request are deleted.
//
// profile, when not nil, is a company profile version written in the transition's own
// atomic write (with its document fields naming the stored objects), so a refused or
// undone submission leaves no version behind.
//
// Two store calls on success: the account and the upload records of the keys in one
// read, then the transition. An upload key stays usable until its record expires (a
// submission that failed, or was undone, may be sent again with the same keys).
func (s *Service) submit(ctx context.Context, p kyc.Principal, sub kyc.Submission, srcs map[string]Source, profile *company.Profile) error {
	if s.objects == nil {
		return errNoObjects
	}
	if s.queue == nil {
		return errNoQueue
	}
	slots := sub.Slots
	if slots == nil {
		slots = kyc.RequiredSlots(sub.Type)
	}
	var keys []string
	for _, name := range slots {
		if src := srcs[name]; !src.Inline && issuedKey(src.Key) {
			keys = append(keys, src.Key)
		}
	}
	acct, uploads, err := s.store.GetAccountAndUploads(ctx, p.AccountID, keys, s.clock.Now())
	if err != nil {
		return err
	}
	return s.submitRead(ctx, p, sub, srcs, profile, acct, uploads)
}

// submitRead is submit once the account and the upload records of srcs are read.
func (s *Service) submitRead(ctx context.Context, p kyc.Principal, sub kyc.Submission, srcs map[string]Source, profile *company.Profile,
	acct kyc.Account, uploads map[string]kyc.Upload) error {
	slots := sub.Slots
	if slots == nil {
		slots = kyc.RequiredSlots(sub.Type)
	}
	if err := owns(p, acct); err != nil {
		return err
	}
	var err error
	// Refused before any document is stored, so a refusal costs nothing.
	if err := kyc.MaySubmit(acct, sub.Type, s.maxAttempts); err != nil {
		return err
	}
	for _, name := range slots {
		if src, ok := srcs[name]; !ok || (!src.Inline && src.Stored == nil && src.Key == "") {
			return kyc.FieldError(kyc.EMISSING, name, "required")
		}
	}
	var written []kyc.Document
	docs := map[string]kyc.Document{}
	for _, name := range slots {
		slot, _ := filecheck.LookupSlot(name)
		// Errors name the request's field: seed 001's company form (the submissions that
		// name their slots) calls the licence organizationRegImg; seed 000's calls it
		// licence.
		field := name
		if sub.Slots != nil {
			field = FieldOfSlot(name)
		}
		var d kyc.Document
		if src := srcs[name]; src.Stored != nil {
			// Kept as it is: not written by this request, so never deleted by it.
			d = *src.Stored
			d.Check = ""
			docs[name] = d
			continue
		} else if src.Inline {
			d, err = s.putInline(ctx, acct.ID, field, src.Data, slot)
		} else {
			rec, found := uploads[src.Key]
			if err = checkRecord(p, field, rec, found, slot); err == nil {
				d, err = s.adopt(ctx, acct.ID, field, rec, slot)
			}
		}
		if err != nil {
			s.deleteAll(ctx, written)
			return err
		}
		written = append(written, d)
		docs[name] = d
	}

	sub.Documents = docs
	t, err := kyc.Submit(acct, sub, kyc.Actor{ID: p.UserID, Role: p.Role}, s.clock.Now(), s.maxAttempts)
	if err != nil {
		s.deleteAll(ctx, written)
		return err
	}
	if profile != nil {
		t.Profile = profileVersion(*profile, acct, docs, p, s.clock.Now())
		t.Account.ProfileVersion = t.Profile.Version
	}
	// The store numbers every account it writes from 1: version 0 is one CreateOrganization
	// made, created by this write.
	t.Create = acct.Version == 0
	if sub.Type == kyc.CompanyAccount && s.requireBank {
		t.Account.BankRequired = true
	}
	saved, err := s.store.Transition(ctx, t)
	if err != nil {
		s.deleteAll(ctx, written)
		if kyc.IsCode(err, kyc.ECONFLICT) {
			return kyc.Errorf(kyc.ECONFLICT, "the account changed meanwhile; submit again")
		}
		return fmt.Errorf("submit: %w", err)
	}
	body, _ := json.Marshal(kyc.ReviewMessage{AccountID: saved.ID, Version: saved.Version})
	if _, err := s.queue.Send(ctx, string(body)); err != nil {
		if t.Create {
			// A created account is not put back: the caller could not name it again.
			// Left SUBMITTED, the reconciler queues it; the app gets its id.
			s.log.WarnContext(ctx, "created account not queued; the reconciler will", slog.String("account_id", saved.ID), slog.String("error", err.Error()))
			return nil
		}
		s.undo(ctx, saved, acct, written)
		return fmt.Errorf("queue submission: %w", err)
	}
	s.log.InfoContext(ctx, "submitted", slog.String("account_id", saved.ID), slog.String("type", string(sub.Type)), slog.Int("attempt", saved.Attempts))
	return nil
}

// undo puts the account back as it was before a submission whose queue message could not
// be sent. The attempt is not counted: the client was told it failed.
func (s *Service) undo(ctx context.Context, saved, before kyc.Account, written []kyc.Document) {
	ctx = context.WithoutCancel(ctx)
	t, err := kyc.UndoSubmit(saved, before, s.clock.Now())
	// A profile version written with the submission stays (versions are never removed);
	// the account keeps naming it so that the next submission writes the one after.
	t.Account.ProfileVersion = saved.ProfileVersion
	if err == nil {
		_, err = s.store.Transition(ctx, t)
	}
	if err != nil {
		// Left SUBMITTED: the reconciler finds it and queues it, so it is not stranded.
		s.log.ErrorContext(ctx, "could not undo a submission whose message was not queued", slog.String("account_id", saved.ID), slog.String("error", err.Error()))
		return
	}
	s.deleteAll(ctx, written)
}

// putInline checks a file sent in the request and writes it to its final place.
func (s *Service) putInline(ctx context.Context, accountID, field string, data []byte, slot filecheck.Slot) (kyc.Document, error) {
	res := filecheck.CheckBytes(data, slot)
	if !res.OK() {
		return kyc.Document{}, fileProblem(field, res)
	}
	ct := filecheck.ContentType(res.Format)
	d := kyc.Document{Slot: slot.Name, Key: s.documentKey(accountID, slot.Name), ContentType: ct, Size: int64(len(data)), UploadedAt: s.clock.Now()}
	if err := s.objects.Put(ctx, d.Key, ct, bytes.NewReader(data)); err != nil {
		return kyc.Document{}, fmt.Errorf("store document: %w", err)
	}
	return d, nil
}

// fileProblem maps a content check to the API's codes: too large 413 / 1023, a format the
// slot does not take 415 / 1024, anything else 400 / 1006, each naming the field.
func fileProblem(field string, res filecheck.Result) error {
	code := kyc.EINVALID
	switch res.Code {
	case filecheck.TooLarge:
		code = kyc.ETOOLARGE
	case filecheck.BadFormat:
		code = kyc.EUNSUPPORTED
	}
	return &kyc.Error{Code: code, Field: field, Reason: res.Code, Message: field + ": " + res.Message}
}
