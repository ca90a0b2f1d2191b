package main

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// The list benchmark writes 100k accounts with BatchWriteItem instead of through the
// store (two transactions each), so it builds pkg/dynamo's item layout itself (see
// pkg/dynamo/doc.go and codec.go). checkItemFormat proves the copy exact before any
// number is taken: it re-encodes accounts the store wrote and compares attribute by
// attribute.

type item = map[string]types.AttributeValue

const timeLayout = "2006-01-02T15:04:05.000000000Z" // pkg/dynamo's fixed-width UTC layout

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func nv(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func bv(b bool) types.AttributeValue      { return &types.AttributeValueMemberBOOL{Value: b} }
func tv(t time.Time) types.AttributeValue { return sv(t.UTC().Format(timeLayout)) }
func lv(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, s := range ss {
		l[i] = sv(s)
	}
	return &types.AttributeValueMemberL{Value: l}
}

// encodeAccount is pkg/dynamo's account item: the whole account plus the sparse index
// keys of its state.
func encodeAccount(a kyc.Account) item {
	it := item{
		"PK": sv("ACCOUNT#" + a.ID), "SK": sv("ACCOUNT"), "Kind": sv("account"),
		"ID": sv(a.ID), "OwnerID": sv(a.OwnerID), "Type": sv(string(a.Type)),
		"Name": sv(a.Name), "Tel": sv(a.Tel), "Address": sv(a.Address),
		"Organization": sv(a.Organization), "IDNumber": sv(a.IDNumber),
		"NotActive": bv(a.NotActive), "State": sv(string(a.State)), "RejectType": sv(string(a.RejectType)),
		"Attempts": nv(int64(a.Attempts)), "SubmittedAt": tv(a.SubmittedAt),
		"CreatedAt": tv(a.CreatedAt), "UpdatedAt": tv(a.UpdatedAt), "Version": nv(a.Version),
	}
	if a.Reasons != nil {
		it["Reasons"] = lv(a.Reasons)
	}
	if a.ReuploadSlots != nil {
		it["ReuploadSlots"] = lv(a.ReuploadSlots)
	}
	if a.Documents != nil {
		docs := make(item, len(a.Documents))
		for slot, d := range a.Documents {
			docs[slot] = &types.AttributeValueMemberM{Value: item{
				"Slot": sv(d.Slot), "Key": sv(d.Key), "ContentType": sv(d.ContentType),
				"Size": nv(d.Size), "UploadedAt": tv(d.UploadedAt), "Check": sv(d.Check),
			}}
		}
		it["Documents"] = &types.AttributeValueMemberM{Value: docs}
	}
	sk := a.SubmittedAt.UTC().Format(timeLayout) + "#" + a.ID
	switch a.State {
	case kyc.StatePendingReview:
		it["PendingPK"], it["PendingSK"] = sv("PENDING#"+string(a.Type)), sv(sk)
	case kyc.StateSubmitted:
		it["SubmittedPK"], it["SubmittedSK"] = sv("SUBMITTED"), sv(sk)
	}
	return it
}

// pendingCountItem is the counter ListPending reads its Total from.
func pendingCountItem(t kyc.AccountType, n int64) item {
	return item{"PK": sv("COUNT#PENDING#" + string(t)), "SK": sv("COUNT"), "Kind": sv("pendingCount"), "N": nv(n)}
}

// checkItemFormat writes accounts through the store into a scratch table, walks them
// through every state the list benchmark seeds, and after each step compares the raw
// item with encodeAccount of the account the store reads back (and the pending counter
// with pendingCountItem). Any difference stops the benchmark.
func checkItemFormat(ctx context.Context, e *env) error {
	store, err := e.table(ctx, "bench-format")
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	a := listAccount(0, kyc.PersonalAccount, kyc.StateUnverified, now)
	u := kyc.User{ID: a.OwnerID, Phone: "bench-phone-format", PasswordHash: "x", Role: kyc.RoleUser, AccountID: a.ID, CreatedAt: now, UpdatedAt: now}
	if _, err := store.CreateUser(ctx, u, a); err != nil {
		return fmt.Errorf("item format check: create: %w", err)
	}
	compare := func(step string) (kyc.Account, error) {
		cur, err := store.GetAccount(ctx, a.ID)
		if err != nil {
			return kyc.Account{}, fmt.Errorf("item format check (%s): %w", step, err)
		}
		out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench-format"),
			Key: item{"PK": sv("ACCOUNT#" + a.ID), "SK": sv("ACCOUNT")}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return kyc.Account{}, fmt.Errorf("item format check (%s): %w", step, err)
		}
		if d := diffItems(out.Item, encodeAccount(cur)); d != "" {
			return kyc.Account{}, fmt.Errorf("item format check (%s): the benchmark's account item differs from pkg/dynamo's: %s", step, d)
		}
		return cur, nil
	}
	cur, err := compare("UNVERIFIED")
	if err != nil {
		return err
	}
	steps := []kyc.State{kyc.StateSubmitted, kyc.StatePendingReview, kyc.StateApproved, kyc.StateRejected}
	for i, to := range steps {
		next := listAccount(0, kyc.PersonalAccount, to, now.Add(time.Duration(i)*time.Second))
		tr := kyc.Transition{Account: next, FromState: cur.State, FromVersion: cur.Version,
			Audit: kyc.AuditRecord{AccountID: a.ID, At: now, Actor: "bench", Action: "transition", From: cur.State, To: to}}
		if _, err := store.Transition(ctx, tr); err != nil {
			return fmt.Errorf("item format check: transition to %s: %w", to, err)
		}
		if cur, err = compare(string(to)); err != nil {
			return err
		}
		if to == kyc.StatePendingReview {
			out, err := e.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench-format"),
				Key: item{"PK": sv("COUNT#PENDING#" + string(kyc.PersonalAccount)), "SK": sv("COUNT")}, ConsistentRead: aws.Bool(true)})
			if err != nil {
				return fmt.Errorf("item format check: pending counter: %w", err)
			}
			if d := diffItems(out.Item, pendingCountItem(kyc.PersonalAccount, 1)); d != "" {
				return fmt.Errorf("item format check: the benchmark's pending counter differs from pkg/dynamo's: %s", d)
			}
		}
	}
	return nil
}

// diffItems names the attributes whose presence or value differ, "" if none.
func diffItems(got, want item) string {
	var names []string
	for k := range got {
		names = append(names, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var diff []string
	for _, k := range names {
		if !reflect.DeepEqual(got[k], want[k]) {
			diff = append(diff, k)
		}
	}
	if len(diff) == 0 {
		return ""
	}
	return fmt.Sprintf("attributes %v (store %v, benchmark %v)", diff, got[diff[0]], want[diff[0]])
}
