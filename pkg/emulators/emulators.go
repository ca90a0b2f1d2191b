// Package emulators starts the local stand-ins for AWS services that tests and
// `make run-emulated` use: DynamoDB Local and fauxqs, installed by `make tools` into the
// git-ignored .cache/ folder. Only tests and cmd/ import it; no Lambda links it.
//
// A stand-in that cannot start is an error that says which and why: callers fail, they
// never skip.
package emulators

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// ToolsDir returns the folder that `make tools` installs the npm stand-ins into:
// $REALNAME_TOOLS_DIR if set, else .cache/npm/node_modules under the module root.
func ToolsDir() (string, error) {
	if d := os.Getenv("REALNAME_TOOLS_DIR"); d != "" {
		return d, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "npm", "node_modules"), nil
}

// ModuleRoot returns the folder holding go.mod: found by walking up from the working
// directory, or else from this source file's own location, because an embedded
// VersityGW in the same process changes the working directory to its data folder.
func ModuleRoot() (string, error) {
	if dir, err := os.Getwd(); err == nil {
		if root, ok := findGoMod(dir); ok {
			return root, nil
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if root, ok := findGoMod(filepath.Dir(file)); ok {
			return root, nil
		}
	}
	return "", errors.New("find module root: no go.mod above the working directory or this package's source")
}

func findGoMod(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a started stand-in.
type Process struct {
	Name     string
	Endpoint string // http://127.0.0.1:PORT

	cmd    *exec.Cmd
	out    *lockedBuffer
	done   chan struct{}
	waitMu sync.Mutex
	err    error
	// graceful: Stop asks with SIGTERM first, for a stand-in that keeps data on disk.
	graceful bool
}

// Stop ends the process and its children and waits for it. A stand-in that keeps its
// data in a file is asked to stop (SIGTERM) and given a few seconds before it is killed.
func (p *Process) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	if p.graceful {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
			return
		case <-time.After(5 * time.Second):
		}
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Output returns what the process printed so far (for error messages).
func (p *Process) Output() string { return p.out.String() }

// start runs cmd in its own process group and waits until ready reports true or timeout
// passes. install names the make target that installs the missing tool.
func start(ctx context.Context, name, endpoint string, cmd *exec.Cmd, timeout time.Duration, ready func(context.Context) bool) (*Process, error) {
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if cmd.Dir == "" {
		// An embedded VersityGW may have moved this process into a folder a test has
		// since deleted; a child started there cannot even read its working directory.
		if root, err := ModuleRoot(); err == nil {
			cmd.Dir = root
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Process{Name: name, Endpoint: endpoint, cmd: cmd, out: out, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s could not start (%s): %w; run `make tools`", name, cmd.Path, err)
	}
	go func() {
		err := cmd.Wait()
		p.waitMu.Lock()
		p.err = err
		p.waitMu.Unlock()
		close(p.done)
	}()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%w: %s before it was ready: %v; output:\n%s", errExited, name, p.err, out.String())
		case <-ctx.Done():
			p.Stop()
			return nil, fmt.Errorf("%s: %w", name, ctx.Err())
		default:
		}
		if ready(ctx) {
			// FreePort released its port before the child bound it: if another server
			// took it, the readiness probe answered for that one while ours exits.
			select {
			case <-p.done:
				return nil, fmt.Errorf("%w: %s, on a port another process took; output:\n%s", errExited, name, out.String())
			case <-time.After(200 * time.Millisecond):
			}
			return p, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("%s was not ready within %s; output:\n%s", name, timeout, out.String())
}

// errExited marks a start that failed because the process ended, which a retry on
// another port may cure.
var errExited = errors.New("exited")

// withRetry starts a stand-in up to three times, each on a fresh port, when it exits
// during start-up (a port race with another process).
func withRetry(startOnce func() (*Process, error)) (*Process, error) {
	var err error
	for range 3 {
		var p *Process
		if p, err = startOnce(); err == nil || !errors.Is(err, errExited) {
			return p, err
		}
	}
	return nil, err
}

// httpReady reports whether anything answers HTTP at url.
func httpReady(url string) func(context.Context) bool {
	client := &http.Client{Timeout: time.Second}
	return func(ctx context.Context) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}
}

// mustExist turns a missing tool file into an error that says how to install it.
func mustExist(name, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s is not installed (%s missing): run `make tools`", name, path)
	}
	return nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // keep memory bounded for long runs
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }
