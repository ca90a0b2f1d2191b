package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// A company profile's versions live in the account's partition under
// PROFILE#<10-digit version>, so that they sort by version and one Query reads them with
// the account. The fields (names, ID numbers, mobiles) are attributes, never keys.
const (
	kindProfile        = "profile"
	prefixProfile      = "PROFILE#"
	attrProfileVersion = "ProfileVersion"
)

func profileSK(version int64) string { return fmt.Sprintf("%s%010d", prefixProfile, version) }

// encodeProfile is the item of p; accountID wins over p.AccountID so that a version is
// always written into the partition of the account whose transaction writes it.
func encodeProfile(p kyc.ProfileVersion, accountID string) item {
	it := key(prefixAccount+accountID, profileSK(p.Version))
	it[attrKind] = sv(kindProfile)
	it["AccountID"] = sv(accountID)
	it[attrProfileVersion] = nv(p.Version)
	fields := make(item, len(p.Fields))
	for name, v := range p.Fields {
		fields[name] = sv(v)
	}
	it["Fields"] = &types.AttributeValueMemberM{Value: fields}
	if len(p.Changed) > 0 {
		it["Changed"] = lv(p.Changed)
	}
	it["At"] = tv(p.At)
	it["Actor"] = sv(p.Actor)
	return it
}

func decodeProfile(it item) (kyc.ProfileVersion, error) {
	d := decoder{it: it}
	d.kind(kindProfile)
	p := kyc.ProfileVersion{
		AccountID: d.str("AccountID"),
		Version:   d.int(attrProfileVersion),
		Changed:   d.strs("Changed"),
		At:        d.time("At"),
		Actor:     d.str("Actor"),
	}
	if d.err != nil {
		return kyc.ProfileVersion{}, fmt.Errorf("decode profile: %w", d.err)
	}
	m, ok := it["Fields"].(*types.AttributeValueMemberM)
	if !ok {
		return kyc.ProfileVersion{}, fmt.Errorf("decode profile: attribute Fields is not a map")
	}
	p.Fields = make(map[string]string, len(m.Value))
	for name, v := range m.Value {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return kyc.ProfileVersion{}, fmt.Errorf("decode profile: field %q is not a string", name)
		}
		p.Fields[name] = s.Value
	}
	return p, nil
}

// GetAccountAndProfiles reads the account and its profile versions with one strongly
// consistent Query on the account's partition (one call per 1 MB), the audit records that
// share it filtered out.
func (s *Store) GetAccountAndProfiles(ctx context.Context, accountID string) (kyc.Account, []kyc.ProfileVersion, error) {
	p, err := s.readPartition(ctx, accountID, kindAccount, kindProfile)
	if err != nil {
		return kyc.Account{}, nil, err
	}
	return *p.acct, p.versions, nil
}

// GetAccountAuditAndProfiles reads the whole account partition with one strongly
// consistent Query (one call per 1 MB): the account, its trail and its profile versions.
func (s *Store) GetAccountAuditAndProfiles(ctx context.Context, accountID string) (kyc.Account, []kyc.AuditRecord, []kyc.ProfileVersion, error) {
	p, err := s.readPartition(ctx, accountID)
	if err != nil {
		return kyc.Account{}, nil, nil, err
	}
	return *p.acct, p.records, p.versions, nil
}

// GetAccountDetail reads the whole account partition with one strongly consistent Query
// (one call per 1 MB): the account, its trail, its enterprise change and its profile
// versions, all the reviewer's detail shows.
func (s *Store) GetAccountDetail(ctx context.Context, accountID string) (kyc.Account, kyc.EnterpriseChange, []kyc.AuditRecord, []kyc.ProfileVersion, error) {
	p, err := s.readPartition(ctx, accountID)
	if err != nil {
		return kyc.Account{}, kyc.EnterpriseChange{}, nil, nil, err
	}
	return *p.acct, p.change, p.records, p.versions, nil
}

// partition is what an account's partition holds.
type partition struct {
	acct     *kyc.Account
	change   kyc.EnterpriseChange
	records  []kyc.AuditRecord
	versions []kyc.ProfileVersion
	factors  []kyc.Factor
}

// readPartition queries the account's partition, oldest first, keeping the items of the
// kinds given (all without any); ENOTFOUND without the account item.
func (s *Store) readPartition(ctx context.Context, accountID string, kinds ...string) (partition, error) {
	if accountID == "" {
		return partition{}, notFound("Account")
	}
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: item{":pk": sv(prefixAccount + accountID)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(true),
	}
	if len(kinds) > 0 {
		var names []string
		for i, k := range kinds {
			n := fmt.Sprintf(":k%d", i)
			names = append(names, n)
			in.ExpressionAttributeValues[n] = sv(k)
		}
		in.FilterExpression = aws.String("#kind IN (" + strings.Join(names, ", ") + ")")
		in.ExpressionAttributeNames = map[string]string{"#kind": attrKind}
	}
	var p partition
	if err := s.queryEach(ctx, in, p.collect); err != nil {
		return partition{}, fmt.Errorf("dynamo: read account partition: %w", err)
	}
	if p.acct == nil {
		return partition{}, notFound("Account")
	}
	return p, nil
}

// collect decodes an item of the account's partition into p.
func (p *partition) collect(it item) error {
	d := decoder{it: it}
	switch d.str(attrKind) {
	case kindAccount:
		a, err := decodeAccount(it)
		if err != nil {
			return err
		}
		p.acct = &a
	case kindAudit:
		r, err := decodeAudit(it)
		if err != nil {
			return err
		}
		p.records = append(p.records, r)
	case kindChange:
		c, err := decodeChange(it)
		if err != nil {
			return err
		}
		p.change = c
	case kindProfile:
		v, err := decodeProfile(it)
		if err != nil {
			return err
		}
		p.versions = append(p.versions, v)
	case kindFactor:
		f, err := decodeFactor(it)
		if err != nil {
			return err
		}
		p.factors = append(p.factors, f)
	}
	return nil
}

// The current profile is also kept as ACCOUNT#<id> / CURRENT_PROFILE, a copy of the
// latest version that every Transition writing a version overwrites, so that a request
// can read it by a key it knows beforehand in the BatchGetItem that reads the account
// and its upload records (GetAccountProfileAndUploads): the version items' keys carry
// their number, which only the account item tells. Its kind differs, so the partition's
// Query does not count it among the versions.
const (
	skCurrentProfile   = "CURRENT_PROFILE"
	kindCurrentProfile = "current_profile"
)

func currentProfileKey(accountID string) item { return key(prefixAccount+accountID, skCurrentProfile) }

func encodeCurrentProfile(p kyc.ProfileVersion, accountID string) item {
	it := encodeProfile(p, accountID)
	it[AttrSK] = sv(skCurrentProfile)
	it[attrKind] = sv(kindCurrentProfile)
	return it
}

// GetAccountProfileAndUploads is GetAccountAndUploads with the account's current profile
// version (nil when it has none) in the same BatchGetItem: one call. An account whose
// current copy is missing or behind (written before the copy existed) costs one more
// GetItem, of the version the account names.
func (s *Store) GetAccountProfileAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, *kyc.ProfileVersion, map[string]kyc.Upload, error) {
	acct, prof, uploads, _, err := s.accountProfileUploads(ctx, accountID, keys, now, false)
	return acct, prof, uploads, err
}

// GetAccountProfileUploadsAndCert is GetAccountProfileAndUploads with the account's
// live-certificate guard in the same BatchGetItem: still one call. A guard written
// before guards named their serial costs one more GetItem, of the certificate.
func (s *Store) GetAccountProfileUploadsAndCert(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, *kyc.ProfileVersion, map[string]kyc.Upload, *kyc.LiveCert, error) {
	return s.accountProfileUploads(ctx, accountID, keys, now, true)
}

func (s *Store) accountProfileUploads(ctx context.Context, accountID string, keys []string, now time.Time, withCert bool) (kyc.Account, *kyc.ProfileVersion, map[string]kyc.Upload, *kyc.LiveCert, error) {
	if accountID == "" {
		return kyc.Account{}, nil, nil, nil, notFound("Account")
	}
	extra := []item{currentProfileKey(accountID)}
	if withCert {
		extra = append(extra, certGuardKey(accountID))
	}
	acct, uploads, found, err := s.accountAndUploads(ctx, accountID, keys, now, extra...)
	if err != nil {
		return kyc.Account{}, nil, nil, nil, err
	}
	var live *kyc.LiveCert
	if withCert {
		if live, err = s.liveCert(ctx, found[itemID(certGuardKey(accountID))]); err != nil {
			return kyc.Account{}, nil, nil, nil, err
		}
	}
	prof, err := s.currentProfile(ctx, acct, found)
	if err != nil {
		return kyc.Account{}, nil, nil, nil, err
	}
	return acct, prof, uploads, live, nil
}

func (s *Store) currentProfile(ctx context.Context, acct kyc.Account, found map[string]item) (*kyc.ProfileVersion, error) {
	accountID := acct.ID
	if acct.ProfileVersion == 0 {
		return nil, nil
	}
	it, ok := found[itemID(currentProfileKey(accountID))]
	if ok {
		it[attrKind] = sv(kindProfile)
		p, err := decodeProfile(it)
		if err != nil {
			return nil, fmt.Errorf("dynamo: get current profile: %w", err)
		}
		if p.Version == acct.ProfileVersion {
			return &p, nil
		}
	}
	it, err := s.get(ctx, key(prefixAccount+accountID, profileSK(acct.ProfileVersion)))
	if err != nil {
		return nil, fmt.Errorf("dynamo: get profile version: %w", err)
	}
	if it == nil {
		return nil, fmt.Errorf("dynamo: account %s names profile version %d, none stored", accountID, acct.ProfileVersion)
	}
	p, err := decodeProfile(it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get profile version: %w", err)
	}
	return &p, nil
}
