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

// StartVersityGW runs the VersityGW binary (installed by `make tools-emulated` into
// .cache/bin) as a separate S3 endpoint over the posix folder dir, for
// `make run-emulated`. Tests use the embedded gateway instead (pkg/localgw).
func StartVersityGW(ctx context.Context, dir, accessKey, secretKey string) (*Process, error) {
	bin, err := versityBinary()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("VersityGW data folder: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.CommandContext(ctx, bin, "--port", addr, "--quiet", "posix", dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+accessKey, "ROOT_SECRET_KEY="+secretKey)
	return start(ctx, "VersityGW", "http://"+addr, cmd, 20*time.Second, httpReady("http://"+addr+"/"))
}

func versityBinary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".cache", "bin", "versitygw")
	if err := mustExist("VersityGW", p); err != nil {
		return "", fmt.Errorf("%w (make tools-emulated)", err)
	}
	return p, nil
}
