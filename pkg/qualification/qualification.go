// Package qualification is seed 003's qualification certificate (从业资格证): a user submits
// the picture of one, uploaded through POST /v1/uploads to slot qualification; a reviewer
// lists the pending ones, oldest first, and approves or rejects each; the user reads the
// outcome. A certificate is reviewed by hand and on its own (kyc.Qualification): it never
// changes the account's verification state, and no automated check or queue stands
// between the submission and the reviewers, so the submission checks the document in
// full itself (pkg/filecheck) before anything is stored.
//
// Rules decided here (README "Qualification certificates"): one certificate PENDING per
// account (a second is 409 / 1021 "already under review"); at most
// kyc.QualificationsPerDay accepted submissions per account a day (429 / 1022); the
// reviewers' list hands out a presigned GET of each picture (DownloadTTL), and the read
// of every page is audited under the reviewer before it is answered; deciding one's own
// certificate is 403 / 1020 (maker-checker); a decided one cannot be decided again
// (409 / 1021). Every route is at most three DynamoDB calls, the session's included.
package qualification

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// DownloadTTL is the life of the presigned GET of a picture on the reviewers' list: long
// enough to open the page's pictures, short enough that a copied link soon dies.
const DownloadTTL = 5 * time.Minute

// Store is what the service reads and writes; *dynamo.Store is one.
type Store interface {
	GetAccountUploadAndQualification(ctx context.Context, accountID, key string, now time.Time) (kyc.Account, map[string]kyc.Upload, *kyc.Qualification, error)
	PutQualification(ctx context.Context, q kyc.Qualification, audit kyc.AuditRecord, limit kyc.Limit, now time.Time) error
	GetQualification(ctx context.Context, id string) (kyc.Qualification, error)
	GetCurrentQualification(ctx context.Context, accountID string) (kyc.Qualification, error)
	DecideQualification(ctx context.Context, q kyc.Qualification, audit kyc.AuditRecord) error
	ListPendingQualifications(ctx context.Context, limit int, cursor string) (kyc.QualificationPage, error)
	AppendActorAuditLive(ctx context.Context, live kyc.LiveSession, r kyc.ActorAuditRecord) error
}

// Objects is what the submission does with the picture: check the upload is there
// (Head), copy it to its final place (CopyAs), read the copy in full to check it (Get),
// delete the copy of a refused submission. Any kyc.Documents is one.
type Objects interface {
	Head(ctx context.Context, key string) (kyc.ObjectInfo, error)
	Get(ctx context.Context, key string) (io.ReadCloser, kyc.ObjectInfo, error)
	CopyAs(ctx context.Context, src, dst, contentType string) error
	Delete(ctx context.Context, key string) error
}

var _ Objects = kyc.Documents(nil)

// Deps are what the service is built from. Objects is needed by Submit only and
// Presigner by ListPending only: a function whose route does not call them is built
// without them (the method then fails before it reads or writes anything).
type Deps struct {
	Store     Store
	Objects   Objects
	Presigner kyc.Presigner
	Clock     kyc.Clock
	IDs       kyc.IDs
	Log       *slog.Logger
}

// Service implements the qualification routes.
type Service struct{ d Deps }

// New returns the service over d.
func New(d Deps) *Service { return &Service{d: d} }

var (
	errNoObjects   = errors.New("qualification: this route needs the object store (Deps.Objects)")
	errNoPresigner = errors.New("qualification: this route needs a Presigner (Deps.Presigner)")
)

// View is a certificate as its owner sees it (and as a decision answers): what was
// decided and why, never the picture's key.
type View struct {
	ID          string     `json:"id"`
	State       string     `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

// StateNone is the state GET /v1/user/qualification answers for an account that never
// submitted a certificate (a 200, so an app asks one question and reads one answer).
const StateNone = "NONE"

func viewOf(q kyc.Qualification) View {
	v := View{ID: q.ID, State: string(q.State), Reason: q.Reason}
	if !q.SubmittedAt.IsZero() {
		at := q.SubmittedAt
		v.SubmittedAt = &at
	}
	if !q.DecidedAt.IsZero() {
		at := q.DecidedAt
		v.DecidedAt = &at
	}
	return v
}

// Upload keys are CreateUpload's: uploads/<account>/<slot>/<random> (pkg/submission).
const (
	uploadPrefix = "uploads/"
	maxKeyLen    = 512
)

// Submit makes the upload key (a POST /v1/uploads grant of slot qualification the caller
// used) the caller's new PENDING certificate, queued for the reviewers' list.
//
// Refused before the document is touched: a missing key (997), a key that names no
// upload of the caller's for this slot (1006, or 403 / 1020 for another user's), a
// certificate already pending (409 / 1021). Then the upload must be there as announced
// (1006); it is copied to accounts/<account>/qualification/<random>, and the copy, which
// only the server writes, is read in full and checked (filecheck: over 10 MB 413 / 1023,
// not JPEG, PNG or PDF by content 415 / 1024, truncated, undecodable or with active
// content 400 / 1006). The certificate is then stored with its audit record, the day's
// count and the one-pending rule in one conditional write. A refused or failed
// submission deletes the copy, so nothing is left behind. Three DynamoDB calls with the
// session's: the account, the upload record and the current certificate in one read,
// then the write.
func (s *Service) Submit(ctx context.Context, p kyc.Principal, requestID, key string) (View, error) {
	if s.d.Objects == nil {
		return View{}, errNoObjects
	}
	const field = "picture"
	key = strings.TrimSpace(key)
	if key == "" {
		return View{}, kyc.FieldError(kyc.EMISSING, field, "required: the key of an upload to slot qualification (POST /v1/uploads)")
	}
	slot, _ := filecheck.LookupSlot(kyc.SlotQualification)
	// No other key has a record, so the store is not asked about it (and never sees a
	// key it cannot hold).
	issued := strings.HasPrefix(key, uploadPrefix) && len(key) <= maxKeyLen && utf8.ValidString(key)
	lookup := ""
	if issued {
		lookup = key
	}
	now := s.d.Clock.Now()
	acct, uploads, current, err := s.d.Store.GetAccountUploadAndQualification(ctx, p.AccountID, lookup, now)
	if err != nil {
		return View{}, fmt.Errorf("read account and upload: %w", err)
	}
	if acct.OwnerID != p.UserID {
		return View{}, fmt.Errorf("session of %s names account %s of another user", p.UserID, acct.ID)
	}
	if current != nil && current.State == kyc.QualificationPending {
		return View{}, kyc.Errorf(kyc.ECONFLICT, "A qualification certificate is already under review.")
	}
	rec, found := uploads[key]
	switch {
	case !issued || !found:
		return View{}, kyc.FieldError(kyc.EINVALID, field, "no such upload (ask POST /v1/uploads for a key of slot qualification)")
	case rec.AccountID != p.AccountID || rec.UserID != p.UserID:
		return View{}, &kyc.Error{Code: kyc.EFORBIDDEN, Field: field, Reason: "not your upload", Message: field + ": not your upload"}
	case rec.Slot != slot.Name:
		return View{}, kyc.FieldError(kyc.EINVALID, field, "key was issued for slot "+rec.Slot+", not qualification")
	}
	info, err := s.d.Objects.Head(ctx, rec.Key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return View{}, kyc.FieldError(kyc.EINVALID, field, "the file was not uploaded to the URL")
	} else if err != nil {
		return View{}, fmt.Errorf("head upload: %w", err)
	}
	if info.Size != rec.Length || info.ContentType != rec.ContentType {
		return View{}, kyc.FieldError(kyc.EINVALID, field, "the uploaded file does not match the upload request")
	}
	if info.Size > slot.MaxBytes {
		return View{}, &kyc.Error{Code: kyc.ETOOLARGE, Field: field, Reason: filecheck.TooLarge,
			Message: fmt.Sprintf("%s: qualification accepts at most %d bytes", field, slot.MaxBytes)}
	}
	doc := kyc.Document{Slot: slot.Name, Key: fmt.Sprintf("accounts/%s/%s/%s", acct.ID, slot.Name, s.d.IDs.NewID()),
		ContentType: rec.ContentType, Size: info.Size, UploadedAt: now}
	// The copy is checked, not the upload: the upload's URL may still be used to replace
	// its bytes, the copy only the server writes, so what is checked is what is kept.
	if err := s.d.Objects.CopyAs(ctx, rec.Key, doc.Key, rec.ContentType); err != nil {
		return View{}, fmt.Errorf("copy upload: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			s.deleteCopy(ctx, doc.Key)
		}
	}()
	if err := s.check(ctx, doc, slot, field); err != nil {
		return View{}, err
	}
	q, audit := kyc.NewQualification(s.d.IDs.NewID(), acct, p, doc, now, requestID)
	if err := s.d.Store.PutQualification(ctx, q, audit, kyc.QualificationLimit(acct.ID), now); err != nil {
		if kyc.IsCode(err, kyc.ECONFLICT) || kyc.IsCode(err, kyc.ETOOMANY) {
			return View{}, err
		}
		return View{}, fmt.Errorf("store qualification: %w", err)
	}
	keep = true
	s.d.Log.InfoContext(ctx, "qualification submitted", slog.String("qualification_id", q.ID), slog.String("account_id", q.AccountID))
	return viewOf(q), nil
}

// check reads the stored copy d in full and checks it against slot; its sniffed format
// must be the type it is stored (and will be served) with.
func (s *Service) check(ctx context.Context, d kyc.Document, slot filecheck.Slot, field string) error {
	body, _, err := s.d.Objects.Get(ctx, d.Key)
	if err != nil {
		return fmt.Errorf("read copy: %w", err)
	}
	defer body.Close()
	res, err := filecheck.Check(body, slot)
	if err != nil {
		return fmt.Errorf("read copy: %w", err)
	}
	if !res.OK() {
		code := kyc.EINVALID
		switch res.Code {
		case filecheck.TooLarge:
			code = kyc.ETOOLARGE
		case filecheck.BadFormat:
			code = kyc.EUNSUPPORTED
		}
		// The decoder's detail is the operator's, and holds nothing of the user's.
		s.d.Log.InfoContext(ctx, "qualification picture refused", slog.String("check", res.Code), slog.String("detail", res.Detail))
		return &kyc.Error{Code: code, Field: field, Reason: res.Code, Message: field + ": " + res.Message}
	}
	if want, _ := filecheck.FormatOf(d.ContentType); res.Format != want {
		return &kyc.Error{Code: kyc.EUNSUPPORTED, Field: field, Reason: filecheck.BadFormat,
			Message: field + ": the file's content is not " + d.ContentType}
	}
	return nil
}

func (s *Service) deleteCopy(ctx context.Context, key string) {
	if err := s.d.Objects.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.d.Log.WarnContext(ctx, "could not delete the copy of a refused qualification certificate", slog.String("error", err.Error()))
	}
}

// Current is the caller's latest certificate (StateNone if it never submitted one): one
// DynamoDB call besides the session's.
func (s *Service) Current(ctx context.Context, p kyc.Principal) (View, error) {
	q, err := s.d.Store.GetCurrentQualification(ctx, p.AccountID)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return View{State: StateNone}, nil
	} else if err != nil {
		return View{}, fmt.Errorf("read qualification: %w", err)
	}
	return viewOf(q), nil
}

// Reviewer is who reads or decides, for the audit trail; TokenHash names the session the
// list's audit write requires to be live (kyc.LiveSession).
type Reviewer struct {
	kyc.Actor
	TokenHash string
}

// ListItem is one pending certificate on the reviewers' list. The picture is reached
// only through PictureURL, a presigned GET valid DownloadTTL.
type ListItem struct {
	ID               string    `json:"id"`
	AccountID        string    `json:"account_id"`
	AccountType      string    `json:"account_type"`
	SubmittedAt      time.Time `json:"submitted_at"`
	ContentType      string    `json:"content_type"`
	Size             int64     `json:"size"`
	PictureURL       string    `json:"picture_url"`
	PictureExpiresAt time.Time `json:"picture_expires_at"`
}

// Page is one page of the reviewers' list.
type Page struct {
	Items      []ListItem
	Total      int64
	NextCursor string
}

// ListPending returns one page of PENDING certificates, oldest first (limit "" is 20,
// else at least 1, above 100 counting as 100; cursor "" or the previous page's). The page's read, which hands out
// links to the pictures, is recorded under the reviewer, on condition that the session is
// live, before anything is answered: two DynamoDB calls (the route reads no session).
func (s *Service) ListPending(ctx context.Context, r Reviewer, limit, cursor string) (Page, error) {
	if s.d.Presigner == nil {
		return Page{}, errNoPresigner
	}
	n := 20
	if limit != "" {
		v, err := strconv.Atoi(limit)
		if err != nil || v < 1 {
			return Page{}, kyc.FieldError(kyc.EINVALID, "limit", "must be a whole number from 1 to 100")
		}
		n = min(v, 100) // as the account lists: above 100 counts as 100
	}
	p, err := s.d.Store.ListPendingQualifications(ctx, n, cursor)
	if kyc.IsCode(err, kyc.EINVALID) {
		return Page{}, kyc.FieldError(kyc.EINVALID, "cursor", "not a cursor of this list")
	} else if err != nil {
		return Page{}, fmt.Errorf("list pending qualifications: %w", err)
	}
	now := s.d.Clock.Now()
	page := Page{Items: make([]ListItem, 0, len(p.Qualifications)), Total: p.Total, NextCursor: p.NextCursor}
	shown := make([]string, 0, len(p.Qualifications))
	for _, q := range p.Qualifications {
		url, err := s.d.Presigner.PresignGet(ctx, q.Document.Key, DownloadTTL, kyc.SlotQualification)
		if err != nil {
			return Page{}, fmt.Errorf("presign qualification picture: %w", err)
		}
		page.Items = append(page.Items, ListItem{ID: q.ID, AccountID: q.AccountID, AccountType: string(q.AccountType), SubmittedAt: q.SubmittedAt,
			ContentType: q.Document.ContentType, Size: q.Document.Size, PictureURL: url, PictureExpiresAt: now.Add(DownloadTTL)})
		shown = append(shown, q.AccountID)
	}
	// Even an empty page is recorded: the write is what proves the session is live.
	rec := kyc.ActorAuditRecord{Actor: r.ID, ActorRole: r.Role, At: now, Action: kyc.ActionListRead,
		Subject: kyc.SlotQualification, AccountIDs: shown, RequestID: r.RequestID}
	if err := s.d.Store.AppendActorAuditLive(ctx, kyc.LiveSession{TokenHash: r.TokenHash, Now: now}, rec); err != nil {
		if kyc.IsCode(err, kyc.EUNAUTHORIZED) {
			return Page{}, err
		}
		return Page{}, fmt.Errorf("audit qualification list read: %w", err)
	}
	return page, nil
}

// Decide approves (approve) or rejects (with reason) the certificate id: 404 / 1015 for
// an unknown id, 403 / 1020 for one's own, 409 / 1021 for one decided already (also when
// another reviewer decides it between the read and the write: exactly one decision is
// written). Three DynamoDB calls with the session's: the certificate, then the
// conditional write of the decision, its audit record and the account's copy.
func (s *Service) Decide(ctx context.Context, r Reviewer, id string, approve bool, reason string) (View, error) {
	q, err := s.d.Store.GetQualification(ctx, id)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return View{}, kyc.Errorf(kyc.ENOTFOUND, "No such qualification certificate.")
	} else if err != nil {
		return View{}, fmt.Errorf("read qualification: %w", err)
	}
	next, audit, err := kyc.DecideQualification(q, approve, reason, r.Actor, s.d.Clock.Now())
	if err != nil {
		return View{}, err
	}
	if err := s.d.Store.DecideQualification(ctx, next, audit); err != nil {
		if kyc.IsCode(err, kyc.ECONFLICT) {
			return View{}, err
		}
		return View{}, fmt.Errorf("decide qualification: %w", err)
	}
	s.d.Log.InfoContext(ctx, "qualification decided", slog.String("qualification_id", next.ID), slog.String("state", string(next.State)))
	return viewOf(next), nil
}
