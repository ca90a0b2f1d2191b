package submission_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/submission"
)

// items counts the table's items: what a refused request must not change.
func (e *env) items(t *testing.T) int32 {
	t.Helper()
	out, err := e.client.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(e.table), Select: types.SelectCount, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.LastEvaluatedKey != nil {
		t.Fatal("the table outgrew one Scan page; count another way")
	}
	return out.Count
}

func (e *env) grant(t *testing.T, u kyc.User) (submission.UploadGrant, error) {
	t.Helper()
	return e.s.CreateUpload(t.Context(), u.Principal(), submission.UploadRequest{Slot: "frontOfID", ContentType: "image/png", ContentLength: strconv.Itoa(len(frontPNG))})
}

// A user gets UploadGrantsPerHour upload grants in a clock hour; the next is ETOOMANY
// naming the limit, and records nothing. Other users, and the next hour, are not held
// back by it.
func TestUploadQuota(t *testing.T) {
	e := newEnv(t)
	u, other := e.user(t, kyc.RoleUser), e.user(t, kyc.RoleUser)
	e.clock.Advance(10 * time.Minute) // 09:10
	for i := range submission.UploadGrantsPerHour {
		if _, err := e.grant(t, u); err != nil {
			t.Fatalf("grant %d of %d: %v", i+1, submission.UploadGrantsPerHour, err)
		}
	}
	before := e.items(t)
	e.clock.Advance(49 * time.Minute) // 09:59, the same hour
	g, err := e.grant(t, u)
	if !kyc.IsCode(err, kyc.ETOOMANY) || g.URL != "" {
		t.Fatalf("grant %d = %+v, %v; want ETOOMANY and no URL", submission.UploadGrantsPerHour+1, g, err)
	}
	if msg := kyc.ErrorMessage(err); !strings.Contains(msg, strconv.Itoa(submission.UploadGrantsPerHour)+" upload URLs per hour") {
		t.Errorf("message %q does not name the limit", msg)
	}
	if after := e.items(t); after != before {
		t.Errorf("the refused grant changed the table: %d items, %d before", after, before)
	}

	if _, err := e.grant(t, other); err != nil {
		t.Errorf("another user's grant: %v", err)
	}
	e.clock.Advance(time.Minute) // 10:00, the next hour
	if _, err := e.grant(t, u); err != nil {
		t.Errorf("grant in the next hour: %v", err)
	}
}

// Concurrent requests cannot slip past the limit together: the count and the record are
// one conditional write.
func TestUploadQuotaConcurrent(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	const n = submission.UploadGrantsPerHour + 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = e.grant(t, u) })
	}
	wg.Wait()
	ok, limited := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case kyc.IsCode(err, kyc.ETOOMANY):
			limited++
		default:
			t.Errorf("grant: %v", err)
		}
	}
	if ok != submission.UploadGrantsPerHour || limited != n-submission.UploadGrantsPerHour {
		t.Errorf("%d granted and %d limited of %d, want %d and %d", ok, limited, n, submission.UploadGrantsPerHour, n-submission.UploadGrantsPerHour)
	}
}

// The quota is a setting (UPLOAD_GRANTS_PER_HOUR): a service built with 2 refuses the
// third grant of the hour.
func TestUploadQuotaSetting(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, kyc.RoleUser)
	d := e.deps
	d.UploadGrantsPerHour = 2
	e.s = submission.New(d)
	for i := range 2 {
		if _, err := e.grant(t, u); err != nil {
			t.Fatalf("grant %d: %v", i+1, err)
		}
	}
	_, err := e.grant(t, u)
	if !kyc.IsCode(err, kyc.ETOOMANY) || !strings.Contains(kyc.ErrorMessage(err), "2 upload URLs per hour") {
		t.Errorf("the third grant with a quota of 2: %v", err)
	}
}
