package emulators

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// DynoxideVersion is the dynoxide release tools/package.json pins.
const DynoxideVersion = "1.2.1"

// DynoxideBinary returns the path of the dynoxide binary `make tools` installs (npm
// package @dynoxide/linux-x64), or an error that says how to install it.
func DynoxideBinary() (string, error) {
	tools, err := ToolsDir()
	if err != nil {
		return "", fmt.Errorf("dynoxide: %w", err)
	}
	bin := filepath.Join(tools, "@dynoxide", "linux-x64", "dynoxide")
	if err := mustExist("dynoxide (npm package @dynoxide/linux-x64)", bin); err != nil {
		return "", err
	}
	return bin, nil
}

// StartDynoxide runs dynoxide, a DynamoDB-compatible engine on SQLite, on a free
// loopback port and waits until it answers. dbPath is its SQLite file (the folder is
// created); "" keeps the data in memory. The caller stops it with Process.Stop, which
// lets it shut down cleanly so the file is consistent at the next start.
func StartDynoxide(ctx context.Context, dbPath string) (*Process, error) {
	bin, err := DynoxideBinary()
	if err != nil {
		return nil, err
	}
	if dbPath != "" {
		if dbPath, err = filepath.Abs(dbPath); err != nil {
			return nil, fmt.Errorf("dynoxide: data file: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
			return nil, fmt.Errorf("dynoxide: data folder: %w", err)
		}
	}
	return withRetry(func() (*Process, error) { return startDynoxide(ctx, bin, dbPath) })
}

func startDynoxide(ctx context.Context, bin, dbPath string) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("dynoxide: %w", err)
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	args := []string{"serve", "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	if dbPath != "" {
		args = append(args, "--db-path", dbPath)
	}
	// Not CommandContext: ctx bounds the start-up only; the process lives until Stop.
	cmd := exec.Command(bin, args...)
	// It starts in a few milliseconds; the margin is for a loaded CI machine.
	p, err := start(ctx, "dynoxide", endpoint, cmd, 30*time.Second, httpReady(endpoint))
	if p != nil {
		p.graceful = true
	}
	return p, err
}
