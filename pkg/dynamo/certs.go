package dynamo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Certificates (issue 15). CERT#<id> / CERT is a certificate record; CERTGUARD#<account> /
// CERTGUARD names the account's live certificate and exists only while there is one, so
// "one live certificate per account" is a create-if-absent on it in the certificate's own
// transaction. CA#ROOT / CA holds the CA certificate (create-if-absent: two cold starts
// agree on one) and CA#CRL / CA the current CRL with its number, replaced only when the
// number is still the one read, and the string set Pending of revocations that no CRL
// lists yet (certs.CRLState): a company's legal change adds its certificate's serial there
// in the modification's own transaction (the reapply function has no CA key), and the next
// CRL written removes the entries it lists.

const (
	prefixCert      = "CERT#"
	skCert          = "CERT"
	prefixCertGuard = "CERTGUARD#"
	skCertGuard     = "CERTGUARD"
	kindCert        = "certificate"
	kindCertGuard   = "certificateGuard"
	kindCARoot      = "caRoot"
	kindCRL         = "crl"
	attrDER         = "DER"
	attrPending     = "Pending"
)

func certKey(id string) item             { return key(prefixCert+id, skCert) }
func certGuardKey(accountID string) item { return key(prefixCertGuard+accountID, skCertGuard) }
func caRootKey() item                    { return key("CA#ROOT", "CA") }
func crlKey() item                       { return key("CA#CRL", "CA") }

func binv(b []byte) types.AttributeValue { return &types.AttributeValueMemberB{Value: b} }

func binAttr(it item, name string) []byte {
	if b, ok := it[name].(*types.AttributeValueMemberB); ok {
		return b.Value
	}
	return nil
}

func encodeCert(r certs.Record) item {
	it := certKey(r.ID)
	it[attrKind] = sv(kindCert)
	it["ID"] = sv(r.ID)
	it[attrAccountID] = sv(r.AccountID)
	it["OwnerKind"] = sv(string(r.OwnerKind))
	it["OwnerID"] = sv(r.OwnerID)
	it["Serial"] = sv(r.Serial)
	it["CertKind"] = sv(string(r.Kind))
	it["Subject"] = sv(r.Subject)
	it["NotBefore"] = tv(r.NotBefore)
	it["NotAfter"] = tv(r.NotAfter)
	it["Status"] = sv(string(r.Status))
	it["RevokedAt"] = tv(r.RevokedAt)
	it["Reason"] = nv(int64(r.Reason))
	it[attrDER] = binv(r.DER)
	if len(r.SealedKey) > 0 {
		it["SealedKey"] = binv(r.SealedKey)
	}
	it["Source"] = sv(r.Source)
	it[attrCreatedAt] = tv(r.CreatedAt)
	it[TTLAttribute] = nv(ttlEpoch(r.NotAfter.Add(certs.Keep)))
	return it
}

func decodeCert(it item) (certs.Record, error) {
	d := decoder{it: it}
	d.kind(kindCert)
	r := certs.Record{
		ID: d.str("ID"), AccountID: d.str(attrAccountID), OwnerKind: kyc.OwnerKind(d.str("OwnerKind")), OwnerID: d.str("OwnerID"), Serial: d.str("Serial"), Kind: ca.Kind(d.str("CertKind")),
		Subject: d.str("Subject"), NotBefore: d.time("NotBefore"), NotAfter: d.time("NotAfter"),
		Status: certs.Status(d.str("Status")), RevokedAt: d.time("RevokedAt"), Reason: ca.Reason(d.int("Reason")),
		DER: binAttr(it, attrDER), SealedKey: binAttr(it, "SealedKey"), Source: d.str("Source"), CreatedAt: d.time(attrCreatedAt),
	}
	if d.err != nil {
		return certs.Record{}, fmt.Errorf("decode certificate: %w", d.err)
	}
	return r, nil
}

// CreateCert is one TransactWriteItems: the guard (create-if-absent, returning the stored
// guard when it fails), the certificate and its certificate.issued outbox record.
func (s *Store) CreateCert(ctx context.Context, r certs.Record) error {
	if r.ID == "" || r.AccountID == "" {
		return kyc.Errorf(kyc.EMISSING, "certificate id and account are required")
	}
	guard := certGuardKey(r.AccountID)
	guard[attrKind] = sv(kindCertGuard)
	guard["CertID"] = sv(r.ID)
	// The serial lets a legal change revoke the certificate from the guard alone, read
	// in the reapply's one BatchGetItem.
	guard["Serial"] = sv(r.Serial)
	guard[TTLAttribute] = nv(ttlEpoch(r.NotAfter.Add(certs.Keep)))
	ev, err := certs.Event(r, webhook.CertificateIssued, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("dynamo: certificate event: %w", err)
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: guard, ConditionExpression: aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Put: &types.Put{TableName: s.table, Item: encodeCert(r), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: s.table, Item: encodeOutbox(ev), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}
	if r.AccountVersion > 0 {
		// The account is still as read: a modification (a new name) meanwhile fails the
		// apply rather than leaving a certificate with the old name live.
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: s.table, Key: accountKey(r.AccountID),
			ConditionExpression:       aws.String("#ver = :ver"),
			ExpressionAttributeNames:  map[string]string{"#ver": AttrVersion},
			ExpressionAttributeValues: item{":ver": nv(r.AccountVersion)}}})
	}
	err = s.transact(ctx, items)
	if failed, _ := conditionFailed(err, 3); failed {
		return kyc.Errorf(kyc.ECONFLICT, "The account changed meanwhile; apply again.")
	}
	if failed, old := conditionFailed(err, 0); failed {
		e := kyc.Errorf(kyc.ECONFLICT, "The account has a live certificate.")
		if old != nil {
			e.Data = map[string]string{"certId": (&decoder{it: old}).str("CertID")}
		}
		return e
	}
	if anyConditionFailed(err) {
		return kyc.Errorf(kyc.ECONFLICT, "The certificate id is taken; try again.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: create certificate: %w", err)
	}
	return nil
}

// GetCert is one strongly consistent GetItem; ENOTFOUND when there is none.
func (s *Store) GetCert(ctx context.Context, id string) (certs.Record, error) {
	if id == "" {
		return certs.Record{}, notFound("Certificate")
	}
	it, err := s.get(ctx, certKey(id))
	if err != nil {
		return certs.Record{}, fmt.Errorf("dynamo: get certificate: %w", err)
	}
	if it == nil {
		return certs.Record{}, notFound("Certificate")
	}
	return decodeCert(it)
}

// GetCertAndCRL is one strongly consistent BatchGetItem of the certificate and the CRL.
func (s *Store) GetCertAndCRL(ctx context.Context, id string) (certs.Record, certs.CRLState, error) {
	if id == "" {
		return certs.Record{}, certs.CRLState{}, notFound("Certificate")
	}
	ck, lk := certKey(id), crlKey()
	found, err := s.batchGet(ctx, []item{ck, lk})
	if err != nil {
		return certs.Record{}, certs.CRLState{}, fmt.Errorf("dynamo: get certificate and CRL: %w", err)
	}
	it, ok := found[itemID(ck)]
	if !ok {
		return certs.Record{}, certs.CRLState{}, notFound("Certificate")
	}
	r, err := decodeCert(it)
	if err != nil {
		return certs.Record{}, certs.CRLState{}, err
	}
	st, err := decodeCRL(found[itemID(lk)])
	return r, st, err
}

// RevokeCert is one TransactWriteItems: the certificate ISSUED -> REVOKED, the delete of
// its account's guard (only if it still names this certificate), the new CRL and the
// certificate.revoked outbox record.
func (s *Store) RevokeCert(ctx context.Context, r certs.Record, at time.Time, reason ca.Reason, crl []byte, prev certs.CRLState) error {
	revoked := r
	revoked.Status = certs.Revoked
	ev, err := certs.Event(revoked, webhook.CertificateRevoked, at)
	if err != nil {
		return fmt.Errorf("dynamo: certificate event: %w", err)
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{TableName: s.table, Key: certKey(r.ID),
			UpdateExpression:          aws.String("SET #st = :rev, RevokedAt = :at, Reason = :reason"),
			ConditionExpression:       aws.String("#st = :iss"),
			ExpressionAttributeNames:  map[string]string{"#st": "Status"},
			ExpressionAttributeValues: item{":rev": sv(string(certs.Revoked)), ":iss": sv(string(certs.Issued)), ":at": tv(at), ":reason": nv(int64(reason))}}},
		{Delete: &types.Delete{TableName: s.table, Key: certGuardKey(r.AccountID),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR CertID = :id"),
			ExpressionAttributeValues: item{":id": sv(r.ID)}}},
		{Update: s.crlUpdate(crl, prev)},
		{Put: &types.Put{TableName: s.table, Item: encodeOutbox(ev), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
	if failed, _ := conditionFailed(err, 0); failed {
		return kyc.Errorf(kyc.ECONFLICT, "The certificate is revoked already.")
	}
	if failed, _ := conditionFailed(err, 2); failed {
		return certs.ErrCRLMoved
	}
	if anyConditionFailed(err) {
		return kyc.Errorf(kyc.ECONFLICT, "The certificate was changed meanwhile; try again.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: revoke certificate: %w", err)
	}
	return nil
}

func decodeCRL(it item) (certs.CRLState, error) {
	if it == nil {
		return certs.CRLState{}, nil
	}
	d := decoder{it: it}
	st := certs.CRLState{DER: binAttr(it, attrDER), Number: d.int("Number")}
	if d.err != nil {
		return certs.CRLState{}, fmt.Errorf("dynamo: decode CRL: %w", d.err)
	}
	if ss, ok := it[attrPending].(*types.AttributeValueMemberSS); ok {
		for _, e := range ss.Value {
			r, err := certs.ParsePendingEntry(e)
			if err != nil {
				return certs.CRLState{}, fmt.Errorf("dynamo: decode CRL: %w", err)
			}
			st.Pending = append(st.Pending, r)
		}
	}
	return st, nil
}

// crlUpdate is the CRL item's conditional update to der: number prev.Number+1 and the
// pending entries prev read removed (entries added since stay), on condition that the
// stored number is still prev.Number (absent when it is 0; the item may exist then,
// holding only pending entries).
func (s *Store) crlUpdate(der []byte, prev certs.CRLState) *types.Update {
	expr := "SET #der = :der, #n = :next, #kind = :kind"
	names := map[string]string{"#der": attrDER, "#n": "Number", "#kind": attrKind}
	values := item{":der": binv(der), ":next": nv(prev.Number + 1), ":kind": sv(kindCRL)}
	if len(prev.Pending) > 0 {
		done := make([]string, 0, len(prev.Pending))
		for _, r := range prev.Pending {
			done = append(done, certs.PendingEntry(ca.SerialHex(r.Serial), r.Reason, r.At))
		}
		expr += " DELETE #pending :done"
		names["#pending"] = attrPending
		values[":done"] = &types.AttributeValueMemberSS{Value: done}
	}
	cond := "attribute_not_exists(#n)"
	if prev.Number != 0 {
		cond = "#n = :prev"
		values[":prev"] = nv(prev.Number)
	}
	return &types.Update{TableName: s.table, Key: crlKey(), UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values}
}

// liveCert is the live certificate its account's guard names (nil without a guard). A
// guard from before guards named the serial costs a GetItem of the certificate.
func (s *Store) liveCert(ctx context.Context, guard item) (*kyc.LiveCert, error) {
	if guard == nil {
		return nil, nil
	}
	d := decoder{it: guard}
	live := &kyc.LiveCert{ID: d.str("CertID"), Serial: d.str("Serial")}
	if d.err != nil || live.ID == "" {
		return nil, fmt.Errorf("dynamo: decode certificate guard: %v", d.err)
	}
	if live.Serial == "" {
		r, err := s.GetCert(ctx, live.ID)
		if err != nil {
			return nil, fmt.Errorf("dynamo: live certificate: %w", err)
		}
		live.Serial = r.Serial
	}
	return live, nil
}

// certRevocationItems are the items of t.RevokeCert in t's transaction: the live
// certificate ISSUED -> REVOKED (still this account's), its guard deleted (still naming
// it), its serial added to the CRL's pending revocations and the certificate.revoked
// event; or, when the account had no live certificate, a check that it still has none.
func (s *Store) certRevocationItems(t kyc.Transition) ([]types.TransactWriteItem, error) {
	rc := t.RevokeCert
	if rc == nil {
		return nil, nil
	}
	acct := t.Account.ID
	if rc.Live == nil {
		return []types.TransactWriteItem{{ConditionCheck: &types.ConditionCheck{TableName: s.table, Key: certGuardKey(acct),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}}}, nil
	}
	at := t.Audit.At.UTC()
	reason := ca.Reason(rc.Reason)
	ev, err := certs.Event(certs.Record{ID: rc.Live.ID, AccountID: acct, OwnerKind: t.Account.OwnerKind, OwnerID: t.Account.OwnerID, Status: certs.Revoked},
		webhook.CertificateRevoked, at)
	if err != nil {
		return nil, fmt.Errorf("dynamo: certificate event: %w", err)
	}
	return []types.TransactWriteItem{
		{Update: &types.Update{TableName: s.table, Key: certKey(rc.Live.ID),
			UpdateExpression:          aws.String("SET #st = :rev, RevokedAt = :at, Reason = :reason"),
			ConditionExpression:       aws.String("#st = :iss AND #acct = :acct AND #serial = :serial"),
			ExpressionAttributeNames:  map[string]string{"#st": "Status", "#acct": attrAccountID, "#serial": "Serial"},
			ExpressionAttributeValues: item{":rev": sv(string(certs.Revoked)), ":iss": sv(string(certs.Issued)), ":at": tv(at), ":reason": nv(int64(reason)), ":acct": sv(acct), ":serial": sv(rc.Live.Serial)}}},
		{Delete: &types.Delete{TableName: s.table, Key: certGuardKey(acct),
			ConditionExpression: aws.String("CertID = :id"), ExpressionAttributeValues: item{":id": sv(rc.Live.ID)}}},
		{Update: &types.Update{TableName: s.table, Key: crlKey(),
			UpdateExpression:          aws.String("ADD #pending :entry SET #kind = :kind"),
			ExpressionAttributeNames:  map[string]string{"#pending": attrPending, "#kind": attrKind},
			ExpressionAttributeValues: item{":entry": &types.AttributeValueMemberSS{Value: []string{certs.PendingEntry(rc.Live.Serial, reason, at)}}, ":kind": sv(kindCRL)}}},
		{Put: &types.Put{TableName: s.table, Item: encodeOutbox(ev), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}, nil
}

// CertificateSalt is the CA's identifier salt: HMAC-SHA256 of a fixed label under the
// key-hash secret (KEY_HASH_SECRET), so that it is as secret as that one and needs no
// secret of its own, yet is never the secret itself. Changing KEY_HASH_SECRET changes the
// hashes of certificates issued afterwards.
func (s *Store) CertificateSalt() []byte {
	m := hmac.New(sha256.New, s.keys.secret)
	m.Write([]byte("realname certificate identifier salt"))
	return m.Sum(nil)
}

// LoadRoot implements ca.RootStore.
func (s *Store) LoadRoot(ctx context.Context) ([]byte, error) {
	it, err := s.get(ctx, caRootKey())
	if err != nil {
		return nil, fmt.Errorf("dynamo: load CA certificate: %w", err)
	}
	if der := binAttr(it, attrDER); der != nil {
		return der, nil
	}
	return nil, ca.ErrNoRoot
}

// CreateRoot implements ca.RootStore: a PutItem on condition the item does not exist.
func (s *Store) CreateRoot(ctx context.Context, der []byte) error {
	it := caRootKey()
	it[attrKind] = sv(kindCARoot)
	it[attrDER] = binv(der)
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if _, failed := conditionFailedItem(err); failed {
		return ca.ErrRootExists
	}
	if err != nil {
		return fmt.Errorf("dynamo: create CA certificate: %w", err)
	}
	return nil
}

// LoadCRL returns the stored CRL, its number and pending revocations: one GetItem.
func (s *Store) LoadCRL(ctx context.Context) (certs.CRLState, error) {
	it, err := s.get(ctx, crlKey())
	if err != nil {
		return certs.CRLState{}, fmt.Errorf("dynamo: load CRL: %w", err)
	}
	return decodeCRL(it)
}

// SaveCRL is one conditional UpdateItem (crlUpdate); certs.ErrCRLMoved when the stored
// number is no longer prev.Number.
func (s *Store) SaveCRL(ctx context.Context, der []byte, prev certs.CRLState) error {
	u := s.crlUpdate(der, prev)
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
	if _, failed := conditionFailedItem(err); failed {
		return certs.ErrCRLMoved
	}
	if err != nil {
		return fmt.Errorf("dynamo: save CRL: %w", err)
	}
	return nil
}
