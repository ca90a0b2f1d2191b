package localgw_test

// The tests here run one after another, never in parallel: embedgw allows one gateway
// per process, and each test starts and closes its own.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/localgw"
	"github.com/realname-kyc/realname/pkg/s3docs"
)

func start(t *testing.T, cfg localgw.Config) *localgw.Gateway {
	t.Helper()
	g, err := localgw.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return g
}

func store(t *testing.T, g *localgw.Gateway, bucket string) *s3docs.Store {
	t.Helper()
	c, err := s3docs.NewClient(context.Background(), g.ClientEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	return s3docs.New(c, bucket)
}

func TestStartServesAndStoresOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "s3")
	g := start(t, localgw.Config{Dir: dir, Buckets: []string{"docs", "other"}})

	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(g.Endpoint) {
		t.Fatalf("Endpoint %q", g.Endpoint)
	}
	if g.MetadataMode != localgw.MetadataXattr && g.MetadataMode != localgw.MetadataSidecar {
		t.Fatalf("MetadataMode %q", g.MetadataMode)
	}
	t.Logf("metadata mode on %s: %s", dir, g.MetadataMode)
	if g.Dir != dir {
		t.Fatalf("Dir %q, want %q", g.Dir, dir)
	}

	s := store(t, g, "docs")
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store(t, g, "other").Ping(ctx); err != nil {
		t.Fatal(err)
	}
	body := []byte("%PDF-1.7 on disk")
	if err := s.Put(ctx, "acct-1/license.pdf", "application/pdf", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	// Local mode keeps documents across runs because they are plain files under Dir.
	onDisk, err := os.ReadFile(filepath.Join(dir, "docs", "acct-1", "license.pdf"))
	if err != nil || !bytes.Equal(onDisk, body) {
		t.Fatalf("object on disk: %q, %v", onDisk, err)
	}

	// A second gateway in the same process is refused cleanly, and before the posix
	// backend could move the working directory away from the running one.
	wd, _ := os.Getwd()
	_, err = localgw.Start(ctx, localgw.Config{Dir: filepath.Join(t.TempDir(), "s3b")})
	if !errors.Is(err, localgw.ErrAlreadyRunning) {
		t.Fatalf("second Start = %v, want ErrAlreadyRunning", err)
	}
	if wd2, _ := os.Getwd(); wd2 != wd {
		t.Fatalf("second Start moved the working directory from %s to %s", wd, wd2)
	}
	if info, err := s.Head(ctx, "acct-1/license.pdf"); err != nil || info.ContentType != "application/pdf" {
		t.Fatalf("first gateway after refused second Start: %+v, %v", info, err)
	}
}

// One gateway at a time, but one after another works: Close releases the guard and the
// port, and the data (with its metadata) is still there for the next gateway.
func TestRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "s3")
	cfg := localgw.Config{Dir: dir, Buckets: []string{"docs"}}

	g, err := localgw.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := store(t, g, "docs").Put(ctx, "k", "image/png", bytes.NewReader([]byte("png!"))); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	// Same buckets again: creating an existing bucket is not an error.
	g2 := start(t, cfg)
	info, err := store(t, g2, "docs").Head(ctx, "k")
	if err != nil || info.Size != 4 || info.ContentType != "image/png" {
		t.Fatalf("after restart Head = %+v, %v", info, err)
	}
}

func TestSidecarMetadata(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "s3")
	g := start(t, localgw.Config{Dir: dir, Buckets: []string{"docs"}, Metadata: localgw.MetadataSidecar})
	if g.MetadataMode != localgw.MetadataSidecar {
		t.Fatalf("MetadataMode %q", g.MetadataMode)
	}
	// The default is next to Dir, and not "<Dir>-something", which VersityGW refuses.
	if want := filepath.Join(root, ".s3-meta"); g.SidecarDir != want {
		t.Fatalf("SidecarDir %q, want %q", g.SidecarDir, want)
	}
	s := store(t, g, "docs")
	if err := s.Put(ctx, "a/b.jpg", "image/jpeg", bytes.NewReader([]byte("jpeg"))); err != nil {
		t.Fatal(err)
	}
	info, err := s.Head(ctx, "a/b.jpg")
	if err != nil || info.ContentType != "image/jpeg" || info.Size != 4 {
		t.Fatalf("Head = %+v, %v", info, err)
	}
	if _, err := os.Stat(filepath.Join(g.SidecarDir, "docs", "a", "b.jpg")); err != nil {
		t.Fatalf("no sidecar metadata for the object: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "docs", "a", "b.jpg")); err != nil {
		t.Fatalf("object not on disk: %v", err)
	}
}

// A data root written with sidecar metadata stays in that mode under MetadataAuto, even
// on a filesystem with xattrs, or its metadata would be lost.
func TestAutoKeepsExistingSidecar(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "s3")
	if err := os.MkdirAll(filepath.Join(root, ".s3-meta", "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	g := start(t, localgw.Config{Dir: dir})
	if g.MetadataMode != localgw.MetadataSidecar {
		t.Fatalf("MetadataMode %q, want sidecar", g.MetadataMode)
	}
}

func TestAddrMustBeLoopback(t *testing.T) {
	wd, _ := os.Getwd()
	for _, addr := range []string{":0", "0.0.0.0:0", "localhost:0", "192.0.2.1:7070", "127.0.0.1", "127.0.0.1:x", "[::]:0"} {
		_, err := localgw.Start(context.Background(), localgw.Config{Dir: t.TempDir(), Addr: addr})
		if err == nil {
			t.Fatalf("Start on %q succeeded", addr)
		}
		if errors.Is(err, localgw.ErrAlreadyRunning) {
			t.Fatalf("Start on %q: %v (a refused start kept the guard)", addr, err)
		}
	}
	if wd2, _ := os.Getwd(); wd2 != wd {
		t.Fatalf("refused Start moved the working directory to %s", wd2)
	}
}

func TestFixedPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	addr := "127.0.0.1:" + strconv.Itoa(port)

	// Taken: a clear error, no panic, and the guard is released.
	_, err = localgw.Start(context.Background(), localgw.Config{Dir: t.TempDir(), Addr: addr})
	if err == nil || errors.Is(err, localgw.ErrAlreadyRunning) {
		t.Fatalf("Start on a busy port = %v", err)
	}
	t.Logf("busy port: %v", err)
	l.Close()

	g := start(t, localgw.Config{Dir: t.TempDir(), Addr: addr})
	if g.Endpoint != "http://"+addr {
		t.Fatalf("Endpoint %q, want http://%s", g.Endpoint, addr)
	}
}

func TestStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g, err := localgw.Start(ctx, localgw.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-g.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("gateway still running after its context was cancelled")
	}
	if err := g.Err(); err != nil {
		t.Fatalf("Err after a clean stop: %v", err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	// The guard is free again.
	start(t, localgw.Config{Dir: t.TempDir()})
}

func TestBadBucketName(t *testing.T) {
	_, err := localgw.Start(context.Background(), localgw.Config{Dir: t.TempDir(), Buckets: []string{"Not_Valid"}})
	if err == nil {
		t.Fatal("Start with an invalid bucket name succeeded")
	}
	// The failed Start closed its gateway: another one can start.
	start(t, localgw.Config{Dir: t.TempDir()})
}
