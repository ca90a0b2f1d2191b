// Package certs issues and revokes the platform CA's end-entity certificates for APPROVED
// accounts (issue 15, API.md "Bank verification and certificates"). pkg/ca does the
// cryptography and holds no state; this package keeps the records through Store (pkg/dynamo
// implements it) and enforces the rules the CA leaves to its caller: the account is
// APPROVED, and an account has at most one live (ISSUED) certificate.
//
// One live certificate per account is a per-account guard item written in the same
// transaction as the certificate, on condition that it does not exist. Of two applies at
// once both issue (sign) a certificate, but only one is stored; the other gets ECONFLICT
// (409 / 1021) carrying the live certId in its data, so a retrying client learns which
// certificate it has without a second route. The unstored certificate was never handed out
// and is not listed in any CRL: nobody holds it. Revoking removes the guard in the same
// transaction, so the account may apply again.
//
// The generated private key is sealed by the CA's Sealer and only its sealed form is
// stored; nothing here returns it.
package certs

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// Status of a certificate record.
type Status string

const (
	Issued  Status = "ISSUED"
	Revoked Status = "REVOKED"
)

// Keep is how long a record stays after its certificate ends (its TTL is NotAfter + Keep).
const Keep = 5 * 365 * 24 * time.Hour

// Record is a stored certificate.
type Record struct {
	ID        string
	AccountID string
	// OwnerKind and OwnerID are the account's owner when the certificate was issued:
	// who may read and revoke it.
	OwnerKind kyc.OwnerKind
	OwnerID   string
	Serial    string // lower-case hex (ca.SerialHex)
	Kind      ca.Kind
	Subject   string // the certificate's CN
	NotBefore time.Time
	NotAfter  time.Time
	Status    Status
	RevokedAt time.Time
	Reason    ca.Reason
	DER       []byte
	// SealedKey is the generated private key as the Sealer sealed it: stored, never
	// returned by any route.
	SealedKey []byte
	Source    string // "generated" or "csr"
	CreatedAt time.Time
}

// ErrCRLMoved is what Store.RevokeCert returns when the stored CRL is no longer the one
// the new CRL was built on: another revocation won; read again and rebuild.
var ErrCRLMoved = errors.New("certs: the CRL was replaced meanwhile")

// Store keeps certificates, the per-account guard, the CA certificate and the CRL.
type Store interface {
	ca.RootStore
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	// CreateCert stores r and the guard of r.AccountID in one transaction, on condition
	// that the account has no live certificate: ECONFLICT with Data["certId"] = the live
	// one's id otherwise (nothing written).
	CreateCert(ctx context.Context, r Record) error
	// GetCert returns ENOTFOUND when there is no such certificate.
	GetCert(ctx context.Context, id string) (Record, error)
	// GetCertAndCRL reads the certificate id and the stored CRL (DER and number; nil, 0
	// when none) at once.
	GetCertAndCRL(ctx context.Context, id string) (Record, []byte, int64, error)
	// RevokeCert, in one transaction, marks the ISSUED certificate r REVOKED (at, reason),
	// deletes its account's guard and replaces the CRL by crl (number prev+1) on condition
	// that the stored one's number is still prev (0: none). ECONFLICT when r is not ISSUED
	// any more, ErrCRLMoved when only the CRL moved; nothing written then.
	RevokeCert(ctx context.Context, r Record, at time.Time, reason ca.Reason, crl []byte, prev int64) error
	// LoadCRL returns the stored CRL (DER) and its number; nil, 0 when there is none.
	LoadCRL(ctx context.Context) ([]byte, int64, error)
	// SaveCRL replaces the stored CRL by der (number prev+1) if the stored one's number
	// is still prev (0: none stored); ErrCRLMoved otherwise.
	SaveCRL(ctx context.Context, der []byte, prev int64) error
	// CertificateSalt is the CA's identifier salt (ca.Config.IdentifierSalt), derived
	// from the store's key-hash secret.
	CertificateSalt() []byte
}

// Service wires the authority to the store.
type Service struct {
	Store Store
	// CA is nil in the functions that only read records (GET /v1/certs/{certId}).
	CA    *ca.Authority
	Clock kyc.Clock
	IDs   kyc.IDs
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC() }

// owns: an integrator app owns the accounts it created, a user the accounts whose owner
// it is. A certificate record carries its account's owner, so reading or revoking one
// needs no read of the account.
func owns(p kyc.Principal, kind kyc.OwnerKind, id string) bool {
	if p.Role == kyc.RoleIntegrator {
		return p.AppKey != "" && kind == kyc.OwnerIntegrator && id == p.AppKey
	}
	return p.UserID != "" && kind == kyc.OwnerUser && id == p.UserID
}

// Apply issues a certificate to the account accountID, which p must own (ENOTFOUND
// otherwise, as for an account that does not exist: a caller learns nothing about others'
// accounts). Without a CSR the platform generates the key pair and stores the private key
// sealed; with one (PEM or DER PKCS #10) the certificate is for the CSR's public key, once
// its signature verifies and the key is ECDSA P-256 or RSA >= 2048 (EINVALID naming "csr"
// otherwise), and no private key exists here. The subject is the platform's either way: the
// CSR's subject and extensions are ignored. ECONFLICT when the account is not APPROVED or
// already has a live certificate (Data["certId"] then names it).
func (s *Service) Apply(ctx context.Context, p kyc.Principal, accountID string, csr []byte) (Record, error) {
	if accountID == "" {
		return Record{}, kyc.FieldError(kyc.EMISSING, "accountId", "required")
	}
	source := "generated"
	if len(csr) > 0 {
		// Checked before any read: a bad CSR is the caller's to fix whatever the account.
		if _, err := ca.CheckCSR(csr); err != nil {
			return Record{}, kyc.FieldError(kyc.EINVALID, "csr", strings.TrimPrefix(err.Error(), ca.ErrBadRequest.Error()+": "))
		}
		source = "csr"
	}
	acct, err := s.Store.GetAccount(ctx, accountID)
	if err != nil {
		return Record{}, err
	}
	if !owns(p, acct.OwnerKind, acct.OwnerID) {
		return Record{}, kyc.Errorf(kyc.ENOTFOUND, "Account not found.")
	}
	if acct.State != kyc.StateApproved {
		return Record{}, kyc.Errorf(kyc.ECONFLICT, "The account is not approved.")
	}
	kind, name := ca.Person, acct.Name
	if acct.Type == kyc.CompanyAccount {
		// A company account's Name is its contact person; the certified name is the company's.
		kind, name = ca.Company, acct.Organization
	}
	now := s.now()
	iss, err := s.CA.Issue(ctx, ca.Request{Subject: ca.Subject{Kind: kind, Name: name, Identifier: acct.IDNumber}, CSR: csr}, now)
	if errors.Is(err, ca.ErrBadRequest) {
		return Record{}, kyc.Errorf(kyc.ECONFLICT, "The account's verified name or identifier cannot be certified.")
	}
	if err != nil {
		return Record{}, fmt.Errorf("certs: issue: %w", err)
	}
	cert, err := x509.ParseCertificate(iss.DER)
	if err != nil {
		return Record{}, fmt.Errorf("certs: parse issued: %w", err)
	}
	r := Record{
		ID: s.IDs.NewID(), AccountID: acct.ID, OwnerKind: acct.OwnerKind, OwnerID: acct.OwnerID,
		Serial: ca.SerialHex(iss.Serial), Kind: kind,
		Subject: cert.Subject.CommonName, NotBefore: iss.NotBefore.UTC(), NotAfter: iss.NotAfter.UTC(),
		Status: Issued, DER: iss.DER, SealedKey: iss.SealedKey, Source: source, CreatedAt: now,
	}
	if err := s.Store.CreateCert(ctx, r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// Get returns the certificate id if p owns its account (ENOTFOUND otherwise).
func (s *Service) Get(ctx context.Context, p kyc.Principal, id string) (Record, error) {
	r, err := s.Store.GetCert(ctx, id)
	if err != nil {
		return Record{}, err
	}
	if !owns(p, r.OwnerKind, r.OwnerID) {
		return Record{}, kyc.Errorf(kyc.ENOTFOUND, "Certificate not found.")
	}
	return r, nil
}

// Reasons maps the reasons a caller may give (API.md's {reason}) to CRL reason codes.
var Reasons = map[string]ca.Reason{
	"unspecified": ca.Unspecified, "keyCompromise": ca.KeyCompromise, "affiliationChanged": ca.AffiliationChanged,
	"superseded": ca.Superseded, "cessationOfOperation": ca.CessationOfOperation,
}

// crlRetries bounds the rebuilds of the CRL when other revocations stored one meanwhile.
const crlRetries = 5

// Revoke revokes the certificate id (p owns its account, or is an admin; ENOTFOUND
// otherwise) and stores the CRL listing it in the same transaction, so a REVOKED
// record is always in the stored CRL. ECONFLICT when it is revoked already.
func (s *Service) Revoke(ctx context.Context, p kyc.Principal, id string, reason ca.Reason) (Record, error) {
	for attempt := 0; ; attempt++ {
		r, prev, n, err := s.Store.GetCertAndCRL(ctx, id)
		if err != nil {
			return Record{}, err
		}
		if p.Role != kyc.RoleAdmin && !owns(p, r.OwnerKind, r.OwnerID) {
			return Record{}, kyc.Errorf(kyc.ENOTFOUND, "Certificate not found.")
		}
		if r.Status != Issued {
			return Record{}, kyc.Errorf(kyc.ECONFLICT, "The certificate is revoked already.")
		}
		serial, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return Record{}, fmt.Errorf("certs: stored serial is not hex")
		}
		var entries []ca.Revoked
		if prev != nil {
			if entries, err = s.CA.Entries(prev); err != nil {
				return Record{}, fmt.Errorf("certs: stored CRL: %w", err)
			}
		}
		now := s.now()
		der, err := s.CA.CRL(ctx, prev, append(entries, ca.Revoked{Serial: serial, At: now, Reason: reason}), now)
		if err != nil {
			return Record{}, fmt.Errorf("certs: sign CRL: %w", err)
		}
		err = s.Store.RevokeCert(ctx, r, now, reason, der, n)
		if errors.Is(err, ErrCRLMoved) && attempt < crlRetries {
			continue
		}
		if err != nil {
			return Record{}, err
		}
		r.Status, r.RevokedAt, r.Reason = Revoked, now, reason
		return r, nil
	}
}

// CRL returns the current CRL. It signs the first, empty one when none is stored yet, and
// a new one with the same entries once the stored one is past half its validity, so the
// CRL served is never stale even when nothing is revoked for a week (nextUpdate is
// thisUpdate + 7 days). Of two requests re-signing at once, one stores its CRL and the
// other serves that one.
func (s *Service) CRL(ctx context.Context) ([]byte, error) {
	der, n, err := s.Store.LoadCRL(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var entries []ca.Revoked
	if der != nil {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("certs: stored CRL: %w", err)
		}
		if now.Before(crl.NextUpdate.Add(-crl.NextUpdate.Sub(crl.ThisUpdate) / 2)) {
			return der, nil
		}
		if entries, err = s.CA.Entries(der); err != nil {
			return nil, fmt.Errorf("certs: stored CRL: %w", err)
		}
	}
	fresh, err := s.CA.CRL(ctx, der, entries, now)
	if err != nil {
		return nil, fmt.Errorf("certs: sign CRL: %w", err)
	}
	err = s.Store.SaveCRL(ctx, fresh, n)
	if errors.Is(err, ErrCRLMoved) {
		der, _, err = s.Store.LoadCRL(ctx)
		return der, err
	}
	if err != nil {
		return nil, err
	}
	return fresh, nil
}

// DefaultCASubject is the CA certificate's CN when none is configured (CA_SUBJECT's default).
const DefaultCASubject = "Realname Platform CA"

// NewAuthority loads the CA certificate from store, creating it for signer's key the first
// time (ca.Bootstrap: of two cold starts at once, both end with the one stored), and
// returns the authority with the store's identifier salt. subject is the CA's CN.
func NewAuthority(ctx context.Context, store Store, signer crypto.Signer, sealer ca.Sealer, subject string, now time.Time) (*ca.Authority, error) {
	if store == nil {
		return nil, errors.New("certs: the store keeps no certificates")
	}
	if subject == "" {
		subject = DefaultCASubject
	}
	root, err := ca.Bootstrap(ctx, store, signer, pkix.Name{CommonName: subject}, now)
	if err != nil {
		return nil, fmt.Errorf("certs: CA certificate: %w", err)
	}
	return ca.New(root, signer, sealer, ca.Config{IdentifierSalt: store.CertificateSalt()})
}

// Event is the outbox record of a certificate event (webhook.CertificateIssued or
// webhook.CertificateRevoked) of r at at: ids and status only ({certificate_id,
// account_id, status}), for the owning app's endpoints (and admins'). The store writes it in the
// certificate's own transaction, so the event exists exactly when the change does; the
// sweeper queues it. Its id is derived from the certificate and the type, both of which
// happen once per certificate, so a retry sends the same webhook-id.
func Event(r Record, typ string, at time.Time) (webhook.OutboxEvent, error) {
	e := webhook.Event{Type: typ, Timestamp: at, Data: map[string]any{
		"certificate_id": r.ID, "account_id": r.AccountID, "status": string(r.Status)}}
	body, err := e.MarshalJSON()
	if err != nil {
		return webhook.OutboxEvent{}, err
	}
	ev := webhook.OutboxEvent{ID: "evt_" + strings.ReplaceAll(typ, ".", "_") + "_" + r.ID, Type: typ, AccountID: r.AccountID, At: at, Body: body}
	if r.OwnerKind == kyc.OwnerIntegrator {
		ev.App = r.OwnerID
	}
	return ev, nil
}
