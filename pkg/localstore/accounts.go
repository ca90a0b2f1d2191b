package localstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// GetAccount returns ENOTFOUND when there is no such account.
func (s *Store) GetAccount(ctx context.Context, id string) (kyc.Account, error) {
	var a kyc.Account
	err := s.view(ctx, "get account", func(tx *bbolt.Tx) error {
		var err error
		a, err = getAccount(tx, id)
		return err
	})
	return a, err
}

func getAccount(tx *bbolt.Tx, id string) (kyc.Account, error) {
	var r accountRecord
	ok, err := getJSON(bucket(tx, bucketAccounts), []byte(id), &r)
	if err != nil {
		return kyc.Account{}, err
	}
	if !ok {
		return kyc.Account{}, kyc.Errorf(kyc.ENOTFOUND, "Account not found.")
	}
	return r.account(), nil
}

// Transition checks state and version, claims or releases the account's identity, writes
// the account, moves its index entries and pending count, and appends the audit record, all
// in one transaction: a reviewer never sees a count or list that disagrees with the account,
// two deciders never both win, and one identity is never approved on two accounts.
func (s *Store) Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error) {
	next := t.Account
	if err := checkAccount(next); err != nil {
		return kyc.Account{}, err
	}
	audit := t.Audit
	if audit.AccountID == "" {
		audit.AccountID = next.ID
	}
	if audit.AccountID != next.ID {
		return kyc.Account{}, kyc.FieldError(kyc.EINVALID, "audit account id", "differs from the account's")
	}
	next.Version = t.FromVersion + 1
	err := s.update(ctx, "transition", func(tx *bbolt.Tx) error {
		stored, err := getAccount(tx, next.ID)
		if err != nil {
			return err
		}
		if stored.State != t.FromState || stored.Version != t.FromVersion {
			return kyc.Errorf(kyc.ECONFLICT, "The account was changed by another request; reload and try again.")
		}
		if err := reclaim(tx, stored, next); err != nil {
			return err
		}
		if err := putJSON(bucket(tx, bucketAccounts), []byte(next.ID), toAccountRecord(next)); err != nil {
			return err
		}
		if err := reindex(tx, &stored, next); err != nil {
			return err
		}
		return appendAudit(tx, audit)
	})
	if err != nil {
		return kyc.Account{}, err
	}
	return toAccountRecord(next).account(), nil
}

// reclaim keeps the identity claims of kyc.Transition: an account going to (or staying in)
// APPROVED with an ID number claims (type, number), or fails with ECONFLICT if another
// account holds it; an APPROVED account that leaves APPROVED or changes its identity
// releases the claim of its stored identity, if it is the holder. The caller's transaction
// rolls everything back on an error.
func reclaim(tx *bbolt.Tx, stored, next kyc.Account) error {
	b := bucket(tx, bucketIdentities)
	claims := next.State == kyc.StateApproved && next.IDNumber != ""
	if claims {
		if len(next.IDNumber) > maxKeyPart {
			return kyc.FieldError(kyc.EINVALID, "id number", "too long")
		}
		k := identityKey(next.Type, next.IDNumber)
		if owner := b.Get(k); owner != nil && string(owner) != next.ID {
			return kyc.Errorf(kyc.ECONFLICT, "identity already verified on another account")
		}
		if err := b.Put(k, []byte(next.ID)); err != nil {
			return err
		}
	}
	held := stored.State == kyc.StateApproved && stored.IDNumber != ""
	same := claims && stored.Type == next.Type && stored.IDNumber == next.IDNumber
	if held && !same {
		k := identityKey(stored.Type, stored.IDNumber)
		if owner := b.Get(k); owner != nil && string(owner) == stored.ID {
			return b.Delete(k)
		}
	}
	return nil
}

// IdentityOwner reads the claim of (typ, idNumber) in one read transaction.
func (s *Store) IdentityOwner(ctx context.Context, typ kyc.AccountType, idNumber string) (string, error) {
	if err := checkType(typ); err != nil {
		return "", err
	}
	var owner string
	err := s.view(ctx, "identity owner", func(tx *bbolt.Tx) error {
		if idNumber != "" {
			owner = string(bucket(tx, bucketIdentities).Get(identityKey(typ, idNumber)))
		}
		if owner == "" {
			return kyc.Errorf(kyc.ENOTFOUND, "Identity not found.")
		}
		return nil
	})
	return owner, err
}

// reindex moves an account's entries in the pending and submitted indexes, and the pending
// counts, from its old value (nil when new) to its new one. It works from both values
// rather than from the transition's name, so a change of type or submission time while
// indexed cannot leave a stale entry behind.
func reindex(tx *bbolt.Tx, old *kyc.Account, next kyc.Account) error {
	pending, submitted := bucket(tx, bucketPending), bucket(tx, bucketSubmitted)
	if old != nil {
		switch old.State {
		case kyc.StatePendingReview:
			if err := pending.Delete(pendingKey(old.Type, old.SubmittedAt, old.ID)); err != nil {
				return err
			}
			if err := addPending(tx, old.Type, -1); err != nil {
				return err
			}
		case kyc.StateSubmitted:
			if err := submitted.Delete(submittedKey(old.SubmittedAt, old.ID)); err != nil {
				return err
			}
		}
	}
	switch next.State {
	case kyc.StatePendingReview:
		if err := pending.Put(pendingKey(next.Type, next.SubmittedAt, next.ID), nil); err != nil {
			return err
		}
		return addPending(tx, next.Type, 1)
	case kyc.StateSubmitted:
		return submitted.Put(submittedKey(next.SubmittedAt, next.ID), nil)
	}
	return nil
}

// addPending moves the maintained count of PENDING_REVIEW accounts of a type.
func addPending(tx *bbolt.Tx, typ kyc.AccountType, delta int64) error {
	b := bucket(tx, bucketPendingCounts)
	n := pendingCount(tx, typ) + delta
	if n < 0 {
		// Only a bug or a damaged file can get here; refusing keeps the damage visible.
		return fmt.Errorf("pending count of %s would go below zero", typ)
	}
	return b.Put([]byte(typ), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func pendingCount(tx *bbolt.Tx, typ kyc.AccountType) int64 {
	v := bucket(tx, bucketPendingCounts).Get([]byte(typ))
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// ListPending reads one page of the pending index of a type, from just after the cursor's
// key, and the maintained count, in one snapshot. It reads one entry past the page to
// know whether another page follows, so the last page never carries a cursor.
func (s *Store) ListPending(ctx context.Context, typ kyc.AccountType, limit int, cursor string) (kyc.PendingPage, error) {
	if err := checkType(typ); err != nil {
		return kyc.PendingPage{}, err
	}
	limit = clampLimit(limit)
	prefix := lp(string(typ))
	start, after := prefix, false
	if cursor != "" {
		key, err := s.decodeCursor(typ, cursor)
		if err != nil {
			return kyc.PendingPage{}, err
		}
		start, after = key, true
	}
	var page kyc.PendingPage
	err := s.view(ctx, "list pending", func(tx *bbolt.Tx) error {
		c := bucket(tx, bucketPending).Cursor()
		k, _ := c.Seek(start)
		if after && bytes.Equal(k, start) {
			k, _ = c.Next()
		}
		var last []byte
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(page.Accounts) == limit {
				page.NextCursor = s.encodeCursor(last)
				break
			}
			if len(k) <= len(prefix)+timeKeyLen {
				return fmt.Errorf("malformed pending index key")
			}
			a, err := getAccount(tx, string(k[len(prefix)+timeKeyLen:]))
			if err != nil {
				return fmt.Errorf("pending index entry without its account: %w", err)
			}
			page.Accounts = append(page.Accounts, a)
			last = k
		}
		page.Total = pendingCount(tx, typ)
		return nil
	})
	if err != nil {
		return kyc.PendingPage{}, err
	}
	return page, nil
}

// ListSubmittedBefore reads the submitted index from its oldest entry, so the reconciler
// finds stranded submissions without scanning accounts. limit is clamped like ListPending's.
func (s *Store) ListSubmittedBefore(ctx context.Context, t time.Time, limit int) ([]kyc.Account, error) {
	limit = clampLimit(limit)
	end := timeKey(t)
	var out []kyc.Account
	err := s.view(ctx, "list submitted", func(tx *bbolt.Tx) error {
		c := bucket(tx, bucketSubmitted).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) <= timeKeyLen {
				return fmt.Errorf("malformed submitted index key")
			}
			if bytes.Compare(k[:timeKeyLen], end) >= 0 {
				break
			}
			a, err := getAccount(tx, string(k[timeKeyLen:]))
			if err != nil {
				return fmt.Errorf("submitted index entry without its account: %w", err)
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
