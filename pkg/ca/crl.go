package ca

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// Reason is a CRL reason code (RFC 5280, 5.3.1).
type Reason int

// The reasons the platform revokes for.
const (
	Unspecified          Reason = 0
	KeyCompromise        Reason = 1
	AffiliationChanged   Reason = 3 // a company's legal change (name or legal person)
	Superseded           Reason = 4 // a new certificate replaces it
	CessationOfOperation Reason = 5 // the account was deleted
)

// Revoked is a revoked certificate as a CRL lists it.
type Revoked struct {
	Serial *big.Int
	At     time.Time
	Reason Reason
}

// Entries returns what a CRL of this CA lists, after checking its signature: with the
// newly revoked certificate appended, the list for the next CRL, so the revoke flow needs
// only the stored CRL, not a query of every revoked certificate.
func (a *Authority) Entries(crlDER []byte) ([]Revoked, error) {
	crl, err := x509.ParseRevocationList(crlDER)
	if err != nil {
		return nil, fmt.Errorf("ca: parse CRL: %w", err)
	}
	if err := crl.CheckSignatureFrom(a.cert); err != nil {
		return nil, fmt.Errorf("ca: CRL is not this CA's: %w", err)
	}
	out := make([]Revoked, 0, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		out = append(out, Revoked{Serial: e.SerialNumber, At: e.RevocationTime, Reason: Reason(e.ReasonCode)})
	}
	return out, nil
}

// CRL returns a new CRL (DER) listing revoked, current from now for Config.CRLValidity.
// prev is the CRL it replaces (DER), or nil for the first: its signature is checked
// against the CA certificate and the new CRL's number is its number plus one, so a CRL
// number only increases.
func (a *Authority) CRL(ctx context.Context, prev []byte, revoked []Revoked, now time.Time) ([]byte, error) {
	number := big.NewInt(1)
	if prev != nil {
		old, err := x509.ParseRevocationList(prev)
		if err != nil {
			return nil, fmt.Errorf("ca: parse previous CRL: %w", err)
		}
		// A CRL that this CA did not sign must not set the numbering.
		if err := old.CheckSignatureFrom(a.cert); err != nil {
			return nil, fmt.Errorf("ca: previous CRL is not this CA's: %w", err)
		}
		if old.Number == nil {
			return nil, fmt.Errorf("ca: previous CRL has no CRL number")
		}
		number.Add(old.Number, big.NewInt(1))
	}
	entries := make([]x509.RevocationListEntry, 0, len(revoked))
	for _, r := range revoked {
		if r.Serial == nil || r.Serial.Sign() <= 0 {
			return nil, fmt.Errorf("ca: revoked entry without a positive serial")
		}
		if r.Reason < 0 || r.Reason > 10 || r.Reason == 7 {
			return nil, fmt.Errorf("ca: revocation reason %d of %s is not an RFC 5280 reason", r.Reason, SerialHex(r.Serial))
		}
		entries = append(entries, x509.RevocationListEntry{
			SerialNumber:   r.Serial,
			RevocationTime: r.At.UTC(),
			ReasonCode:     int(r.Reason),
		})
	}
	thisUpdate := now.UTC().Truncate(time.Second)
	tmpl := &x509.RevocationList{
		RevokedCertificateEntries: entries,
		Number:                    number,
		ThisUpdate:                thisUpdate,
		NextUpdate:                thisUpdate.Add(a.cfg.CRLValidity),
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, a.cert, a.signerFor(ctx))
	if err != nil {
		return nil, fmt.Errorf("ca: sign CRL %s: %w", number, err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parse CRL %s: %w", number, err)
	}
	if err := crl.CheckSignatureFrom(a.cert); err != nil {
		return nil, fmt.Errorf("ca: CRL %s does not verify under the CA certificate: %w", number, err)
	}
	return der, nil
}
