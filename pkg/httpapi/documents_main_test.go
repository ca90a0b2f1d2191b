package httpapi

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
	"github.com/realname-kyc/realname/pkg/submission"
)

// docsBucket is the bucket of the document tests on the shared embedded gateway. Accounts
// have random ids, so tests sharing it never see each other's objects.
const docsBucket = "httpapi-docs"

// docsEnv is the one embedded S3 gateway of this test binary (VersityGW allows one per
// process), started by TestMain. If it could not start, err says why and only the tests
// that need it fail.
var docsEnv struct {
	gw     *localgw.Gateway
	client *s3.Client
	store  *s3docs.Store
	err    error
}

func TestMain(m *testing.M) { os.Exit(runWithGateway(m)) }

func runWithGateway(m *testing.M) int {
	dir, err := os.MkdirTemp("", "httpapi-s3-")
	if err != nil {
		docsEnv.err = fmt.Errorf("temp dir: %w", err)
		return m.Run()
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The gateway changes the working directory to its data root (see localgw): the tests
	// of this package use absolute paths only (t.TempDir()).
	gw, err := localgw.Start(context.Background(), localgw.Config{Dir: filepath.Join(dir, "s3"), Addr: "127.0.0.1:0", Buckets: []string{docsBucket}})
	if err != nil {
		docsEnv.err = fmt.Errorf("start the embedded S3 gateway: %w", err)
		return m.Run()
	}
	defer gw.Close()
	client, err := s3docs.NewClient(ctx, gw.ClientEndpoint())
	if err != nil {
		docsEnv.err = fmt.Errorf("S3 client: %w", err)
		return m.Run()
	}
	store := s3docs.New(client, docsBucket)
	if err := submission.EnsureConfirmationSample(ctx, store); err != nil {
		docsEnv.err = err
		return m.Run()
	}
	docsEnv.gw, docsEnv.client, docsEnv.store = gw, client, store
	return m.Run()
}
