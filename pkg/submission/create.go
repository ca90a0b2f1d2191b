package submission

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// FieldAdminAccountID is the field of POST /v1/accounts/organization naming the
// company's administrator: a VERIFIED (APPROVED) person account of the same integrator.
const FieldAdminAccountID = "adminAccountId"

// CreateOrganization creates an integrator's company account and submits it in the same
// write (seed 004's enterprise flow, POST /v1/accounts/organization), and returns its id.
// p is the integrator app (p.AppKey). in is seed 001's company form, its documents as
// upload keys the app asked POST /v1/uploads for without an accountId (uploads for a
// company it is about to create), plus adminAccountId.
//
// The form is checked before anything is read; the administrator and the upload records
// are read in one call; the documents are checked and copied; then one conditional write
// creates the account SUBMITTED, with its profile's first version, its audit record and
// its account.submitted event. A refusal at any step writes no account and no document.
// The account needs a VERIFIED bank verification as well as a reviewer's approval
// (kyc.Account.BankRequired): API.md.
func (s *Service) CreateOrganization(ctx context.Context, p kyc.Principal, in map[string]string) (string, error) {
	if p.AppKey == "" {
		return "", kyc.Errorf(kyc.EFORBIDDEN, "only an integrator app creates company accounts here")
	}
	prof, err := company.ParseProfile(in, s.clock.Now())
	if err != nil {
		return "", err
	}
	adminID := strings.TrimSpace(in[FieldAdminAccountID])
	if adminID == "" {
		return "", kyc.FieldError(kyc.EMISSING, FieldAdminAccountID, "required: a verified person account of the app")
	}
	if s.objects == nil {
		return "", errNoObjects
	}
	srcs := map[string]Source{}
	var keys []string
	for slot, key := range prof.Documents() {
		srcs[slot] = Source{Key: key}
		if issuedKey(key) {
			keys = append(keys, key)
		}
	}
	admin, uploads, err := s.store.GetAccountAndUploads(ctx, adminID, keys, s.clock.Now())
	if kyc.IsCode(err, kyc.ENOTFOUND) || err == nil && !(admin.OwnerKind == kyc.OwnerIntegrator && admin.OwnerID == p.AppKey) {
		// Another app's account is not found either: an app cannot learn which ids exist.
		return "", &kyc.Error{Code: kyc.ENOTFOUND, Field: FieldAdminAccountID, Reason: "not found", Message: FieldAdminAccountID + ": no such person account of this app"}
	}
	if err != nil {
		return "", err
	}
	if admin.Type != kyc.PersonalAccount || admin.State != kyc.StateApproved {
		return "", &kyc.Error{Code: kyc.ECONFLICT, Field: FieldAdminAccountID, Reason: "not verified",
			Message: FieldAdminAccountID + ": the administrator must be a person account that passed its verification (it is " + string(admin.State) + ")"}
	}
	now := s.clock.Now()
	// Named by the app and the licence's upload: an app that sends the same form again
	// (its answer lost) is told the account it created, and no second one is made.
	id := kyc.DerivedID("integrator-company", p.AppKey, prof.Documents()[company.SlotLicence])
	acct := kyc.Account{ID: id, OwnerKind: kyc.OwnerIntegrator, OwnerID: p.AppKey, State: kyc.StateUnverified,
		AdminAccountID: admin.ID, BankRequired: true, CreatedAt: now, UpdatedAt: now}
	// The app acts as the new account's owner; its uploads for a company to create were
	// recorded with no account, which is what this principal's account says.
	owner := kyc.Principal{UserID: p.AppKey, Role: p.Role, TokenHash: p.TokenHash, AppKey: p.AppKey}
	sub := kyc.Submission{Type: kyc.CompanyAccount, Organization: prof.Name, IDNumber: prof.RegNo, Slots: slices.Sorted(maps.Keys(srcs))}
	err = s.submitRead(ctx, owner, sub, srcs, &prof, acct, uploads)
	if kyc.IsCode(err, kyc.ECONFLICT) {
		if created, gerr := s.store.GetAccount(ctx, id); gerr == nil && created.OwnerID == p.AppKey && created.OwnerKind == kyc.OwnerIntegrator {
			return "", &kyc.Error{Code: kyc.EEXISTS, Message: "This company was created already with this licence upload.", Data: map[string]string{"accountId": id}}
		}
	}
	if err != nil {
		return "", err
	}
	return acct.ID, nil
}
