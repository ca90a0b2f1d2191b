package submission_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

const testBucket = "submission-test"

// docs is the document store on the one embedded S3 gateway of this test binary, and
// s3c its client (for listing).
var (
	docs *s3docs.Store
	s3c  *s3.Client
)

// TestMain starts the embedded gateway once: VersityGW allows one per process.
func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "submission-s3-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "submission tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gw, err := localgw.Start(context.Background(), localgw.Config{Dir: filepath.Join(dir, "s3"), Addr: "127.0.0.1:0", Buckets: []string{testBucket}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "submission tests: cannot start the embedded S3 gateway:", err)
		return 1
	}
	defer gw.Close()
	client, err := s3docs.NewClient(ctx, gw.ClientEndpoint())
	if err != nil {
		fmt.Fprintln(os.Stderr, "submission tests: S3 client:", err)
		return 1
	}
	docs, s3c = s3docs.New(client, testBucket), client
	return m.Run()
}
