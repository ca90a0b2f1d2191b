package dynamo

import (
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// FuzzDynamoCursor: decodeCursor never panics, refuses with EINVALID, and accepts exactly
// the strings encodeCursor makes for that queue (the two account types' and the
// qualification certificates'), for no other queue (round trip both ways). Seeds are
// the f.Add calls and testdata/fuzz/FuzzDynamoCursor/; an input the fuzzer finds failing
// is written there too, to be committed with the fix as a regression test.
//
// It needs no server, and none starts for it: the package's TestMain (testenv.Main)
// starts nothing itself, and dynoxide and DynamoDB Local start lazily, on the first
// test that asks testenv for a table. A fuzz worker runs only this function, so it never
// starts a server; `go test -fuzz` pays for them once, in the coordinator's run of the
// other tests (skip that with -run '^$').
func FuzzDynamoCursor(f *testing.F) {
	types := []string{string(kyc.PersonalAccount), string(kyc.CompanyAccount), qualificationQueue}
	sk := fmtTime(time.Date(2026, 3, 1, 9, 0, 0, 5, time.UTC)) + "#acct-1"
	for _, typ := range types {
		valid := encodeCursor(typ, sk, 7)
		f.Add(valid, sk, int64(7))
		f.Add(valid[:len(valid)-1], sk+"x", int64(0))
		f.Add(valid+"A", sk, int64(-1))
		f.Add(valid+"=", "", int64(1))
	}
	f.Add("", "", int64(0))
	f.Add("AQ", fmtTime(time.Time{})+"#", int64(0))
	f.Add("eyJ2IjoxLCJ0IjoicGVyc29uYWxfYWNjb3VudCIsImsiOiJ4In0", "2026-03-01T09:00:00.000000000Z#\x00", int64(0))
	f.Add("!!!!", "2026-02-30T09:00:00.000000000Z#a", int64(0))
	f.Add("", "2026-03-01T09:00:00.000000000Z#\xff", int64(0))
	f.Fuzz(func(t *testing.T, c, sk string, n int64) {
		for i, typ := range types {
			got, total, err := decodeCursor(c, typ)
			if err != nil {
				if !kyc.IsCode(err, kyc.EINVALID) {
					t.Fatalf("decodeCursor(%q, %s): %v, want %s", c, typ, err, kyc.EINVALID)
				}
			} else {
				if total < 0 {
					t.Fatalf("decodeCursor(%q, %s) total %d", c, typ, total)
				}
				if enc := encodeCursor(typ, got, total); enc != c {
					t.Fatalf("decodeCursor accepted %q for %s; encodeCursor makes %q for its key %q", c, typ, enc, got)
				}
				if !validQueueSK(got) {
					t.Fatalf("decodeCursor(%q, %s) = %q, not a queue sort key", c, typ, got)
				}
				for j, other := range types {
					if _, _, err := decodeCursor(c, other); err == nil && j != i {
						t.Fatalf("cursor %q accepted for both %s and %s", c, typ, other)
					}
				}
			}
			// Every valid position encodes to a cursor that decodes to it, for its type only.
			if validQueueSK(sk) && n >= 0 {
				enc := encodeCursor(typ, sk, n)
				if back, bn, err := decodeCursor(enc, typ); err != nil || back != sk || bn != n {
					t.Fatalf("round trip of %q, %d (%s) via %q: %q, %d, %v", sk, n, typ, enc, back, bn, err)
				}
				for j, other := range types {
					if _, _, err := decodeCursor(enc, other); err == nil && j != i {
						t.Fatalf("cursor %q of %s accepted for %s", enc, typ, other)
					}
				}
			}
		}
	})
}
