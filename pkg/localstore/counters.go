package localstore

import (
	"context"
	"time"

	"go.etcd.io/bbolt"
)

// Incr counts within a window that starts at the first increment and ends at that
// increment's expiresAt; later increments do not extend it, so a client cannot keep a
// limit window open forever by retrying.
func (s *Store) Incr(ctx context.Context, key string, now, expiresAt time.Time) (int64, error) {
	if err := checkKeyPart("counter key", key); err != nil {
		return 0, err
	}
	var value int64
	err := s.update(ctx, "incr", func(tx *bbolt.Tx) error {
		b := bucket(tx, bucketCounters)
		var r counterRecord
		ok, err := getJSON(b, []byte(key), &r)
		if err != nil {
			return err
		}
		if !ok || !now.Before(r.ExpiresAt) {
			r = counterRecord{ExpiresAt: utc(expiresAt)}
		}
		r.Value++
		value = r.Value
		return putJSON(b, []byte(key), r)
	})
	return value, err
}

// Counter returns the value of a live window, 0 for an absent or ended one.
func (s *Store) Counter(ctx context.Context, key string, now time.Time) (int64, error) {
	var value int64
	err := s.view(ctx, "counter", func(tx *bbolt.Tx) error {
		var r counterRecord
		ok, err := getJSON(bucket(tx, bucketCounters), []byte(key), &r)
		if err != nil || !ok || !now.Before(r.ExpiresAt) {
			return err
		}
		value = r.Value
		return nil
	})
	return value, err
}
