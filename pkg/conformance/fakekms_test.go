package conformance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

// The certificate functions start by reading the CA key's public key from KMS (and sign
// with it). moto's KMS hashes a DIGEST again (pkg/kmssigner), so its signatures fail the
// CA's checks; the function binaries get this stand-in instead: GetPublicKey, Sign over
// the digest as given, and GenerateDataKey, with one P-256 key for the whole test binary,
// because the CA certificate stored in the shared table is made for it.

var (
	fakeKMSOnce sync.Once
	fakeKMSKey  *ecdsa.PrivateKey
	fakeKMSURL  string
)

func sharedFakeKMS(t *testing.T) string {
	t.Helper()
	fakeKMSOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		fakeKMSKey = k
		srv := httptest.NewServer(http.HandlerFunc(serveFakeKMS))
		atExit(srv.Close)
		fakeKMSURL = srv.URL
	})
	return fakeKMSURL
}

func serveFakeKMS(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyID         string `json:"KeyId"`
		Message       []byte
		MessageType   string
		NumberOfBytes int
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var out any
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService."); op {
	case "GetPublicKey":
		spki, err := x509.MarshalPKIXPublicKey(&fakeKMSKey.PublicKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out = map[string]any{"KeyId": in.KeyID, "PublicKey": spki, "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": []string{"ECDSA_SHA_256"}}
	case "Sign":
		if in.MessageType != "DIGEST" || len(in.Message) != 32 {
			http.Error(w, `{"__type":"ValidationException","message":"want a SHA-256 DIGEST"}`, http.StatusBadRequest)
			return
		}
		sig, err := ecdsa.SignASN1(rand.Reader, fakeKMSKey, in.Message)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out = map[string]any{"KeyId": in.KeyID, "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"}
	case "GenerateDataKey":
		plain := make([]byte, 32)
		_, _ = rand.Read(plain)
		// The "ciphertext" is the key itself: a stand-in that never holds a real key.
		out = map[string]any{"KeyId": in.KeyID, "Plaintext": plain, "CiphertextBlob": append([]byte("fake-kms:"), plain...)}
	default:
		http.Error(w, `{"__type":"UnsupportedOperationException"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// withFakeKMS points a function that holds the CA at the stand-in.
func withFakeKMS(t *testing.T, f lambdafn.Function, env map[string]string) {
	t.Helper()
	for _, a := range f.Adapters {
		if a == app.AdapterCA {
			env["KMS_ENDPOINT"] = sharedFakeKMS(t)
			env["CA_KMS_KEY_ID"] = "alias/realname-ca"
			env["CERT_KEYS_KMS_KEY_ID"] = "alias/realname-cert-keys"
			return
		}
	}
}
