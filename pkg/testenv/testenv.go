// Package testenv is the test support every package's tests share: the stand-ins a test
// binary starts once (dynoxide for the store, an embedded VersityGW for documents), a
// fresh DynamoDB table per test, and a log sink safe for concurrent writers. Only tests
// (and cmd/bench) import it; no Lambda links it.
//
// A test binary that uses it calls Main from its TestMain, so the processes it started
// are stopped when the tests end:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// Stand-ins start on first use. One that cannot start fails the test that needed it (it
// is never skipped): a test that did not run against the real storage code proves nothing.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
)

// Main runs the tests of m, stops every stand-in they started and exits with their code.
func Main(m *testing.M, opts ...Option) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.gateway {
		if err := startGateway(o.buckets); err != nil {
			gateway.err = err
		}
	}
	code := m.Run()
	stopAll()
	os.Exit(code)
}

// Option configures Main.
type Option func(*options)

type options struct {
	gateway bool
	buckets []string
}

// WithGateway starts the binary's embedded S3 gateway (VersityGW allows one per process)
// before the tests, with the given buckets. It starts before any test because it changes
// the working directory: tests that use it work with absolute paths only.
func WithGateway(buckets ...string) Option {
	return func(o *options) { o.gateway, o.buckets = true, append(o.buckets, buckets...) }
}

// IsFuzzWorker reports whether this process is a fuzzing worker, which runs only the
// fuzz function: a TestMain that starts servers eagerly should not start them there.
func IsFuzzWorker() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

var (
	stopMu  sync.Mutex
	stopFns []func()
)

// AtExit registers f to run when Main ends, last registered first.
func AtExit(f func()) {
	stopMu.Lock()
	defer stopMu.Unlock()
	stopFns = append(stopFns, f)
}

func stopAll() {
	stopMu.Lock()
	fns := stopFns
	stopFns = nil
	stopMu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// Engine names a DynamoDB-compatible server a test can run against.
type Engine string

const (
	// Dynoxide is the fast engine every test but the store contract suite uses.
	Dynoxide Engine = "dynoxide"
	// DynamoDBLocal is AWS's own emulator, the reference the contract suite also runs on.
	DynamoDBLocal Engine = "DynamoDB Local"
)

type server struct {
	once     sync.Once
	endpoint string
	client   *dynamodb.Client
	err      error
}

var servers = map[Engine]*server{Dynoxide: {}, DynamoDBLocal: {}}

// DynamoClient returns a client of the engine's one server in this test binary, starting
// it on first use.
func DynamoClient(t testing.TB, e Engine) *dynamodb.Client {
	t.Helper()
	s, ok := servers[e]
	if !ok {
		t.Fatalf("testenv: unknown engine %q", e)
	}
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var p *emulators.Process
		if e == Dynoxide {
			p, s.err = emulators.StartDynoxide(ctx, "")
		} else {
			p, s.err = emulators.StartDynamoDBLocal(ctx)
		}
		if s.err != nil {
			return
		}
		AtExit(p.Stop)
		s.endpoint = p.Endpoint
		s.client, s.err = dynamo.NewLocalClient(ctx, p.Endpoint)
	})
	if s.err != nil {
		t.Fatalf("testenv: %s: %v", e, s.err)
	}
	return s.client
}

// DynamoEndpoint returns the URL of the engine's server, starting it on first use.
func DynamoEndpoint(t testing.TB, e Engine) string {
	t.Helper()
	DynamoClient(t, e)
	return servers[e].endpoint
}

var unsafeTableChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// Table creates a fresh table with the store's definition on the engine, named after the
// test, and deletes it when the test ends. Tests never see each other's items.
func Table(t testing.TB, e Engine) (*dynamodb.Client, string) {
	t.Helper()
	client := DynamoClient(t, e)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafeTableChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	name = "t-" + hex.EncodeToString(b[:]) + "-" + name
	if err := dynamo.CreateTable(context.Background(), client, name); err != nil {
		t.Fatalf("testenv: create table on %s: %v", e, err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return client, name
}

// EngineVar names the environment variable that moves Store to another engine: its value
// "dynamodb-local" puts the tests that use Store (the HTTP tests of the routes) on AWS's
// DynamoDB Local, which `make test` does for the enterprise routes (issue 12: their rules
// tested through HTTP on DynamoDB Local too). Anything else, or unset, is dynoxide.
const EngineVar = "REALNAME_TEST_ENGINE"

// Store returns the production store (pkg/dynamo) over a fresh table on dynoxide, or on
// DynamoDB Local under EngineVar.
func Store(t testing.TB) *dynamo.Store {
	t.Helper()
	engine := Dynoxide
	if os.Getenv(EngineVar) == "dynamodb-local" {
		engine = DynamoDBLocal
	}
	client, table := Table(t, engine)
	return dynamo.New(client, table)
}

// SyncBuffer is a log sink safe for the concurrent writes of servers and workers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Fatalf prints a TestMain failure the way `go test` shows a failed package.
func Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	stopAll()
	os.Exit(1)
}

// Dump returns every item of table as text (one line per item, each attribute as
// name=value), for tests that prove something is or is not stored anywhere.
func Dump(t testing.TB, client *dynamodb.Client, table string) string {
	t.Helper()
	var b bytes.Buffer
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("testenv: scan %s: %v", table, err)
		}
		for _, it := range out.Items {
			for name, v := range it {
				fmt.Fprintf(&b, "%s=%s ", name, attrText(v))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// attrText renders an attribute value's content (strings, numbers, binaries as text).
func attrText(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberB:
		return string(v.Value)
	case *types.AttributeValueMemberSS:
		return fmt.Sprint(v.Value)
	case *types.AttributeValueMemberNS:
		return fmt.Sprint(v.Value)
	case *types.AttributeValueMemberL:
		var parts []string
		for _, e := range v.Value {
			parts = append(parts, attrText(e))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case *types.AttributeValueMemberM:
		var parts []string
		for k, e := range v.Value {
			parts = append(parts, k+":"+attrText(e))
		}
		return "{" + strings.Join(parts, " ") + "}"
	default:
		return fmt.Sprint(v)
	}
}
