package dynamo

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// errBadCode is every CheckCode refusal: the client learns that the code did not work,
// never why (absent, expired, used, dead or wrong), so probing reveals nothing.
func errBadCode() error { return kyc.Errorf(kyc.EBADCODE, "SMS code wrong or expired.") }

// codeLive is the condition "this code may still be tried": it exists, is unused, has
// fewer than kyc.MaxCodeAttempts wrong tries and has not expired at :now. ExpiresAt is a
// fixed-width UTC string, so the string comparison is the time comparison.
const codeLive = "attribute_exists(PK) AND #used = :false AND #att < :max AND #exp > :now"

var codeNames = map[string]string{"#used": attrUsed, "#att": attrAttempts, "#exp": attrExpiresAt, "#hash": attrCodeHash}

func codeLiveValues(now time.Time) item {
	return item{":false": bv(false), ":max": nv(kyc.MaxCodeAttempts), ":now": tv(now)}
}

// PutCode writes the whole code item, replacing an earlier code of the phone and purpose
// with its tries and use: one PutItem.
func (s *Store) PutCode(ctx context.Context, c kyc.SMSCode) error {
	switch {
	case c.Phone == "":
		return kyc.FieldError(kyc.EMISSING, "phone", "required")
	case c.Purpose == "":
		return kyc.FieldError(kyc.EMISSING, "purpose", "required")
	case strings.Contains(c.Purpose, "#"):
		return kyc.FieldError(kyc.EINVALID, "purpose", "must not contain '#'")
	case c.CodeHash == "":
		return kyc.FieldError(kyc.EMISSING, "code hash", "required")
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.table, Item: encodeCode(c)}); err != nil {
		return fmt.Errorf("dynamo: put code: %w", err)
	}
	return nil
}

// CheckCode costs one call unless the code was live and the hash wrong, when a second
// call counts the wrong try (see the package documentation):
//
//   - consume: one conditional UpdateItem that sets Used only if the code is live and
//     its hash is codeHash, so of concurrent consumers exactly one wins. On a failed
//     condition the stored item comes back with the error (ALL_OLD) and tells why.
//   - no consume: one strongly consistent GetItem, compared here. A read is enough, as
//     nothing changes on success, and it costs a fifth of a write.
//
// Either way a wrong hash against a live code is then counted by a conditional UpdateItem
// that adds one to Attempts only while the stored code is the one that was compared and
// is still live, so it never counts past kyc.MaxCodeAttempts nor against a newer code.
func (s *Store) CheckCode(ctx context.Context, phone, purpose, codeHash string, now time.Time, consume bool) error {
	if phone == "" || purpose == "" || strings.Contains(purpose, "#") {
		return errBadCode() // no such code can have been stored
	}
	k := codeKey(phone, purpose)
	var stored item
	if consume {
		values := codeLiveValues(now)
		values[":h"] = sv(codeHash)
		values[":true"] = bv(true)
		// The hash comparison runs inside DynamoDB and is not constant-time. That is
		// harmless: what is compared is the SHA-256 (hex) of a random code, and how long
		// a comparison of hashes takes says nothing about the code that would match.
		_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           s.table,
			Key:                                 k,
			UpdateExpression:                    aws.String("SET #used = :true"),
			ConditionExpression:                 aws.String(codeLive + " AND #hash = :h"),
			ExpressionAttributeNames:            codeNames,
			ExpressionAttributeValues:           values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return fmt.Errorf("dynamo: check code: %w", err)
		}
		stored = ccf.Item
	} else {
		it, err := s.get(ctx, k)
		if err != nil {
			return fmt.Errorf("dynamo: check code: %w", err)
		}
		stored = it
	}
	if stored == nil {
		return errBadCode()
	}
	c, err := decodeCode(stored)
	if err != nil {
		return fmt.Errorf("dynamo: check code: %w", err)
	}
	if c.Used || c.Attempts >= kyc.MaxCodeAttempts || !now.Before(c.ExpiresAt) {
		return errBadCode() // not live: nothing left to count
	}
	if subtle.ConstantTimeCompare([]byte(c.CodeHash), []byte(codeHash)) == 1 {
		if consume {
			// The condition failed on an item that meets it: the item is malformed
			// (say, an attribute of the wrong type). Refuse rather than guess.
			return errors.New("dynamo: check code: condition failed on a live code with this hash")
		}
		return nil
	}
	values := codeLiveValues(now)
	values[":stored"] = sv(c.CodeHash)
	values[":one"] = nv(1)
	_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 s.table,
		Key:                       k,
		UpdateExpression:          aws.String("SET #att = #att + :one"),
		ConditionExpression:       aws.String(codeLive + " AND #hash = :stored"),
		ExpressionAttributeNames:  codeNames,
		ExpressionAttributeValues: values,
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("dynamo: count wrong code: %w", err)
	}
	// A failed condition means the code was replaced, used, expired or died meanwhile:
	// there is nothing (left) to count, and the answer is the same.
	return errBadCode()
}
