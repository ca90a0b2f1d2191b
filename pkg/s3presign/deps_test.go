package s3presign_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pkgDir is the package's directory, read before TestMain starts the gateway: VersityGW's
// posix backend changes the process's working directory, and go list must run inside the
// module.
var pkgDir, pkgDirErr = os.Getwd()

// TestLinksNoS3Client is the reason the package exists: a function that provides only
// s3presign must not link the S3 client (nor s3docs, which does). Checked for the Lambda
// build (linux/arm64, lambda.norpc), whose dependencies are the ones that count.
func TestLinksNoS3Client(t *testing.T) {
	t.Parallel()
	if pkgDirErr != nil {
		t.Fatal(pkgDirErr)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	const pkg = "github.com/realname-kyc/realname/pkg/s3presign"
	cmd := exec.Command(goBin, "list", "-tags", "lambda.norpc", "-deps", pkg)
	cmd.Dir = pkgDir
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != pkg {
		t.Fatalf("go list -deps did not list %s last: %q", pkg, deps)
	}
	for _, d := range deps {
		switch {
		case d == "github.com/aws/aws-sdk-go-v2/service/s3",
			strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2/service/"), // any service client, S3's internals included
			d == "github.com/realname-kyc/realname/pkg/s3docs":
			t.Errorf("s3presign depends on %s", d)
		}
	}
}
