package review_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"slices"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/seal"
)

func (f *fixture) sealer(t *testing.T, draw func(string) ([]byte, error)) *review.Sealer {
	return review.NewSealer(review.SealerDeps{Store: f.store, Docs: docsOf(t), Draw: draw, Clock: f.clock, IDs: kyc.RandomIDs{}, Log: f.logger})
}

// approve moves a to APPROVED through the reviewer's transitions, as kyc decides them.
func (f *fixture) approve(t *testing.T, a kyc.Account) kyc.Account {
	t.Helper()
	tr, err := kyc.ChecksPassed(a, a.Documents, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a, err = f.store.Transition(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
	if tr, err = kyc.Approve(a, kyc.Actor{ID: "reviewer-1", Role: kyc.RoleReviewer}, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if a, err = f.store.Transition(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
	return a
}

func wanted(t *testing.T, f *fixture) []string {
	t.Helper()
	ids, err := f.store.ListSealsWanted(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// An approved company without a seal gets a generated one: a 180x180 PNG stored under
// its signImg folder and added to the account, audited, the request gone; a personal
// account or a company with an uploaded seal asks for none, and a run with nothing to do
// writes nothing.
func TestSealerGeneratesMissingSeals(t *testing.T) {
	f := newFixture(t)
	company := f.approve(t, f.submitted(t, kyc.CompanyAccount, companyDocs...))
	person := f.approve(t, f.submitted(t, kyc.PersonalAccount, personalDocs...))
	if got := wanted(t, f); len(got) != 1 || got[0] != company.ID {
		t.Fatalf("seal requests %q, want only the company %s", got, company.ID)
	}
	res, err := f.sealer(t, seal.Draw).Run(t.Context())
	if err != nil || res.Sealed != 1 || res.Failed != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	a, err := f.store.GetAccount(t.Context(), company.ID)
	if err != nil {
		t.Fatal(err)
	}
	doc, ok := a.Documents[kyc.SlotSeal]
	if !ok || a.State != kyc.StateApproved || doc.ContentType != "image/png" || doc.Check != "ok" {
		t.Fatalf("account after the run: %+v", a)
	}
	body, _, err := docsOf(t).Get(t.Context(), doc.Key)
	if err != nil {
		t.Fatalf("the seal's object: %v", err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds() != image.Rect(0, 0, 180, 180) || int64(len(b)) != doc.Size {
		t.Errorf("stored seal: %v, bounds %v, %d bytes (recorded %d)", err, img.Bounds(), len(b), doc.Size)
	}
	trail, err := f.store.ListAudit(t.Context(), company.ID)
	// The fixture's clock stands still, so the trail is not in time order: find it.
	if i := slices.IndexFunc(trail, func(r kyc.AuditRecord) bool { return r.Action == kyc.ActionSealGenerated }); err != nil || i < 0 || trail[i].Actor != kyc.ActorSystem {
		t.Errorf("trail %+v, %v; want the seal's record by the system", trail, err)
	}
	if got := wanted(t, f); len(got) != 0 {
		t.Errorf("requests %q left after the run", got)
	}
	if p, _ := f.store.GetAccount(t.Context(), person.ID); len(p.Documents) != len(person.Documents) {
		t.Error("the personal account was given a seal")
	}
	if res, err := f.sealer(t, seal.Draw).Run(t.Context()); err != nil || res != (review.SealResult{}) {
		t.Errorf("a run with nothing to do = %+v, %v", res, err)
	}
}

// A failed drawing (or store) leaves the request for the next run, and no object behind.
func TestSealerRetriesFailures(t *testing.T) {
	f := newFixture(t)
	company := f.approve(t, f.submitted(t, kyc.CompanyAccount, companyDocs...))
	broken := func(string) ([]byte, error) { return nil, errors.New("no glyph") }
	if res, err := f.sealer(t, broken).Run(t.Context()); err == nil || res.Failed != 1 {
		t.Fatalf("Run with a failing drawer = %+v, %v; want one failure", res, err)
	}
	if got := wanted(t, f); len(got) != 1 {
		t.Fatalf("requests %q after a failure, want it kept", got)
	}
	if res, err := f.sealer(t, seal.Draw).Run(t.Context()); err != nil || res.Sealed != 1 {
		t.Fatalf("next run = %+v, %v", res, err)
	}
	a, _ := f.store.GetAccount(t.Context(), company.ID)
	if _, ok := a.Documents[kyc.SlotSeal]; !ok {
		t.Error("no seal after the retry")
	}
}
