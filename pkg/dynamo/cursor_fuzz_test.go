package dynamo

import (
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// FuzzDynamoCursor: decodeCursor never panics, refuses with EINVALID, and accepts exactly
// the strings encodeCursor makes for that account type (round trip both ways). Seeds are
// the f.Add calls and testdata/fuzz/FuzzDynamoCursor/; an input the fuzzer finds failing
// is written there too, to be committed with the fix as a regression test.
//
// It needs no server, and none starts for it: the package's TestMain (testenv.Main)
// starts nothing itself, and dynoxide and DynamoDB Local start lazily, on the first
// test that asks testenv for a table. A fuzz worker runs only this function, so it never
// starts a server; `go test -fuzz` pays for them once, in the coordinator's run of the
// other tests (skip that with -run '^$').
func FuzzDynamoCursor(f *testing.F) {
	types := []kyc.AccountType{kyc.PersonalAccount, kyc.CompanyAccount}
	sk := fmtTime(time.Date(2026, 3, 1, 9, 0, 0, 5, time.UTC)) + "#acct-1"
	for _, typ := range types {
		valid := encodeCursor(typ, sk)
		f.Add(valid, sk)
		f.Add(valid[:len(valid)-1], sk+"x")
		f.Add(valid+"A", sk)
		f.Add(valid+"=", "")
	}
	f.Add("", "")
	f.Add("AQ", fmtTime(time.Time{})+"#")
	f.Add("eyJ2IjoxLCJ0IjoicGVyc29uYWxfYWNjb3VudCIsImsiOiJ4In0", "2026-03-01T09:00:00.000000000Z#\x00")
	f.Add("!!!!", "2026-02-30T09:00:00.000000000Z#a")
	f.Add("", "2026-03-01T09:00:00.000000000Z#\xff")
	f.Fuzz(func(t *testing.T, c, sk string) {
		for i, typ := range types {
			got, err := decodeCursor(c, typ)
			if err != nil {
				if !kyc.IsCode(err, kyc.EINVALID) {
					t.Fatalf("decodeCursor(%q, %s): %v, want %s", c, typ, err, kyc.EINVALID)
				}
			} else {
				if enc := encodeCursor(typ, got); enc != c {
					t.Fatalf("decodeCursor accepted %q for %s; encodeCursor makes %q for its key %q", c, typ, enc, got)
				}
				if !validQueueSK(got) {
					t.Fatalf("decodeCursor(%q, %s) = %q, not a queue sort key", c, typ, got)
				}
				if _, err := decodeCursor(c, types[1-i]); err == nil {
					t.Fatalf("cursor %q accepted for both account types", c)
				}
			}
			// Every valid position encodes to a cursor that decodes to it, for its type only.
			if validQueueSK(sk) {
				enc := encodeCursor(typ, sk)
				if back, err := decodeCursor(enc, typ); err != nil || back != sk {
					t.Fatalf("round trip of %q (%s) via %q: %q, %v", sk, typ, enc, back, err)
				}
				if _, err := decodeCursor(enc, types[1-i]); err == nil {
					t.Fatalf("cursor %q of %s accepted for %s", enc, typ, types[1-i])
				}
			}
		}
	})
}
