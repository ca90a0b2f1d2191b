package submission

import (
	"bytes"
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
}

// Reviewer reports whether the viewer may see every account's documents.
func (v Viewer) Reviewer() bool { return v.Role == kyc.RoleReviewer || v.Role == kyc.RoleAdmin }

// DownloadURL returns a short-lived presigned GET for one document of an account, to its
// owner or a reviewer. A reviewer's download of someone else's document is audited.
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
		rec := kyc.AuditRecord{AccountID: acct.ID, At: s.clock.Now(), Actor: v.UserID, ActorRole: v.Role, Action: "download", From: acct.State, To: acct.State, Reason: slot, RequestID: v.RequestID}
		if err := s.store.AppendAudit(ctx, rec); err != nil {
			return "", fmt.Errorf("audit download: %w", err)
		}
		s.log.InfoContext(ctx, "reviewer download", slog.String("account_id", acct.ID), slog.String("slot", slot))
	}
	return s.presigner.PresignGet(ctx, doc.Key, DownloadTTL, slot+extension(doc.ContentType))
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
