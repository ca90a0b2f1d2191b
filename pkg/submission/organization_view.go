package submission

import (
	"context"

	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// OrganizationView is GET /v1/organization's answer: the current profile version (the
// document fields left out: they name stored objects, which Documents covers), which
// document slots hold a file, the account's state, and whether a seal is present.
type OrganizationView struct {
	State     kyc.State         `json:"state"`
	Version   int64             `json:"version"`
	Profile   map[string]string `json:"profile"`
	Documents map[string]bool   `json:"documents"`
	Seal      bool              `json:"seal"`
}

// Organization returns the caller's company profile: one store call. An account that has
// not applied yet answers version 0 and no profile, with its state, so that an app shows
// the form rather than an error.
func (s *Service) Organization(ctx context.Context, p kyc.Principal) (OrganizationView, error) {
	acct, versions, err := s.store.GetAccountAndProfiles(ctx, p.AccountID)
	if err != nil {
		return OrganizationView{}, err
	}
	if err := owns(p, acct); err != nil {
		return OrganizationView{}, err
	}
	view := OrganizationView{State: acct.State, Documents: map[string]bool{}}
	if len(versions) == 0 {
		return view, nil
	}
	cur := versions[len(versions)-1]
	view.Version, view.Profile = cur.Version, map[string]string{}
	docFields := map[string]bool{}
	for _, slot := range documentSlots() {
		docFields[FieldOfSlot(slot)] = true
		_, ok := acct.Documents[slot]
		view.Documents[slot] = ok
	}
	for name, v := range cur.Fields {
		if !docFields[name] {
			view.Profile[name] = v
		}
	}
	view.Seal = view.Documents[company.SlotSignImg]
	return view, nil
}

// documentSlots are the company form's document slots.
func documentSlots() []string {
	return []string{company.SlotLicence, company.SlotOrganizationCodeImg, company.SlotTaxCertificateImg,
		company.SlotSignApplication, company.SlotSignImg, company.SlotLegalIDFront, company.SlotLegalIDBack}
}
