package review

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// ServiceStore is what the reviewer service reads and writes; any kyc.Store is one.
type ServiceStore interface {
	ListPending(ctx context.Context, typ kyc.AccountType, limit int, cursor string) (kyc.PendingPage, error)
	GetAccountAndAudit(ctx context.Context, accountID string) (kyc.Account, []kyc.AuditRecord, error)
	AppendAudit(ctx context.Context, r kyc.AuditRecord) error
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error)
}

// ServiceDeps are what the reviewer service is built from. Every field is required.
type ServiceDeps struct {
	Store ServiceStore
	// Clock stamps the audit records of reads and decisions.
	Clock kyc.Clock
	// Log records each decision.
	Log *slog.Logger
}

// Service is what reviewers do: list accounts awaiting review, read one in full, approve
// or reject it. Every decision is a conditional transition with its audit record in the
// same write, so two reviewers never both decide an account.
type Service struct {
	store ServiceStore
	clock kyc.Clock
	log   *slog.Logger
}

// NewService returns the reviewer service over d.
func NewService(d ServiceDeps) *Service {
	return &Service{store: d.Store, clock: d.Clock, log: d.Log}
}

// Reviewer is who acts, for the audit trail.
type Reviewer struct {
	UserID    string
	Role      kyc.Role
	AccountID string // the reviewer's own account, which they may not decide
	RequestID string
}

// ListItem is one account of a reviewer list, with seed 000's fields; the ID number is
// masked (first 4 and last 4 kept).
type ListItem struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Address       string `json:"address"`
	Tel           string `json:"tel"`
	NotActive     bool   `json:"not_active"`
	Organization  string `json:"organization"`
	Type          string `json:"type"`
	IDNumber      string `json:"id_number"`
	NotAuthorized bool   `json:"not_authorized"`
}

// Page is one page of a reviewer list.
type Page struct {
	Items      []ListItem
	Total      int64
	NextCursor string
}

// ListPending returns one page of typ's accounts in PENDING_REVIEW, oldest first: one
// query on the store's pending index, whatever the table's size.
func (s *Service) ListPending(ctx context.Context, typ kyc.AccountType, limit, cursor string) (Page, error) {
	n := 20
	if limit != "" {
		v, err := strconv.Atoi(limit)
		if err != nil || v < 1 {
			return Page{}, kyc.FieldError(kyc.EINVALID, "limit", "must be a whole number from 1 to 100")
		}
		n = min(v, 100)
	}
	p, err := s.store.ListPending(ctx, typ, n, cursor)
	if kyc.IsCode(err, kyc.EINVALID) {
		return Page{}, kyc.FieldError(kyc.EINVALID, "cursor", "not a cursor of this list")
	} else if err != nil {
		return Page{}, fmt.Errorf("list pending: %w", err)
	}
	page := Page{Items: make([]ListItem, 0, len(p.Accounts)), Total: p.Total, NextCursor: p.NextCursor}
	for _, a := range p.Accounts {
		page.Items = append(page.Items, ListItem{ID: a.ID, Name: a.Name, Address: a.Address, Tel: a.Tel, NotActive: a.NotActive,
			Organization: a.Organization, Type: string(a.Type), IDNumber: idcheck.MaskID(a.IDNumber), NotAuthorized: a.NotAuthorized()})
	}
	return page, nil
}

// DocumentView is one document on the detail view: what it is, never where.
type DocumentView struct {
	Slot        string    `json:"slot"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	UploadedAt  time.Time `json:"uploaded_at"`
	// Check is the automated checks' verdict: "ok", a reason code, or "" if not checked.
	Check string `json:"check"`
}

// AuditView is one record of the trail.
type AuditView struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	ActorRole string    `json:"actor_role,omitempty"`
	Action    string    `json:"action"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
}

// Detail is an account in full, for reviewers.
type Detail struct {
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	State         string         `json:"state"`
	Name          string         `json:"name"`
	Tel           string         `json:"tel"`
	Address       string         `json:"address"`
	Organization  string         `json:"organization"`
	IDNumber      string         `json:"id_number"`
	NotActive     bool           `json:"not_active"`
	NotAuthorized bool           `json:"not_authorized"`
	Attempts      int            `json:"attempts"`
	Reasons       []string       `json:"reasons"`
	RejectType    string         `json:"reject_type,omitempty"`
	ReuploadSlots []string       `json:"reupload_slots"`
	SubmittedAt   time.Time      `json:"submitted_at"`
	Documents     []DocumentView `json:"documents"`
	Audit         []AuditView    `json:"audit"`
}

// Detail returns the account with its full ID number, documents and audit trail. The
// read itself is audited, since it shows personal data: nothing is returned unless its
// record is written. Account and trail come in one read, the record is written next and
// added to the trail shown: two store calls.
func (s *Service) Detail(ctx context.Context, r Reviewer, accountID string) (Detail, error) {
	a, trail, err := s.store.GetAccountAndAudit(ctx, accountID)
	if err != nil {
		return Detail{}, err
	}
	rec := kyc.AuditRecord{AccountID: a.ID, At: s.clock.Now(), Actor: r.UserID, ActorRole: r.Role, Action: "read", From: a.State, To: a.State, RequestID: r.RequestID}
	if err := s.store.AppendAudit(ctx, rec); err != nil {
		return Detail{}, fmt.Errorf("audit read: %w", err)
	}
	trail = append(trail, rec)
	d := Detail{ID: a.ID, Type: string(a.Type), State: string(a.State), Name: a.Name, Tel: a.Tel, Address: a.Address,
		Organization: a.Organization, IDNumber: a.IDNumber, NotActive: a.NotActive, NotAuthorized: a.NotAuthorized(),
		Attempts: a.Attempts, Reasons: orEmpty(a.Reasons), RejectType: string(a.RejectType), ReuploadSlots: orEmpty(a.ReuploadSlots),
		SubmittedAt: a.SubmittedAt, Documents: []DocumentView{}, Audit: make([]AuditView, 0, len(trail))}
	for _, slot := range slices.Sorted(maps.Keys(a.Documents)) {
		doc := a.Documents[slot]
		d.Documents = append(d.Documents, DocumentView{Slot: slot, ContentType: doc.ContentType, Size: doc.Size, UploadedAt: doc.UploadedAt, Check: doc.Check})
	}
	for _, t := range trail {
		d.Audit = append(d.Audit, AuditView{At: t.At, Actor: t.Actor, ActorRole: string(t.ActorRole), Action: t.Action, From: string(t.From), To: string(t.To), Reason: t.Reason, RequestID: t.RequestID})
	}
	return d, nil
}

// Approve moves a PENDING_REVIEW account to APPROVED.
func (s *Service) Approve(ctx context.Context, r Reviewer, accountID string) error {
	return s.decide(ctx, r, accountID, kyc.Approve)
}

// RejectInput is a rejection: the reason the user sees, whether they may try again, and
// which documents to upload anew.
type RejectInput struct {
	Reason     string
	RejectType string
	Documents  []string
}

// Reject moves a PENDING_REVIEW account to REJECTED with the reason the user will see.
// The input is checked before the account is read, so a malformed rejection is refused
// whatever the account's state.
func (s *Service) Reject(ctx context.Context, r Reviewer, accountID string, in RejectInput) error {
	rej, err := kyc.ParseRejection(in.Reason, in.RejectType, in.Documents)
	if err != nil {
		return err
	}
	for _, slot := range rej.Reupload {
		if _, ok := filecheck.LookupSlot(slot); !ok {
			return kyc.FieldError(kyc.EINVALID, "documents", "unknown slot "+strconv.Quote(slot))
		}
	}
	return s.decide(ctx, r, accountID, func(a kyc.Account, by kyc.Actor, at time.Time) (kyc.Transition, error) {
		return kyc.Reject(a, by, at, rej)
	})
}

// decide applies a reviewer's decision as one conditional transition: the domain refuses
// an account that is not PENDING_REVIEW, and the store refuses a decision that lost a
// race, both with ECONFLICT.
func (s *Service) decide(ctx context.Context, r Reviewer, accountID string, step func(kyc.Account, kyc.Actor, time.Time) (kyc.Transition, error)) error {
	a, err := s.store.GetAccount(ctx, accountID)
	if err != nil {
		return err
	}
	t, err := step(a, kyc.Actor{ID: r.UserID, Role: r.Role, AccountID: r.AccountID, RequestID: r.RequestID}, s.clock.Now())
	if err != nil {
		return err
	}
	if _, err := s.store.Transition(ctx, t); err != nil {
		// The store's conflict says what happened: a concurrent decision or an identity
		// already verified on another account.
		return fmt.Errorf("%s: %w", t.Audit.Action, err)
	}
	s.log.InfoContext(ctx, "review decision", slog.String("account_id", a.ID), slog.String("action", t.Audit.Action), slog.String("reviewer", r.UserID))
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
