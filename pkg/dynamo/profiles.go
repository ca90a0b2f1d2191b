package dynamo

import (
	"context"
	"fmt"

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
// consistent Query on the account's partition (one call per 1 MB), skipping the audit
// records that share it.
func (s *Store) GetAccountAndProfiles(ctx context.Context, accountID string) (kyc.Account, []kyc.ProfileVersion, error) {
	if accountID == "" {
		return kyc.Account{}, nil, notFound("Account")
	}
	in := &dynamodb.QueryInput{
		TableName:                 s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		FilterExpression:          aws.String("#kind IN (:account, :profile)"),
		ExpressionAttributeNames:  map[string]string{"#kind": attrKind},
		ExpressionAttributeValues: item{":pk": sv(prefixAccount + accountID), ":account": sv(kindAccount), ":profile": sv(kindProfile)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(true),
	}
	var acct *kyc.Account
	var versions []kyc.ProfileVersion
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return kyc.Account{}, nil, fmt.Errorf("dynamo: get account and profiles: %w", err)
		}
		for _, it := range out.Items {
			if err := collectProfileItem(it, &acct, &versions); err != nil {
				return kyc.Account{}, nil, fmt.Errorf("dynamo: get account and profiles: %w", err)
			}
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if acct == nil {
		return kyc.Account{}, nil, notFound("Account")
	}
	return *acct, versions, nil
}

// collectProfileItem decodes an item of the account's partition into acct or versions.
func collectProfileItem(it item, acct **kyc.Account, versions *[]kyc.ProfileVersion) error {
	d := decoder{it: it}
	switch d.str(attrKind) {
	case kindAccount:
		a, err := decodeAccount(it)
		if err != nil {
			return err
		}
		*acct = &a
	case kindProfile:
		p, err := decodeProfile(it)
		if err != nil {
			return err
		}
		*versions = append(*versions, p)
	}
	return nil
}
