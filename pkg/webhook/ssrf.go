package webhook

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Options relax the SSRF guard for the local runner only.
type Options struct {
	// AllowLoopbackHTTP lets endpoints on loopback (127.0.0.0/8, ::1, "localhost") be
	// registered and dialled, over http or https, so `make run` can deliver to a receiver
	// on the developer's machine. Every other address stays refused, and http stays
	// refused for any host that is not loopback. Never set on AWS.
	AllowLoopbackHTTP bool
}

// Resolver looks host names up; *net.Resolver implements it, tests inject their own.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// maxURLLen keeps stored URLs and delivery messages small; 2048 is what browsers and
// most HTTP stacks handle everywhere.
const maxURLLen = 2048

// refused is the one message for every forbidden address: saying which range matched
// would let a caller map the private network through this endpoint.
const refused = "must not resolve to a loopback, private, link-local or reserved address"

// CheckURL refuses an endpoint URL the delivery worker must not call: anything but https
// (http only to loopback with AllowLoopbackHTTP), userinfo, a fragment, a host that is not
// a DNS name or a canonical IP literal (no 2130706433, 0x7f.1 or 0177.0.0.1: other HTTP
// stacks read them as 127.0.0.1), a port below 1024 other than the scheme's default, and
// any host that is, or resolves to, a forbidden address (ForbiddenAddr). Every resolved
// address must be allowed: one private record among public ones is refused. Errors name
// the field "url". It runs at registration and again before each delivery; SafeDialer
// then checks the address actually dialled.
func CheckURL(ctx context.Context, raw string, opts Options, resolver Resolver) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	if u.Scheme == "http" && !opts.AllowLoopbackHTTP {
		return urlError("must use https")
	}
	if err := checkPort(u); err != nil {
		return err
	}
	addrs, err := resolve(ctx, u.Hostname(), resolver)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		switch {
		case opts.AllowLoopbackHTTP && a.Unmap().IsLoopback():
			continue
		case ForbiddenAddr(a):
			return urlError(refused)
		case u.Scheme == "http":
			// Only the local runner gets here; cleartext still goes to loopback only.
			return urlError("must use https unless the host is loopback")
		}
	}
	return nil
}

func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, kyc.FieldError(kyc.EMISSING, "url", "is required")
	}
	if len(raw) > maxURLLen {
		return nil, urlError("must be at most " + strconv.Itoa(maxURLLen) + " characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, urlError("is not a valid URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, urlError("must use https")
	case u.Opaque != "" || u.Host == "":
		return nil, urlError("must have a host")
	case u.User != nil:
		return nil, urlError("must not carry a user name or password")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, urlError("must not have a fragment")
	}
	return u, checkHost(u.Hostname())
}

// checkHost admits DNS names and canonical IP literals only. A name whose last label is
// numeric is an IPv4 literal in some stack's eyes (inet_aton reads 127.1, 0x7f.1 and
// 2130706433 as 127.0.0.1), and no real top-level domain is numeric, so such a name must
// be a canonical dotted quad or it is refused.
func checkHost(host string) error {
	if host == "" {
		return urlError("must have a host")
	}
	if strings.HasPrefix(host, "[") || strings.Contains(host, "%") {
		return urlError("must not have an IPv6 zone")
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if strings.Contains(host, ":") {
		return urlError("has a malformed IPv6 address")
	}
	name := strings.TrimSuffix(host, ".")
	labels := strings.Split(name, ".")
	if len(name) > 253 || !allLabelsValid(labels) {
		return urlError("host must be a DNS name or an IP address")
	}
	if last := strings.ToLower(labels[len(labels)-1]); isNumericLabel(last) {
		return urlError("host must be a DNS name or a dotted IPv4 address")
	}
	return nil
}

func allLabelsValid(labels []string) bool {
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// isNumericLabel matches decimal, octal and 0x-hex numbers, the forms inet_aton accepts.
func isNumericLabel(l string) bool {
	if h, ok := strings.CutPrefix(l, "0x"); ok {
		return strings.Trim(h, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}

// checkPort allows the scheme's default port and unprivileged ports: ports below 1024
// are other protocols' (22, 25, 6379's cousins), which a webhook has no business calling.
func checkPort(u *url.URL) error {
	p := u.Port()
	if p == "" {
		return nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return urlError("has an invalid port")
	}
	if n == 443 || n == 80 && u.Scheme == "http" || n >= 1024 {
		return nil
	}
	return urlError("port must be 443 or 1024 and above")
}

func resolve(ctx context.Context, host string, resolver Resolver) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if resolver == nil {
		return nil, urlError("host does not resolve")
	}
	found, err := resolver.LookupIPAddr(ctx, host)
	if err != nil || len(found) == 0 {
		// The lookup error names the host and the resolver, neither of which the caller
		// needs; it is a client mistake at registration and a retry at delivery.
		return nil, urlError("host does not resolve")
	}
	addrs := make([]netip.Addr, 0, len(found))
	for _, f := range found {
		a, ok := netip.AddrFromSlice(f.IP)
		if !ok || f.Zone != "" {
			return nil, urlError(refused)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}

func urlError(reason string) error { return kyc.FieldError(kyc.EINVALID, "url", reason) }
