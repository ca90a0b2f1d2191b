// Package localstore is the kyc.Store of local mode: one bbolt file, so the product runs with
// one command and no database server, and keeps its data across restarts.
//
// It follows the same rules as the DynamoDB store so the two pass the same contract suite
// (pkg/storetest): every change is one bbolt write transaction whose conditions are checked
// inside it, lists read secondary indexes instead of scanning, and counts are maintained in
// the transaction that changes them. bbolt allows one writer at a time, which is plenty for
// one developer's machine; it is not meant for production.
//
// Layout, one bucket each (keys are bytes; "lp(s)" is s prefixed with its 2-byte length so
// that one id is never a prefix of another):
//
//	users           user id -> user JSON
//	phones          phone -> user id
//	accounts        account id -> account JSON
//	sessions        token hash -> session JSON
//	user_sessions   lp(user id) + token hash -> ""
//	pending         lp(type) + time(SubmittedAt) + account id -> ""   (PENDING_REVIEW only)
//	pending_counts  type -> uint64 big-endian
//	submitted       time(SubmittedAt) + account id -> ""              (SUBMITTED only)
//	audit           lp(account id) + time(At) + sequence -> audit JSON
//	counters        key -> {value, expires_at} JSON
//	codes           lp(phone) + purpose -> SMS code JSON (hash, attempts, used, expiry)
//	uploads         object key -> presigned upload JSON (account, user, slot, type, length, expiry)
//	identities      lp(type) + ID number -> account id   (the claim of an APPROVED identity)
//	meta            "schema" -> version; "cursor_key" -> HMAC key for page cursors
//
// time(t) is 12 bytes that sort like t: the Unix second with the sign bit flipped, then the
// nanosecond, both big-endian.
package localstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// ErrInUse is returned by Open when another process holds the file: bbolt locks it for the
// life of the handle, and a clear message beats a runner that hangs on start.
var ErrInUse = errors.New("database is in use by another process")

// Page limits of ListPending and ListSubmittedBefore: one page is one cheap read, and a
// caller cannot ask for the whole table at once.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

// schemaVersion is bumped when the layout changes incompatibly, so an old file is refused
// instead of misread.
const schemaVersion = "1"

var _ kyc.Store = (*Store)(nil)

const (
	bucketUsers         = "users"
	bucketPhones        = "phones"
	bucketAccounts      = "accounts"
	bucketSessions      = "sessions"
	bucketUserSessions  = "user_sessions"
	bucketPending       = "pending"
	bucketPendingCounts = "pending_counts"
	bucketSubmitted     = "submitted"
	bucketAudit         = "audit"
	bucketCounters      = "counters"
	bucketCodes         = "codes"
	bucketUploads       = "uploads"
	bucketIdentities    = "identities"
	bucketMeta          = "meta"

	metaSchema    = "schema"
	metaCursorKey = "cursor_key"
)

// bucket returns a bucket that Open made sure exists.
func bucket(tx *bbolt.Tx, name string) *bbolt.Bucket { return tx.Bucket([]byte(name)) }

// Store is a kyc.Store in one bbolt file. It is safe for concurrent use.
type Store struct {
	db        *bbolt.DB
	cursorKey []byte // signs page cursors; per file, so a cursor of another store is refused
}

type options struct {
	lockTimeout time.Duration
	noSync      bool
}

// Option changes how Open opens the file.
type Option func(*options)

// WithLockTimeout sets how long Open waits for another process to release the file before
// failing with ErrInUse (default one second).
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// WithNoSync skips fsync on commit. Only for tests and throwaway data: a crash of the
// machine (not of the process) may lose the last commits.
func WithNoSync() Option {
	return func(o *options) { o.noSync = true }
}

// Open opens or creates the store at path, creating its directory. The file is readable by
// its owner only, since it holds personal information.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.lockTimeout <= 0 {
		// bbolt waits forever on 0; never hang a runner on a stuck lock.
		o.lockTimeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("localstore: open %s: %w", path, err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.lockTimeout, NoSync: o.noSync})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("localstore: open %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("localstore: open %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := db.Update(s.init); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("localstore: open %s: %w", path, err)
	}
	return s, nil
}

// init creates the buckets of a new file, refuses a file of another schema, and loads the
// cursor key. A bucket added in a later build (codes, uploads, identities) is created in an older file of the
// same schema on its next Open: adding a bucket changes nothing that was already there.
func (s *Store) init(tx *bbolt.Tx) error {
	for _, name := range []string{
		bucketUsers, bucketPhones, bucketAccounts, bucketSessions, bucketUserSessions,
		bucketPending, bucketPendingCounts, bucketSubmitted, bucketAudit, bucketCounters, bucketCodes,
		bucketUploads, bucketIdentities, bucketMeta,
	} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := bucket(tx, bucketMeta)
	switch v := meta.Get([]byte(metaSchema)); {
	case v == nil:
		if err := meta.Put([]byte(metaSchema), []byte(schemaVersion)); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
	case string(v) != schemaVersion:
		return fmt.Errorf("file has schema version %q, this program reads %q", v, schemaVersion)
	}
	key := meta.Get([]byte(metaCursorKey))
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("make cursor key: %w", err)
		}
		if err := meta.Put([]byte(metaCursorKey), key); err != nil {
			return fmt.Errorf("write cursor key: %w", err)
		}
	}
	s.cursorKey = append([]byte(nil), key...)
	return nil
}

// Close releases the file so another process may open it.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("localstore: close: %w", err)
	}
	return nil
}

// Ping reports whether the file is open and readable.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, "ping", func(tx *bbolt.Tx) error {
		if bucket(tx, bucketMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// update runs fn in one write transaction: everything fn does commits together or not at
// all, which is what makes each Store method atomic. Domain errors pass through unchanged
// so callers see their code; anything else gets the operation's name.
func (s *Store) update(ctx context.Context, op string, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localstore: %s: %w", op, err)
	}
	return wrap(op, s.db.Update(fn))
}

// view runs fn in one read transaction, a consistent snapshot.
func (s *Store) view(ctx context.Context, op string, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localstore: %s: %w", op, err)
	}
	return wrap(op, s.db.View(fn))
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *kyc.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("localstore: %s: %w", op, err)
}

// getJSON decodes the value at key into v and reports whether there was one.
func getJSON(b *bbolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, decode(data, v)
}

func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	return nil
}

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	if err := b.Put(key, data); err != nil {
		return fmt.Errorf("write record: %w", err)
	}
	return nil
}
