package submission

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// ConfirmationKey is where the platform's sample confirmation file lives in the bucket.
const ConfirmationKey = "platform/confirmation-sample.pdf"

//go:embed assets/confirmation-sample.pdf
var confirmationSample []byte

// ConfirmationSample returns the sample confirmation file shipped with the code.
func ConfirmationSample() []byte { return bytes.Clone(confirmationSample) }

// SampleObjects is what EnsureConfirmationSample needs of the object store; any
// kyc.Documents is one.
type SampleObjects interface {
	Head(ctx context.Context, key string) (kyc.ObjectInfo, error)
	Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error
}

// EnsureConfirmationSample uploads the sample confirmation file if the bucket lacks it
// (the local runner at start; `make deploy` copies it on AWS).
func EnsureConfirmationSample(ctx context.Context, docs SampleObjects) error {
	if _, err := docs.Head(ctx, ConfirmationKey); err == nil {
		return nil
	} else if !kyc.IsCode(err, kyc.ENOTFOUND) {
		return fmt.Errorf("head confirmation sample: %w", err)
	}
	if err := docs.Put(ctx, ConfirmationKey, "application/pdf", bytes.NewReader(confirmationSample)); err != nil {
		return fmt.Errorf("upload confirmation sample: %w", err)
	}
	return nil
}

// ConfirmationURL is the 302 target of downloadConfirmationFile.
func (s *Service) ConfirmationURL(ctx context.Context) (string, error) {
	if s.presigner == nil {
		return "", errNoPresigner
	}
	return s.presigner.PresignGet(ctx, ConfirmationKey, DownloadTTL, "confirmation-sample.pdf")
}

// Viewer is who asks for a document.
type Viewer struct {
	UserID    string
	Role      kyc.Role
	RequestID string
	// Forensic is a reviewer's explicit request (?forensic=1) for a document that failed
	// its check; without it such a download is refused. It changes nothing for a document
	// that passed or is not checked yet, nor for the owner.
	Forensic bool
}

// Reviewer reports whether the viewer may see every account's documents.
func (v Viewer) Reviewer() bool { return v.Role == kyc.RoleReviewer || v.Role == kyc.RoleAdmin }

// Audit actions of reviewers' downloads.
const (
	ActionDownload         = "download"
	ActionForensicDownload = "document.forensic_download"
)

// DownloadURL returns a short-lived presigned GET for one document of an account, to its
// owner or a reviewer. A reviewer's download of someone else's document is audited, and
// the record is written before the URL is returned, so no URL is handed out unrecorded.
//
// A reviewer gets only documents that passed the review worker's check (Check "ok"): one
// that failed it (corrupt, active content, too large...) may be hostile to whoever opens
// it, and one not checked yet (Check "": the worker has not run) has neither been
// inspected nor had its photo metadata (GPS) stripped. A reviewer gets those only by
// asking explicitly (v.Forensic), and the audit record then says so and names the
// check; otherwise ECONFLICT. The owner gets it without asking: they uploaded those
// bytes, so serving them back exposes nothing they did not have, and lets them see what
// was refused.
func (s *Service) DownloadURL(ctx context.Context, v Viewer, accountID, slot string) (string, error) {
	if s.presigner == nil {
		return "", errNoPresigner
	}
	acct, err := s.store.GetAccount(ctx, accountID)
	if err != nil {
		return "", err
	}
	owner := acct.OwnerID == v.UserID
	if !owner && !v.Reviewer() {
		return "", kyc.Errorf(kyc.EFORBIDDEN, "not your account")
	}
	doc, ok := acct.Documents[slot]
	if !ok {
		return "", kyc.Errorf(kyc.ENOTFOUND, "no %s document on this account", slot)
	}
	if !owner {
		if err := s.auditDownload(ctx, v, acct, slot, doc); err != nil {
			return "", err
		}
	}
	return s.presigner.PresignGet(ctx, doc.Key, DownloadTTL, slot+extension(doc.ContentType))
}

// auditDownload records a reviewer's download of doc, the account's document in slot, refusing one of a document that
// failed its check unless v asked for it for forensics.
func (s *Service) auditDownload(ctx context.Context, v Viewer, acct kyc.Account, slot string, doc kyc.Document) error {
	rec := kyc.AuditRecord{AccountID: acct.ID, At: s.clock.Now(), Actor: v.UserID, ActorRole: v.Role, Action: ActionDownload,
		From: acct.State, To: acct.State, Reason: slot, RequestID: v.RequestID}
	if doc.Check != "ok" {
		if !v.Forensic {
			if doc.Check == "" {
				return kyc.Errorf(kyc.ECONFLICT, "%s has not been through the automated checks yet; add forensic=1 to download it as uploaded, which is audited", slot)
			}
			return kyc.Errorf(kyc.ECONFLICT, "%s failed its check (%s); add forensic=1 to download it for forensics, which is audited",
				slot, doc.Check)
		}
		rec.Action, rec.Reason = ActionForensicDownload, slot+" check="+cmp.Or(doc.Check, "none")
	}
	if err := s.store.AppendAudit(ctx, rec); err != nil {
		return fmt.Errorf("audit %s: %w", rec.Action, err)
	}
	s.log.InfoContext(ctx, "reviewer download", slog.String("action", rec.Action), slog.String("account_id", acct.ID),
		slog.String("slot", slot), slog.String("check", doc.Check))
	return nil
}

// ParseForensic reads the forensic query parameter of a download route, given as many
// times as it was sent: absent, "" or "0" is false and "1" true. Anything else is
// refused rather than read as either, so a typo never downloads a failed document
// silently nor hides why it was refused.
func ParseForensic(values []string) (bool, error) {
	if len(values) > 1 {
		return false, kyc.FieldError(kyc.EINVALID, "forensic", "must be given at most once")
	}
	if len(values) == 0 {
		return false, nil
	}
	switch values[0] {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, kyc.FieldError(kyc.EINVALID, "forensic", "must be 1 or 0")
}

func extension(contentType string) string {
	f, ok := filecheck.FormatOf(contentType)
	if !ok {
		return ""
	}
	return "." + strings.ToLower(string(f))
}

// AccountView is GET /v1/account's data: the owner's own account, documents by slot only.
type AccountView struct {
	ID            string   `json:"id"`
	Type          string   `json:"type"`
	State         string   `json:"state"`
	Status        int      `json:"status"`
	Name          string   `json:"name"`
	Organization  string   `json:"organization"`
	IDNumber      string   `json:"id_number"`
	Documents     []string `json:"documents"`
	Reasons       []string `json:"reasons"`
	RejectType    string   `json:"reject_type,omitempty"`
	ReuploadSlots []string `json:"reupload_slots"`
	Attempts      int      `json:"attempts"`
	MaxAttempts   int      `json:"max_attempts"`
	NotAuthorized bool     `json:"not_authorized"`
}

// Account returns the caller's own account: one read, by the account id the session
// carries. The status is computed for a user who is not frozen, which the caller is:
// freezing a user ends the user's sessions.
func (s *Service) Account(ctx context.Context, p kyc.Principal, status func(kyc.User, kyc.Account) int) (AccountView, error) {
	a, err := s.callerAccount(ctx, p)
	if err != nil {
		return AccountView{}, err
	}
	u := kyc.User{ID: p.UserID, AccountID: p.AccountID, Role: p.Role}
	docs := make([]string, 0, len(a.Documents))
	for slot := range a.Documents {
		docs = append(docs, slot)
	}
	slices.Sort(docs)
	return AccountView{ID: a.ID, Type: string(a.Type), State: string(a.State), Status: status(u, a), Name: a.Name, Organization: a.Organization,
		IDNumber: a.IDNumber, Documents: docs, Reasons: nonNil(a.Reasons), RejectType: string(a.RejectType), ReuploadSlots: nonNil(a.ReuploadSlots),
		Attempts: a.Attempts, MaxAttempts: s.maxAttempts, NotAuthorized: a.NotAuthorized()}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
