package submission

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// UploadRequest is POST /v1/uploads's body.
type UploadRequest struct {
	Slot          string
	ContentType   string
	ContentLength string // as sent; parsed here so the error can name the field
}

// UploadGrant is a presigned PUT the app sends the file with.
type UploadGrant struct {
	Key       string            `json:"key"`
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// CreateUpload checks the slot, type and length against the slot's rules and the caller's
// account, records the pending upload and returns a PUT pinned to that type and length.
func (s *Service) CreateUpload(ctx context.Context, p kyc.Principal, req UploadRequest) (UploadGrant, error) {
	if s.presigner == nil {
		return UploadGrant{}, errNoPresigner
	}
	var acct kyc.Account
	var err error
	if p.AppKey != "" && p.AccountID == "" {
		// An integrator's upload for a company it is about to create (POST
		// /v1/accounts/organization): recorded for the app alone, and only company slots.
		acct = kyc.Account{ID: newCompanyFolder, OwnerKind: kyc.OwnerIntegrator, OwnerID: p.AppKey, Type: kyc.CompanyAccount, Attempts: 1}
	} else if acct, err = s.callerAccount(ctx, p); err != nil {
		return UploadGrant{}, err
	}
	slot, err := slotFor(req.Slot, acct)
	if err != nil {
		return UploadGrant{}, err
	}
	f, ok := filecheck.FormatOf(req.ContentType)
	if !ok || !slot.Allows(f) {
		return UploadGrant{}, &kyc.Error{Code: kyc.EUNSUPPORTED, Field: "content_type", Reason: "not accepted for " + slot.Name,
			Message: fmt.Sprintf("content_type: %s accepts %s", slot.Name, contentTypes(slot))}
	}
	n, err := strconv.ParseInt(req.ContentLength, 10, 64)
	if err != nil || n <= 0 {
		return UploadGrant{}, kyc.FieldError(kyc.EINVALID, "content_length", "must be a positive whole number of bytes")
	}
	if n > slot.MaxBytes {
		return UploadGrant{}, &kyc.Error{Code: kyc.ETOOLARGE, Field: "content_length", Reason: "too large",
			Message: fmt.Sprintf("content_length: %s accepts at most %d bytes", slot.Name, slot.MaxBytes)}
	}
	now := s.clock.Now()
	key := fmt.Sprintf("%s%s/%s/%s", uploadPrefix, acct.ID, slot.Name, s.ids.NewID())
	ct := filecheck.ContentType(f)
	pre, err := s.presigner.PresignPut(ctx, key, ct, n, UploadURLTTL)
	if err != nil {
		return UploadGrant{}, fmt.Errorf("presign upload: %w", err)
	}
	rec := kyc.Upload{Key: key, AccountID: p.AccountID, UserID: p.UserID, Slot: slot.Name, ContentType: ct, Length: n, CreatedAt: now, ExpiresAt: now.Add(UploadRecordTTL)}
	// Counted and recorded in one write, before the grant is returned: the grant over the
	// limit records nothing, and concurrent requests cannot all slip under it.
	holder := p.UserID
	if p.AppKey != "" {
		// An app uploads for each of its accounts (and for the companies it is about to
		// create): the quota is per account, as a user's is, not one for the whole app.
		holder = p.AppKey + "#" + acct.ID
	}
	limit := uploadGrantsLimit(holder, s.grants)
	err = s.store.PutUploadCounted(ctx, rec, limit, now)
	if kyc.IsCode(err, kyc.ETOOMANY) {
		return UploadGrant{}, kyc.Errorf(kyc.ETOOMANY, "too many uploads: at most %d upload URLs per hour; try again after %s",
			limit.Max, now.UTC().Truncate(limit.Window).Add(limit.Window).Format("15:04 UTC"))
	}
	if err != nil {
		return UploadGrant{}, fmt.Errorf("record upload: %w", err)
	}
	return UploadGrant{Key: key, URL: pre.URL, Method: pre.Method, Headers: pre.Headers, ExpiresAt: pre.ExpiresAt}, nil
}

// uploadGrantsLimit is the limit of holder's upload grants (a user, or an app for one of
// its accounts): max in each clock hour.
func uploadGrantsLimit(holder string, max int64) kyc.Limit {
	return kyc.Limit{Key: "upload-grants:" + holder, Max: max, Window: time.Hour}
}

// slotFor finds the slot and checks the account may fill it. An account that has never
// submitted has no fixed type yet: it may fill slots of either type, and its first
// submission fixes the type.
func slotFor(name string, acct kyc.Account) (filecheck.Slot, error) {
	slot, ok := filecheck.LookupSlot(name)
	if !ok {
		return filecheck.Slot{}, kyc.FieldError(kyc.EINVALID, "slot", "unknown slot")
	}
	if acct.TypeFixed() && !slot.ForAccount(acct.Type) {
		return filecheck.Slot{}, kyc.FieldError(kyc.EINVALID, "slot", "not allowed for a "+string(acct.Type))
	}
	return slot, nil
}

func contentTypes(slot filecheck.Slot) string {
	var out string
	for i, f := range slot.Formats {
		if i > 0 {
			out += ", "
		}
		out += filecheck.ContentType(f)
	}
	return out
}

// callerAccount is the caller's account, read by the id the session carries: one GetItem.
func (s *Service) callerAccount(ctx context.Context, p kyc.Principal) (kyc.Account, error) {
	acct, err := s.store.GetAccount(ctx, p.AccountID)
	if err != nil {
		return kyc.Account{}, err
	}
	if err := owns(p, acct); err != nil {
		return kyc.Account{}, err
	}
	return acct, nil
}

// owns checks that the caller p acts for acct: the account's user, or an integrator app
// acting for one of its accounts (the principal httpapi makes for it: UserID is the app
// key, an integrator account's owner). Another app's account is ENOTFOUND, as if there
// were none; a user's session naming another user's account is a bug.
func owns(p kyc.Principal, acct kyc.Account) error {
	switch {
	case acct.OwnerID == p.UserID && (p.AppKey == "") == (acct.OwnerKind != kyc.OwnerIntegrator):
		return nil
	case p.AppKey != "":
		return kyc.Errorf(kyc.ENOTFOUND, "Account not found.")
	}
	return fmt.Errorf("session of %s names account %s of another user", p.UserID, acct.ID)
}

// newCompanyFolder is the folder of an integrator's uploads for a company it has not
// created yet: uploads/new-company/<slot>/<random>. The record, not the key, says whose
// upload it is.
const newCompanyFolder = "new-company"

// Upload keys: CreateUpload's are uploadPrefix<account>/<slot>/<random>, far shorter
// than maxKeyLen.
const (
	uploadPrefix = "uploads/"
	maxKeyLen    = 512
)

// issuedKey reports whether key could be one CreateUpload issued. No other key has a
// record, so the store is not asked about it (and never sees a key it cannot hold).
func issuedKey(key string) bool {
	return strings.HasPrefix(key, uploadPrefix) && len(key) <= maxKeyLen && utf8.ValidString(key)
}

// checkRecord checks that the upload named by field was recorded (found), was handed to
// the caller p (its user and account) and is for slot.
func checkRecord(p kyc.Principal, field string, rec kyc.Upload, found bool, slot filecheck.Slot) error {
	if !found {
		return kyc.FieldError(kyc.EINVALID, field, "no such upload (ask POST /v1/uploads for a key)")
	}
	if rec.AccountID != p.AccountID || rec.UserID != p.UserID {
		return &kyc.Error{Code: kyc.EFORBIDDEN, Field: field, Reason: "not your upload", Message: field + ": not your upload"}
	}
	if rec.Slot != slot.Name {
		return kyc.FieldError(kyc.EINVALID, field, "key was issued for slot "+rec.Slot)
	}
	return nil
}

// adopt checks that the object of rec (a checked record) is there as announced, then
// copies it to its final place under the account and returns the document.
func (s *Service) adopt(ctx context.Context, accountID, field string, rec kyc.Upload, slot filecheck.Slot) (kyc.Document, error) {
	info, err := s.objects.Head(ctx, rec.Key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return kyc.Document{}, kyc.FieldError(kyc.EINVALID, field, "the file was not uploaded to the URL")
	} else if err != nil {
		return kyc.Document{}, fmt.Errorf("head upload: %w", err)
	}
	if info.Size != rec.Length || info.ContentType != rec.ContentType {
		return kyc.Document{}, kyc.FieldError(kyc.EINVALID, field, "the uploaded file does not match the upload request")
	}
	// The store only pinned the declared type; the first bytes show what was really sent
	// (the review worker then decodes the whole file).
	head, err := s.objects.GetRange(ctx, rec.Key, 0, filecheck.SniffLen)
	if err != nil {
		return kyc.Document{}, fmt.Errorf("read upload: %w", err)
	}
	if got, _ := filecheck.FormatOf(rec.ContentType); filecheck.Sniff(head) != got {
		return kyc.Document{}, &kyc.Error{Code: kyc.EUNSUPPORTED, Field: field, Reason: "bad_format",
			Message: field + ": the file's content is not " + rec.ContentType}
	}
	dst := s.documentKey(accountID, slot.Name)
	// The type is the one the slot check accepted and the sniff confirmed; the copy takes
	// nothing else from the upload, whose metadata the uploader chose.
	if err := s.objects.CopyAs(ctx, rec.Key, dst, rec.ContentType); err != nil {
		return kyc.Document{}, fmt.Errorf("copy upload: %w", err)
	}
	return kyc.Document{Slot: slot.Name, Key: dst, ContentType: rec.ContentType, Size: info.Size, UploadedAt: s.clock.Now()}, nil
}

func (s *Service) documentKey(accountID, slot string) string {
	return fmt.Sprintf("accounts/%s/%s/%s", accountID, slot, s.ids.NewID())
}

// deleteAll removes objects a request wrote and then did not use (it failed), or that it
// replaced (the old portrait).
func (s *Service) deleteAll(ctx context.Context, docs []kyc.Document) {
	ctx = context.WithoutCancel(ctx)
	for _, d := range docs {
		if err := s.objects.Delete(ctx, d.Key); err != nil {
			s.log.WarnContext(ctx, "could not delete an object the request no longer needs", "slot", d.Slot, "error", err.Error())
		}
	}
}
