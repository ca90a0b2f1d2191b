package localstore

import (
	"context"

	"go.etcd.io/bbolt"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// CreateUser writes the user, its phone index entry and its account in one transaction,
// after checking inside it that none of the three keys is taken.
func (s *Store) CreateUser(ctx context.Context, u kyc.User, a kyc.Account) (kyc.User, error) {
	for _, c := range []struct{ field, v string }{{"user id", u.ID}, {"phone", u.Phone}} {
		if err := checkKeyPart(c.field, c.v); err != nil {
			return kyc.User{}, err
		}
	}
	if err := checkAccount(a); err != nil {
		return kyc.User{}, err
	}
	if u.AccountID != a.ID {
		return kyc.User{}, kyc.FieldError(kyc.EINVALID, "account id", "the user must own the account created with it")
	}
	u.Version, a.Version = 1, 1
	err := s.update(ctx, "create user", func(tx *bbolt.Tx) error {
		users, phones, accounts := bucket(tx, bucketUsers), bucket(tx, bucketPhones), bucket(tx, bucketAccounts)
		if phones.Get([]byte(u.Phone)) != nil {
			return kyc.Errorf(kyc.EEXISTS, "This phone number is already registered.")
		}
		if users.Get([]byte(u.ID)) != nil || accounts.Get([]byte(a.ID)) != nil {
			return kyc.Errorf(kyc.EEXISTS, "The user or account already exists.")
		}
		if err := putJSON(users, []byte(u.ID), toUserRecord(u)); err != nil {
			return err
		}
		if err := phones.Put([]byte(u.Phone), []byte(u.ID)); err != nil {
			return err
		}
		if err := putJSON(accounts, []byte(a.ID), toAccountRecord(a)); err != nil {
			return err
		}
		return reindex(tx, nil, a)
	})
	if err != nil {
		return kyc.User{}, err
	}
	return toUserRecord(u).user(), nil
}

// GetUser returns ENOTFOUND when there is no such user.
func (s *Store) GetUser(ctx context.Context, id string) (kyc.User, error) {
	var u kyc.User
	err := s.view(ctx, "get user", func(tx *bbolt.Tx) error {
		var err error
		u, err = getUser(tx, id)
		return err
	})
	return u, err
}

// GetUserByPhone follows the phone index to the user, in one snapshot so the two reads
// agree.
func (s *Store) GetUserByPhone(ctx context.Context, phone string) (kyc.User, error) {
	var u kyc.User
	err := s.view(ctx, "get user by phone", func(tx *bbolt.Tx) error {
		id := bucket(tx, bucketPhones).Get([]byte(phone))
		if id == nil {
			return kyc.Errorf(kyc.ENOTFOUND, "User not found.")
		}
		var err error
		u, err = getUser(tx, string(id))
		return err
	})
	return u, err
}

func getUser(tx *bbolt.Tx, id string) (kyc.User, error) {
	var r userRecord
	ok, err := getJSON(bucket(tx, bucketUsers), []byte(id), &r)
	if err != nil {
		return kyc.User{}, err
	}
	if !ok {
		return kyc.User{}, kyc.Errorf(kyc.ENOTFOUND, "User not found.")
	}
	return r.user(), nil
}

// UpdateUser writes u only if the stored version is still u.Version. The phone is the key
// of the phone index, so changing it here is refused rather than left half-indexed.
func (s *Store) UpdateUser(ctx context.Context, u kyc.User) (kyc.User, error) {
	if err := checkKeyPart("user id", u.ID); err != nil {
		return kyc.User{}, err
	}
	err := s.update(ctx, "update user", func(tx *bbolt.Tx) error {
		stored, err := getUser(tx, u.ID)
		if err != nil {
			return err
		}
		if stored.Version != u.Version {
			return kyc.Errorf(kyc.ECONFLICT, "The user was changed by another request; reload and try again.")
		}
		if u.Phone != stored.Phone {
			return kyc.FieldError(kyc.EINVALID, "phone", "cannot be changed here")
		}
		u.Version = stored.Version + 1
		return putJSON(bucket(tx, bucketUsers), []byte(u.ID), toUserRecord(u))
	})
	if err != nil {
		return kyc.User{}, err
	}
	return toUserRecord(u).user(), nil
}
