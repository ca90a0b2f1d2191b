package dynamo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Items are built by hand rather than with feature/dynamodb/attributevalue: the mapping
// is small, explicit about which attributes exist (the sparse index keys must be absent,
// not empty), and keeps the module's SDK pins untouched.

type item = map[string]types.AttributeValue

// Kinds of item (the Kind attribute).
const (
	kindUser         = "user"
	kindPhone        = "phone"
	kindSession      = "session"
	kindSessionRef   = "sessionRef"
	kindAccount      = "account"
	kindAudit        = "audit"
	kindPendingCount = "pendingCount"
	kindCounter      = "counter"
	kindCode         = "code"
	kindUpload       = "upload"
	kindIdentity     = "identity"
)

// Key prefixes and fixed sort keys.
const (
	prefixUser    = "USER#"
	prefixPhone   = "PHONE#"
	prefixSession = "SESSION#"
	prefixAccount = "ACCOUNT#"
	prefixAudit   = "AUDIT#"
	prefixPending = "PENDING#"
	prefixCount   = "COUNT#PENDING#"
	prefixCounter = "COUNTER#"
	prefixCode    = "CODE#"
	prefixUpload  = "UPLOAD#"
	prefixIdent   = "IDENTITY#"
	skUser        = "USER"
	skPhone       = "PHONE"
	skSession     = "SESSION"
	skAccount     = "ACCOUNT"
	skCount       = "COUNT"
	skCounter     = "COUNTER"
	skCode        = "CODE"
	skUpload      = "UPLOAD"
	skIdentity    = "IDENTITY"
	submittedPK   = "SUBMITTED"
	attrKind      = "Kind"
	attrN         = "N"
	attrWindowEnd = "WindowEnd"
	attrUserID    = "UserID"
	attrExpiresAt = "ExpiresAt"
	attrCreatedAt = "CreatedAt"
	attrCodeHash  = "CodeHash"
	attrAttempts  = "Attempts"
	attrUsed      = "Used"
	attrAccountID = "AccountID"
)

// timeLayout is RFC 3339 with nanoseconds of fixed width, so text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// ttlEpoch is the TTL value for an item that expires at t: rounded up to the next whole
// second, so DynamoDB never deletes it before its exact expiry has passed.
func ttlEpoch(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func key(pk, sk string) item { return item{AttrPK: sv(pk), AttrSK: sv(sk)} }

func userKey(id string) item            { return key(prefixUser+id, skUser) }
func sessionKey(hash string) item       { return key(prefixSession+hash, skSession) }
func sessionRefKey(uid, h string) item  { return key(prefixUser+uid, prefixSession+h) }
func accountKey(id string) item         { return key(prefixAccount+id, skAccount) }
func pendingCountKey(queue string) item { return key(prefixCount+queue, skCount) }
func uploadKey(k string) item           { return key(prefixUpload+k, skUpload) }

// The keys of items named by a phone, an ID number or a counter name are the Store's
// (keys.go): they hash those values with the store's secret.

// queueSK is the sort key of an account in both work-list indexes.
func queueSK(submittedAt time.Time, id string) string { return fmtTime(submittedAt) + "#" + id }

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func nv(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func bv(b bool) types.AttributeValue      { return &types.AttributeValueMemberBOOL{Value: b} }
func tv(t time.Time) types.AttributeValue { return sv(fmtTime(t)) }

func lv(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = sv(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// decoder reads attributes of one item, remembering the first problem so that callers
// check once at the end.
type decoder struct {
	it  item
	err error
}

func (d *decoder) fail(name, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s is not %s", name, want)
	}
}

func (d *decoder) str(name string) string {
	v, ok := d.it[name]
	if !ok {
		return ""
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		d.fail(name, "a string")
		return ""
	}
	return s.Value
}

func (d *decoder) int(name string) int64 {
	v, ok := d.it[name]
	if !ok {
		return 0
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		d.fail(name, "a number")
		return 0
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		d.fail(name, "an integer")
	}
	return i
}

func (d *decoder) bool(name string) bool {
	v, ok := d.it[name]
	if !ok {
		return false
	}
	b, ok := v.(*types.AttributeValueMemberBOOL)
	if !ok {
		d.fail(name, "a boolean")
		return false
	}
	return b.Value
}

func (d *decoder) time(name string) time.Time {
	s := d.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := parseTime(s)
	if err != nil {
		d.fail(name, "a time")
	}
	return t
}

func (d *decoder) strs(name string) []string {
	v, ok := d.it[name]
	if !ok {
		return nil
	}
	l, ok := v.(*types.AttributeValueMemberL)
	if !ok {
		d.fail(name, "a list")
		return nil
	}
	out := make([]string, 0, len(l.Value))
	for _, e := range l.Value {
		s, ok := e.(*types.AttributeValueMemberS)
		if !ok {
			d.fail(name, "a list of strings")
			return nil
		}
		out = append(out, s.Value)
	}
	return out
}

func (d *decoder) kind(want string) {
	if got := d.str(attrKind); got != want && d.err == nil {
		d.err = fmt.Errorf("item is a %q, not a %q", got, want)
	}
}

func encodeUser(u kyc.User) item {
	it := userKey(u.ID)
	it[attrKind] = sv(kindUser)
	it["ID"] = sv(u.ID)
	it["Phone"] = sv(u.Phone)
	it["PasswordHash"] = sv(u.PasswordHash)
	it["Role"] = sv(string(u.Role))
	it["AccountID"] = sv(u.AccountID)
	it["Portrait"] = sv(u.Portrait)
	it["RegistrationID"] = sv(u.RegistrationID)
	it["Frozen"] = bv(u.Frozen)
	it[attrCreatedAt] = tv(u.CreatedAt)
	it["UpdatedAt"] = tv(u.UpdatedAt)
	it[AttrVersion] = nv(u.Version)
	return it
}

func decodeUser(it item) (kyc.User, error) {
	d := decoder{it: it}
	d.kind(kindUser)
	u := kyc.User{
		ID:             d.str("ID"),
		Phone:          d.str("Phone"),
		PasswordHash:   d.str("PasswordHash"),
		Role:           kyc.Role(d.str("Role")),
		AccountID:      d.str("AccountID"),
		Portrait:       d.str("Portrait"),
		RegistrationID: d.str("RegistrationID"),
		Frozen:         d.bool("Frozen"),
		CreatedAt:      d.time(attrCreatedAt),
		UpdatedAt:      d.time("UpdatedAt"),
		Version:        d.int(AttrVersion),
	}
	if d.err != nil {
		return kyc.User{}, fmt.Errorf("decode user: %w", d.err)
	}
	return u, nil
}

// encodeAccount writes the whole account item, including the sparse index keys that its
// state calls for and no others.
func encodeAccount(a kyc.Account) item {
	it := accountKey(a.ID)
	it[attrKind] = sv(kindAccount)
	it["ID"] = sv(a.ID)
	it["OwnerID"] = sv(a.OwnerID)
	if a.OwnerKind != kyc.OwnerUser {
		it["OwnerKind"] = sv(string(a.OwnerKind))
	}
	it["Type"] = sv(string(a.Type))
	it["Name"] = sv(a.Name)
	it["Tel"] = sv(a.Tel)
	it["Address"] = sv(a.Address)
	it["Organization"] = sv(a.Organization)
	it["IDNumber"] = sv(a.IDNumber)
	it["NotActive"] = bv(a.NotActive)
	it["State"] = sv(string(a.State))
	it["RejectType"] = sv(string(a.RejectType))
	if a.Reasons != nil {
		it["Reasons"] = lv(a.Reasons)
	}
	if a.ReuploadSlots != nil {
		it["ReuploadSlots"] = lv(a.ReuploadSlots)
	}
	if a.Documents != nil {
		docs := make(item, len(a.Documents))
		for slot, doc := range a.Documents {
			d := item{
				"Slot":        sv(doc.Slot),
				"Key":         sv(doc.Key),
				"ContentType": sv(doc.ContentType),
				"Size":        nv(doc.Size),
				"UploadedAt":  tv(doc.UploadedAt),
				"Check":       sv(doc.Check),
			}
			if doc.Generated {
				d["Generated"] = bv(true)
			}
			docs[slot] = &types.AttributeValueMemberM{Value: d}
		}
		it["Documents"] = &types.AttributeValueMemberM{Value: docs}
	}
	it["Attempts"] = nv(int64(a.Attempts))
	it["SubmittedAt"] = tv(a.SubmittedAt)
	it[attrCreatedAt] = tv(a.CreatedAt)
	it["UpdatedAt"] = tv(a.UpdatedAt)
	it[AttrVersion] = nv(a.Version)
	if a.ProfileVersion != 0 {
		it[attrProfileVersion] = nv(a.ProfileVersion)
	}
	if a.AdminAccountID != "" {
		it["AdminAccountID"] = sv(a.AdminAccountID)
	}
	for name, set := range map[string]bool{"BankRequired": a.BankRequired, "ReviewApproved": a.ReviewApproved, "BankVerified": a.BankVerified} {
		if set {
			it[name] = bv(true)
		}
	}
	switch a.State {
	case kyc.StatePendingReview:
		it[AttrPendingPK] = sv(prefixPending + string(a.Type))
		it[AttrPendingSK] = sv(queueSK(a.SubmittedAt, a.ID))
	case kyc.StateSubmitted:
		it[AttrSubmittedPK] = sv(submittedPK)
		it[AttrSubmittedSK] = sv(queueSK(a.SubmittedAt, a.ID))
	}
	return it
}

func decodeAccount(it item) (kyc.Account, error) {
	d := decoder{it: it}
	d.kind(kindAccount)
	a := kyc.Account{
		ID:            d.str("ID"),
		OwnerID:       d.str("OwnerID"),
		OwnerKind:     kyc.OwnerKind(d.str("OwnerKind")),
		Type:          kyc.AccountType(d.str("Type")),
		Name:          d.str("Name"),
		Tel:           d.str("Tel"),
		Address:       d.str("Address"),
		Organization:  d.str("Organization"),
		IDNumber:      d.str("IDNumber"),
		NotActive:     d.bool("NotActive"),
		State:         kyc.State(d.str("State")),
		RejectType:    kyc.RejectType(d.str("RejectType")),
		Reasons:       d.strs("Reasons"),
		ReuploadSlots: d.strs("ReuploadSlots"),
		Attempts:      int(d.int("Attempts")),
		SubmittedAt:   d.time("SubmittedAt"),
		CreatedAt:     d.time(attrCreatedAt),
		UpdatedAt:     d.time("UpdatedAt"),
		Version:       d.int(AttrVersion),

		AdminAccountID: d.str("AdminAccountID"),
		BankRequired:   d.bool("BankRequired"),
		ReviewApproved: d.bool("ReviewApproved"),
		BankVerified:   d.bool("BankVerified"),
	}
	if _, ok := it[attrProfileVersion]; ok {
		a.ProfileVersion = d.int(attrProfileVersion)
	}
	if v, ok := it["Documents"]; ok {
		m, ok := v.(*types.AttributeValueMemberM)
		if !ok {
			return kyc.Account{}, fmt.Errorf("decode account: attribute Documents is not a map")
		}
		a.Documents = make(map[string]kyc.Document, len(m.Value))
		for slot, dv := range m.Value {
			dm, ok := dv.(*types.AttributeValueMemberM)
			if !ok {
				return kyc.Account{}, fmt.Errorf("decode account: document %q is not a map", slot)
			}
			dd := decoder{it: dm.Value}
			a.Documents[slot] = kyc.Document{
				Slot:        dd.str("Slot"),
				Key:         dd.str("Key"),
				ContentType: dd.str("ContentType"),
				Size:        dd.int("Size"),
				UploadedAt:  dd.time("UploadedAt"),
				Check:       dd.str("Check"),
				Generated:   dd.bool("Generated"),
			}
			if dd.err != nil {
				return kyc.Account{}, fmt.Errorf("decode account: document %q: %w", slot, dd.err)
			}
		}
	}
	if d.err != nil {
		return kyc.Account{}, fmt.Errorf("decode account: %w", d.err)
	}
	return a, nil
}

// encodeAudit stores r under a sort key of its time plus a random suffix, so that two
// records of the same instant never overwrite each other and the trail sorts by time.
func encodeAudit(r kyc.AuditRecord, suffix string) item {
	it := key(prefixAccount+r.AccountID, prefixAudit+fmtTime(r.At)+"#"+suffix)
	it[attrKind] = sv(kindAudit)
	it["AccountID"] = sv(r.AccountID)
	it["At"] = tv(r.At)
	it["Actor"] = sv(r.Actor)
	it["ActorRole"] = sv(string(r.ActorRole))
	it["Action"] = sv(r.Action)
	it["From"] = sv(string(r.From))
	it["To"] = sv(string(r.To))
	it["Reason"] = sv(r.Reason)
	it["RequestID"] = sv(r.RequestID)
	return it
}

func decodeAudit(it item) (kyc.AuditRecord, error) {
	d := decoder{it: it}
	d.kind(kindAudit)
	r := kyc.AuditRecord{
		AccountID: d.str("AccountID"),
		At:        d.time("At"),
		Actor:     d.str("Actor"),
		ActorRole: kyc.Role(d.str("ActorRole")),
		Action:    d.str("Action"),
		From:      kyc.State(d.str("From")),
		To:        kyc.State(d.str("To")),
		Reason:    d.str("Reason"),
		RequestID: d.str("RequestID"),
	}
	if d.err != nil {
		return kyc.AuditRecord{}, fmt.Errorf("decode audit record: %w", d.err)
	}
	return r, nil
}

func encodeSession(s kyc.Session) item {
	it := sessionKey(s.TokenHash)
	it[attrKind] = sv(kindSession)
	it[attrUserID] = sv(s.UserID)
	it[attrAccountID] = sv(s.AccountID)
	it["Role"] = sv(string(s.Role))
	if s.AppKey != "" {
		it["AppKey"] = sv(s.AppKey)
	}
	it[attrCreatedAt] = tv(s.CreatedAt)
	it[attrExpiresAt] = tv(s.ExpiresAt)
	it[TTLAttribute] = nv(ttlEpoch(s.ExpiresAt))
	return it
}

func decodeSession(it item) (kyc.Session, error) {
	d := decoder{it: it}
	d.kind(kindSession)
	s := kyc.Session{
		TokenHash: strings.TrimPrefix(d.str(AttrPK), prefixSession),
		UserID:    d.str(attrUserID),
		AccountID: d.str(attrAccountID),
		Role:      kyc.Role(d.str("Role")),
		AppKey:    d.str("AppKey"),
		CreatedAt: d.time(attrCreatedAt),
		ExpiresAt: d.time(attrExpiresAt),
	}
	if d.err != nil {
		return kyc.Session{}, fmt.Errorf("decode session: %w", d.err)
	}
	return s, nil
}

// encodeCode writes the whole code item under k, the key of its phone and purpose. Attempts and Used are always present, since the
// conditions of TryCode and of a code's use compare them and a comparison with an absent
// attribute fails.
func encodeCode(k item, c kyc.SMSCode) item {
	it := k
	it[attrKind] = sv(kindCode)
	it["Phone"] = sv(c.Phone)
	it["Purpose"] = sv(c.Purpose)
	it[attrCodeHash] = sv(c.CodeHash)
	it[attrAttempts] = nv(int64(c.Attempts))
	it[attrUsed] = bv(c.Used)
	it[attrCreatedAt] = tv(c.CreatedAt)
	it[attrExpiresAt] = tv(c.ExpiresAt)
	it[TTLAttribute] = nv(ttlEpoch(c.ExpiresAt))
	return it
}

func decodeCode(it item) (kyc.SMSCode, error) {
	d := decoder{it: it}
	d.kind(kindCode)
	c := kyc.SMSCode{
		Phone:     d.str("Phone"),
		Purpose:   d.str("Purpose"),
		CodeHash:  d.str(attrCodeHash),
		Attempts:  int(d.int(attrAttempts)),
		Used:      d.bool(attrUsed),
		CreatedAt: d.time(attrCreatedAt),
		ExpiresAt: d.time(attrExpiresAt),
	}
	if d.err != nil {
		return kyc.SMSCode{}, fmt.Errorf("decode code: %w", d.err)
	}
	return c, nil
}

func encodeUpload(u kyc.Upload) item {
	it := uploadKey(u.Key)
	it[attrKind] = sv(kindUpload)
	it["Key"] = sv(u.Key)
	it["AccountID"] = sv(u.AccountID)
	it[attrUserID] = sv(u.UserID)
	it["Slot"] = sv(u.Slot)
	it["ContentType"] = sv(u.ContentType)
	it["Length"] = nv(u.Length)
	it[attrCreatedAt] = tv(u.CreatedAt)
	it[attrExpiresAt] = tv(u.ExpiresAt)
	it[TTLAttribute] = nv(ttlEpoch(u.ExpiresAt))
	return it
}

func decodeUpload(it item) (kyc.Upload, error) {
	d := decoder{it: it}
	d.kind(kindUpload)
	u := kyc.Upload{
		Key:         d.str("Key"),
		AccountID:   d.str("AccountID"),
		UserID:      d.str(attrUserID),
		Slot:        d.str("Slot"),
		ContentType: d.str("ContentType"),
		Length:      d.int("Length"),
		CreatedAt:   d.time(attrCreatedAt),
		ExpiresAt:   d.time(attrExpiresAt),
	}
	if d.err != nil {
		return kyc.Upload{}, fmt.Errorf("decode upload: %w", d.err)
	}
	return u, nil
}
