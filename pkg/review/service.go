package review

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// ServiceStore is what the reviewer service reads and writes; any kyc.Store is one.
type ServiceStore interface {
	ListPending(ctx context.Context, typ kyc.AccountType, limit int, cursor string) (kyc.PendingPage, error)
	GetAccountAndAudit(ctx context.Context, accountID string) (kyc.Account, []kyc.AuditRecord, error)
	GetAccountDetail(ctx context.Context, accountID string) (kyc.Account, kyc.EnterpriseChange, []kyc.AuditRecord, []kyc.ProfileVersion, error)
	AppendAudit(ctx context.Context, r kyc.AuditRecord) error
	AppendActorAuditLive(ctx context.Context, live kyc.LiveSession, r kyc.ActorAuditRecord) error
	AppendAuditLive(ctx context.Context, live kyc.LiveSession, r kyc.AuditRecord) error
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error)
	GetAccountChangeAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, kyc.EnterpriseChange, map[string]kyc.Upload, error)
	DecideChange(ctx context.Context, t kyc.Transition, c kyc.EnterpriseChange) (kyc.Account, error)
}

// ServiceObjects are the object-store calls of an approval, which deletes the documents
// of the account's earlier attempts; any kyc.Documents is one.
type ServiceObjects interface {
	List(ctx context.Context, prefix string) ([]string, error)
	Delete(ctx context.Context, key string) error
}

// ServiceDeps are what the reviewer service is built from. Every field but Objects is
// required.
type ServiceDeps struct {
	Store ServiceStore
	// Objects is the document store, needed by Approve only (the approval route's
	// function has it; the lists, the detail and rejections do without). Without it an
	// approval still succeeds and logs that it left the earlier attempts' documents.
	Objects ServiceObjects
	// Clock stamps the audit records of reads and decisions.
	Clock kyc.Clock
	// Log records each decision.
	Log *slog.Logger
}

// Service is what reviewers do: list accounts awaiting review, read one in full, approve
// or reject it. Every decision is a conditional transition with its audit record in the
// same write, so two reviewers never both decide an account.
type Service struct {
	store   ServiceStore
	objects ServiceObjects
	clock   kyc.Clock
	log     *slog.Logger
}

// NewService returns the reviewer service over d.
func NewService(d ServiceDeps) *Service {
	return &Service{store: d.Store, objects: d.Objects, clock: d.Clock, log: d.Log}
}

// Reviewer is who acts, for the audit trail.
type Reviewer struct {
	UserID    string
	Role      kyc.Role
	AccountID string // the reviewer's own account, which they may not decide
	RequestID string
	// TokenHash names the session the request came with: the audit of a read requires it
	// to be live, in the same write (kyc.LiveSession).
	TokenHash string
}

// live is r's session as a read's audit write requires it: live at now.
func (r Reviewer) live(now time.Time) kyc.LiveSession {
	return kyc.LiveSession{TokenHash: r.TokenHash, Now: now}
}

// ListItem is one account of a reviewer list, with seed 000's fields. The personal data
// is masked: the ID number keeps its first 4 and last 4 characters, the phone its first 3
// and last 4 (138****5678), the name its first character and, from three characters on,
// its last (张*, 张*明). Full values are on the detail view only, whose every read is
// audited. The organization (a company's registered name, public in the business
// registry) is not personal data and is shown in full; a personal account has none.
type ListItem struct {
	ID string `json:"id"`
	// Kind is what waits: an application (a submission or re-application of the account)
	// or, on the company list, an enterprise change (seed 002) of an approved personal
	// account, shown as the company it asks to become (name = legal person, masked).
	// Approve and reject decide either by the id.
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	Address       string `json:"address"`
	Tel           string `json:"tel"`
	NotActive     bool   `json:"not_active"`
	Organization  string `json:"organization"`
	Type          string `json:"type"`
	IDNumber      string `json:"id_number"`
	NotAuthorized bool   `json:"not_authorized"`
	// Bank is the bank verification's part in the decision (BankView); absent for an
	// account that needs none.
	Bank *BankView `json:"bank,omitempty"`
}

// BankView is where a company that needs a bank verification (kyc.Account.BankRequired)
// stands: whether the bank verification is VERIFIED and whether a reviewer approved it
// already (it waits for the bank then, and another approval is 409).
type BankView struct {
	Required       bool `json:"required"`
	Verified       bool `json:"verified"`
	ReviewApproved bool `json:"review_approved"`
}

func bankView(a kyc.Account) *BankView {
	if !a.BankRequired {
		return nil
	}
	return &BankView{Required: true, Verified: a.BankVerified, ReviewApproved: a.ReviewApproved}
}

// Kinds of ListItem.
const (
	KindApplication      = "application"
	KindEnterpriseChange = "enterprise_change"
)

// Page is one page of a reviewer list.
type Page struct {
	Items      []ListItem
	Total      int64
	NextCursor string
}

// ListPending returns one page of typ's accounts in PENDING_REVIEW, oldest first: one
// query on the store's pending index, whatever the table's size. A page that shows
// accounts is audited: one record under the reviewer names the list and the accounts
// shown, and nothing is returned unless it is written (an empty page shows nobody and
// writes nothing). Two store calls for a first page, the query and the record.
func (s *Service) ListPending(ctx context.Context, r Reviewer, typ kyc.AccountType, limit, cursor string) (Page, error) {
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
	shown := make([]string, 0, len(p.Accounts))
	for _, a := range p.Accounts {
		item := listItem(a)
		if p.Changes[a.ID] {
			item.Kind = KindEnterpriseChange
		}
		page.Items = append(page.Items, item)
		shown = append(shown, a.ID)
	}
	// Even an empty page is recorded: the write is also what proves the caller's session
	// is live (the route did not read it), so nothing is answered without it.
	now := s.clock.Now()
	rec := kyc.ActorAuditRecord{Actor: r.UserID, ActorRole: r.Role, At: now, Action: kyc.ActionListRead,
		Subject: string(typ), AccountIDs: shown, RequestID: r.RequestID}
	if err := s.store.AppendActorAuditLive(ctx, r.live(now), rec); err != nil {
		if kyc.IsCode(err, kyc.EUNAUTHORIZED) {
			return Page{}, err
		}
		return Page{}, fmt.Errorf("audit list read: %w", err)
	}
	return page, nil
}

// listItem is a's entry of a reviewer list, masked as ListItem says.
func listItem(a kyc.Account) ListItem {
	return ListItem{ID: a.ID, Kind: KindApplication, Name: kyc.MaskName(a.Name), Address: a.Address, Tel: kyc.MaskPhone(a.Tel), NotActive: a.NotActive,
		Organization: a.Organization, Type: string(a.Type), IDNumber: idcheck.MaskID(a.IDNumber), NotAuthorized: a.NotAuthorized(), Bank: bankView(a)}
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
	// EnterpriseChange is the account's pending enterprise change (seed 002), which the
	// approve and reject routes decide; absent when none waits.
	EnterpriseChange *ChangeView `json:"enterprise_change,omitempty"`
	// Profiles are a seed-001 company's profile versions, oldest first (empty otherwise):
	// every field of each, in full, as the reviewer decides on them. Left out for other
	// accounts.
	Profiles []ProfileView `json:"profiles,omitempty"`
	// Bank is ListItem's.
	Bank *BankView `json:"bank,omitempty"`
}

// ProfileView is one version of a company profile in the reviewer's detail.
type ProfileView struct {
	Version int64             `json:"version"`
	At      time.Time         `json:"at"`
	Actor   string            `json:"actor"`
	Changed []string          `json:"changed"`
	Fields  map[string]string `json:"fields"`
}

// ChangeView is a pending enterprise change in full, for reviewers (seed 002's names).
type ChangeView struct {
	CorpName         string         `json:"corp_name"`
	VerifiedNumber   string         `json:"verified_number"`
	OrganizationType int            `json:"organization_type"`
	RegCountry       string         `json:"reg_country,omitempty"`
	RegAddress       string         `json:"reg_address,omitempty"`
	LegalName        string         `json:"legel_name,omitempty"`
	LegalIDNumber    string         `json:"legel_id_number,omitempty"`
	CertifierRole    string         `json:"certifier_role,omitempty"`
	Attempts         int            `json:"attempts"`
	SubmittedAt      time.Time      `json:"submitted_at"`
	Documents        []DocumentView `json:"documents"`
}

// Detail returns the account with its full ID number, documents and audit trail. The
// read itself is audited, since it shows personal data: nothing is returned unless its
// record is written. Account, trail, any pending enterprise change and the profile
// versions come in one read, the record is written next and added to the trail shown:
// two store calls.
func (s *Service) Detail(ctx context.Context, r Reviewer, accountID string) (Detail, error) {
	a, change, trail, versions, err := s.store.GetAccountDetail(ctx, accountID)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		// The route has not read the caller's session: a token whose session ended must
		// not learn which ids exist, so the miss is recorded under the caller on the same
		// condition, and only a live caller hears 404.
		return Detail{}, s.auditMissing(ctx, r, accountID, err)
	} else if err != nil {
		return Detail{}, err
	}
	now := s.clock.Now()
	rec := kyc.AuditRecord{AccountID: a.ID, At: now, Actor: r.UserID, ActorRole: r.Role, Action: kyc.ActionRead, From: a.State, To: a.State, RequestID: r.RequestID}
	// The record is written before anything read leaves, on the condition that the
	// caller's session is live (the route did not read it).
	if err := s.store.AppendAuditLive(ctx, r.live(now), rec); err != nil {
		if kyc.IsCode(err, kyc.EUNAUTHORIZED) {
			return Detail{}, err
		}
		return Detail{}, fmt.Errorf("audit read: %w", err)
	}
	trail = append(trail, rec)
	d := Detail{ID: a.ID, Type: string(a.Type), State: string(a.State), Name: a.Name, Tel: a.Tel, Address: a.Address,
		Organization: a.Organization, IDNumber: a.IDNumber, NotActive: a.NotActive, NotAuthorized: a.NotAuthorized(),
		Attempts: a.Attempts, Reasons: orEmpty(a.Reasons), RejectType: string(a.RejectType), ReuploadSlots: orEmpty(a.ReuploadSlots),
		SubmittedAt: a.SubmittedAt, Documents: []DocumentView{}, Audit: make([]AuditView, 0, len(trail)), Profiles: profileViews(versions),
		Bank: bankView(a)}
	d.Documents = documentViews(a.Documents)
	if change.Pending {
		d.EnterpriseChange = &ChangeView{CorpName: change.CorpName, VerifiedNumber: change.VerifiedNumber,
			OrganizationType: change.OrganizationType, RegCountry: change.RegCountry, RegAddress: change.RegAddress,
			LegalName: change.LegalName, LegalIDNumber: change.LegalIDNumber, CertifierRole: change.CertifierRole,
			Attempts: change.Attempts, SubmittedAt: change.SubmittedAt, Documents: documentViews(change.Documents)}
	}
	for _, t := range trail {
		d.Audit = append(d.Audit, AuditView{At: t.At, Actor: t.Actor, ActorRole: string(t.ActorRole), Action: t.Action, From: string(t.From), To: string(t.To), Reason: t.Reason, RequestID: t.RequestID})
	}
	return d, nil
}

// auditMissing records that r asked for an account that does not exist, if r's session
// is live, and returns notFound then (EUNAUTHORIZED otherwise).
func (s *Service) auditMissing(ctx context.Context, r Reviewer, accountID string, notFound error) error {
	now := s.clock.Now()
	rec := kyc.ActorAuditRecord{Actor: r.UserID, ActorRole: r.Role, At: now, Action: kyc.ActionRead,
		Subject: kyc.SubjectMissingAccount, RequestID: r.RequestID}
	if len(accountID) <= maxRecordedID {
		rec.AccountIDs = []string{accountID}
	}
	if err := s.store.AppendActorAuditLive(ctx, r.live(now), rec); err != nil {
		if kyc.IsCode(err, kyc.EUNAUTHORIZED) {
			return err
		}
		return fmt.Errorf("audit read of a missing account: %w", err)
	}
	return notFound
}

// maxRecordedID bounds the id of a missing account that a record keeps: a caller chose it.
const maxRecordedID = 64

// documentViews lists docs by slot: what each is, never where.
func documentViews(docs map[string]kyc.Document) []DocumentView {
	out := []DocumentView{}
	for _, slot := range slices.Sorted(maps.Keys(docs)) {
		doc := docs[slot]
		out = append(out, DocumentView{Slot: slot, ContentType: doc.ContentType, Size: doc.Size, UploadedAt: doc.UploadedAt, Check: doc.Check})
	}
	return out
}

// Approve moves a PENDING_REVIEW account to APPROVED, then deletes the documents of the
// account's earlier attempts (see sweepEarlierAttempts): the approved set is what the
// account keeps.
//
// An APPROVED personal account with a pending enterprise change (seed 002) has the change
// decided instead (kyc.ApproveChange): it becomes the company's APPROVED account. Then
// only the folders of the change's documents are swept: the files of earlier change
// attempts go, and the personal documents stay with the account.
//
// A company that needs a bank verification (kyc.Account.BankRequired) and has no VERIFIED
// one yet keeps the approval and stays PENDING_REVIEW (kyc.ApproveReviewed): the state
// returned says which. Its earlier attempts are swept all the same: the reviewer approved
// this set, and the bank's verdict, which may approve it later, comes from a function
// without the document store.
func (s *Service) Approve(ctx context.Context, r Reviewer, accountID string) (kyc.State, error) {
	approved, change, err := s.decide(ctx, r, accountID, kyc.ApproveReviewed, kyc.ApproveChange)
	if err != nil {
		return "", err
	}
	swept := approved.Documents
	if change != nil {
		swept = change.Documents
	}
	s.sweepEarlierAttempts(ctx, approved, swept)
	return approved.State, nil
}

// accountsPrefix is where pkg/submission puts an account's documents:
// accounts/<account>/<slot>/<random>, a new key for every attempt.
const accountsPrefix = "accounts/"

// sweepEarlierAttempts deletes the objects of a's earlier attempts: every object in the
// folder of each of the approved documents swept (a's, or an approved change's) that is
// not one of a's documents. A resubmission
// replaces the account's documents with new keys in the same folders (the rejected ones
// stay, for the reviewer to compare while deciding), so once an attempt is approved the
// rest of each folder is only earlier attempts' files (or copies a failed request could
// not delete). Other folders of the account (the avatar) are not a submission's and are
// left alone.
//
// It runs after the approval is written, which is the commit point: a failure here does
// not undo the approval; it is logged and the files stay until an operator sweeps
// (listing a folder again and deleting is idempotent). The audit trail is in the store
// and untouched. No object key holds personal data, so the log may name the folders.
func (s *Service) sweepEarlierAttempts(ctx context.Context, a kyc.Account, swept map[string]kyc.Document) {
	ctx = context.WithoutCancel(ctx) // the approval was answered: finish the sweep
	if s.objects == nil {
		s.log.WarnContext(ctx, "earlier attempts' documents not deleted: no object store", slog.String("account_id", a.ID))
		return
	}
	keep := map[string]bool{}
	var folders []string
	for _, d := range a.Documents {
		keep[d.Key] = true
	}
	for _, d := range swept {
		dir := d.Key[:strings.LastIndexByte(d.Key, '/')+1]
		// Only a slot folder of this account: never the account's whole prefix, never
		// the bucket (a key without a folder would make dir "").
		if strings.HasPrefix(dir, accountsPrefix+a.ID+"/") && strings.Count(dir, "/") == 3 && !slices.Contains(folders, dir) {
			folders = append(folders, dir)
		}
	}
	deleted := 0
	for _, dir := range folders {
		keys, err := s.objects.List(ctx, dir)
		if err != nil {
			s.log.WarnContext(ctx, "could not list earlier attempts' documents", slog.String("account_id", a.ID), slog.String("folder", dir), slog.String("error", err.Error()))
			continue
		}
		for _, k := range keys {
			if keep[k] {
				continue
			}
			if err := s.objects.Delete(ctx, k); err != nil {
				s.log.WarnContext(ctx, "could not delete an earlier attempt's document", slog.String("account_id", a.ID), slog.String("folder", dir), slog.String("error", err.Error()))
				continue
			}
			deleted++
		}
	}
	s.log.InfoContext(ctx, "earlier attempts' documents deleted", slog.String("account_id", a.ID), slog.Int("deleted", deleted))
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
	_, _, err = s.decide(ctx, r, accountID, func(a kyc.Account, by kyc.Actor, at time.Time) (kyc.Transition, error) {
		return kyc.Reject(a, by, at, rej)
	}, func(a kyc.Account, c kyc.EnterpriseChange, by kyc.Actor, at time.Time) (kyc.Transition, error) {
		return kyc.RejectChange(a, c, by, at, rej.Reason)
	})
	return err
}

// decide applies a reviewer's decision as one conditional transition: the domain refuses
// an account that is not PENDING_REVIEW, and the store refuses a decision that lost a
// race, both with ECONFLICT. An APPROVED account with a pending enterprise change has
// changeStep decide the change instead, in one write with the change (returned, not nil).
// Account and change come in one read, so a decision is two store calls either way. It
// returns the account as written.
func (s *Service) decide(ctx context.Context, r Reviewer, accountID string,
	step func(kyc.Account, kyc.Actor, time.Time) (kyc.Transition, error),
	changeStep func(kyc.Account, kyc.EnterpriseChange, kyc.Actor, time.Time) (kyc.Transition, error),
) (saved kyc.Account, decided *kyc.EnterpriseChange, err error) {
	a, c, _, err := s.store.GetAccountChangeAndUploads(ctx, accountID, nil, s.clock.Now())
	if err != nil {
		return kyc.Account{}, nil, err
	}
	by := kyc.Actor{ID: r.UserID, Role: r.Role, AccountID: r.AccountID, RequestID: r.RequestID}
	changed := c.Pending && a.State == kyc.StateApproved
	var t kyc.Transition
	if changed {
		t, err = changeStep(a, c, by, s.clock.Now())
	} else {
		t, err = step(a, by, s.clock.Now())
	}
	if err != nil {
		return kyc.Account{}, nil, err
	}
	if changed {
		decided = &c
		saved, err = s.store.DecideChange(ctx, t, c)
	} else {
		saved, err = s.store.Transition(ctx, t)
	}
	if err != nil {
		// The store's conflict says what happened: a concurrent decision or an identity
		// already verified on another account.
		return kyc.Account{}, nil, fmt.Errorf("%s: %w", t.Audit.Action, err)
	}
	s.log.InfoContext(ctx, "review decision", slog.String("account_id", a.ID), slog.String("action", t.Audit.Action), slog.String("reviewer", r.UserID))
	return saved, decided, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// profileViews lists a company's profile versions for the reviewer's detail.
func profileViews(versions []kyc.ProfileVersion) []ProfileView {
	var out []ProfileView
	for _, v := range versions {
		out = append(out, ProfileView{Version: v.Version, At: v.At, Actor: v.Actor, Changed: orEmpty(v.Changed), Fields: v.Fields})
	}
	return out
}
