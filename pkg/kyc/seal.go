package kyc

import (
	"maps"
	"time"
)

// SlotSeal is the document slot of a company's seal (seed 001's signImg).
const SlotSeal = "signImg"

// ActionSealGenerated is the audit action of the platform's seal, generated after approval
// for a company that uploaded none.
const ActionSealGenerated = "seal_generated"

// WantsSeal reports whether a is an APPROVED company without a seal: the platform
// generates one (DOMAIN.md).
func WantsSeal(a Account) bool {
	_, has := a.Documents[SlotSeal]
	return a.Type == CompanyAccount && a.State == StateApproved && !has
}

// SealGenerated adds seal, the generated seal's stored document, to a, which must still
// want one (ECONFLICT otherwise: the company uploaded one meanwhile, or is no longer an
// approved company), and ends the account's seal request. The account stays APPROVED;
// the system is the audit record's actor.
func SealGenerated(a Account, seal Document, at time.Time) (Transition, error) {
	if !WantsSeal(a) {
		return Transition{}, Errorf(ECONFLICT, "the account is a %s %s that wants no generated seal", a.State, a.Type)
	}
	next := a
	next.Documents = maps.Clone(a.Documents)
	if next.Documents == nil {
		next.Documents = map[string]Document{}
	}
	seal.Slot, seal.Generated = SlotSeal, true
	next.Documents[SlotSeal] = seal
	next.UpdatedAt = at
	t := transition(a, next, AuditRecord{At: at, Actor: ActorSystem, Action: ActionSealGenerated})
	t.SealDone = true
	return t, nil
}
