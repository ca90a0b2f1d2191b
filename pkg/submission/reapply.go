package submission

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// ReapplyResult is the outcome of POST /v1/organization/reapply.
type ReapplyResult struct {
	// Resubmitted says the request was a re-application (authStatus=0), now SUBMITTED and
	// queued for review; otherwise it was a modification, final at once.
	Resubmitted bool `json:"-"`
	// Version is the company profile's current version after the request.
	Version int64 `json:"version"`
	// Changed names the fields the modification changed (never their values); empty
	// when it changed nothing, and then nothing was written.
	Changed []string `json:"changed"`
}

// documentChecked is the check of a document that passed the automated checks (the
// review worker's "ok"): a modification's new documents are checked in full before the
// modification is written, so they reach the account checked.
const documentChecked = "ok"

// Reapply serves seed 001's reapply (API.md): authStatus=1 modifies an APPROVED company at
// once (company.Modify: locked fields refused, a new profile version, documents that
// change checked in full here, in the request, before anything is written); authStatus=0
// re-applies after a RETRY rejection (a new submission with the merged profile, keeping
// the documents it does not replace). Any other state is ECONFLICT saying why.
//
// Three store calls with the session's: the account, its current profile and the upload
// records of the request's keys in one read, then one transition. A refusal leaves
// nothing: no version, no document, no attempt.
//
// files, when not nil, are documents sent in the request itself (seed 001's multipart
// form) by form field name, in place of upload keys: each is checked in full before it is
// stored, as an adopted upload is.
func (s *Service) Reapply(ctx context.Context, p kyc.Principal, in map[string]string, files map[string][]byte) (ReapplyResult, error) {
	if s.objects == nil {
		return ReapplyResult{}, errNoObjects
	}
	mode, err := company.ParseAuthStatus(in[company.FieldAuthStatus])
	if err != nil {
		return ReapplyResult{}, err
	}
	fields := maps.Clone(in)
	delete(fields, company.FieldAuthStatus)
	for _, slot := range documentSlots() {
		if _, ok := files[FieldOfSlot(slot)]; ok {
			fields[FieldOfSlot(slot)] = inlineDocument
		}
	}
	var keys []string
	for _, slot := range documentSlots() {
		if k := strings.TrimSpace(fields[FieldOfSlot(slot)]); issuedKey(k) {
			keys = append(keys, k)
		}
	}
	now := s.clock.Now()
	acct, stored, uploads, live, err := s.store.GetAccountProfileUploadsAndCert(ctx, p.AccountID, keys, now)
	if err != nil {
		return ReapplyResult{}, err
	}
	if err := owns(p, acct); err != nil {
		return ReapplyResult{}, err
	}
	if acct.Type != kyc.CompanyAccount || stored == nil || stored.Fields[company.FieldForm] == company.FormSeed000 {
		// A seed 000 company's version holds too little of the form to modify or re-apply
		// from: it applies (or, approved, stays) as seed 000 made it.
		return ReapplyResult{}, kyc.Errorf(kyc.ECONFLICT, "reapply changes a company's profile; this account has none yet (apply with POST /v1/organization)")
	}
	current, err := company.ParseProfile(stored.Fields, now)
	if err != nil {
		return ReapplyResult{}, fmt.Errorf("stored profile version %d of account %s no longer parses: %w", stored.Version, acct.ID, err)
	}
	current.Version = stored.Version
	next, changed, err := company.Modify(current, acct.State, fields, mode, now)
	if err != nil {
		return ReapplyResult{}, err
	}
	if mode == company.AuthRejected {
		return s.reapplyRejected(ctx, p, acct, current, next, uploads, files)
	}
	return s.modify(ctx, p, acct, current, next, changed, uploads, live, files)
}

// legalFields are the fields whose change is a company's legal change (DOMAIN.md
// Certificates): the certified name, and the legal person's name or ID number.
var legalFields = []string{company.FieldName, company.FieldLegalName, company.FieldLegalIDCard}

// isLegalChange reports whether a modification changing the fields changed is a legal
// change, which revokes the company's live certificate.
func isLegalChange(changed []string) bool {
	return slices.ContainsFunc(changed, func(f string) bool { return slices.Contains(legalFields, f) })
}

// modify writes the modification of an approved company: the documents that change are
// adopted from their uploads and checked in full first.
//
// A legal change (isLegalChange) revokes the account's live certificate, live as read
// with the account, in the modification's own transaction (reason affiliationChanged):
// no new name is stored while a certificate with the old one is live. When there was
// none, the same transaction checks that there still is none.
func (s *Service) modify(ctx context.Context, p kyc.Principal, acct kyc.Account, current, next company.Profile, changed []string,
	uploads map[string]kyc.Upload, live *kyc.LiveCert, files map[string][]byte) (ReapplyResult, error) {
	if len(changed) == 0 {
		return ReapplyResult{Version: current.Version, Changed: []string{}}, nil
	}
	was, now := current.Documents(), next.Documents()
	var written []kyc.Document
	docs := map[string]kyc.Document{}
	var removed []string
	for _, name := range documentSlots() {
		key := now[name]
		if key == was[name] {
			continue
		}
		if key == "" {
			removed = append(removed, name)
			continue
		}
		var d kyc.Document
		var err error
		if data, ok := files[FieldOfSlot(name)]; ok && key == inlineDocument {
			d, err = s.inlineChecked(ctx, acct.ID, FieldOfSlot(name), name, data)
		} else {
			d, err = s.adoptChecked(ctx, p, acct.ID, FieldOfSlot(name), name, key, uploads)
		}
		if err != nil {
			s.deleteAll(ctx, written)
			return ReapplyResult{}, err
		}
		written = append(written, d)
		docs[name] = d
	}
	at := s.clock.Now()
	t, err := kyc.Modify(acct, kyc.Modification{Organization: next.Name, Address: next.Address, Documents: docs, Removed: removed, Changed: changed},
		kyc.Actor{ID: p.UserID, Role: p.Role}, at)
	if err != nil {
		s.deleteAll(ctx, written)
		return ReapplyResult{}, err
	}
	t.Profile = profileVersion(next, acct, docs, p, at)
	t.Profile.Changed = changed
	t.Account.ProfileVersion = t.Profile.Version
	if isLegalChange(changed) {
		t.RevokeCert = &kyc.CertRevocation{Live: live, Reason: int(ca.AffiliationChanged)}
	}
	if _, err := s.store.Transition(ctx, t); err != nil {
		s.deleteAll(ctx, written)
		if kyc.IsCode(err, kyc.ECONFLICT) {
			return ReapplyResult{}, kyc.Errorf(kyc.ECONFLICT, "the account changed meanwhile; send the modification again")
		}
		return ReapplyResult{}, fmt.Errorf("modify: %w", err)
	}
	// The earlier versions keep naming the documents they had, so replaced files stay.
	s.log.InfoContext(ctx, "company modified", slog.String("account_id", acct.ID), slog.Int64("profile_version", t.Profile.Version))
	if t.RevokeCert != nil && live != nil {
		s.log.InfoContext(ctx, "certificate revoked by a legal change", slog.String("account_id", acct.ID), slog.String("certificate_id", live.ID))
	}
	return ReapplyResult{Version: t.Profile.Version, Changed: changed}, nil
}

// adoptChecked adopts the upload key for slot name and runs the review worker's document
// checks on it in full (filecheck.CheckBytes: decoded whole, no active content), storing
// it without its metadata, as the worker would before a reviewer sees it.
func (s *Service) adoptChecked(ctx context.Context, p kyc.Principal, accountID, field, name, key string, uploads map[string]kyc.Upload) (kyc.Document, error) {
	slot, ok := filecheck.LookupSlot(name)
	if !ok {
		return kyc.Document{}, fmt.Errorf("form slot %q is not a file slot", name)
	}
	rec, found := uploads[key]
	if err := checkRecord(p, field, rec, found, slot); err != nil {
		return kyc.Document{}, err
	}
	d, err := s.adopt(ctx, accountID, field, rec, slot)
	if err != nil {
		return kyc.Document{}, err
	}
	fail := func(err error) (kyc.Document, error) {
		s.deleteAll(ctx, []kyc.Document{d})
		return kyc.Document{}, err
	}
	// One byte over the slot's limit tells "too large" from "at the limit".
	b, err := s.objects.GetRange(ctx, d.Key, 0, slot.MaxBytes+1)
	if err != nil {
		return fail(fmt.Errorf("read document: %w", err))
	}
	res := filecheck.CheckBytes(b, slot)
	if int64(len(b)) > slot.MaxBytes {
		res = filecheck.Result{Code: filecheck.TooLarge, Message: "file too large"}
	}
	if !res.OK() {
		return fail(fileProblem(field, res))
	}
	if stripped, removed := filecheck.StripMetadata(b); removed {
		if err := s.objects.Put(ctx, d.Key, d.ContentType, bytes.NewReader(stripped)); err != nil {
			return fail(fmt.Errorf("write back the document without metadata: %w", err))
		}
		d.Size = int64(len(stripped))
	}
	d.Check = documentChecked
	return d, nil
}

// inlineChecked is adoptChecked for a file sent in the request: checked in full
// (putInline) and stored without its metadata.
func (s *Service) inlineChecked(ctx context.Context, accountID, field, name string, data []byte) (kyc.Document, error) {
	slot, ok := filecheck.LookupSlot(name)
	if !ok {
		return kyc.Document{}, fmt.Errorf("form slot %q is not a file slot", name)
	}
	if stripped, removed := filecheck.StripMetadata(data); removed {
		data = stripped
	}
	d, err := s.putInline(ctx, accountID, field, data, slot)
	if err != nil {
		return kyc.Document{}, err
	}
	d.Check = documentChecked
	return d, nil
}

// reapplyRejected submits next, the merged profile of a rejected company, again: the
// documents it names anew come from their uploads, the others are the account's as they
// are, except those the rejection asked to upload anew.
func (s *Service) reapplyRejected(ctx context.Context, p kyc.Principal, acct kyc.Account, current, next company.Profile,
	uploads map[string]kyc.Upload, files map[string][]byte) (ReapplyResult, error) {
	was := current.Documents()
	srcs := map[string]Source{}
	for name, key := range next.Documents() {
		if d, ok := acct.Documents[name]; ok && key == was[name] && key == d.Key {
			if slices.Contains(acct.ReuploadSlots, name) {
				return ReapplyResult{}, kyc.FieldError(kyc.EMISSING, FieldOfSlot(name), "the rejection asks for this document anew: upload it")
			}
			srcs[name] = Source{Stored: &d}
			continue
		}
		if data, ok := files[FieldOfSlot(name)]; ok && key == inlineDocument {
			srcs[name] = Source{Data: data, Inline: true}
			continue
		}
		srcs[name] = Source{Key: key}
	}
	sub := kyc.Submission{Type: kyc.CompanyAccount, Organization: next.Name, IDNumber: next.RegNo, Slots: slices.Sorted(maps.Keys(srcs))}
	if err := s.submitRead(ctx, p, sub, srcs, &next, acct, uploads); err != nil {
		return ReapplyResult{}, err
	}
	return ReapplyResult{Resubmitted: true, Version: acct.ProfileVersion + 1}, nil
}
