package localstore

import (
	"slices"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// The on-disk records. They are separate from the domain types so that renaming a Go field
// cannot silently orphan data in files written by an earlier build; times are stored in UTC
// with nanoseconds.

type userRecord struct {
	ID             string    `json:"id"`
	Phone          string    `json:"phone"`
	PasswordHash   string    `json:"password_hash"`
	Role           kyc.Role  `json:"role"`
	AccountID      string    `json:"account_id"`
	Portrait       string    `json:"portrait,omitempty"`
	RegistrationID string    `json:"registration_id,omitempty"`
	Frozen         bool      `json:"frozen,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
	Version        int64     `json:"version"`
}

func toUserRecord(u kyc.User) userRecord {
	return userRecord{
		ID: u.ID, Phone: u.Phone, PasswordHash: u.PasswordHash, Role: u.Role, AccountID: u.AccountID,
		Portrait: u.Portrait, RegistrationID: u.RegistrationID, Frozen: u.Frozen,
		CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt), Version: u.Version,
	}
}

func (r userRecord) user() kyc.User {
	return kyc.User{
		ID: r.ID, Phone: r.Phone, PasswordHash: r.PasswordHash, Role: r.Role, AccountID: r.AccountID,
		Portrait: r.Portrait, RegistrationID: r.RegistrationID, Frozen: r.Frozen,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version,
	}
}

type sessionRecord struct {
	TokenHash string    `json:"token_hash"`
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at"`
}

func toSessionRecord(s kyc.Session) sessionRecord {
	return sessionRecord{TokenHash: s.TokenHash, UserID: s.UserID, CreatedAt: utc(s.CreatedAt), ExpiresAt: utc(s.ExpiresAt)}
}

func (r sessionRecord) session() kyc.Session {
	return kyc.Session{TokenHash: r.TokenHash, UserID: r.UserID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

type documentRecord struct {
	Slot        string    `json:"slot"`
	Key         string    `json:"key"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	UploadedAt  time.Time `json:"uploaded_at,omitzero"`
	Check       string    `json:"check,omitempty"`
}

type accountRecord struct {
	ID            string                    `json:"id"`
	OwnerID       string                    `json:"owner_id"`
	Type          kyc.AccountType           `json:"type"`
	Name          string                    `json:"name,omitempty"`
	Tel           string                    `json:"tel,omitempty"`
	Address       string                    `json:"address,omitempty"`
	Organization  string                    `json:"organization,omitempty"`
	IDNumber      string                    `json:"id_number,omitempty"`
	NotActive     bool                      `json:"not_active,omitempty"`
	State         kyc.State                 `json:"state"`
	RejectType    kyc.RejectType            `json:"reject_type,omitempty"`
	Reasons       []string                  `json:"reasons,omitempty"`
	ReuploadSlots []string                  `json:"reupload_slots,omitempty"`
	Documents     map[string]documentRecord `json:"documents,omitempty"`
	Attempts      int                       `json:"attempts,omitempty"`
	SubmittedAt   time.Time                 `json:"submitted_at,omitzero"`
	CreatedAt     time.Time                 `json:"created_at,omitzero"`
	UpdatedAt     time.Time                 `json:"updated_at,omitzero"`
	Version       int64                     `json:"version"`
}

func toAccountRecord(a kyc.Account) accountRecord {
	r := accountRecord{
		ID: a.ID, OwnerID: a.OwnerID, Type: a.Type, Name: a.Name, Tel: a.Tel, Address: a.Address,
		Organization: a.Organization, IDNumber: a.IDNumber, NotActive: a.NotActive, State: a.State,
		RejectType: a.RejectType, Reasons: slices.Clone(a.Reasons), ReuploadSlots: slices.Clone(a.ReuploadSlots),
		Attempts: a.Attempts, SubmittedAt: utc(a.SubmittedAt), CreatedAt: utc(a.CreatedAt),
		UpdatedAt: utc(a.UpdatedAt), Version: a.Version,
	}
	if len(a.Documents) > 0 {
		r.Documents = make(map[string]documentRecord, len(a.Documents))
		for slot, d := range a.Documents {
			r.Documents[slot] = documentRecord{
				Slot: d.Slot, Key: d.Key, ContentType: d.ContentType, Size: d.Size, UploadedAt: utc(d.UploadedAt), Check: d.Check,
			}
		}
	}
	return r
}

func (r accountRecord) account() kyc.Account {
	a := kyc.Account{
		ID: r.ID, OwnerID: r.OwnerID, Type: r.Type, Name: r.Name, Tel: r.Tel, Address: r.Address,
		Organization: r.Organization, IDNumber: r.IDNumber, NotActive: r.NotActive, State: r.State,
		RejectType: r.RejectType, Reasons: r.Reasons, ReuploadSlots: r.ReuploadSlots,
		Attempts: r.Attempts, SubmittedAt: r.SubmittedAt, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt, Version: r.Version,
	}
	if len(r.Documents) > 0 {
		a.Documents = make(map[string]kyc.Document, len(r.Documents))
		for slot, d := range r.Documents {
			a.Documents[slot] = kyc.Document{
				Slot: d.Slot, Key: d.Key, ContentType: d.ContentType, Size: d.Size, UploadedAt: d.UploadedAt, Check: d.Check,
			}
		}
	}
	return a
}

type auditRecord struct {
	AccountID string    `json:"account_id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	ActorRole kyc.Role  `json:"actor_role,omitempty"`
	Action    string    `json:"action"`
	From      kyc.State `json:"from,omitempty"`
	To        kyc.State `json:"to,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
}

func toAuditRecord(r kyc.AuditRecord) auditRecord {
	return auditRecord{
		AccountID: r.AccountID, At: utc(r.At), Actor: r.Actor, ActorRole: r.ActorRole, Action: r.Action,
		From: r.From, To: r.To, Reason: r.Reason, RequestID: r.RequestID,
	}
}

func (r auditRecord) audit() kyc.AuditRecord {
	return kyc.AuditRecord{
		AccountID: r.AccountID, At: r.At, Actor: r.Actor, ActorRole: r.ActorRole, Action: r.Action,
		From: r.From, To: r.To, Reason: r.Reason, RequestID: r.RequestID,
	}
}

// counterRecord is a rate-limit window: Value increments until ExpiresAt.
type counterRecord struct {
	Value     int64     `json:"value"`
	ExpiresAt time.Time `json:"expires_at"`
}

// codeRecord is an SMS code for one phone and purpose; only the code's hash is kept.
type codeRecord struct {
	CodeHash  string    `json:"code_hash"`
	Attempts  int       `json:"attempts,omitempty"`
	Used      bool      `json:"used,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at"`
}

func toCodeRecord(c kyc.SMSCode) codeRecord {
	return codeRecord{CodeHash: c.CodeHash, Attempts: c.Attempts, Used: c.Used, CreatedAt: utc(c.CreatedAt), ExpiresAt: utc(c.ExpiresAt)}
}

// uploadRecord is a presigned upload handed to a user, kept until ExpiresAt.
type uploadRecord struct {
	Key         string    `json:"key"`
	AccountID   string    `json:"account_id"`
	UserID      string    `json:"user_id"`
	Slot        string    `json:"slot"`
	ContentType string    `json:"content_type"`
	Length      int64     `json:"length"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func toUploadRecord(u kyc.Upload) uploadRecord {
	return uploadRecord{
		Key: u.Key, AccountID: u.AccountID, UserID: u.UserID, Slot: u.Slot, ContentType: u.ContentType,
		Length: u.Length, CreatedAt: utc(u.CreatedAt), ExpiresAt: utc(u.ExpiresAt),
	}
}

func (r uploadRecord) upload() kyc.Upload {
	return kyc.Upload{
		Key: r.Key, AccountID: r.AccountID, UserID: r.UserID, Slot: r.Slot, ContentType: r.ContentType,
		Length: r.Length, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
	}
}

// utc drops the location and the monotonic reading, keeping a zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
