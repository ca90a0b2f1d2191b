package httpapi

import (
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/certs"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// The certificate routes (issue 15, API.md "Bank verification and certificates"): apply
// for, read and revoke an account's certificate, and the public CA certificate and CRL.
// The generated private key is in the stored record, sealed; no answer here carries it.

// certStore is the store's certificate side; pkg/dynamo's store has it, and a store
// without it fails the routes' tests.
func certStore(env *app.Env) certs.Store {
	s, _ := env.Store.(certs.Store)
	return s
}

func withCerts(env *app.Env) *API {
	return &API{svc: &env.Services, certs: &certs.Service{Store: certStore(env), CA: env.CA, Clock: env.Clock, IDs: env.IDs}}
}

// ApplyCertificate serves POST /v1/certs.
func ApplyCertificate(env *app.Env) (http.Handler, error) {
	return withCerts(env).routeHandler("certs-apply", (*API).applyCert), nil
}

// GetCertificate serves GET /v1/certs/{certId}.
func GetCertificate(env *app.Env) (http.Handler, error) {
	return withCerts(env).routeHandler("certs-get", (*API).getCert), nil
}

// RevokeCertificate serves POST /v1/certs/{certId}/revoke.
func RevokeCertificate(env *app.Env) (http.Handler, error) {
	return withCerts(env).routeHandler("certs-revoke", (*API).revokeCert), nil
}

// GetCACertificate serves GET /v1/ca/cert.
func GetCACertificate(env *app.Env) (http.Handler, error) {
	return withCerts(env).routeHandler("ca-cert", (*API).caCert), nil
}

// GetCRL serves GET /v1/ca/crl.
func GetCRL(env *app.Env) (http.Handler, error) {
	return withCerts(env).routeHandler("ca-crl", (*API).caCRL), nil
}

type certApplied struct {
	AccountID string `json:"accountId"`
	CertID    string `json:"certId"`
}

func (a *API) applyCert(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	p, err := actingFor(r, f["accountId"], "accountId")
	if err != nil {
		return err
	}
	var csr []byte
	if v := strings.TrimSpace(f["csr"]); v != "" {
		csr = []byte(v)
	}
	c, err := a.certs.Apply(r.Context(), p, f["accountId"], csr)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "ok", certApplied{AccountID: c.AccountID, CertID: c.ID})
	return nil
}

// certView is API.md's certificate: the record without its key, owner or DER (the PEM
// carries the certificate itself).
type certView struct {
	CertID    string `json:"certId"`
	Serial    string `json:"serial"`
	Subject   string `json:"subject"`
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
	Status    string `json:"status"`
	PEM       string `json:"pem"`
}

func viewCert(c certs.Record) certView {
	return certView{CertID: c.ID, Serial: c.Serial, Subject: c.Subject,
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
		Status: string(c.Status), PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}))}
}

func (a *API) getCert(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	c, err := a.certs.Get(r.Context(), p, r.PathValue("certId"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", viewCert(c))
	return nil
}

func (a *API) revokeCert(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	reason := f["reason"]
	if reason == "" {
		return kyc.FieldError(kyc.EMISSING, "reason", "required")
	}
	code, ok := certs.Reasons[reason]
	if !ok {
		return kyc.FieldError(kyc.EINVALID, "reason", "one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation")
	}
	p, _ := PrincipalFrom(r.Context())
	c, err := a.certs.Revoke(r.Context(), p, r.PathValue("certId"), code)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", viewCert(c))
	return nil
}

// The CA certificate and the CRL answer in their own media types (API.md), not in the
// envelope, so openssl and browsers take them as they are; they are public and change
// rarely, hence a short public cache.
func writeRaw(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// caCert reads the CA certificate from the store rather than holding the CA: the route
// needs no KMS key at all. The functions that hold the CA create it on their first start;
// of them GET /v1/ca/crl is public, so the 404 before that says to call it. Creating it
// here would give this public, unauthenticated function kms:Sign on the CA key, for a
// one-time event: not worth the grant.
func (a *API) caCert(w http.ResponseWriter, r *http.Request) error {
	der, err := a.certs.Store.LoadRoot(r.Context())
	if errors.Is(err, ca.ErrNoRoot) {
		return kyc.Errorf(kyc.ENOTFOUND, "The CA certificate is not created yet: GET /v1/ca/crl once creates it.")
	}
	if err != nil {
		return err
	}
	writeRaw(w, "application/x-pem-file", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return nil
}

func (a *API) caCRL(w http.ResponseWriter, r *http.Request) error {
	der, err := a.certs.CRL(r.Context())
	if err != nil {
		return err
	}
	writeRaw(w, "application/pkix-crl", der)
	return nil
}
