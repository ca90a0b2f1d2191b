package hosted

import (
	"net/url"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// FuzzTicket: any string in a ticket's place of the path is either refused before any
// lookup or a canonical 256-bit ticket whose id is well formed; never a panic.
func FuzzTicket(f *testing.F) {
	t, _ := newTicket()
	for _, s := range []string{t, "", "short", strings.Repeat("A", 43), strings.Repeat("_", 43), t + "=", t[:42] + "B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ticket string) {
		id, hash, ok := idOf(ticket)
		if !ok {
			return
		}
		if len(ticket) != 43 || !validID(id) || len(hash) != 64 || !strings.HasPrefix(id, IDPrefix) {
			t.Fatalf("accepted %q as id %q hash %q", ticket, id, hash)
		}
	})
}

// FuzzReturnURL: an accepted returnUrl is an absolute http(s) URL without credentials,
// and the redirect made from it parses, keeps it as its prefix (before any fragment) and
// carries the two values.
func FuzzReturnURL(f *testing.F) {
	for _, s := range []string{"https://a.example/done", "http://127.0.0.1:8080/r?x=1#f", "javascript:alert(1)", "//a.example", "https://u:p@a.example/", "https://a.example/?", "https://[::1]/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := CheckReturnURL(raw)
		if err != nil {
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("accepted %q", raw)
		}
		red := Redirect(got, "hv1", kyc.HostedVerified)
		ru, perr := url.Parse(red)
		if perr != nil {
			t.Fatalf("redirect %q of %q does not parse: %v", red, raw, perr)
		}
		base, _, _ := strings.Cut(got, "#")
		if !strings.HasPrefix(red, base) || ru.Query().Get("status") != "VERIFIED" && !strings.Contains(ru.RawQuery, "status=VERIFIED") {
			t.Fatalf("redirect %q of %q", red, raw)
		}
	})
}
