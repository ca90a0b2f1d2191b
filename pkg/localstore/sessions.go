package localstore

import (
	"bytes"
	"context"
	"time"

	"go.etcd.io/bbolt"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// PutSession stores s and its user index entry. It also drops the user's sessions that had
// expired by s.CreatedAt: nothing else deletes expired sessions in a local file, and a
// login is a natural moment to tidy one user's few.
func (s *Store) PutSession(ctx context.Context, sess kyc.Session) error {
	if err := checkKeyPart("token hash", sess.TokenHash); err != nil {
		return err
	}
	if err := checkKeyPart("user id", sess.UserID); err != nil {
		return err
	}
	return s.update(ctx, "put session", func(tx *bbolt.Tx) error {
		sessions, index := bucket(tx, bucketSessions), bucket(tx, bucketUserSessions)
		// A token hash reused for another user must leave the old user's index.
		if old, ok, err := getSession(tx, sess.TokenHash); err != nil {
			return err
		} else if ok && old.UserID != sess.UserID {
			if err := index.Delete(userSessionKey(old.UserID, old.TokenHash)); err != nil {
				return err
			}
		}
		if !sess.CreatedAt.IsZero() {
			if err := deleteUserSessions(tx, sess.UserID, func(x kyc.Session) bool { return !sess.CreatedAt.Before(x.ExpiresAt) }); err != nil {
				return err
			}
		}
		if err := putJSON(sessions, []byte(sess.TokenHash), toSessionRecord(sess)); err != nil {
			return err
		}
		return index.Put(userSessionKey(sess.UserID, sess.TokenHash), nil)
	})
}

// GetSession returns ENOTFOUND for a missing session and for one that has expired by now,
// whether or not it has been deleted yet.
func (s *Store) GetSession(ctx context.Context, tokenHash string, now time.Time) (kyc.Session, error) {
	var sess kyc.Session
	err := s.view(ctx, "get session", func(tx *bbolt.Tx) error {
		got, ok, err := getSession(tx, tokenHash)
		if err != nil {
			return err
		}
		if !ok || !now.Before(got.ExpiresAt) {
			return kyc.Errorf(kyc.ENOTFOUND, "Session not found or expired.")
		}
		sess = got
		return nil
	})
	return sess, err
}

// DeleteSession is idempotent: logging out twice is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.update(ctx, "delete session", func(tx *bbolt.Tx) error {
		sess, ok, err := getSession(tx, tokenHash)
		if err != nil || !ok {
			return err
		}
		if err := bucket(tx, bucketUserSessions).Delete(userSessionKey(sess.UserID, sess.TokenHash)); err != nil {
			return err
		}
		return bucket(tx, bucketSessions).Delete([]byte(tokenHash))
	})
}

// DeleteUserSessions ends every session of the user in one transaction, so a password
// change or freeze leaves no window with some sessions still valid.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	return s.update(ctx, "delete user sessions", func(tx *bbolt.Tx) error {
		return deleteUserSessions(tx, userID, func(kyc.Session) bool { return true })
	})
}

// deleteUserSessions deletes the user's sessions for which drop is true.
func deleteUserSessions(tx *bbolt.Tx, userID string, drop func(kyc.Session) bool) error {
	sessions, index := bucket(tx, bucketSessions), bucket(tx, bucketUserSessions)
	prefix := lp(userID)
	var keys [][]byte
	c := index.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	// Deleting while a bbolt cursor walks the same bucket can skip keys; collect first.
	for _, k := range keys {
		tokenHash := string(k[len(prefix):])
		sess, ok, err := getSession(tx, tokenHash)
		if err != nil {
			return err
		}
		if ok && !drop(sess) {
			continue
		}
		if err := index.Delete(k); err != nil {
			return err
		}
		if ok {
			if err := sessions.Delete([]byte(tokenHash)); err != nil {
				return err
			}
		}
	}
	return nil
}

func getSession(tx *bbolt.Tx, tokenHash string) (kyc.Session, bool, error) {
	var r sessionRecord
	ok, err := getJSON(bucket(tx, bucketSessions), []byte(tokenHash), &r)
	if err != nil || !ok {
		return kyc.Session{}, false, err
	}
	return r.session(), true, nil
}
