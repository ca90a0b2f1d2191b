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
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/realname-kyc/realname/pkg/ca"
	"github.com/realname-kyc/realname/pkg/kyc"
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
	// RevokeCert marks an ISSUED certificate REVOKED (at, reason) and deletes its
	// account's guard in one transaction; ECONFLICT if it is not ISSUED any more.
	RevokeCert(ctx context.Context, id string, at time.Time, reason ca.Reason) (Record, error)
	// LoadCRL returns the stored CRL (DER) and its number; nil, 0 when there is none.
	LoadCRL(ctx context.Context) ([]byte, int64, error)
	// SaveCRL replaces the stored CRL by der (number n) if the stored one's number is
	// still prev (0: none stored); ECONFLICT otherwise.
	SaveCRL(ctx context.Context, der []byte, n, prev int64) error
}

// Service wires the authority to the store.
type Service struct {
	Store Store
	CA    *ca.Authority
	Now   func() time.Time
	// NewID returns a new certificate id.
	NewID func() string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Apply issues a certificate to the APPROVED account acct (whose ownership the caller has
// checked) with a generated, sealed key. ECONFLICT when acct is not APPROVED or already
// has a live certificate (Data["certId"] then names it).
func (s *Service) Apply(ctx context.Context, acct kyc.Account) (Record, error) {
	if acct.State != kyc.StateApproved {
		return Record{}, kyc.Errorf(kyc.ECONFLICT, "The account is not approved.")
	}
	kind, name := ca.Person, acct.Name
	if acct.Type == kyc.CompanyAccount {
		// A company account's Name is its contact person; the certified name is the company's.
		kind, name = ca.Company, acct.Organization
	}
	now := s.now()
	iss, err := s.CA.Issue(ctx, ca.Request{Subject: ca.Subject{Kind: kind, Name: name, Identifier: acct.IDNumber}}, now)
	if errors.Is(err, ca.ErrBadRequest) {
		return Record{}, kyc.Errorf(kyc.EPRECONDITION, "The account's verified name or identifier cannot be certified.")
	}
	if err != nil {
		return Record{}, fmt.Errorf("certs: issue: %w", err)
	}
	cert, err := x509.ParseCertificate(iss.DER)
	if err != nil {
		return Record{}, fmt.Errorf("certs: parse issued: %w", err)
	}
	r := Record{
		ID: s.NewID(), AccountID: acct.ID, Serial: ca.SerialHex(iss.Serial), Kind: kind,
		Subject: cert.Subject.CommonName, NotBefore: iss.NotBefore.UTC(), NotAfter: iss.NotAfter.UTC(),
		Status: Issued, DER: iss.DER, SealedKey: iss.SealedKey, Source: "generated", CreatedAt: now,
	}
	if err := s.Store.CreateCert(ctx, r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// crlRetries bounds the re-reads of the CRL when another revocation stored one meanwhile.
const crlRetries = 5

// Revoke revokes the certificate id and stores a new CRL listing it. A certificate
// already REVOKED is ECONFLICT. When the CRL cannot be written after the status changed
// (lost races or a KMS failure) the error is returned and the next revocation's CRL still
// misses it (the record says REVOKED; a scheduled CRL rebuild from the records is not
// implemented yet).
func (s *Service) Revoke(ctx context.Context, id string, reason ca.Reason) (Record, error) {
	now := s.now()
	r, err := s.Store.RevokeCert(ctx, id, now, reason)
	if err != nil {
		return Record{}, err
	}
	serial, ok := new(big.Int).SetString(r.Serial, 16)
	if !ok {
		return Record{}, fmt.Errorf("certs: stored serial is not hex")
	}
	if err := s.addToCRL(ctx, ca.Revoked{Serial: serial, At: now, Reason: reason}, now); err != nil {
		return Record{}, err
	}
	return r, nil
}

func (s *Service) addToCRL(ctx context.Context, rev ca.Revoked, now time.Time) error {
	for attempt := 0; ; attempt++ {
		prev, n, err := s.Store.LoadCRL(ctx)
		if err != nil {
			return err
		}
		var entries []ca.Revoked
		if prev != nil {
			if entries, err = s.CA.Entries(prev); err != nil {
				return fmt.Errorf("certs: stored CRL: %w", err)
			}
		}
		der, err := s.CA.CRL(ctx, prev, append(entries, rev), now)
		if err != nil {
			return fmt.Errorf("certs: sign CRL: %w", err)
		}
		err = s.Store.SaveCRL(ctx, der, n+1, n)
		if kyc.IsCode(err, kyc.ECONFLICT) && attempt < crlRetries {
			continue
		}
		return err
	}
}

// CRL returns the stored CRL, signing an empty first one when none is stored yet so that
// a relying party can always fetch one.
func (s *Service) CRL(ctx context.Context) ([]byte, error) {
	der, _, err := s.Store.LoadCRL(ctx)
	if err != nil || der != nil {
		return der, err
	}
	now := s.now()
	der, err = s.CA.CRL(ctx, nil, nil, now)
	if err != nil {
		return nil, fmt.Errorf("certs: sign CRL: %w", err)
	}
	if err := s.Store.SaveCRL(ctx, der, 1, 0); kyc.IsCode(err, kyc.ECONFLICT) {
		// Another request stored the first CRL (or a revocation's) meanwhile: serve that.
		der, _, err = s.Store.LoadCRL(ctx)
		return der, err
	} else if err != nil {
		return nil, err
	}
	return der, nil
}
