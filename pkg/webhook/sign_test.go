package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

func newKey(t *testing.T) (string, []byte) {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, err := webhook.ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret(NewSecret()): %v", err)
	}
	return s, key
}

var body = []byte(`{"type":"account.approved","timestamp":"2026-12-05T10:00:00Z","data":{"account_id":"01jf2x3y4z5a6b7c8d9e0f1g2h","state":"APPROVED"}}`)

// The reference library verifies with time.Now, so these tests sign at the current time.
func TestOurSignatureVerifiesWithReferenceLibrary(t *testing.T) {
	secret, key := newKey(t)
	now := time.Now()
	h, err := webhook.Headers([][]byte{key}, "evt_01jf2x3y4z", now, body)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.Verify(body, h); err != nil {
		t.Fatalf("reference library refused our signature: %v", err)
	}
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = 'X'
	if err := ref.Verify(tampered, h); err == nil {
		t.Fatal("reference library accepted our signature over a changed body")
	}
}

// During a rotation both secrets sign; a receiver holding either one verifies.
func TestRotationSignaturesVerifyWithEitherSecret(t *testing.T) {
	oldSecret, oldKey := newKey(t)
	newSecret, newKeyBytes := newKey(t)
	h, err := webhook.Headers([][]byte{newKeyBytes, oldKey}, "evt_rot", time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(h.Get(webhook.HeaderSignature))); n != 2 {
		t.Fatalf("signature header has %d entries, want 2", n)
	}
	for name, s := range map[string]string{"old": oldSecret, "new": newSecret} {
		ref, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := ref.Verify(body, h); err != nil {
			t.Errorf("reference library with the %s secret: %v", name, err)
		}
	}
	_, other := newKey(t)
	if err := webhook.Verify([][]byte{other}, h, body, time.Now(), webhook.DefaultTolerance); !errors.Is(err, webhook.ErrNoSignature) {
		t.Errorf("a third secret verified a rotation pair: %v", err)
	}
}

func TestReferenceSignatureVerifiesWithOurs(t *testing.T) {
	secret, key := newKey(t)
	ref, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1_790_000_000, 0)
	sig, err := ref.Sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhook.Sign(key, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, body); got != sig {
		t.Errorf("Sign = %q, reference = %q", got, sig)
	}
	h := http.Header{}
	h.Set(standardwebhooks.HeaderWebhookID, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, sig)
	if err := webhook.Verify([][]byte{key}, h, body, ts.Add(time.Minute), webhook.DefaultTolerance); err != nil {
		t.Fatalf("Verify refused the reference library's signature: %v", err)
	}
	if err := webhook.Verify([][]byte{key}, h, body[1:], ts, webhook.DefaultTolerance); !errors.Is(err, webhook.ErrNoSignature) {
		t.Fatalf("Verify over a changed body = %v, want ErrNoSignature", err)
	}
}

// The spec's example (a whsec_ secret of 24 bytes); the expected signature is computed by
// the reference library, not copied, so the test pins agreement, not a constant.
func TestSpecExampleAgreesWithReference(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1674087231, 0)
	payload := []byte(`{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}`)
	want, err := ref.Sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhook.Sign(key, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, payload); got != want {
		t.Errorf("Sign = %q, reference = %q", got, want)
	}
}

func signed(t *testing.T, key []byte, ts time.Time) http.Header {
	t.Helper()
	h, err := webhook.Headers([][]byte{key}, "evt_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVerifyTimestampTolerance(t *testing.T) {
	_, key := newKey(t)
	ts := time.Unix(1_790_000_000, 0)
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"same second", ts, nil},
		{"5 min later", ts.Add(5 * time.Minute), nil},
		{"5 min earlier", ts.Add(-5 * time.Minute), nil},
		{"5 min 1 s later", ts.Add(5*time.Minute + time.Second), webhook.ErrTooOld},
		{"5 min 1 s earlier", ts.Add(-5*time.Minute - time.Second), webhook.ErrTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify([][]byte{key}, signed(t, key, ts), body, tt.now, webhook.DefaultTolerance)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyRefusesMalformedHeaders(t *testing.T) {
	_, key := newKey(t)
	ts := time.Unix(1_790_000_000, 0)
	good := signed(t, key, ts)
	sig := good.Get(webhook.HeaderSignature)
	_, raw, _ := strings.Cut(sig, ",")
	mac, _ := base64.StdEncoding.DecodeString(raw)
	tests := []struct {
		name   string
		header string
		value  string
		want   error
	}{
		{"no id", webhook.HeaderID, "", webhook.ErrMissingHeaders},
		{"no timestamp", webhook.HeaderTimestamp, "", webhook.ErrMissingHeaders},
		{"no signature", webhook.HeaderSignature, "", webhook.ErrMissingHeaders},
		{"timestamp in ms", webhook.HeaderTimestamp, strconv.FormatInt(ts.UnixMilli(), 10), webhook.ErrTooNew},
		{"timestamp not a number", webhook.HeaderTimestamp, "1790000000.5", webhook.ErrBadTimestamp},
		{"hostile timestamp", webhook.HeaderTimestamp, "-9223372036854775808", webhook.ErrTooOld},
		{"other id", webhook.HeaderID, "evt_2", webhook.ErrNoSignature},
		{"v1a version", webhook.HeaderSignature, "v1a," + raw, webhook.ErrNoSignature},
		{"no version", webhook.HeaderSignature, raw, webhook.ErrNoSignature},
		{"truncated mac", webhook.HeaderSignature, "v1," + base64.StdEncoding.EncodeToString(mac[:16]), webhook.ErrNoSignature},
		{"garbage then good", webhook.HeaderSignature, "v1,%%% v2,abc " + sig, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := good.Clone()
			h.Set(tt.header, tt.value)
			err := webhook.Verify([][]byte{key}, h, body, ts, webhook.DefaultTolerance)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if err := webhook.Verify(nil, good, body, ts, webhook.DefaultTolerance); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("Verify without secrets = %v, want ErrNoSecret", err)
	}
}

func TestHeadersRefusesBadInput(t *testing.T) {
	_, key := newKey(t)
	ts := time.Unix(1_790_000_000, 0)
	tests := []struct {
		name    string
		secrets [][]byte
		id      string
	}{
		{"empty id", [][]byte{key}, ""},
		{"dot in id", [][]byte{key}, "evt.1"},
		{"space in id", [][]byte{key}, "evt 1"},
		{"long id", [][]byte{key}, strings.Repeat("a", 129)},
		{"no secret", nil, "evt_1"},
		{"empty secret", [][]byte{key, {}}, "evt_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h, err := webhook.Headers(tt.secrets, tt.id, ts, body); err == nil {
				t.Errorf("Headers accepted it: %v", h)
			}
		})
	}
	if err := webhook.CheckMessageID("evt.1"); kyc.ErrorCode(err) != kyc.EINVALID {
		t.Errorf("CheckMessageID(dot) = %v, want an invalid field error", err)
	}
}

func TestSecrets(t *testing.T) {
	s, key := newKey(t)
	if !strings.HasPrefix(s, "whsec_") || len(key) != 32 {
		t.Fatalf("NewSecret = prefix %q, %d bytes; want whsec_ and 32", s[:6], len(key))
	}
	if s2, _ := newKey(t); s2 == s {
		t.Fatal("two NewSecret calls returned the same secret")
	}
	enc := func(n int) string { return "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, n)) }
	valid := []string{enc(24), enc(64)}
	for _, v := range valid {
		if _, err := webhook.ParseSecret(v); err != nil {
			t.Errorf("ParseSecret(%d-byte key) = %v", len(v), err)
		}
	}
	body := strings.TrimPrefix(s, "whsec_")
	invalid := map[string]string{
		"empty":           "",
		"no prefix":       body,
		"other prefix":    "whsk_" + body,
		"not base64":      "whsec_" + strings.Repeat("*", 44),
		"url base64":      "whsec_" + base64.URLEncoding.EncodeToString([]byte(strings.Repeat("\xfb", 32))),
		"missing padding": strings.TrimRight(s, "="),
		"23 bytes":        enc(23),
		"65 bytes":        enc(65),
	}
	for name, v := range invalid {
		t.Run(name, func(t *testing.T) {
			_, err := webhook.ParseSecret(v)
			var e *kyc.Error
			if !errors.As(err, &e) || e.Field != "secret" {
				t.Fatalf("ParseSecret = %v, want a field error naming secret", err)
			}
			if len(v) > 8 && strings.Contains(err.Error(), v[6:]) {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
}
