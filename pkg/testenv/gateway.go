package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

var gateway struct {
	gw     *localgw.Gateway
	client *s3.Client
	err    error
}

func startGateway(buckets []string) error {
	dir, err := os.MkdirTemp("", "testenv-s3-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	AtExit(func() { _ = os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gw, err := localgw.Start(context.Background(), localgw.Config{Dir: filepath.Join(dir, "s3"), Addr: "127.0.0.1:0", Buckets: buckets})
	if err != nil {
		return fmt.Errorf("start the embedded S3 gateway: %w", err)
	}
	AtExit(func() { _ = gw.Close() })
	client, err := s3docs.NewClient(ctx, gw.ClientEndpoint())
	if err != nil {
		return fmt.Errorf("S3 client: %w", err)
	}
	gateway.gw, gateway.client = gw, client
	return nil
}

// Gateway returns the binary's embedded S3 gateway (Main with WithGateway starts it).
func Gateway(t testing.TB) *localgw.Gateway {
	t.Helper()
	if gateway.err == nil && gateway.gw == nil {
		gateway.err = errors.New("no gateway: call testenv.Main(m, testenv.WithGateway(...)) from TestMain")
	}
	if gateway.err != nil {
		t.Fatalf("testenv: %v", gateway.err)
	}
	return gateway.gw
}

// S3Client returns a client of the binary's embedded S3 gateway.
func S3Client(t testing.TB) *s3.Client {
	t.Helper()
	Gateway(t)
	return gateway.client
}

// Docs returns the document store over bucket (one Main created) on the gateway.
func Docs(t testing.TB, bucket string) *s3docs.Store {
	t.Helper()
	return s3docs.New(S3Client(t), bucket)
}
