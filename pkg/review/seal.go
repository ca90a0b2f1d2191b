package review

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// SealStore is what the seal generator reads and writes; any kyc.Store is one.
type SealStore interface {
	ListSealsWanted(ctx context.Context, limit int) ([]string, error)
	DropSealWanted(ctx context.Context, accountID string) error
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error)
}

// SealObjects stores the generated seals; any kyc.Documents is one.
type SealObjects interface {
	Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error
	Delete(ctx context.Context, key string) error
}

// SealerDeps are what the seal generator is built from. Every field is required.
type SealerDeps struct {
	Store SealStore
	Docs  SealObjects
	// Draw draws a company's seal (pkg/seal.Draw, given by the seal function's main).
	Draw  func(companyName string) ([]byte, error)
	Clock kyc.Clock
	IDs   kyc.IDs
	Log   *slog.Logger
}

// Sealer generates the seals of approved companies that uploaded none (DOMAIN.md): the
// approval records the request in its own transaction (kyc.Transition.WantSeal), and each
// run draws the seal of every recorded account, stores it as the account's signImg
// document (a private object under accounts/<id>/signImg/, like uploads) and adds it to
// the account in one transaction with the request's removal, so a crash anywhere leaves
// the request for the next run.
type Sealer struct {
	d SealerDeps
}

// NewSealer returns the seal generator over d.
func NewSealer(d SealerDeps) *Sealer { return &Sealer{d: d} }

// SealResult is what a run did, the schedule's result (the reconciler's shape: sealed
// counted as requeued).
type SealResult struct {
	Sealed int `json:"requeued"`
	Failed int `json:"failed"`
}

// sealBatch bounds one run; the rest waits for the next.
const sealBatch = 100

// Run generates the seals wanted now. A failure on one account is logged and counted,
// and the run goes on; Run fails when any failed, so the schedule's run is seen to fail.
func (s *Sealer) Run(ctx context.Context) (SealResult, error) {
	ids, err := s.d.Store.ListSealsWanted(ctx, sealBatch)
	if err != nil {
		return SealResult{}, err
	}
	var res SealResult
	for _, id := range ids {
		sealed, err := s.one(ctx, id)
		if err != nil {
			res.Failed++
			s.d.Log.ErrorContext(ctx, "seal: generation failed", slog.String("account_id", id), slog.String("error", err.Error()))
			continue
		}
		if sealed {
			res.Sealed++
		}
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("seal: %d of %d seals failed", res.Failed, len(ids))
	}
	return res, nil
}

// one generates the seal of account id if it still wants one (and drops its request if
// not): GetAccount, the object's PUT, then one transaction.
func (s *Sealer) one(ctx context.Context, id string) (bool, error) {
	acct, err := s.d.Store.GetAccount(ctx, id)
	if kyc.IsCode(err, kyc.ENOTFOUND) || err == nil && !kyc.WantsSeal(acct) {
		// Deleted, or it uploaded a seal (or stopped being an approved company) since.
		return false, s.d.Store.DropSealWanted(ctx, id)
	}
	if err != nil {
		return false, err
	}
	png, err := s.d.Draw(acct.Organization)
	if err != nil {
		return false, fmt.Errorf("draw: %w", err)
	}
	doc := kyc.Document{Slot: kyc.SlotSeal, Key: fmt.Sprintf("accounts/%s/%s/%s", acct.ID, kyc.SlotSeal, s.d.IDs.NewID()),
		ContentType: "image/png", Size: int64(len(png)), UploadedAt: s.d.Clock.Now(), Check: checkOK}
	if err := s.d.Docs.Put(ctx, doc.Key, doc.ContentType, bytes.NewReader(png)); err != nil {
		return false, fmt.Errorf("store the seal: %w", err)
	}
	t, err := kyc.SealGenerated(acct, doc, s.d.Clock.Now())
	if err == nil {
		_, err = s.d.Store.Transition(ctx, t)
	}
	if err != nil {
		// Not added: the object goes, and the request stays for the next run.
		if derr := s.d.Docs.Delete(context.WithoutCancel(ctx), doc.Key); derr != nil {
			s.d.Log.WarnContext(ctx, "seal: could not delete a seal that was not added", slog.String("account_id", id), slog.String("error", derr.Error()))
		}
		return false, fmt.Errorf("add the seal: %w", err)
	}
	s.d.Log.InfoContext(ctx, "seal generated", slog.String("account_id", id))
	return true, nil
}
