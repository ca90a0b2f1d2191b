package webhook

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// actionModify is the audit action of an APPROVED company's immediate modification
// (seed 001, authStatus=1). It is matched by its string because the constant
// (kyc.ActionModify) arrives with the company modification flow, in parallel with this.
const actionModify = "modify"

// Values of an event's "kind": what was decided. An integrator tells an application's
// approval from an enterprise change's by it, without reading the account.
const (
	KindApplication      = "application"
	KindEnterpriseChange = "enterprise_change"
	KindModification     = "modification"
	// KindTwoFactor is an approval by a two-factor match (VERIFY_POLICY=factors).
	KindTwoFactor = "two_factor"
	// KindThreeFactor is an integrator person account's approval by a hosted
	// three-factor verification.
	KindThreeFactor = "three_factor"
	// KindBankVerification is a company's approval completed by its bank verification,
	// the reviewer having approved before (kyc.RecordBankVerified).
	KindBankVerification = "bank_verification"
)

// Values of an event's "by": who decided.
const (
	ByReviewer = "reviewer"
	BySystem   = "system"
	ByOwner    = "owner"
)

// TransitionEvent returns the event that transition t announces, and its id, or ok false
// when it announces none. It is the one mapping from the audit action of a state change to
// the webhook it causes (API.md, Webhooks), applied by the store inside the transition's
// own transaction (the outbox), so that no decision is written without its event:
//
//	submit                             account.submitted
//	approve                            account.approved   kind application
//	reject                             account.rejected   kind application
//	automated_checks to REJECTED       account.rejected   kind application, by system
//	modify                             account.modified   kind modification
//	approve_change                     account.approved   kind enterprise_change
//	reject_change                      account.rejected   kind enterprise_change
//
// Automated checks that pass (SUBMITTED -> PENDING_REVIEW) and an undone submission
// announce nothing: the first is no decision, the second undoes a submission whose
// request failed (its account.submitted event was written with it; receivers see the
// account SUBMITTED until the next event, which the submission's retry causes).
//
// Data carries ids and states only. The id is the same for the same transition whoever
// computes it (the store writing the outbox, the dispatcher sending after the commit), so
// the webhook-id is stable across retries, sweeps and replays: "evt_<account>_<version>".
func TransitionEvent(t kyc.Transition) (id string, e Event, ok bool) {
	var typ, kind, by string
	to := t.Account.State
	switch t.Audit.Action {
	case kyc.ActionSubmit:
		typ, kind, by = AccountSubmitted, KindApplication, ByOwner
	case kyc.ActionApprove:
		typ, kind, by = AccountApproved, KindApplication, ByReviewer
	case kyc.ActionReject:
		typ, kind, by = AccountRejected, KindApplication, ByReviewer
	case kyc.ActionAutomatedChecks:
		if to != kyc.StateRejected {
			return "", Event{}, false
		}
		typ, kind, by = AccountRejected, KindApplication, BySystem
	case actionModify:
		typ, kind, by = AccountModified, KindModification, ByOwner
	case kyc.ActionApproveChange:
		typ, kind, by = AccountApproved, KindEnterpriseChange, ByReviewer
	case kyc.ActionApproveFactors:
		typ, kind, by = AccountApproved, KindTwoFactor, BySystem
	case kyc.ActionApproveThreeFactors:
		typ, kind, by = AccountApproved, KindThreeFactor, BySystem
	case kyc.ActionBankVerified:
		// Only the verdict that approves announces: a verdict recorded on an account
		// approved already (a company that did not need it) decides nothing.
		if to != kyc.StateApproved || t.FromState == kyc.StateApproved {
			return "", Event{}, false
		}
		typ, kind, by = AccountApproved, KindBankVerification, BySystem
	case kyc.ActionRejectChange:
		typ, kind, by = AccountRejected, KindEnterpriseChange, ByReviewer
	default:
		return "", Event{}, false
	}
	data := map[string]any{
		"account_id":     t.Account.ID,
		"state":          string(to),
		"previous_state": string(t.FromState),
		"kind":           kind,
		"by":             by,
	}
	if t.Account.Type != "" {
		data["account_type"] = string(t.Account.Type)
	}
	if t.Account.State == kyc.StateRejected && t.Account.RejectType != "" {
		data["reject_type"] = string(t.Account.RejectType)
	}
	// Every service stamps its audit records; the fallbacks keep a transition written by
	// hand (tools, tests) from being refused for a missing time.
	at := t.Audit.At
	if at.IsZero() {
		at = t.Account.UpdatedAt
	}
	if at.IsZero() {
		at = time.Now()
	}
	return EventID(t.Account.ID, t.FromVersion+1), Event{Type: typ, Timestamp: at, Data: data}, true
}

var hashIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// EventID is the id of the event of the transition that wrote version of account
// accountID. A version is written once, so the id is unique and deterministic. An account
// id that could not stand in a webhook-id (CheckMessageID) is hashed instead.
func EventID(accountID string, version int64) string {
	id := "evt_" + accountID + "_" + strconv.FormatInt(version, 10)
	if CheckMessageID(id) == nil && !strings.Contains(accountID, "_") {
		return id
	}
	sum := sha256.Sum256([]byte(accountID + "#" + strconv.FormatInt(version, 10)))
	return "evt_" + hashIDEncoding.EncodeToString(sum[:16])
}

// OutboxOf is the outbox record of the event transition t announces (ok false when none):
// what the store writes in t's transaction and what the dispatcher sends after it
// commits, byte for byte the same. An error is a bug (data CheckNoPII refuses).
func OutboxOf(t kyc.Transition) (ev OutboxEvent, ok bool, err error) {
	id, e, ok := TransitionEvent(t)
	if !ok {
		return OutboxEvent{}, false, nil
	}
	body, err := e.MarshalJSON()
	if err != nil {
		return OutboxEvent{}, false, err
	}
	ev = OutboxEvent{ID: id, Type: e.Type, AccountID: t.Account.ID, At: e.Timestamp, Body: body}
	if t.Account.OwnerKind == kyc.OwnerIntegrator {
		ev.App = t.Account.OwnerID
	}
	return ev, true, nil
}

// VerificationOutbox is the outbox record of the verification.completed event of v, a
// hosted verification that ended (VERIFIED or FAILED) at at: {verification_id,
// account_id, status}, for the app's endpoints. Its id is the verification's, which ends
// once, so a retry or a sweep sends the same webhook-id.
func VerificationOutbox(v kyc.HostedVerification, at time.Time) (OutboxEvent, error) {
	e := Event{Type: VerificationCompleted, Timestamp: at, Data: map[string]any{
		"verification_id": v.ID, "account_id": v.AccountID, "status": string(v.Status)}}
	body, err := e.MarshalJSON()
	if err != nil {
		return OutboxEvent{}, err
	}
	return OutboxEvent{ID: "evt_" + v.ID, Type: e.Type, AccountID: v.AccountID, App: v.App, At: at, Body: body}, nil
}
