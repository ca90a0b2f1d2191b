// Package bankcheck runs bank verifications (issue 15, API.md "Bank verification and
// certificates"): it reads the account and its current verification, applies the rules
// of pkg/bankverify, pays through the payout port and writes through Store (pkg/dynamo
// implements it). pkg/bankverify holds the rules and stays pure; this package holds the
// order of the steps and what each failure leaves behind.
//
// # Start
//
// One read (the account and its current verification), then one transaction that
// reserves the daily limit and puts the new PAID verification on condition that the
// current one is not VERIFIED, then the payout. The reservation comes before the payout,
// so a refused payout counts against the limit too (it bounds probing of other people's
// bank accounts as well as the cost). A refused payout removes the verification just
// written (conditional on its id), so nothing is left behind but the spent reservation;
// a provider that could not answer leaves it PAID (the money may have moved: if it did,
// the amount confirms) and answers 503.
//
// # Confirm
//
// One read, bankverify.Confirm, and when that changes the verification one transaction:
// the verification on condition of the version read; when it becomes VERIFIED, the
// account's kyc.RecordBankVerified transition on condition of the account's version (so
// of a reviewer's approval and a bank confirmation at once exactly one approves: the other
// fails its condition, reads again and decides on what it finds); when it ends (VERIFIED,
// FAILED, EXPIRED) the bank_verification.completed event in the outbox and, for a judged
// answer (VERIFIED, FAILED), the bank micro-payment factor. A lost race reads again and
// judges the answer against what it finds, a few times: two answers at once never spend
// the same try.
package bankcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/bankverify"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/payout"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// FactorKind is the kind of the factor a judged bank verification records on its
// account (DOMAIN.md "Factors": bank micro-payment).
const FactorKind = "bank_micropayment"

// Record is a stored verification: bankverify's, and the payout provider that paid it
// (the provider of the factor its answer records).
type Record struct {
	bankverify.Verification
	Provider string
}

// Answer is what one judged answer writes, in one transaction.
type Answer struct {
	// Next replaces the stored verification, on condition that its version is still
	// FromVersion.
	Next        Record
	FromVersion int64
	// Transition is the account's kyc.RecordBankVerified (nil when the verification does
	// not become VERIFIED, or the account holds the verdict already); conditional on the
	// account's state and version as every transition is.
	Transition *kyc.Transition
	// Event is the bank_verification.completed event (nil unless Next ends).
	Event *webhook.OutboxEvent
	// Factor is the bank micro-payment factor (nil unless the answer was judged).
	Factor *kyc.Factor
}

// Store keeps an account's current bank verification, one item beside the account.
type Store interface {
	// GetAccountAndBankCheck reads the account and its current verification in one
	// call; found is false when it has none. ENOTFOUND when the account does not exist.
	GetAccountAndBankCheck(ctx context.Context, accountID string) (acct kyc.Account, current Record, found bool, err error)
	// StartBankCheck, in one transaction, reserves limit at now and puts r as its
	// account's current verification on condition that the current one is not VERIFIED:
	// ETOOMANY when the limit is full, ECONFLICT when the current one is VERIFIED;
	// nothing written then.
	StartBankCheck(ctx context.Context, r Record, limit kyc.Limit, now time.Time) error
	// DropBankCheck deletes the account's current verification if it is still id.
	DropBankCheck(ctx context.Context, accountID, id string) error
	// SaveBankAnswer writes a in one transaction: ECONFLICT when the verification or the
	// account moved on (or the account's approval would claim an identity another account
	// holds); nothing written then.
	SaveBankAnswer(ctx context.Context, a Answer) error
}

// Payouts is the payout port (pkg/payout's Provider).
type Payouts interface {
	Pay(ctx context.Context, p payout.Payout) (payout.Receipt, error)
}

// Service runs bank verifications. Payouts is nil in the confirm function, which pays
// nothing; Dispatch (nil: the sweeper queues) queues the events a committed answer wrote.
type Service struct {
	Store    Store
	Payouts  Payouts
	Provider string // the payouts' provider name, recorded with each verification
	Secret   []byte // the amount secret (BANK_VERIFY_SECRET)
	Dispatch func(ctx context.Context, evs ...webhook.OutboxEvent)
	Clock    kyc.Clock
	IDs      kyc.IDs
	Log      *slog.Logger
}

// confirmTries bounds the reads again after a lost race on the verification or the
// account.
const confirmTries = 4

// Started is the answer to a start.
type Started struct {
	Status    bankverify.Status `json:"status"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// Confirmed is the answer to a right amount.
type Confirmed struct {
	Status bankverify.Status `json:"status"`
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC() }

// owns: an app acts for the accounts it created, a user for their own (another's account
// is not found, as one that does not exist: a caller learns nothing of others' accounts).
func owns(p kyc.Principal, acct kyc.Account) bool {
	if p.AppKey != "" {
		return acct.OwnerKind == kyc.OwnerIntegrator && acct.OwnerID == p.AppKey
	}
	return p.UserID != "" && acct.OwnerKind == kyc.OwnerUser && acct.OwnerID == p.UserID
}

// read is the account p acts for and its current verification.
func (s *Service) read(ctx context.Context, p kyc.Principal, accountID string) (kyc.Account, Record, bool, error) {
	if accountID == "" {
		return kyc.Account{}, Record{}, false, kyc.FieldError(kyc.EMISSING, "accountId", "required")
	}
	acct, cur, found, err := s.Store.GetAccountAndBankCheck(ctx, accountID)
	if err != nil {
		return kyc.Account{}, Record{}, false, err
	}
	if !owns(p, acct) {
		return kyc.Account{}, Record{}, false, kyc.Errorf(kyc.ENOTFOUND, "Account not found.")
	}
	if acct.Type != kyc.CompanyAccount {
		return kyc.Account{}, Record{}, false, kyc.Errorf(kyc.ECONFLICT,
			"Bank verification is for company accounts: a company proves its bank account under its registered name, and this is a personal account.")
	}
	return acct, cur, found, nil
}

// Start starts a verification of the bank account in req for the company account
// accountID that p acts for, and pays its amount.
func (s *Service) Start(ctx context.Context, p kyc.Principal, accountID string, req bankverify.Request) (Started, error) {
	if s.Payouts == nil || len(s.Secret) == 0 {
		return Started{}, errors.New("bankcheck: start needs the payouts and the amount secret")
	}
	acct, cur, found, err := s.read(ctx, p, accountID)
	if err != nil {
		return Started{}, err
	}
	if strings.TrimSpace(acct.Organization) == "" {
		return Started{}, kyc.Errorf(kyc.ECONFLICT, "The company has no registered name yet: submit the company's application first.")
	}
	req, err = bankverify.ParseRequest(req, acct.Organization)
	if err != nil {
		return Started{}, err
	}
	if found {
		if err := bankverify.MayStart(cur.Verification, acct.Organization); err != nil {
			return Started{}, err
		}
	}
	amount, err := bankverify.NewAmount()
	if err != nil {
		return Started{}, err
	}
	now := s.now()
	v, err := bankverify.New("bv_"+s.IDs.NewID(), acct.ID, req, amount, s.Secret, now)
	if err != nil {
		return Started{}, fmt.Errorf("bankcheck: new verification: %w", err)
	}
	if err := s.Store.StartBankCheck(ctx, Record{Verification: v, Provider: s.Provider}, bankverify.DailyLimit(acct.ID), now); err != nil {
		if kyc.IsCode(err, kyc.ETOOMANY) {
			return Started{}, kyc.Errorf(kyc.ETOOMANY, "At most %d bank verifications a day per account; try again tomorrow.", bankverify.NewPerDay)
		}
		return Started{}, err
	}
	receipt, err := s.Payouts.Pay(ctx, payout.Payout{VerificationID: v.ID, AccountID: acct.ID, AccountName: req.AccountName,
		AccountNo: req.AccountNo, BankName: req.BankName, Branch: req.Branch, AmountFen: amount.Fen()})
	switch {
	case errors.Is(err, payout.ErrUnavailable):
		// Whether money moved is unknown: the verification stays PAID, so an amount that
		// did arrive confirms; one that did not expires unused.
		s.Log.WarnContext(ctx, "bank verification payout unavailable", slog.String("account_id", acct.ID),
			slog.String("verification_id", v.ID), slog.String("error", err.Error()))
		return Started{}, kyc.Errorf(kyc.EUNAVAILABLE, "The payment provider could not be reached. If the amount arrives, confirm it; otherwise start again later.")
	case err != nil:
		s.drop(ctx, acct.ID, v.ID)
		return Started{}, fmt.Errorf("bankcheck: pay: %w", err)
	case receipt.Status == payout.Refused:
		s.drop(ctx, acct.ID, v.ID)
		s.Log.InfoContext(ctx, "bank verification payout refused", slog.String("account_id", acct.ID),
			slog.String("verification_id", v.ID), slog.String("reason", receipt.Reason))
		return Started{}, bankverify.PayoutRefused(receipt.Reason)
	case receipt.Status != payout.Accepted:
		s.drop(ctx, acct.ID, v.ID)
		return Started{}, fmt.Errorf("bankcheck: pay: unknown receipt status %q", receipt.Status)
	}
	s.Log.InfoContext(ctx, "bank verification started", slog.String("account_id", acct.ID), slog.String("verification_id", v.ID))
	return Started{Status: v.Status, ExpiresAt: v.ExpiresAt}, nil
}

// drop removes a verification whose payout did not happen. A failure is logged: the
// verification then stays PAID with an amount nobody received, and expires unused.
func (s *Service) drop(ctx context.Context, accountID, id string) {
	if err := s.Store.DropBankCheck(context.WithoutCancel(ctx), accountID, id); err != nil {
		s.Log.ErrorContext(ctx, "bank verification not removed after its payout failed", slog.String("account_id", accountID),
			slog.String("verification_id", id), slog.String("error", err.Error()))
	}
}

// Confirm judges answer (the amount the company read on its statement) against the
// current verification of the company account accountID that p acts for.
func (s *Service) Confirm(ctx context.Context, p kyc.Principal, accountID, answer string) (Confirmed, error) {
	if len(s.Secret) == 0 {
		return Confirmed{}, errors.New("bankcheck: confirm needs the amount secret")
	}
	// A malformed answer is refused before anything is read: it costs no try.
	amount, err := bankverify.ParseAmount(answer)
	if err != nil {
		return Confirmed{}, err
	}
	for range confirmTries {
		acct, cur, found, err := s.read(ctx, p, accountID)
		if err != nil {
			return Confirmed{}, err
		}
		if !found {
			return Confirmed{}, kyc.Errorf(kyc.ENOTFOUND, "No bank verification has been started for this account.")
		}
		now := s.now()
		next, verdict := bankverify.Confirm(cur.Verification, amount, s.Secret, now)
		if next.Version == cur.Version {
			return confirmed(next, verdict)
		}
		a, err := s.answer(acct, cur, next, now)
		if err != nil {
			return Confirmed{}, err
		}
		err = s.Store.SaveBankAnswer(ctx, a)
		var ke *kyc.Error
		if errors.As(err, &ke) && ke.Reason == kyc.ReasonIdentityTaken {
			// Not a race: the company's identity is approved on another account. Nothing
			// is written (the amount may be told again); a reviewer decides the account.
			return Confirmed{}, kyc.Errorf(kyc.ECONFLICT, "The company's identity is verified on another account already; the reviewer decides this one.")
		}
		if kyc.IsCode(err, kyc.ECONFLICT) {
			continue // the verification or the account moved on: judge again on what is there now
		}
		if err != nil {
			return Confirmed{}, err
		}
		s.dispatch(ctx, a)
		s.Log.InfoContext(ctx, "bank verification answered", slog.String("account_id", acct.ID), slog.String("verification_id", next.ID),
			slog.String("status", string(next.Status)), slog.Int("wrong", next.Wrong), slog.Bool("account_changed", a.Transition != nil))
		return confirmed(next, verdict)
	}
	return Confirmed{}, kyc.Errorf(kyc.ECONFLICT, "The bank verification was changed meanwhile; try again.")
}

func confirmed(v bankverify.Verification, verdict error) (Confirmed, error) {
	if verdict != nil {
		return Confirmed{}, verdict
	}
	return Confirmed{Status: v.Status}, nil
}

// answer is what next, judged from cur at now, writes.
func (s *Service) answer(acct kyc.Account, cur Record, next bankverify.Verification, now time.Time) (Answer, error) {
	a := Answer{Next: Record{Verification: next, Provider: cur.Provider}, FromVersion: cur.Version}
	if !next.Status.Terminal() {
		return a, nil
	}
	ev, err := Event(next, acct)
	if err != nil {
		return Answer{}, fmt.Errorf("bankcheck: event: %w", err)
	}
	a.Event = &ev
	switch next.Status {
	case bankverify.StatusVerified:
		a.Factor = &kyc.Factor{AccountID: acct.ID, Kind: FactorKind, Result: kyc.FactorMatch, Provider: cur.Provider, At: now}
		// A payout to the name the company had when it started proves nothing about the
		// name it has now (a re-application renamed it meanwhile): the verification is
		// VERIFIED, but only a verification under the current name counts for the account.
		if cur.VerifiesName(acct.Organization) {
			if t, changed := kyc.RecordBankVerified(acct, now); changed {
				a.Transition = &t
			}
		}
	case bankverify.StatusFailed:
		a.Factor = &kyc.Factor{AccountID: acct.ID, Kind: FactorKind, Result: kyc.FactorMismatch, Provider: cur.Provider,
			Reason: bankverify.ReasonAmountMismatch, At: now}
	}
	return a, nil
}

// Event is the outbox record of v's bank_verification.completed event ({account_id,
// verification_id, status}: ids and the state only), for the owning app's endpoints (and
// admins'). A verification ends once, so its id, derived from the verification's, is
// the same on every retry and sweep.
func Event(v bankverify.Verification, acct kyc.Account) (webhook.OutboxEvent, error) {
	data := map[string]any{}
	for k, val := range bankverify.EventData(v) {
		data[k] = val
	}
	e := webhook.Event{Type: webhook.BankVerificationCompleted, Timestamp: v.DecidedAt, Data: data}
	body, err := e.MarshalJSON()
	if err != nil {
		return webhook.OutboxEvent{}, err
	}
	ev := webhook.OutboxEvent{ID: "evt_bank_verification_" + v.ID, Type: e.Type, AccountID: v.AccountID, At: v.DecidedAt, Body: body}
	if acct.OwnerKind == kyc.OwnerIntegrator {
		ev.App = acct.OwnerID
	}
	return ev, nil
}

// dispatch queues the events a committed answer wrote: the bank verification's, and the
// account's approval when it approved.
func (s *Service) dispatch(ctx context.Context, a Answer) {
	if s.Dispatch == nil {
		return
	}
	var evs []webhook.OutboxEvent
	if a.Event != nil {
		evs = append(evs, *a.Event)
	}
	if a.Transition != nil {
		if ev, ok, err := webhook.OutboxOf(*a.Transition); err == nil && ok {
			evs = append(evs, ev)
		}
	}
	s.Dispatch(ctx, evs...)
}
