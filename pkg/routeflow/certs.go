package routeflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/kmssigner"
	"github.com/realname-kyc/realname/pkg/secretbox"
)

// addCA gives svc the local CA (a file key and a file sealer under dir), as the local
// runner has it. Its start-up (the CA certificate's read and first write) is no step.
func addCA(ctx context.Context, svc *app.Services, dir string) error {
	signer, err := kmssigner.OpenFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		return err
	}
	box, err := secretbox.Open(filepath.Join(dir, "cert-keys.key"))
	if err != nil {
		return err
	}
	store, _ := svc.Store.(certs.Store)
	auth, err := certs.NewAuthority(ctx, store, signer, box, "routeflow CA", svc.Clock.Now())
	if err != nil {
		return err
	}
	svc.CA = ca.Ready(auth)
	return nil
}

// certSteps are the certificate rows (issue 15): the app applies for its APPROVED
// account's certificate (and again: 409), reads it, fetches the CA certificate, revokes
// the certificate and fetches the CRL that lists it.
func certSteps(integ *Client, accountID string, jsonStep stepFunc, routeStep func(name, route string, f func() (int, error)) error) error {
	var applied struct {
		CertID string `json:"certId"`
	}
	err := routeStep("app applies for a certificate", "POST /v1/certs", func() (int, error) {
		e, err := integ.JSON(http.MethodPost, "/v1/certs", map[string]string{"accountId": accountID}, 201)
		if err == nil {
			err = json.Unmarshal(e.Data, &applied)
		}
		return 201, err
	})
	if err != nil {
		return err
	}
	if applied.CertID == "" {
		return fmt.Errorf("the apply named no certId")
	}
	if err := jsonStep(integ, "app applies again (409)", http.MethodPost, "/v1/certs", map[string]string{"accountId": accountID}, 409); err != nil {
		return err
	}
	if err := jsonStep(integ, "app reads the certificate", http.MethodGet, "/v1/certs/"+applied.CertID, nil, 200); err != nil {
		return err
	}
	raw := func(name, path, contentType string) error {
		return routeStep(name, "GET "+path, func() (int, error) {
			status, _, h, err := integ.Do(http.MethodGet, path, "", nil)
			if err == nil && (status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), contentType)) {
				err = fmt.Errorf("%s: %d %s", path, status, h.Get("Content-Type"))
			}
			return status, err
		})
	}
	if err := raw("anyone gets the CA certificate", "/v1/ca/cert", "application/x-pem-file"); err != nil {
		return err
	}
	if err := raw("anyone gets the first CRL (signed on first use)", "/v1/ca/crl", "application/pkix-crl"); err != nil {
		return err
	}
	if err := jsonStep(integ, "app revokes the certificate", http.MethodPost, "/v1/certs/"+applied.CertID+"/revoke", map[string]string{"reason": "superseded"}, 200); err != nil {
		return err
	}
	return raw("anyone gets the CRL", "/v1/ca/crl", "application/pkix-crl")
}
