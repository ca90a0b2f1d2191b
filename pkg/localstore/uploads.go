package localstore

import (
	"context"
	"time"

	"go.etcd.io/bbolt"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// PutUpload records u under its key unless the key is recorded already (EEXISTS), checked
// and written in one transaction so of two callers with the same key exactly one wins.
// An expired record still holds its key: keys are server-chosen and never reused.
func (s *Store) PutUpload(ctx context.Context, u kyc.Upload) error {
	if err := checkKeyPart("upload key", u.Key); err != nil {
		return err
	}
	return s.update(ctx, "put upload", func(tx *bbolt.Tx) error {
		b := bucket(tx, bucketUploads)
		if b.Get([]byte(u.Key)) != nil {
			return kyc.Errorf(kyc.EEXISTS, "Upload already recorded.")
		}
		return putJSON(b, []byte(u.Key), toUploadRecord(u))
	})
}

// GetUpload returns ENOTFOUND for a missing record and for one that has expired by now;
// nothing deletes expired records here, so the read checks.
func (s *Store) GetUpload(ctx context.Context, key string, now time.Time) (kyc.Upload, error) {
	var u kyc.Upload
	err := s.view(ctx, "get upload", func(tx *bbolt.Tx) error {
		var r uploadRecord
		ok, err := getJSON(bucket(tx, bucketUploads), []byte(key), &r)
		if err != nil {
			return err
		}
		if !ok || !now.Before(r.ExpiresAt) {
			return kyc.Errorf(kyc.ENOTFOUND, "Upload not found or expired.")
		}
		u = r.upload()
		return nil
	})
	return u, err
}
