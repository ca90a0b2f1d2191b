package seal

import (
	"os/exec"
	"strings"
	"testing"
)

// sealUsers are the packages under functions/ and cmd/ allowed to link pkg/seal and so
// carry its 1.5 MB font: the one function that draws seals (none is wired yet; add it
// here when it is) and the local runner, which is not shipped.
var sealUsers = map[string]bool{
	"github.com/realname-kyc/realname/functions/seal":     true,
	"github.com/realname-kyc/realname/cmd/realname-local": true,
	"github.com/realname-kyc/realname/cmd/bench":          true, // runs the local stack, like the runner; not shipped
}

// TestOnlySealLinksTheFont keeps the font out of every other binary: no package but
// pkg/seal embeds it, and no Lambda function but those in sealUsers depends on pkg/seal.
func TestOnlySealLinksTheFont(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	const self = "github.com/realname-kyc/realname/pkg/seal"
	embeds := goList(t, goBin, "{{.ImportPath}} {{join .EmbedFiles \" \"}}", "../../...")
	for _, line := range embeds {
		f := strings.Fields(line)
		for _, file := range f[1:] {
			if strings.HasSuffix(file, ".sfg") && f[0] != self {
				t.Errorf("%s embeds the seal font %s", f[0], file)
			}
		}
	}
	deps := goList(t, goBin, "{{.ImportPath}} {{join .Deps \" \"}}", "../../functions/...", "../../cmd/...")
	if len(deps) == 0 {
		t.Fatal("go list found no functions")
	}
	for _, line := range deps {
		f := strings.Fields(line)
		for _, d := range f[1:] {
			if d == self && !sealUsers[f[0]] {
				t.Errorf("%s links pkg/seal and its font", f[0])
			}
		}
	}
}

// goList runs go list for the Lambda build (linux/arm64, lambda.norpc), whose
// dependencies are the ones shipped.
func goList(t *testing.T, goBin, format string, pkgs ...string) []string {
	t.Helper()
	cmd := exec.Command(goBin, append([]string{"list", "-tags", "lambda.norpc", "-f", format}, pkgs...)...)
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list %v: %v\n%s", pkgs, err, stderr)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
