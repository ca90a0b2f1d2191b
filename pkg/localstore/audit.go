package localstore

import (
	"bytes"
	"context"

	"go.etcd.io/bbolt"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// AppendAudit adds a record that is not a transition, such as a reviewer's read.
func (s *Store) AppendAudit(ctx context.Context, r kyc.AuditRecord) error {
	if err := checkKeyPart("audit account id", r.AccountID); err != nil {
		return err
	}
	return s.update(ctx, "append audit", func(tx *bbolt.Tx) error { return appendAudit(tx, r) })
}

// appendAudit keys the record by account, time and the bucket's sequence: the trail reads
// in time order with one prefix scan, and two records at the same instant never overwrite
// each other. Nothing in this package rewrites or deletes an audit key.
func appendAudit(tx *bbolt.Tx, r kyc.AuditRecord) error {
	b := bucket(tx, bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return putJSON(b, auditKey(r.AccountID, r.At, seq), toAuditRecord(r))
}

// ListAudit returns the account's trail, oldest first; an account without records has an
// empty trail, not an error.
func (s *Store) ListAudit(ctx context.Context, accountID string) ([]kyc.AuditRecord, error) {
	if len(accountID) > maxKeyPart {
		return nil, nil
	}
	var out []kyc.AuditRecord
	err := s.view(ctx, "list audit", func(tx *bbolt.Tx) error {
		prefix := lp(accountID)
		c := bucket(tx, bucketAudit).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r auditRecord
			if err := decode(v, &r); err != nil {
				return err
			}
			out = append(out, r.audit())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
