package sqsqueue_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/queuetest"
	"github.com/realname-kyc/realname/pkg/sqsqueue"
)

// client talks to the fauxqs that TestMain starts once for the whole binary; each test
// makes its own queues on it.
var client *sqs.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run exists so the deferred Stop happens before os.Exit. A missing or broken fauxqs
// fails the tests: the SQS code must not pass untested.
func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	proc, err := emulators.StartFauxqs(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sqsqueue tests need fauxqs: %v\n", err)
		return 1
	}
	defer proc.Stop()
	client, err = sqsqueue.NewEndpointClient(ctx, sqsqueue.Endpoint{URL: proc.Endpoint})
	if err != nil {
		fmt.Fprintf(os.Stderr, "sqsqueue tests: %v\n", err)
		return 1
	}
	return m.Run()
}

var queueSeq atomic.Int64

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// queueName is unique within the run and says which test made the queue. SQS allows 80
// characters; CreateQueues adds "-dlq".
func queueName(t *testing.T) string {
	suffix := fmt.Sprintf("-%d", queueSeq.Add(1))
	name := unsafeName.ReplaceAllString(t.Name(), "_")
	if limit := 80 - len("-dlq") - len(suffix); len(name) > limit {
		name = name[len(name)-limit:]
	}
	return name + suffix
}

func TestContract(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, visibility time.Duration, maxReceives int) (kyc.Queue, kyc.Queue) {
		url, dlqURL, err := sqsqueue.CreateQueues(t.Context(), client, queueName(t), visibility, maxReceives)
		if err != nil {
			t.Fatal(err)
		}
		return sqsqueue.New(client, url), sqsqueue.New(client, dlqURL)
	})
}

func TestCreateQueuesRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct {
		visibility  time.Duration
		maxReceives int
	}{
		{1500 * time.Millisecond, 3}, // SQS takes whole seconds only
		{-time.Second, 3},
		{13 * time.Hour, 3},
		{time.Second, 0},
		{time.Second, 1001},
	} {
		if _, _, err := sqsqueue.CreateQueues(t.Context(), client, queueName(t), tc.visibility, tc.maxReceives); err == nil {
			t.Errorf("CreateQueues(visibility %s, maxReceives %d): no error", tc.visibility, tc.maxReceives)
		}
	}
}

// CreateQueues runs at every start of the emulated runner; a second call must find the
// same queues.
func TestCreateQueuesIsIdempotent(t *testing.T) {
	name := queueName(t)
	u1, d1, err := sqsqueue.CreateQueues(t.Context(), client, name, 2*time.Second, 3)
	if err != nil {
		t.Fatal(err)
	}
	u2, d2, err := sqsqueue.CreateQueues(t.Context(), client, name, 2*time.Second, 3)
	if err != nil {
		t.Fatal(err)
	}
	if u1 != u2 || d1 != d2 {
		t.Fatalf("second call gave %s, %s; first %s, %s", u2, d2, u1, d1)
	}
}

func TestPingMissingQueue(t *testing.T) {
	q := sqsqueue.New(client, "http://127.0.0.1:1/000000000000/no-such-queue")
	if err := q.Ping(t.Context()); err == nil {
		t.Fatal("Ping of a missing queue: no error")
	}
}
