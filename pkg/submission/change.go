package submission

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// ChangeToEnterprise asks for the caller's APPROVED personal account to become the
// account of the company in (seed 002). The request's fields are checked first (the
// first problem names its field), then the account: every unmet precondition is named
// at once (EPRECONDITION, company.FailCheckItems). Each verified_file_url key must be an
// upload handed to the caller for the slot its position means; the files are copied under
// the account and the change is stored as pending with one conditional write, the account
// itself untouched until a reviewer decides. A refused request writes nothing and leaves
// no copied file behind.
//
// Attempts: every stored change counts, and an account may submit MaxAttempts changes
// (the setting that bounds submissions), so a rejected company cannot be retried forever.
//
// Two store calls: the account, its change and the uploads in one read, then the write.
func (s *Service) ChangeToEnterprise(ctx context.Context, p kyc.Principal, in company.ChangeInput) error {
	if s.objects == nil {
		return errNoObjects
	}
	c, err := company.ParseChange(in, s.clock.Now())
	if err != nil {
		return err
	}
	// A user changes their own account; an app names one of its own (httpapi.actingFor).
	if c.CustomerID != "" && c.CustomerID != p.AccountID {
		return &kyc.Error{Code: kyc.EFORBIDDEN, Field: company.FieldCustomerID, Reason: "not your account",
			Message: company.FieldCustomerID + ": not your account"}
	}
	acct, prev, uploads, err := s.store.GetAccountChangeAndUploads(ctx, p.AccountID, issuedKeys(c.Files), s.clock.Now())
	if err != nil {
		return err
	}
	if err := owns(p, acct); err != nil {
		return err
	}
	st := company.ChangeState{Account: acct, PendingChange: prev.Pending, Attempts: prev.Attempts, MaxAttempts: s.maxAttempts}
	if _, items, err := company.CheckEnterpriseChange(st, in, s.clock.Now()); err != nil {
		return err
	} else if len(items) > 0 {
		return kyc.PreconditionError(items)
	}
	docs, err := s.adoptChangeFiles(ctx, p, acct.ID, c, uploads)
	if err != nil {
		return err
	}
	stored, err := s.store.PutChange(ctx, acct, s.pendingChange(p, acct, c, prev, docs))
	if err != nil {
		s.deleteAll(ctx, docList(docs))
		if kyc.IsCode(err, kyc.ECONFLICT) {
			return kyc.Errorf(kyc.ECONFLICT, "the account changed meanwhile; send the change again")
		}
		return fmt.Errorf("store change: %w", err)
	}
	s.log.InfoContext(ctx, "enterprise change submitted", slog.String("account_id", acct.ID), slog.Int("attempt", stored.Attempts))
	return nil
}

// issuedKeys are the keys worth asking the store about (see issuedKey).
func issuedKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		if issuedKey(k) {
			out = append(out, k)
		}
	}
	return out
}

// adoptChangeFiles checks each file of c against its upload record (the caller's, for
// the slot of its position) and copies it under the account; on any refusal the copies
// made so far are deleted.
func (s *Service) adoptChangeFiles(ctx context.Context, p kyc.Principal, accountID string, c company.Change, uploads map[string]kyc.Upload) (map[string]kyc.Document, error) {
	// In the request's order, so that of several bad files the first is named.
	slotOf := map[string]string{}
	for slotName, key := range c.Documents() {
		slotOf[key] = slotName
	}
	docs := map[string]kyc.Document{}
	for i, key := range c.Files {
		field := fmt.Sprintf("%s[%d]", company.FieldVerifiedFileURL, i)
		slot, ok := filecheck.LookupSlot(slotOf[key])
		if !ok {
			s.deleteAll(ctx, docList(docs))
			return nil, fmt.Errorf("change slot %q is not a file slot", slotOf[key])
		}
		rec, found := uploads[key]
		err := checkRecord(p, field, rec, found, slot)
		var d kyc.Document
		if err == nil {
			d, err = s.adopt(ctx, accountID, field, rec, slot)
		}
		if err != nil {
			s.deleteAll(ctx, docList(docs))
			return nil, err
		}
		docs[slot.Name] = d
	}
	return docs, nil
}

// pendingChange is the change to store: c with its documents, counting one more attempt
// than prev (the account's last change, the zero one if none), at prev's version.
func (s *Service) pendingChange(p kyc.Principal, acct kyc.Account, c company.Change, prev kyc.EnterpriseChange, docs map[string]kyc.Document) kyc.EnterpriseChange {
	return kyc.EnterpriseChange{
		AccountID: acct.ID, CorpName: c.CorpName, VerifiedNumber: c.VerifiedNumber,
		OrganizationType: c.OrganizationType, RegCountry: c.RegCountry, RegAddress: c.RegAddress,
		LegalName: c.LegalName, LegalIDNumber: c.LegalIDNumber, CertifierRole: c.CertifierRole,
		Documents: docs, Attempts: prev.Attempts + 1, SubmittedAt: s.clock.Now(), SubmittedBy: p.UserID,
		Version: prev.Version,
	}
}

func docList(docs map[string]kyc.Document) []kyc.Document {
	out := make([]kyc.Document, 0, len(docs))
	for _, d := range docs {
		out = append(out, d)
	}
	return out
}
