package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/webhook"
)

// FuzzCheckURL: no input panics, and no accepted URL has a literal host that is a
// forbidden address (or, without the local option, loopback), however it is spelled.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.example.com/kyc", "http://127.0.0.1:9000/h", "https://2130706433/",
		"https://[::ffff:127.0.0.1]/", "https://[fe80::1%25eth0]/", "https://127.0.0.1./",
		"https://0x7f.1/", "https://user@hooks.example.com/", "https://[64:ff9b::7f00:1]/",
		"https://93.184.215.14:8443/", "https://%31%32%37.0.0.1/",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, local bool) {
		opts := webhook.Options{AllowLoopbackHTTP: local}
		if err := webhook.CheckURL(context.Background(), raw, opts, dns); err != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which url.Parse refuses: %v", raw, err)
		}
		if u.Scheme != "https" && !(local && u.Scheme == "http") {
			t.Fatalf("accepted scheme %q in %q", u.Scheme, raw)
		}
		if u.User != nil {
			t.Fatalf("accepted userinfo in %q", raw)
		}
		host := u.Hostname()
		a, err := netip.ParseAddr(host)
		if err != nil {
			if _, known := dns[host]; !known {
				t.Fatalf("accepted %q whose host %q neither is an IP nor resolves", raw, host)
			}
			return
		}
		if local && a.Unmap().IsLoopback() {
			return
		}
		if webhook.ForbiddenAddr(a) {
			t.Fatalf("accepted %q with forbidden literal host %s", raw, a)
		}
		if u.Scheme == "http" {
			t.Fatalf("accepted http to a non-loopback host in %q", raw)
		}
	})
}

// FuzzVerify: no header or body panics Verify, and nothing but the signed body, id and
// timestamp verifies.
func FuzzVerify(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	ts := time.Unix(1_790_000_000, 0)
	f.Add("evt_1", "1790000000", webhook.Sign(key, "evt_1", ts, []byte("{}")), []byte("{}"))
	f.Add("evt_1", "-9223372036854775808", "v1,", []byte(""))
	f.Add("", "99999999999999999999", "v1a,abc v1,=== ", []byte("x"))
	f.Fuzz(func(t *testing.T, id, tsText, sig string, payload []byte) {
		h := http.Header{}
		h.Set(webhook.HeaderID, id)
		h.Set(webhook.HeaderTimestamp, tsText)
		h.Set(webhook.HeaderSignature, sig)
		err := webhook.Verify([][]byte{key}, h, payload, ts, webhook.DefaultTolerance)
		if err != nil {
			return
		}
		unix, perr := strconv.ParseInt(h.Get(webhook.HeaderTimestamp), 10, 64)
		if perr != nil {
			t.Fatalf("verified an unparsable timestamp %q", tsText)
		}
		if d := unix - ts.Unix(); d > 300 || d < -300 {
			t.Fatalf("verified a timestamp %d s away", d)
		}
		want := webhook.Sign(key, h.Get(webhook.HeaderID), time.Unix(unix, 0), payload)
		if !containsField(h.Get(webhook.HeaderSignature), want) {
			t.Fatalf("verified %q, which does not carry the signature %q", sig, want)
		}
	})
}

// containsField allows any base64 spelling that decodes to the same MAC; Sign's is the
// canonical one, so a verified header must hold an entry equal to it or decoding to it.
func containsField(header, want string) bool {
	for _, f := range strings.Fields(header) {
		if f == want || sameMAC(f, want) {
			return true
		}
	}
	return false
}

func sameMAC(a, b string) bool {
	_, ea, ok1 := strings.Cut(a, ",")
	_, eb, ok2 := strings.Cut(b, ",")
	if !ok1 || !ok2 || !strings.HasPrefix(a, "v1,") {
		return false
	}
	da, err1 := base64.StdEncoding.DecodeString(ea)
	db, err2 := base64.StdEncoding.DecodeString(eb)
	return err1 == nil && err2 == nil && bytes.Equal(da, db)
}
