package httpapi

import (
	"context"
	"sync"
	"testing"

	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// docsBucket is the bucket of the document tests on the binary's shared embedded gateway.
// Accounts have random ids, so tests sharing it never see each other's objects.
const docsBucket = "httpapi-docs"

// The gateway changes the working directory to its data root (see localgw): the tests of
// this package use absolute paths only (t.TempDir(), fuzzPkgDir).
func TestMain(m *testing.M) { testenv.Main(m, testenv.WithGateway(docsBucket)) }

var (
	sampleOnce sync.Once
	sampleErr  error
)

// sharedDocs is the document store on the shared gateway, holding the platform's sample
// confirmation file.
func sharedDocs(t testing.TB) *s3docs.Store {
	t.Helper()
	docs := testenv.Docs(t, docsBucket)
	sampleOnce.Do(func() { sampleErr = submission.EnsureConfirmationSample(context.Background(), docs) })
	if sampleErr != nil {
		t.Fatalf("sample confirmation file: %v", sampleErr)
	}
	return docs
}
