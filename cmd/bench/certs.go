package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/secretbox"
)

// certsResult is the certificates part: certificates issued per second through the real
// certificate service (pkg/certs: the account's read, the CA's signing with the local file
// key, the generated key sealed with the local file sealer, the guarded transaction) on
// dynoxide, with a platform-generated key and with a CSR.
type certsResult struct {
	Workers int             `json:"workers"`
	Modes   []certsModeRate `json:"modes"`
}

type certsModeRate struct {
	Mode      string  `json:"mode"` // "generated" or "csr"
	Issued    int     `json:"issued"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"issued_per_second"`
}

// runCerts issues n certificates in each mode, to n APPROVED accounts each, with workers
// concurrent callers (Lambda instances of the apply function).
func runCerts(ctx context.Context, n, workers int) (certsResult, error) {
	dir, err := os.MkdirTemp("", "realname-bench-certs-")
	if err != nil {
		return certsResult{}, err
	}
	defer os.RemoveAll(dir)
	proc, err := emulators.StartDynoxide(ctx, "")
	if err != nil {
		return certsResult{}, err
	}
	defer proc.Stop()
	client, err := dynamo.NewLocalClient(ctx, proc.Endpoint)
	if err != nil {
		return certsResult{}, err
	}
	if err := dynamo.CreateTable(ctx, client, "bench-certs"); err != nil {
		return certsResult{}, err
	}
	store := dynamo.New(client, "bench-certs")
	signer, err := kmssigner.OpenFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		return certsResult{}, err
	}
	box, err := secretbox.Open(filepath.Join(dir, "cert-keys.key"))
	if err != nil {
		return certsResult{}, err
	}
	auth, err := certs.NewAuthority(ctx, store, signer, box, "bench CA", time.Now())
	if err != nil {
		return certsResult{}, err
	}
	svc := &certs.Service{Store: store, CA: ca.Ready(auth), Clock: kyc.SystemClock{}, IDs: kyc.RandomIDs{}}

	// One CSR for the csr mode: its check and the certificate for its key are the work.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return certsResult{}, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return certsResult{}, err
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})

	res := certsResult{Workers: workers}
	for _, mode := range []string{"generated", "csr"} {
		// The accounts, APPROVED (setup, not measured).
		progress("certs (%s): creating %d approved accounts", mode, n)
		type owner struct{ user, account string }
		owners := make([]owner, n)
		now := time.Now().UTC()
		for i := range owners {
			id := kyc.RandomIDs{}.NewID()
			u := kyc.User{ID: "u" + id, Phone: "p" + id, Role: kyc.RoleUser, AccountID: id, CreatedAt: now, UpdatedAt: now}
			a := kyc.Account{ID: id, OwnerID: u.ID, OwnerKind: kyc.OwnerUser, Type: kyc.PersonalAccount, State: kyc.StateApproved,
				Name: fmt.Sprintf("Bench Subject %d", i), IDNumber: "BENCH" + id, CreatedAt: now, UpdatedAt: now}
			if _, err := store.CreateUser(ctx, u, a); err != nil {
				return certsResult{}, err
			}
			owners[i] = owner{u.ID, id}
		}
		var body []byte
		if mode == "csr" {
			body = csr
		}
		progress("certs (%s): issuing %d certificates with %d workers", mode, n, workers)
		var next atomic.Int64
		var firstErr error
		var once sync.Once
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n || ctx.Err() != nil {
						return
					}
					o := owners[i]
					if _, err := svc.Apply(ctx, kyc.Principal{UserID: o.user, Role: kyc.RoleUser, AccountID: o.account}, o.account, body); err != nil {
						once.Do(func() { firstErr = err })
						return
					}
				}
			})
		}
		wg.Wait()
		secs := time.Since(start).Seconds()
		if firstErr != nil {
			return certsResult{}, fmt.Errorf("apply (%s): %w", mode, firstErr)
		}
		res.Modes = append(res.Modes, certsModeRate{Mode: mode, Issued: n, Seconds: secs, PerSecond: float64(n) / secs})
	}
	return res, nil
}

func (r certsResult) markdown(p func(string, ...any)) {
	p("## Certificates: issued per second")
	p("")
	p("`certs.Service.Apply` (the account's GetItem, the CA's ECDSA P-256 signature with the local file key, the certificate checked against the CA, the guarded TransactWriteItems of guard, record and outbox event) on dynoxide, %d concurrent callers, each certificate for another APPROVED account:", r.Workers)
	p("")
	p("| subject key | issued | seconds | issued/s |")
	p("| --- | ---: | ---: | ---: |")
	for _, m := range r.Modes {
		what := "generated by the platform (P-256 key generation + sealing with AES-256-GCM)"
		if m.Mode == "csr" {
			what = "from a CSR (signature check, no key generated or stored)"
		}
		p("| %s | %d | %.2f | **%.0f** |", what, m.Issued, m.Seconds, m.PerSecond)
	}
	p("")
	p("On AWS the signature is a KMS Sign call and the sealing a GenerateDataKey call (network round trips this measures nothing of). DynamoDB calls per apply over HTTP: see the calls part (`POST /v1/certs`).")
}
