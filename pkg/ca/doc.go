// Package ca is the platform's certificate authority (issue 15): it makes the CA
// certificate once, issues X.509 v3 end-entity certificates to APPROVED accounts, and
// signs certificate revocation lists. It holds no state and talks to no store: the
// caller keeps the CA certificate (RootStore), the issued certificates, the sealed
// private keys and the last CRL, and wires routes to it.
//
// # Keys
//
// The CA key is any crypto.Signer: on AWS an ECC_NIST_P256 key in KMS, locally a PEM file
// (pkg/kmssigner). A signer with a WithContext(ctx) crypto.Signer method (kmssigner.KMS)
// gets each request's context for its calls. Every certificate and CRL is checked against
// the CA certificate before it is returned, so a signer that signs wrongly (such as
// moto's KMS, which hashes a DIGEST again) fails the issue instead of handing out a
// certificate no one can verify.
//
// # The CA certificate
//
// Self-signed, CA:TRUE with pathlen 0 (it signs end-entity certificates only),
// keyCertSign + cRLSign, valid 10 years, subject from configuration. Bootstrap creates it
// the first time and stores it through RootStore's create-if-absent, so two cold starts at
// once agree on one certificate; later starts load it and check that it belongs to the
// signer's key. An end-entity certificate must end before the CA certificate does, so the
// CA must be renewed (a new certificate, same or new key) at the latest 1 year before its
// end; Issue refuses rather than shorten a certificate.
//
// # End-entity certificates
//
//   - serial: 16 random bytes read as a positive integer (RFC 5280 allows up to 20 octets);
//   - validity: 1 year from the issue time (seconds);
//   - subject: CN = the verified name (a person's name or a company's name; a company's
//     also as O), and serialNumber (2.5.4.5) = IdentifierHash, the lower-case hex
//     HMAC-SHA256 of the ID number or unified social credit code under a secret salt held
//     by the platform (Config.IdentifierSalt). The raw identifier is never in the
//     certificate. DOMAIN.md allows it in the GM/T 0015 extension (1.2.156.10260.4.1.*)
//     instead; the hash is the choice here because a certificate is public, a relying
//     party needs only to tell subjects apart and the platform can still answer "is this
//     the certificate of ID X" by recomputing the hash. A keyed hash, not a plain one:
//     Chinese ID numbers have so little entropy that a plain SHA-256 is reversed by
//     enumeration. The message is the subject kind, a NUL and the identifier (trimmed and
//     upper-cased: an ID number's check character X and a credit code's letters come in
//     either case), so a person and a company never share a hash. Rotating the salt changes the hashes of
//     certificates issued after it.
//   - key usage digitalSignature + contentCommitment (non-repudiation), extended key usage
//     id-kp-documentSigning (RFC 9336), CA:FALSE, subject and authority key identifiers
//     (RFC 7093 method 1: the leftmost 160 bits of SHA-256 of the subject public key),
//     optional CRL distribution point and CA issuer URLs.
//
// The subject's key pair is either generated here (ECDSA P-256) or taken from a CSR.
// A generated private key is sealed at once (PKCS #8 DER) by a Sealer with the label
// KeyLabel(serial), so a sealed key opens only for its own certificate, and only the
// sealed form leaves Issue: on AWS pkg/ca/kmsseal (a KMS data key per key, envelope
// encryption with AES-256-GCM), locally pkg/secretbox's AES-256-GCM key file. OpenKey is
// for the platform's own later use of the key (signing on the subject's behalf); no route
// may return it. With a CSR (CheckCSR: ECDSA P-256 or RSA of 2048 bits or more) only its
// public key is used, after its signature is checked (proof of possession); its subject and extensions are ignored, since the subject is
// what the platform verified, not what the caller asks for.
//
// # Revocation lists
//
// CRL signs the full list of revoked serials (with times and reasons) as an X.509 v2 CRL.
// Its CRL number is the previous CRL's number plus one (1 for the first), read from the
// previous CRL itself after checking its signature, so the number increases without a
// separate counter; Entries reads a stored CRL's list back, so the next list is the
// stored one plus the new revocation; the caller stores the new CRL only if the stored one is still the
// previous (a conditional write), and retries otherwise. nextUpdate is thisUpdate plus
// Config.CRLValidity (default 7 days): the CRL must be regenerated before then even when
// nothing is revoked.
package ca
