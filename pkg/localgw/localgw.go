// Package localgw runs an S3-compatible endpoint inside the current process: VersityGW
// (github.com/versity/versitygw/embedgw) with its posix backend, which keeps each bucket
// as a directory and each object as a file under Config.Dir.
//
// It is for local mode and tests only. Only cmd/ and tests import it, never a Lambda:
// it links the whole gateway (HTTP server, IAM, event sinks) into the binary.
//
// Process-wide constraints, all inherited from VersityGW:
//
//   - One gateway per process. embedgw keeps package-level state (bucket-name validation,
//     debug logging) and refuses a second concurrent RunVersityGW. Start returns
//     ErrAlreadyRunning while a gateway started here is running; share one gateway per
//     test binary (start it in TestMain). After Close, Start may be called again.
//   - The working directory changes. The posix backend resolves buckets as paths relative
//     to the working directory and calls os.Chdir(Dir) when it is created; the process
//     stays there for as long as the gateway runs (and after). Resolve every relative path
//     the program needs before calling Start, and never os.Chdir while it runs.
package localgw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
	"github.com/versity/versitygw/s3api"

	"github.com/realname-kyc/realname/pkg/s3docs"
)

// MetadataMode is where the posix backend keeps object metadata (content type, ETag,
// ACLs).
type MetadataMode string

const (
	// MetadataAuto picks MetadataSidecar if the sidecar directory already holds data (so a
	// data root written in that mode keeps its metadata), else MetadataXattr if the
	// filesystem of Dir supports user extended attributes, else MetadataSidecar.
	MetadataAuto MetadataMode = ""
	// MetadataXattr stores metadata in user.* extended attributes of each file (ext4,
	// xfs, btrfs; not some tmpfs, overlay or network filesystems).
	MetadataXattr MetadataMode = "xattr"
	// MetadataSidecar stores metadata as files in a separate directory (SidecarDir).
	MetadataSidecar MetadataMode = "sidecar"
)

// Defaults for Config fields left empty.
const (
	DefaultAddr      = "127.0.0.1:0"
	DefaultAccessKey = "local-access-key"
	DefaultSecretKey = "local-secret-key"
)

// ErrAlreadyRunning is returned by Start while another gateway runs in this process.
var ErrAlreadyRunning = errors.New("localgw: a gateway is already running in this process; VersityGW's embedgw allows one per process")

// running mirrors embedgw's own one-gateway guard. It has to be checked here, before the
// posix backend is created: posix.New changes the process's working directory, which
// would pull the running gateway's root out from under it long before embedgw got to
// refuse the second start.
var running atomic.Bool

// Config configures Start.
type Config struct {
	// Dir is the data root (e.g. ".local/s3"): one directory per bucket, one file per
	// object. Created if missing. Relative paths are resolved before the gateway changes
	// the working directory.
	Dir string
	// Addr is host:port to listen on. The host must be a loopback IP (the gateway is
	// never exposed beyond this machine); port 0 picks a free port. DefaultAddr if empty.
	Addr string
	// AccessKey and SecretKey are the root credentials clients sign with.
	// DefaultAccessKey and DefaultSecretKey if empty.
	AccessKey string
	SecretKey string
	// Region is the region the gateway expects in signatures. s3docs.DefaultRegion if
	// empty.
	Region string
	// Buckets are created if missing.
	Buckets []string
	// Metadata chooses where metadata is kept; MetadataAuto if empty.
	Metadata MetadataMode
	// SidecarDir holds metadata in MetadataSidecar mode. It cannot be inside Dir, and
	// VersityGW refuses any path that merely starts with Dir's path as a string (so not
	// "<Dir>-meta" either). Default: ".<base of Dir>-meta" next to Dir, e.g.
	// ".local/.s3-meta" for ".local/s3".
	SidecarDir string
	// StartTimeout bounds the wait for the listener and bucket creation. 10s if zero.
	StartTimeout time.Duration
}

// Gateway is a running embedded S3 endpoint.
type Gateway struct {
	// Endpoint is the base URL clients use, "http://127.0.0.1:<port>".
	Endpoint  string
	Region    string
	AccessKey string
	SecretKey string
	// Dir is the absolute data root; an object is the file Dir/<bucket>/<key>.
	Dir string
	// MetadataMode is the metadata storage chosen (never MetadataAuto), and SidecarDir
	// its directory in MetadataSidecar mode (absolute).
	MetadataMode MetadataMode
	SidecarDir   string

	cancel    context.CancelFunc
	done      chan struct{}
	err       error // set before done is closed
	closeOnce sync.Once
}

// Start runs a gateway serving cfg.Dir on cfg.Addr and returns once it accepts requests
// and cfg.Buckets exist. The gateway runs until Close is called or ctx is done.
func Start(ctx context.Context, cfg Config) (*Gateway, error) {
	host, port, err := checkAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		return nil, errors.New("localgw: Config.Dir is required")
	}
	// Absolute before posix.New changes the working directory.
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("localgw: resolve data dir %q: %w", cfg.Dir, err)
	}
	g := &Gateway{
		Region:    orDefault(cfg.Region, s3docs.DefaultRegion),
		AccessKey: orDefault(cfg.AccessKey, DefaultAccessKey),
		SecretKey: orDefault(cfg.SecretKey, DefaultSecretKey),
		Dir:       dir,
		done:      make(chan struct{}),
	}
	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}

	if !running.CompareAndSwap(false, true) {
		return nil, ErrAlreadyRunning
	}
	started := false
	defer func() {
		if !started {
			running.Store(false)
		}
	}()

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localgw: create data dir: %w", err)
	}
	sidecar := cfg.SidecarDir
	if sidecar == "" {
		sidecar = filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+"-meta")
	}
	if sidecar, err = filepath.Abs(sidecar); err != nil {
		return nil, fmt.Errorf("localgw: resolve sidecar dir: %w", err)
	}
	g.MetadataMode, err = chooseMetadata(cfg.Metadata, dir, sidecar)
	if err != nil {
		return nil, err
	}
	if g.MetadataMode == MetadataSidecar {
		g.SidecarDir = sidecar
	}

	// A port picked by closing a probe listener can be taken again before the gateway
	// binds it; retry with a fresh one in that (rare) case.
	const attempts = 3
	for i := 0; ; i++ {
		p := port
		if p == 0 {
			if p, err = freePort(host); err != nil {
				return nil, err
			}
		}
		err = g.run(ctx, net.JoinHostPort(host, strconv.Itoa(p)), timeout)
		if err == nil {
			break
		}
		if port != 0 || i == attempts-1 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	started = true

	if err := g.createBuckets(ctx, cfg.Buckets, timeout); err != nil {
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

// run creates the backend and starts RunVersityGW on addr, returning once it listens.
// On success the gateway goroutine owns the process-wide guard and releases it when the
// gateway has stopped.
func (g *Gateway) run(ctx context.Context, addr string, timeout time.Duration) error {
	be, err := g.newBackend()
	if err != nil {
		return err
	}
	ready := make(chan struct{})
	var readyOnce sync.Once
	gwCfg := &embedgw.Config{
		RootUserAccess: g.AccessKey,
		RootUserSecret: g.SecretKey,
		Region:         g.Region,
		Ports:          []string{addr},
		// VersityGW's command-line defaults; the gateway refuses zero values.
		MaxConnections:    250000,
		MaxRequests:       100000,
		MultipartMaxParts: 10000,
		Quiet:             true,
		// RunVersityGW blocks and has no "ready" signal of its own; this hook runs once
		// the listener is bound.
		S3Options: []s3api.Option{s3api.WithOnListen(func() { readyOnce.Do(func() { close(ready) }) })},
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	exited := make(chan error, 1)
	go func() { exited <- embedgw.RunVersityGW(runCtx, be, gwCfg) }()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ready:
	case err := <-exited:
		cancel()
		// RunVersityGW closes the backend only on its normal shutdown path, not when it
		// refuses the configuration; closing twice is harmless.
		be.Shutdown()
		return fmt.Errorf("localgw: start gateway on %s: %w", addr, err)
	case <-ctx.Done():
		cancel()
		<-exited
		return fmt.Errorf("localgw: start gateway on %s: %w", addr, ctx.Err())
	case <-timer.C:
		cancel()
		<-exited
		return fmt.Errorf("localgw: start gateway on %s: not listening after %v", addr, timeout)
	}

	g.Endpoint = "http://" + addr
	g.cancel = cancel
	// Stop with ctx, as documented on Start; Close does the same.
	stop := context.AfterFunc(ctx, cancel)
	go func() {
		g.err = <-exited
		stop()
		running.Store(false)
		close(g.done)
	}()
	return nil
}

func (g *Gateway) newBackend() (*posix.Posix, error) {
	var ms meta.MetadataStorer = meta.XattrMeta{}
	opts := posix.PosixOpts{
		// The gateway validates bucket names itself (strict S3 rules); this is the
		// backend's own guard against names that would escape Dir.
		ValidateBucketNames: true,
		// Zero would refuse every CopyObject; S3's own single-copy limit is 5 GiB.
		CopyObjectThreshold: 5 << 30,
	}
	if g.MetadataMode == MetadataSidecar {
		sc, err := meta.NewSideCar(g.SidecarDir)
		if err != nil {
			return nil, fmt.Errorf("localgw: sidecar metadata in %s: %w", g.SidecarDir, err)
		}
		ms = sc
		opts.SideCarDir = g.SidecarDir
	}
	be, err := posix.New(g.Dir, ms, opts)
	if err != nil {
		return nil, fmt.Errorf("localgw: posix backend on %s: %w", g.Dir, err)
	}
	return be, nil
}

// chooseMetadata resolves MetadataAuto and prepares the sidecar directory when needed.
func chooseMetadata(mode MetadataMode, dir, sidecar string) (MetadataMode, error) {
	switch mode {
	case MetadataXattr:
		if err := probeXattr(dir); err != nil {
			return "", fmt.Errorf("localgw: xattr metadata requested, but %w", err)
		}
		return MetadataXattr, nil
	case MetadataSidecar:
	case MetadataAuto:
		if entries, err := os.ReadDir(sidecar); err == nil && len(entries) > 0 {
			// Data written in sidecar mode earlier: switching to xattrs would lose its
			// metadata even though the filesystem supports them.
			break
		}
		if probeXattr(dir) == nil {
			return MetadataXattr, nil
		}
	default:
		return "", fmt.Errorf("localgw: unknown metadata mode %q", mode)
	}
	if err := os.MkdirAll(sidecar, 0o755); err != nil {
		return "", fmt.Errorf("localgw: create sidecar dir: %w", err)
	}
	return MetadataSidecar, nil
}

// probeXattr sets and removes a user xattr on dir. VersityGW's own check (XattrMeta.Test)
// only reads one, which some filesystems allow while refusing writes.
func probeXattr(dir string) error {
	x := meta.XattrMeta{}
	if err := x.Test(dir); err != nil {
		return err
	}
	if err := x.StoreAttribute(nil, dir, "", "realname.probe", []byte("1")); err != nil {
		return fmt.Errorf("user xattrs cannot be written on %s: %w", dir, err)
	}
	if err := x.DeleteAttribute(dir, "", "realname.probe"); err != nil {
		return fmt.Errorf("user xattrs cannot be removed on %s: %w", dir, err)
	}
	return nil
}

// createBuckets creates the missing buckets through the S3 API, so they get the same ACL
// and ownership metadata as buckets created by any client.
func (g *Gateway) createBuckets(ctx context.Context, buckets []string, timeout time.Duration) error {
	if len(buckets) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := s3docs.NewClient(ctx, g.ClientEndpoint())
	if err != nil {
		return fmt.Errorf("localgw: %w", err)
	}
	for _, b := range buckets {
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "BucketAlreadyOwnedByYou" {
			continue
		}
		if err != nil {
			return fmt.Errorf("localgw: create bucket %q: %w", b, err)
		}
	}
	return nil
}

// ClientEndpoint returns what s3docs.NewClient needs to talk to this gateway.
func (g *Gateway) ClientEndpoint() s3docs.Endpoint {
	return s3docs.Endpoint{URL: g.Endpoint, Region: g.Region, AccessKey: g.AccessKey, SecretKey: g.SecretKey}
}

// Close stops the gateway and waits until it has released its port and the process-wide
// guard, so Start can be called again. Calling it more than once is safe.
func (g *Gateway) Close() error {
	g.closeOnce.Do(g.cancel)
	<-g.done
	if g.err != nil && !errors.Is(g.err, context.Canceled) && !errors.Is(g.err, http.ErrServerClosed) {
		return fmt.Errorf("localgw: gateway stopped: %w", g.err)
	}
	return nil
}

// Done is closed when the gateway has stopped, by Close, by the Start context, or because
// its server failed (see Err).
func (g *Gateway) Done() <-chan struct{} { return g.done }

// Err returns why the gateway stopped once Done is closed (nil after a clean stop).
func (g *Gateway) Err() error {
	select {
	case <-g.done:
		return g.err
	default:
		return nil
	}
}

// checkAddr splits addr and requires a loopback IP host: the gateway has the root
// credentials of local mode baked in and must never be reachable from the network.
func checkAddr(addr string) (string, int, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("localgw: listen address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("localgw: listen address %q: host must be a loopback IP such as 127.0.0.1", addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("localgw: listen address %q: bad port", addr)
	}
	return host, port, nil
}

// freePort asks the kernel for a free port on host. VersityGW takes addresses, not
// listeners, and with ":0" there would be no way to learn which port it got.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("localgw: find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
