package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// kindAdminCount is the item that counts the active admins (role admin, not frozen). Every
// write that makes or unmakes an active admin updates it in the same transaction, so a
// demotion or freeze can be refused, by a condition, when it would leave none: the
// product would have nobody left to grant roles but the operator's GrantRole function.
// It is counted from the first write that touches it: a table with admins made before it
// existed reads as none, which refuses (safely) removing them until a new one is made.
const kindAdminCount = "adminCount"

func adminCountKey() item { return key("COUNT#ADMINS", skCount) }

// activeAdmin is what the count counts.
func activeAdmin(u kyc.User) bool { return u.Role == kyc.RoleAdmin && !u.Frozen }

// adminCountChange is the transaction item that keeps the count right when a user goes
// from was to now, and whether there is one. Losing an admin is conditional on another
// active one remaining.
func (s *Store) adminCountChange(was, now kyc.User) (types.TransactWriteItem, bool) {
	a, b := activeAdmin(was), activeAdmin(now)
	if a == b {
		return types.TransactWriteItem{}, false
	}
	u := &types.Update{
		TableName:                 s.table,
		Key:                       adminCountKey(),
		UpdateExpression:          aws.String("SET #kind = :kind ADD #n :d"),
		ExpressionAttributeNames:  map[string]string{"#kind": attrKind, "#n": attrN},
		ExpressionAttributeValues: item{":kind": sv(kindAdminCount), ":d": nv(1)},
	}
	if a {
		u.ExpressionAttributeValues[":d"] = nv(-1)
		u.ExpressionAttributeValues[":one"] = nv(1)
		u.ConditionExpression = aws.String("#n > :one")
	}
	return types.TransactWriteItem{Update: u}, true
}

func errLastAdmin() error {
	return &kyc.Error{Code: kyc.ECONFLICT, Message: "This would leave no active admin.", Reason: "last_admin"}
}
