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
// number is still the one read.

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
	guard[TTLAttribute] = nv(ttlEpoch(r.NotAfter.Add(certs.Keep)))
	ev, err := certs.Event(r, webhook.CertificateIssued, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("dynamo: certificate event: %w", err)
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.table, Item: guard, ConditionExpression: aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Put: &types.Put{TableName: s.table, Item: encodeCert(r), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: s.table, Item: encodeOutbox(ev), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
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
func (s *Store) GetCertAndCRL(ctx context.Context, id string) (certs.Record, []byte, int64, error) {
	if id == "" {
		return certs.Record{}, nil, 0, notFound("Certificate")
	}
	ck, lk := certKey(id), crlKey()
	found, err := s.batchGet(ctx, []item{ck, lk})
	if err != nil {
		return certs.Record{}, nil, 0, fmt.Errorf("dynamo: get certificate and CRL: %w", err)
	}
	it, ok := found[itemID(ck)]
	if !ok {
		return certs.Record{}, nil, 0, notFound("Certificate")
	}
	r, err := decodeCert(it)
	if err != nil {
		return certs.Record{}, nil, 0, err
	}
	der, n, err := decodeCRL(found[itemID(lk)])
	return r, der, n, err
}

// RevokeCert is one TransactWriteItems: the certificate ISSUED -> REVOKED, the delete of
// its account's guard (only if it still names this certificate), the new CRL and the
// certificate.revoked outbox record.
func (s *Store) RevokeCert(ctx context.Context, r certs.Record, at time.Time, reason ca.Reason, crl []byte, prev int64) error {
	put := s.crlPut(crl, prev)
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
		{Put: &types.Put{TableName: s.table, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues}},
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

func decodeCRL(it item) ([]byte, int64, error) {
	if it == nil {
		return nil, 0, nil
	}
	d := decoder{it: it}
	n := d.int("Number")
	if d.err != nil {
		return nil, 0, fmt.Errorf("dynamo: decode CRL: %w", d.err)
	}
	return binAttr(it, attrDER), n, nil
}

// crlPut is the CRL item's conditional Put: number prev+1, on condition that the stored
// number is still prev (absent when prev is 0).
func (s *Store) crlPut(der []byte, prev int64) *dynamodb.PutItemInput {
	it := crlKey()
	it[attrKind] = sv(kindCRL)
	it[attrDER] = binv(der)
	it["Number"] = nv(prev + 1)
	in := &dynamodb.PutItemInput{TableName: s.table, Item: it}
	if prev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		in.ConditionExpression = aws.String("#n = :prev")
		in.ExpressionAttributeNames = map[string]string{"#n": "Number"}
		in.ExpressionAttributeValues = item{":prev": nv(prev)}
	}
	return in
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

// LoadCRL returns the stored CRL and its number (nil, 0 when none): one GetItem.
func (s *Store) LoadCRL(ctx context.Context) ([]byte, int64, error) {
	it, err := s.get(ctx, crlKey())
	if err != nil {
		return nil, 0, fmt.Errorf("dynamo: load CRL: %w", err)
	}
	return decodeCRL(it)
}

// SaveCRL replaces the CRL if the stored number is still prev (or none is stored when
// prev is 0); certs.ErrCRLMoved otherwise.
func (s *Store) SaveCRL(ctx context.Context, der []byte, prev int64) error {
	_, err := s.client.PutItem(ctx, s.crlPut(der, prev))
	if _, failed := conditionFailedItem(err); failed {
		return certs.ErrCRLMoved
	}
	if err != nil {
		return fmt.Errorf("dynamo: save CRL: %w", err)
	}
	return nil
}
