package submission_test

import (
	"testing"

	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/testenv"
)

const testBucket = "submission-test"

// TestMain starts the binary's embedded gateway (VersityGW allows one per process).
func TestMain(m *testing.M) { testenv.Main(m, testenv.WithGateway(testBucket)) }

// docsOf is the document store on the shared gateway.
func docsOf(t testing.TB) *s3docs.Store { return testenv.Docs(t, testBucket) }
