package kyc

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Actions of the audit records that transitions append. Clients and the audit trail read
// them, so they never change.
const (
	ActionSubmit          = "submit"
	ActionSubmitUndone    = "submit_undone"
	ActionAutomatedChecks = "automated_checks"
	ActionApprove         = "approve"
	ActionReject          = "reject"
)

// ActorSystem is the audit actor of transitions that no person asked for.
const ActorSystem = "system"

// MaxReasonLength is the longest rejection reason a reviewer may give, in characters: the
// user reads it in the app.
const MaxReasonLength = 500

// undoReason is why a submission is undone: the only step after the write that can fail
// and leave the account SUBMITTED with nothing queued.
const undoReason = "review queue unavailable"

// Actor is who asks for a transition, as its audit record names them. The caller has
// authorised them; a transition only records who they were.
type Actor struct {
	ID        string // user or reviewer id
	Role      Role
	AccountID string // the actor's own account ("" for the system)
	RequestID string // "" outside a request
}

// Submission is what a user submits for verification.
type Submission struct {
	Type AccountType
	// Name is the holder's name of a personal account ("" when not given). A company
	// submission does not touch the account's name: the company is named by Organization.
	Name string
	// Organization is the company's name; a personal submission clears it, since a person
	// is not a company.
	Organization string
	// IDNumber is the resident ID number of a person or the registration number of a
	// company ("" when a company gives none).
	IDNumber string
	// Documents are the stored documents by slot; they must hold RequiredSlots(Type).
	Documents map[string]Document
	// Slots, when set, are the slots required instead of RequiredSlots(Type): a seed-001
	// company profile requires company.RequiredSlots, which depend on its types.
	Slots []string
}

// Rejection is a reviewer's reason to reject an account.
type Rejection struct {
	Reason   string     // shown to the user
	Type     RejectType // whether the user may submit again
	Reupload []string   // slots the user is asked to upload anew
}

// TypeFixed reports whether the account's type can no longer change. An account that has
// never submitted may still choose; from its first submission on, its documents and its
// identity belong to one type.
func (a Account) TypeFixed() bool { return a.Attempts > 0 || a.State != StateUnverified }

// MaySubmit reports whether account a may submit a verification of type typ when at most
// maxAttempts submissions are allowed, as a *Error when it may not. Services call it
// before storing any document, so that a refused request costs nothing; Submit checks it
// again.
func MaySubmit(a Account, typ AccountType, maxAttempts int) error {
	switch {
	case a.State == StateSubmitted || a.State == StatePendingReview:
		return Errorf(ECONFLICT, "already under review")
	case a.State == StateApproved:
		return Errorf(ECONFLICT, "already approved")
	case a.State == StateRejected && a.RejectType == RejectFinal:
		return Errorf(ECONFLICT, "rejected for good: no more submissions")
	case a.Attempts >= maxAttempts:
		return Errorf(ETOOMANY, "too many attempts")
	case a.TypeFixed() && a.Type != typ:
		return Errorf(ECONFLICT, "this is a %s", a.Type)
	}
	return nil
}

// Submit moves a to SUBMITTED with submission s made by the account's owner at time at.
// It counts an attempt and clears the last rejection, since the new documents replace
// what was rejected. Refusals are MaySubmit's, or EMISSING naming the first required
// slot without a document.
func Submit(a Account, s Submission, by Actor, at time.Time, maxAttempts int) (Transition, error) {
	if err := MaySubmit(a, s.Type, maxAttempts); err != nil {
		return Transition{}, err
	}
	required := s.Slots
	if required == nil {
		required = RequiredSlots(s.Type)
	}
	for _, slot := range required {
		if _, ok := s.Documents[slot]; !ok {
			return Transition{}, FieldError(EMISSING, slot, "required")
		}
	}
	next := a
	if s.Type == PersonalAccount {
		next.Name, next.Organization = s.Name, ""
	} else {
		next.Organization = s.Organization
	}
	next.IDNumber = s.IDNumber
	next.Type, next.State, next.RejectType = s.Type, StateSubmitted, ""
	next.Reasons, next.ReuploadSlots = nil, nil
	// A new submission is reviewed anew; a bank verification proves the company's bank
	// account under its name, so it stands while the name does.
	next.ReviewApproved = false
	if next.Organization != a.Organization {
		next.BankVerified = false
	}
	next.Documents = maps.Clone(s.Documents)
	next.Attempts++
	next.SubmittedAt, next.UpdatedAt = at, at
	return transition(a, next, AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionSubmit, RequestID: by.RequestID}), nil
}

// UndoSubmit puts submitted, the account as Submit left it, back to before, the account
// as it was, when the submission's review message could not be queued. The client is told
// the submission failed, so it is not counted as an attempt. ECONFLICT if submitted is no
// longer SUBMITTED; EINVALID if before is another account.
func UndoSubmit(submitted, before Account, at time.Time) (Transition, error) {
	if submitted.State != StateSubmitted {
		return Transition{}, Errorf(ECONFLICT, "the account is %s, not SUBMITTED", submitted.State)
	}
	if before.ID != submitted.ID {
		return Transition{}, Errorf(EINVALID, "cannot undo a submission of account %s with account %s", submitted.ID, before.ID)
	}
	back := before
	back.UpdatedAt = at
	return transition(submitted, back, AuditRecord{At: at, Actor: ActorSystem, Action: ActionSubmitUndone, Reason: undoReason}), nil
}

// ChecksPassed moves a SUBMITTED account on to PENDING_REVIEW, where a reviewer sees it.
// docs are its documents with the automated checks' verdicts. ECONFLICT if a is not
// SUBMITTED.
func ChecksPassed(a Account, docs map[string]Document, at time.Time) (Transition, error) {
	if a.State != StateSubmitted {
		return Transition{}, Errorf(ECONFLICT, "the account is %s, not SUBMITTED", a.State)
	}
	next := a
	next.State, next.Documents, next.UpdatedAt = StatePendingReview, maps.Clone(docs), at
	return transition(a, next, AuditRecord{At: at, Actor: ActorSystem, Action: ActionAutomatedChecks}), nil
}

// ChecksFailed rejects a SUBMITTED account for the machine-readable reasons the automated
// checks found, asking for the reupload slots anew. The rejection is RETRY: a bad scan is
// the user's to fix, and only a reviewer rejects for good. docs are the documents with
// their verdicts. ECONFLICT if a is not SUBMITTED; EMISSING without a reason.
func ChecksFailed(a Account, docs map[string]Document, reasons, reupload []string, at time.Time) (Transition, error) {
	if a.State != StateSubmitted {
		return Transition{}, Errorf(ECONFLICT, "the account is %s, not SUBMITTED", a.State)
	}
	if len(reasons) == 0 {
		return Transition{}, FieldError(EMISSING, "reasons", "required")
	}
	next := a
	next.State, next.RejectType, next.Documents, next.UpdatedAt = StateRejected, RejectRetry, maps.Clone(docs), at
	next.Reasons, next.ReuploadSlots = slices.Clone(reasons), slices.Clone(reupload)
	audit := AuditRecord{At: at, Actor: ActorSystem, Action: ActionAutomatedChecks, Reason: strings.Join(reasons, ",")}
	return transition(a, next, audit), nil
}

// ParseRejection reads a reviewer's rejection as typed: the reason trimmed, required and
// at most MaxReasonLength characters; the reject type RETRY or FINAL in any case,
// RETRY when empty. Errors name the field.
func ParseRejection(reason, rejectType string, reupload []string) (Rejection, error) {
	r := Rejection{
		Reason:   strings.TrimSpace(reason),
		Type:     RejectType(strings.ToUpper(strings.TrimSpace(rejectType))),
		Reupload: slices.Clone(reupload),
	}
	if r.Type == "" {
		r.Type = RejectRetry
	}
	if err := r.check(); err != nil {
		return Rejection{}, err
	}
	return r, nil
}

// check applies ParseRejection's rules to a rejection that may have been built by hand.
func (r Rejection) check() error {
	switch {
	case r.Reason == "":
		return FieldError(EMISSING, "reason", "required")
	case utf8.RuneCountInString(r.Reason) > MaxReasonLength:
		return FieldError(EINVALID, "reason", "must be at most "+strconv.Itoa(MaxReasonLength)+" characters")
	case r.Type != RejectRetry && r.Type != RejectFinal:
		return FieldError(EINVALID, "reject_type", "must be RETRY or FINAL")
	}
	return nil
}

// Approve is a reviewer's approval of a PENDING_REVIEW account. Any other state is
// ECONFLICT: the account was decided already, or is not ready for a decision; deciding
// one's own account is EFORBIDDEN (see decidable).
func Approve(a Account, by Actor, at time.Time) (Transition, error) {
	if err := decidable(a, by); err != nil {
		return Transition{}, err
	}
	next := a
	next.State, next.RejectType, next.Reasons, next.ReuploadSlots = StateApproved, "", nil, nil
	next.UpdatedAt = at
	t := transition(a, next, AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionApprove, RequestID: by.RequestID})
	t.WantSeal = WantsSeal(next)
	return t, nil
}

// Reject is a reviewer's rejection of a PENDING_REVIEW account; the user sees the reason.
// Any other state is ECONFLICT, and a rejection ParseRejection would refuse is refused
// with its error.
func Reject(a Account, by Actor, at time.Time, r Rejection) (Transition, error) {
	if err := decidable(a, by); err != nil {
		return Transition{}, err
	}
	if err := r.check(); err != nil {
		return Transition{}, err
	}
	next := a
	next.State, next.RejectType, next.Reasons, next.ReuploadSlots = StateRejected, r.Type, []string{r.Reason}, slices.Clone(r.Reupload)
	next.ReviewApproved = false
	next.UpdatedAt = at
	audit := AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: ActionReject, Reason: r.Reason, RequestID: by.RequestID}
	return transition(a, next, audit), nil
}

// decidable refuses a reviewer's decision on an account that is not waiting for one, and
// on the reviewer's own account (maker-checker: a user later made a reviewer must not
// approve what they submitted). Ownership is checked first, so the answer does not tell
// the owner what state their account is in.
func decidable(a Account, by Actor) error {
	if by.ID != "" && (a.OwnerID == by.ID || (by.AccountID != "" && a.ID == by.AccountID)) {
		return Errorf(EFORBIDDEN, "nobody decides their own account")
	}
	if a.State != StatePendingReview {
		return Errorf(ECONFLICT, "the account is %s, not PENDING_REVIEW", a.State)
	}
	return nil
}

// transition makes the conditional write of from -> to: it applies only while the stored
// account is still from, and its audit record names both states.
func transition(from, to Account, audit AuditRecord) Transition {
	audit.AccountID, audit.From, audit.To = from.ID, from.State, to.State
	return Transition{Account: to, FromState: from.State, FromVersion: from.Version, Audit: audit}
}
