package submission

import (
	"context"
	"fmt"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// SetPortrait makes an uploaded portrait (an upload of slot portrait that CreateUpload
// issued to the caller) the caller's avatar, and returns the link the profile gives to
// it: a presigned GET valid PortraitURLTTL, as pkg/users' Me signs it.
//
// The upload is checked as a submission's documents are and copied to
// accounts/<account>/portrait/<random>; one atomic write then points the user at the
// copy and returns the portrait it replaced, whose object is deleted. Two store calls:
// the upload record, then that write. A refused or failed request leaves the user as it
// was and deletes the copy it made.
func (s *Service) SetPortrait(ctx context.Context, p kyc.Principal, key string) (url string, err error) {
	if s.objects == nil {
		return "", errNoObjects
	}
	if s.presigner == nil {
		return "", errNoPresigner
	}
	if key == "" {
		return "", kyc.FieldError(kyc.EMISSING, "key", "required")
	}
	slot, _ := filecheck.LookupSlot("portrait")
	var rec kyc.Upload
	found := false
	if issuedKey(key) {
		rec, err = s.store.GetUpload(ctx, key, s.clock.Now())
		switch {
		case err == nil:
			found = true
		case !kyc.IsCode(err, kyc.ENOTFOUND):
			return "", fmt.Errorf("load upload: %w", err)
		}
	}
	if err := checkRecord(p, "key", rec, found, slot); err != nil {
		return "", err
	}
	d, err := s.adopt(ctx, p.AccountID, "key", rec, slot)
	if err != nil {
		return "", err
	}
	// Signed before the write, so that nothing is left behind should it fail.
	if url, err = s.presigner.PresignGet(ctx, d.Key, PortraitURLTTL, "portrait"); err != nil {
		s.deleteAll(ctx, []kyc.Document{d})
		return "", fmt.Errorf("presign portrait: %w", err)
	}
	old, err := s.store.SetUserPortrait(ctx, p.UserID, d.Key, s.clock.Now())
	if err != nil {
		s.deleteAll(ctx, []kyc.Document{d})
		return "", fmt.Errorf("set portrait: %w", err)
	}
	if old != "" && old != d.Key {
		s.deleteAll(ctx, []kyc.Document{{Slot: slot.Name, Key: old}})
	}
	return url, nil
}
