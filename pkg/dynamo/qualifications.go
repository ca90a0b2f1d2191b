package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Qualification certificates (seed 003, issue 14):
//
//	Kind                  PK                        SK              notes
//	qualification         QUALIFICATION#<id>        QUALIFICATION   the certificate; GSIPending keys (PENDING#qualification, <submittedAt>#<id>) while PENDING
//	qualificationCurrent  ACCOUNT#<accountID>       QUALIFICATION   a copy of the account's latest certificate
//	pendingCount          COUNT#PENDING#qualification  COUNT        N = PENDING certificates; GSIPending keys (PENDING#qualification, !COUNT)
//
// The pending certificates are a queue of the sparse index GSIPending under a partition
// of their own, as the account types' queues are (and the webhook endpoints' list): the
// reviewers' list is one Query of it, counter first, with the accounts' cursor
// (queryQueue), and no table needs a new index. A certificate carries the index keys only
// while PENDING: a decision Puts it whole without them, so it leaves the queue.
//
// The current copy in the account's partition is what keeps one certificate pending per
// account (the submission's Put of it is conditional on the stored copy not being
// PENDING) and what the owner reads (one GetItem); each write of a certificate writes its
// copy in the same transaction. The account's partition Query (the reviewer's detail)
// skips the kind. The submission and the decision append their audit records to the
// account's trail in the same transaction too.
const (
	kindQualification        = "qualification"
	kindQualificationCurrent = "qualificationCurrent"
	prefixQualification      = "QUALIFICATION#"
	skQualification          = "QUALIFICATION"
	// qualificationQueue names the certificates' GSIPending queue, its counter and its
	// cursors, beside the account types that name the accounts' queues.
	qualificationQueue = kyc.SlotQualification
)

func qualificationKey(id string) item { return key(prefixQualification+id, skQualification) }
func qualificationCurrentKey(accountID string) item {
	return key(prefixAccount+accountID, skQualification)
}

func encodeQualification(q kyc.Qualification) item {
	it := qualificationKey(q.ID)
	it[attrKind] = sv(kindQualification)
	it["ID"] = sv(q.ID)
	it[attrAccountID] = sv(q.AccountID)
	it[attrUserID] = sv(q.UserID)
	it["AccountType"] = sv(string(q.AccountType))
	it["State"] = sv(string(q.State))
	it["DocKey"] = sv(q.Document.Key)
	it["DocContentType"] = sv(q.Document.ContentType)
	it["DocSize"] = nv(q.Document.Size)
	it["SubmittedAt"] = tv(q.SubmittedAt)
	if !q.DecidedAt.IsZero() {
		it["DecidedAt"] = tv(q.DecidedAt)
	}
	it["DecidedBy"] = sv(q.DecidedBy)
	it["Reason"] = sv(q.Reason)
	it[AttrVersion] = nv(q.Version)
	if q.State == kyc.QualificationPending {
		it[AttrPendingPK] = sv(prefixPending + qualificationQueue)
		it[AttrPendingSK] = sv(queueSK(q.SubmittedAt, q.ID))
	}
	return it
}

// encodeQualificationCurrent is the account's copy of q: the same attributes under the
// account's key, out of the queue.
func encodeQualificationCurrent(q kyc.Qualification) item {
	it := encodeQualification(q)
	delete(it, AttrPendingPK)
	delete(it, AttrPendingSK)
	k := qualificationCurrentKey(q.AccountID)
	it[AttrPK], it[AttrSK] = k[AttrPK], k[AttrSK]
	it[attrKind] = sv(kindQualificationCurrent)
	return it
}

func decodeQualification(it item, kind string) (kyc.Qualification, error) {
	d := decoder{it: it}
	d.kind(kind)
	q := kyc.Qualification{
		ID:          d.str("ID"),
		AccountID:   d.str(attrAccountID),
		UserID:      d.str(attrUserID),
		AccountType: kyc.AccountType(d.str("AccountType")),
		State:       kyc.QualificationState(d.str("State")),
		SubmittedAt: d.time("SubmittedAt"),
		DecidedAt:   d.time("DecidedAt"), // absent while PENDING: zero
		DecidedBy:   d.str("DecidedBy"),
		Reason:      d.str("Reason"),
		Version:     d.int(AttrVersion),
	}
	q.Document = kyc.Document{Slot: kyc.SlotQualification, Key: d.str("DocKey"), ContentType: d.str("DocContentType"),
		Size: d.int("DocSize"), UploadedAt: q.SubmittedAt}
	if d.err != nil {
		return kyc.Qualification{}, fmt.Errorf("decode qualification: %w", d.err)
	}
	return q, nil
}

// GetAccountUploadAndQualification reads, in one strongly consistent BatchGetItem, the
// account, the upload record of key (absent from the map if there is none, it expired,
// or key cannot be stored, as GetAccountAndUploads reads it) and the account's latest
// qualification certificate (nil if it never submitted one): everything the submission
// of a certificate checks before it touches the document. ENOTFOUND without the account.
func (s *Store) GetAccountUploadAndQualification(ctx context.Context, accountID, key string, now time.Time) (kyc.Account, map[string]kyc.Upload, *kyc.Qualification, error) {
	if accountID == "" {
		return kyc.Account{}, nil, nil, notFound("Account")
	}
	acct, uploads, found, err := s.accountAndUploads(ctx, accountID, []string{key}, now, qualificationCurrentKey(accountID))
	if err != nil {
		return kyc.Account{}, nil, nil, err
	}
	it, ok := found[itemID(qualificationCurrentKey(accountID))]
	if !ok {
		return acct, uploads, nil, nil
	}
	q, err := decodeQualification(it, kindQualificationCurrent)
	if err != nil {
		return kyc.Account{}, nil, nil, fmt.Errorf("dynamo: get current qualification: %w", err)
	}
	return acct, uploads, &q, nil
}

// Indexes of PutQualification's transaction items, to read its cancellation by.
const (
	qualPutCurrent = iota
	qualPutRecord
	qualPutLimit
)

// PutQualification stores q, a new PENDING certificate, with its audit record, in one
// TransactWriteItems: the account's current copy on condition that the stored one (if
// any) is not PENDING, the certificate on condition that its id is new, the reservation
// of limit at now (kyc.Limit: a full window cancels everything), the record, and the
// queue's counter. So of concurrent submissions of an account at most one is stored,
// none while one is pending (ECONFLICT), and none beyond the limit (ETOOMANY); nothing is
// written on failure.
func (s *Store) PutQualification(ctx context.Context, q kyc.Qualification, audit kyc.AuditRecord, limit kyc.Limit, now time.Time) error {
	if q.ID == "" || q.AccountID == "" || q.State != kyc.QualificationPending || audit.AccountID != q.AccountID {
		return fmt.Errorf("dynamo: put qualification: a new PENDING certificate with its account's audit record is required")
	}
	reserve, err := s.reserveItem(limit, now)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		qualPutCurrent: {Put: &types.Put{
			TableName:                 s.table,
			Item:                      encodeQualificationCurrent(q),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR #state <> :pending"),
			ExpressionAttributeNames:  map[string]string{"#state": "State"},
			ExpressionAttributeValues: item{":pending": sv(string(kyc.QualificationPending))},
		}},
		qualPutRecord: {Put: &types.Put{TableName: s.table, Item: encodeQualification(q), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		qualPutLimit:  reserve,
		{Put: &types.Put{TableName: s.table, Item: encodeAudit(audit, randomSuffix()), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		pendingCountUpdate(s.table, qualificationQueue, 1),
	}
	err = s.transact(ctx, items)
	switch {
	case err == nil:
		return nil
	case isFailed(err, qualPutCurrent):
		return kyc.Errorf(kyc.ECONFLICT, "A qualification certificate is already under review.")
	case isFailed(err, qualPutLimit):
		return kyc.Errorf(kyc.ETOOMANY, "too many qualification certificates: at most %d a day", limit.Max)
	case anyConditionFailed(err):
		return kyc.Errorf(kyc.ECONFLICT, "The qualification certificate was stored meanwhile; submit again.")
	}
	return fmt.Errorf("dynamo: put qualification: %w", err)
}

// GetQualification is one strongly consistent GetItem of the certificate; ENOTFOUND if
// there is none.
func (s *Store) GetQualification(ctx context.Context, id string) (kyc.Qualification, error) {
	return s.getQualification(ctx, qualificationKey(id), kindQualification, id == "")
}

// GetCurrentQualification is one strongly consistent GetItem of the account's latest
// certificate; ENOTFOUND if it never submitted one.
func (s *Store) GetCurrentQualification(ctx context.Context, accountID string) (kyc.Qualification, error) {
	return s.getQualification(ctx, qualificationCurrentKey(accountID), kindQualificationCurrent, accountID == "")
}

func (s *Store) getQualification(ctx context.Context, k item, kind string, empty bool) (kyc.Qualification, error) {
	if empty {
		return kyc.Qualification{}, notFound("Qualification")
	}
	it, err := s.get(ctx, k)
	if err != nil {
		return kyc.Qualification{}, fmt.Errorf("dynamo: get qualification: %w", err)
	}
	if it == nil {
		return kyc.Qualification{}, notFound("Qualification")
	}
	q, err := decodeQualification(it, kind)
	if err != nil {
		return kyc.Qualification{}, fmt.Errorf("dynamo: get qualification: %w", err)
	}
	return q, nil
}

// DecideQualification writes q, a decision of the certificate read at q.Version-1 (see
// kyc.DecideQualification), with its audit record, in one TransactWriteItems: the
// certificate on condition that it is still PENDING at that version (the whole item, so
// it leaves the queue), the account's copy on condition that it is still this
// certificate's, the record and the queue's counter. Of concurrent decisions exactly one
// is written; the others get ECONFLICT and write nothing.
func (s *Store) DecideQualification(ctx context.Context, q kyc.Qualification, audit kyc.AuditRecord) error {
	if q.ID == "" || q.State == kyc.QualificationPending || audit.AccountID != q.AccountID {
		return fmt.Errorf("dynamo: decide qualification: a decided certificate with its account's audit record is required")
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:                 s.table,
			Item:                      encodeQualification(q),
			ConditionExpression:       aws.String("#state = :pending AND #ver = :read"),
			ExpressionAttributeNames:  map[string]string{"#state": "State", "#ver": AttrVersion},
			ExpressionAttributeValues: item{":pending": sv(string(kyc.QualificationPending)), ":read": nv(q.Version - 1)},
		}},
		{Put: &types.Put{
			TableName:                 s.table,
			Item:                      encodeQualificationCurrent(q),
			ConditionExpression:       aws.String("#id = :id"),
			ExpressionAttributeNames:  map[string]string{"#id": "ID"},
			ExpressionAttributeValues: item{":id": sv(q.ID)},
		}},
		{Put: &types.Put{TableName: s.table, Item: encodeAudit(audit, randomSuffix()), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		pendingCountUpdate(s.table, qualificationQueue, -1),
	}
	err := s.transact(ctx, items)
	if anyConditionFailed(err) {
		return kyc.Errorf(kyc.ECONFLICT, "The qualification certificate was decided already.")
	}
	if err != nil {
		return fmt.Errorf("dynamo: decide qualification: %w", err)
	}
	return nil
}

// ListPendingQualifications returns one page of PENDING certificates, oldest first: one
// Query of their GSIPending queue, the count with the first page and in the cursor after
// it, as ListPending. limit is clamped to 1..100 (below 1: 20); a cursor that is not one
// of this list's is EINVALID.
func (s *Store) ListPendingQualifications(ctx context.Context, limit int, cursor string) (kyc.QualificationPage, error) {
	q, err := s.queryQueue(ctx, qualificationQueue, qualificationKey, limit, cursor)
	if kyc.IsCode(err, kyc.EINVALID) {
		return kyc.QualificationPage{}, err
	} else if err != nil {
		return kyc.QualificationPage{}, fmt.Errorf("dynamo: list pending qualifications: %w", err)
	}
	page := kyc.QualificationPage{Total: q.total, Qualifications: make([]kyc.Qualification, 0, len(q.items))}
	for _, it := range q.items {
		qual, err := decodeQualification(it, kindQualification)
		if err != nil {
			return kyc.QualificationPage{}, fmt.Errorf("dynamo: list pending qualifications: %w", err)
		}
		page.Qualifications = append(page.Qualifications, qual)
	}
	if q.more && len(page.Qualifications) > 0 {
		last := page.Qualifications[len(page.Qualifications)-1]
		page.NextCursor = encodeCursor(qualificationQueue, queueSK(last.SubmittedAt, last.ID), page.Total)
	}
	return page, nil
}
