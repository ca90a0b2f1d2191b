package localrun

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// The runner's two servers have no authentication of their own: the Invoke API runs any
// function, GrantRoleFunction and FreezeUserFunction included, as `sam local
// start-lambda` does, and the API answers whoever holds a token. What keeps them to the
// developer is that they listen on loopback, and a loopback socket alone does not: every
// web page the developer opens can make the browser send requests to 127.0.0.1 (a
// cross-site form post or no-cors fetch is sent without asking anyone, only its answer is
// hidden), and a page can rebind its own name to 127.0.0.1 (DNS rebinding), after which
// the browser treats the runner as the page's own origin and lets it read the answers.
//
// So both servers pass every request through a guard (GuardAPI, GuardInvoke) that
// refuses, before any handler runs:
//
//  1. Host. The Host header must name the loopback interface: "localhost" or a loopback
//     IP literal (127.0.0.0/8, [::1]), with any port or none. A rebinding page sends its
//     own name (Host: evil.example:3001), which is how it is told apart. Names under
//     .localhost (app.localhost) are refused too: browsers answer them with loopback
//     themselves, but not every resolver on the way does, and a name that can come from
//     DNS is what rebinding needs. With allowRemote (-allow-remote) any IP literal is
//     accepted as well, so that the runner can be reached by address from another
//     machine; names still cannot be rebound because they are still refused.
//  2. Origin. A request that carries an Origin header (browsers send it with every
//     cross-origin request and with every POST) must come from an http or https origin
//     whose host is "localhost" or a loopback IP literal (any port: a front end on
//     http://localhost:5173 may call the API), or is the very host the request was
//     sent to (which rule 1 allowed; this matters only with allowRemote). "null"
//     (sandboxed frames, file: pages, some redirects), an empty value and anything
//     unparseable are refused. Requests without Origin (curl, the AWS CLI, the SDKs,
//     tests) are not concerned.
//  3. Content-Type, on the Invoke API only. A request whose Content-Type is one a page
//     may send cross-origin without a CORS preflight (the Fetch standard's safelist:
//     application/x-www-form-urlencoded, multipart/form-data, text/plain, whatever the
//     parameters) is refused with 415 UnsupportedMediaTypeException. Every other type
//     (application/json, the application/octet-stream the AWS SDKs send for the Payload
//     blob, ...) and no Content-Type at all (what the AWS CLI sends: botocore sets none
//     for a blob payload) are accepted. A page can send another type only after a
//     preflight, which the runner never answers with CORS headers. A page can also send
//     a body with no Content-Type (a no-cors fetch of an ArrayBuffer) without preflight;
//     that request carries an Origin and falls to rule 2, so this rule is a second lock
//     for the one server whose every call is privileged, not the only one. It is not
//     "application/json only" because that would refuse the AWS CLI and the SDKs.
//
// InvokeAPI itself refuses a body that is not JSON (400 InvalidRequestContentException),
// as Lambda does.
//
// The API's refusals are API envelopes (403, error_code 1020, data {field, reason}); the
// Invoke API's are Lambda errors (403 AccessDeniedException, with X-Amzn-ErrorType).
// Each refusal is logged at warn level with the offending value.

// GuardAPI wraps the API server's handler in the loopback guard (rules 1 and 2).
func GuardAPI(next http.Handler, allowRemote bool, log *slog.Logger) http.Handler {
	return guard{next: next, allowRemote: allowRemote, log: log, server: "api", refuse: refuseAPI}
}

// GuardInvoke wraps the Invoke API's handler in the loopback guard (rules 1, 2 and 3).
func GuardInvoke(next http.Handler, allowRemote bool, log *slog.Logger) http.Handler {
	return guard{next: next, allowRemote: allowRemote, log: log, server: "invoke", refuse: refuseInvoke, checkType: true}
}

type guard struct {
	next        http.Handler
	allowRemote bool
	log         *slog.Logger
	server      string
	refuse      func(w http.ResponseWriter, field, reason, msg string)
	checkType   bool
}

func (g guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := hostOf(r.Host)
	if !g.hostAllowed(host) {
		g.deny(w, r, "Host", "not a loopback host", fmt.Sprintf("Host %q is not a loopback address: the local runner answers only requests sent to localhost, 127.0.0.1 or [::1]", r.Host))
		return
	}
	if origins, ok := r.Header["Origin"]; ok {
		for _, o := range origins {
			if !originAllowed(o, host) {
				g.deny(w, r, "Origin", "not a loopback origin", fmt.Sprintf("Origin %q is not a loopback origin: the local runner refuses requests from web pages not served from this machine", o))
				return
			}
		}
	}
	if g.checkType {
		for _, ct := range r.Header.Values("Content-Type") {
			if corsSafelistedType(ct) {
				g.log.WarnContext(r.Context(), "request refused", slog.String("server", g.server), slog.String("field", "Content-Type"), slog.String("value", ct))
				writeLambdaError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException",
					fmt.Sprintf("Content-Type %q is not accepted by the local Invoke API: send the payload as application/json (curl: -H 'Content-Type: application/json'), or with no Content-Type", ct))
				return
			}
		}
	}
	g.next.ServeHTTP(w, r)
}

// deny refuses r with a 403 that names the offending header.
func (g guard) deny(w http.ResponseWriter, r *http.Request, field, reason, msg string) {
	g.log.WarnContext(r.Context(), "request refused", slog.String("server", g.server), slog.String("field", field),
		slog.String("host", r.Host), slog.String("origin", r.Header.Get("Origin")))
	g.refuse(w, field, reason, msg)
}

func (g guard) hostAllowed(host string) bool {
	if isLoopbackName(host) {
		return true
	}
	if g.allowRemote {
		_, err := netip.ParseAddr(host)
		return err == nil
	}
	return false
}

// refuseAPI answers in the API's envelope with the status and code of a forbidden
// request (403, 1020), the data naming the header as the API names a refused field.
func refuseAPI(w http.ResponseWriter, field, reason, msg string) {
	status, code := httpapi.ErrorStatus(kyc.EFORBIDDEN)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(httpapi.Envelope{ErrorCode: code, Msg: msg,
		Data: map[string]string{"field": field, "reason": reason}})
}

// refuseInvoke answers as Lambda refuses a caller (403 AccessDeniedException).
func refuseInvoke(w http.ResponseWriter, _, _, msg string) {
	writeLambdaError(w, http.StatusForbidden, "AccessDeniedException", msg)
}

// hostOf is the host of a Host header or URL host, without port, brackets or zone.
func hostOf(hostport string) string {
	h := hostport
	if sh, _, err := net.SplitHostPort(hostport); err == nil {
		h = sh
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	return strings.ToLower(h)
}

// isLoopbackName reports whether host (no port) is "localhost" or a loopback IP literal.
func isLoopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// originAllowed applies rule 2 to one Origin value; requestHost is the request's Host
// (already allowed by rule 1), without port.
func originAllowed(origin, requestHost string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	h := hostOf(u.Host)
	return isLoopbackName(h) || h == requestHost
}

// corsSafelistedType reports whether a Content-Type value has one of the essences the
// Fetch standard lets a page send cross-origin without a preflight. It looks at the
// essence only (the part before ';'), more loosely than browsers parse it, so that it
// refuses at least everything they would send.
func corsSafelistedType(ct string) bool {
	essence, _, _ := strings.Cut(ct, ";")
	switch strings.ToLower(strings.Trim(essence, " \t\r\n")) {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// CheckListenAddr refuses a listen address that is not loopback ("127.0.0.1:3000",
// "[::1]:3000" and "localhost:3000" are; ":3000", "0.0.0.0:3000", a LAN address or any
// other name are not), unless allowRemote. The Invoke API runs any function without
// authentication, so listening beyond loopback hands role grants to the network.
func CheckListenAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if allowRemote || isLoopbackName(strings.ToLower(host)) {
		return nil
	}
	what := "is not a loopback address"
	if host == "" {
		what = "listens on every interface"
	}
	return fmt.Errorf("listen address %q %s: the runner has no authentication (its Invoke API grants roles to whoever calls it); use 127.0.0.1, or -allow-remote (Options.AllowRemote) to expose it anyway", addr, what)
}
