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
	"slices"
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
	// AccountVersion is the account's version the certificate was issued on (not
	// stored): CreateCert writes only while the account is still at it, so a certificate
	// never carries a name that a modification replaced meanwhile.
	AccountVersion int64
}

// CRLState is the stored CRL: its DER (nil when none is signed yet), its number (0 then)
// and the revocations written since without a CA key, which the next CRL must list.
//
// A company's legal change revokes the account's certificate in the reapply function's
// own transaction, and that function holds no CA key (no kms:Sign): it adds the serial
// to Pending in that transaction instead of signing a CRL. Whoever signs the next CRL (GET
// /v1/ca/crl, or the next revoke) lists Pending and removes exactly the entries it listed
// in its own conditional write, so an entry added meanwhile stays pending.
type CRLState struct {
	DER     []byte
	Number  int64
	Pending []ca.Revoked
}

// PendingEntry is the stored form of a pending revocation: "<serial hex> <reason>
// <unix seconds>", one element of a string set.
func PendingEntry(serialHex string, reason ca.Reason, at time.Time) string {
	return fmt.Sprintf("%s %d %d", strings.ToLower(serialHex), int(reason), at.Unix())
}

// ParsePendingEntry reads PendingEntry's form.
func ParsePendingEntry(e string) (ca.Revoked, error) {
	var (
		hexSerial   string
		reason      int
		unixSeconds int64
	)
	if _, err := fmt.Sscanf(e, "%s %d %d", &hexSerial, &reason, &unixSeconds); err != nil {
		return ca.Revoked{}, fmt.Errorf("certs: pending revocation %q: %w", e, err)
	}
	serial, ok := new(big.Int).SetString(hexSerial, 16)
	if !ok || serial.Sign() <= 0 {
		return ca.Revoked{}, fmt.Errorf("certs: pending revocation %q: serial is not positive hex", e)
	}
	return ca.Revoked{Serial: serial, Reason: ca.Reason(reason), At: time.Unix(unixSeconds, 0).UTC()}, nil
}

// merge is the CRL's entries: those of the stored CRL, then each pending one it does not
// list yet (a serial is listed once).
func merge(listed, pending []ca.Revoked) []ca.Revoked {
	seen := make(map[string]bool, len(listed))
	for _, r := range listed {
		seen[ca.SerialHex(r.Serial)] = true
	}
	out := listed
	for _, r := range pending {
		if k := ca.SerialHex(r.Serial); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
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
	// GetCertAndCRL reads the certificate id and the stored CRL at once.
	GetCertAndCRL(ctx context.Context, id string) (Record, CRLState, error)
	// RevokeCert, in one transaction, marks the ISSUED certificate r REVOKED (at, reason),
	// deletes its account's guard and replaces the CRL by crl (number prev.Number+1, the
	// entries of prev.Pending no longer pending) on condition that the stored number is
	// still prev.Number (0: none). ECONFLICT when r is not ISSUED any more, ErrCRLMoved
	// when only the CRL moved; nothing written then.
	RevokeCert(ctx context.Context, r Record, at time.Time, reason ca.Reason, crl []byte, prev CRLState) error
	// LoadCRL returns the stored CRL with its pending revocations.
	LoadCRL(ctx context.Context) (CRLState, error)
	// SaveCRL replaces the stored CRL by der (number prev.Number+1) and removes
	// prev.Pending from the pending revocations, if the stored number is still
	// prev.Number (0: none stored); ErrCRLMoved otherwise.
	SaveCRL(ctx context.Context, der []byte, prev CRLState) error
	// CertificateSalt is the CA's identifier salt (ca.Config.IdentifierSalt), derived
	// from the store's key-hash secret.
	CertificateSalt() []byte
}

// Service wires the authority to the store.
type Service struct {
	Store Store
	// CA is nil in the functions that only read records (GET /v1/certs/{certId}).
	CA    *ca.Lazy
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
	auth, err := s.CA.Get(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("certs: the CA: %w", err)
	}
	now := s.now()
	iss, err := auth.Issue(ctx, ca.Request{Subject: ca.Subject{Kind: kind, Name: name, Identifier: acct.IDNumber}, CSR: csr}, now)
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
		Status: Issued, DER: iss.DER, SealedKey: iss.SealedKey, Source: source, CreatedAt: now, AccountVersion: acct.Version,
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
	auth, err := s.CA.Get(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("certs: the CA: %w", err)
	}
	for attempt := 0; ; attempt++ {
		r, prev, err := s.Store.GetCertAndCRL(ctx, id)
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
		if prev.DER != nil {
			if entries, err = auth.Entries(prev.DER); err != nil {
				return Record{}, fmt.Errorf("certs: stored CRL: %w", err)
			}
		}
		now := s.now()
		entries = merge(entries, append(slices.Clone(prev.Pending), ca.Revoked{Serial: serial, At: now, Reason: reason}))
		der, err := auth.CRL(ctx, prev.DER, entries, now)
		if err != nil {
			return Record{}, fmt.Errorf("certs: sign CRL: %w", err)
		}
		err = s.Store.RevokeCert(ctx, r, now, reason, der, prev)
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

// CRL returns the current CRL. It signs a new one when none is stored yet, when
// revocations are pending (a company's legal change revoked a certificate without a CA
// key: CRLState), or once the stored one is past half its validity, so the CRL served is
// never stale even when nothing is revoked for a week (nextUpdate is thisUpdate + 7
// days). Two store calls: the read, and the conditional write of a new CRL. Of two
// requests re-signing at once, one stores its CRL and the other serves that one.
func (s *Service) CRL(ctx context.Context) ([]byte, error) {
	st, err := s.Store.LoadCRL(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var entries []ca.Revoked
	if st.DER != nil {
		crl, err := x509.ParseRevocationList(st.DER)
		if err != nil {
			return nil, fmt.Errorf("certs: stored CRL: %w", err)
		}
		if len(st.Pending) == 0 && now.Before(crl.NextUpdate.Add(-crl.NextUpdate.Sub(crl.ThisUpdate)/2)) {
			return st.DER, nil
		}
	}
	// Only a CRL to sign needs the CA (made now if this instance has not yet).
	auth, err := s.CA.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("certs: the CA: %w", err)
	}
	if st.DER != nil {
		if entries, err = auth.Entries(st.DER); err != nil {
			return nil, fmt.Errorf("certs: stored CRL: %w", err)
		}
	}
	fresh, err := auth.CRL(ctx, st.DER, merge(entries, st.Pending), now)
	if err != nil {
		return nil, fmt.Errorf("certs: sign CRL: %w", err)
	}
	err = s.Store.SaveCRL(ctx, fresh, st)
	if errors.Is(err, ErrCRLMoved) {
		st, err = s.Store.LoadCRL(ctx)
		return st.DER, err
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
