package review_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

const testBucket = "review-test"

// docs is the document store on the one embedded S3 gateway of this test binary.
var docs *s3docs.Store

// TestMain starts the embedded gateway once: VersityGW allows one per process.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "review-s3-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "review tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gw, err := localgw.Start(context.Background(), localgw.Config{
		Dir:     filepath.Join(dir, "s3"),
		Addr:    "127.0.0.1:0",
		Buckets: []string{testBucket},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "review tests: cannot start the embedded S3 gateway:", err)
		return 1
	}
	defer gw.Close()
	client, err := s3docs.NewClient(ctx, gw.ClientEndpoint())
	if err != nil {
		fmt.Fprintln(os.Stderr, "review tests: S3 client:", err)
		return 1
	}
	docs = s3docs.New(client, testBucket)
	if err := docs.Ping(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "review tests: embedded S3 does not answer:", err)
		return 1
	}
	return m.Run()
}
