package emulators

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"time"
)

// StartMoto runs moto_server (moto 5, Python; on the machine's PATH) on a free loopback
// port and waits until it answers: the KMS stand-in for tests of KMS code. The caller
// stops it.
func StartMoto(ctx context.Context) (*Process, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto: moto_server is not on PATH (pip install 'moto[server]'): %w", err)
	}
	return withRetry(func() (*Process, error) {
		port, err := FreePort()
		if err != nil {
			return nil, fmt.Errorf("moto: %w", err)
		}
		endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		return start(ctx, "moto", endpoint, cmd, 60*time.Second, httpReady(endpoint+"/moto-api/"))
	})
}
