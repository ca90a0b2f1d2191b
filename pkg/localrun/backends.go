package localrun

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/localsms"
	"github.com/realname-kyc/realname/pkg/localstore"
	"github.com/realname-kyc/realname/pkg/s3docs"
	"github.com/realname-kyc/realname/pkg/submission"
)

// Local defaults: the bucket and the credentials of the embedded S3 endpoint. They guard
// nothing but a developer's loopback, and make presigned URLs really signed and checked.
const (
	LocalBucket    = "realname-docs"
	LocalAccessKey = "realnamelocal"
	LocalSecretKey = "realnamelocalsecret"
	// Queue semantics as template.yaml: visibility 6x the worker timeout would make local
	// retries slow, so locally a failed message comes back after 30 s; 5 receives then DLQ.
	localVisibility  = 30 * time.Second
	localMaxReceives = 5
)

// Backends are the wired services plus what to close at shutdown.
type Backends struct {
	Services *app.Services
	Describe map[string]string // what the banner prints: kind -> where
	closers  []func()
}

// Close releases the backends (store file, gateway, emulator processes).
func (b *Backends) Close() { b.close() }

func (b *Backends) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// StartEmbedded wires the default local mode: the bbolt store in dir/store.db, the
// embedded VersityGW over dir/s3, and the in-process queue. Data survives restarts.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Backends, error) {
	// VersityGW's posix backend changes the process's working directory to its root, so
	// every path is made absolute before it starts.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	b := &Backends{Describe: map[string]string{}}
	store, err := localstore.Open(filepath.Join(dir, "store.db"))
	if err != nil {
		return nil, fmt.Errorf("open embedded store: %w", err)
	}
	b.closers = append(b.closers, func() { _ = store.Close() })
	gw, err := localgw.Start(ctx, localgw.Config{Dir: filepath.Join(dir, "s3"), Addr: "127.0.0.1:0", AccessKey: LocalAccessKey, SecretKey: LocalSecretKey, Buckets: []string{LocalBucket}})
	if err != nil {
		b.close()
		return nil, fmt.Errorf("start embedded S3 (VersityGW): %w", err)
	}
	b.closers = append(b.closers, func() { _ = gw.Close() })
	docs, err := newDocs(ctx, gw.Endpoint)
	if err != nil {
		b.close()
		return nil, err
	}
	outbox, err := localsms.New(filepath.Join(dir, "outbox", "sms.jsonl"), kyc.SystemClock{})
	if err != nil {
		b.close()
		return nil, fmt.Errorf("SMS outbox: %w", err)
	}
	b.closers = append(b.closers, func() { _ = outbox.Close() })
	dlq := localqueue.New(localqueue.Options{Visibility: localVisibility})
	q := localqueue.New(localqueue.Options{Visibility: localVisibility, MaxReceives: localMaxReceives, DeadLetter: dlq})
	if err := submission.EnsureConfirmationSample(ctx, docs); err != nil {
		b.close()
		return nil, err
	}
	b.Services = &app.Services{
		Store: store, Docs: docs, Queue: q, SMS: outbox,
		Clock: kyc.SystemClock{}, IDs: kyc.RandomIDs{}, Log: log,
		Backends:    app.Backends{Store: "embedded (bbolt)", Documents: "embedded (VersityGW)", Queue: "in-process", SMS: "outbox file"},
		TokenTTL:    7 * 24 * time.Hour,
		MaxAttempts: 5,

		ReconcileAfter: 2 * time.Minute,
	}
	b.Describe["store"] = filepath.Join(dir, "store.db")
	b.Describe["documents"] = gw.Endpoint + " (data " + filepath.Join(dir, "s3") + ", metadata " + string(gw.MetadataMode) + ")"
	b.Describe["queue"] = "in-process, visibility 30s, DLQ after 5 receives"
	b.Describe["sms"] = outbox.Path() + " (codes are written here, not sent)"
	return b, nil
}

func newDocs(ctx context.Context, endpoint string) (kyc.Documents, error) {
	client, err := s3docs.NewClient(ctx, s3docs.Endpoint{URL: endpoint, AccessKey: LocalAccessKey, SecretKey: LocalSecretKey})
	if err != nil {
		return nil, fmt.Errorf("S3 client: %w", err)
	}
	return s3docs.New(client, LocalBucket), nil
}
