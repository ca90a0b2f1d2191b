package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenDial is returned when SafeDialer refuses the address it was about to
// connect to.
var ErrForbiddenDial = errors.New("webhook: refused to dial a forbidden address")

// DeliveryTimeout is how long one attempt may take, connection to last byte (the spec
// recommends 15 to 30 s; API.md says 15 s).
const DeliveryTimeout = 15 * time.Second

// SafeDialer dials TCP only to addresses the SSRF guard allows. It checks the address in
// net.Dialer's Control hook, which runs after DNS resolution for each address actually
// connected to, so a name that resolved to a public address when CheckURL ran and to
// 169.254.169.254 a moment later (DNS rebinding) is still refused.
type SafeDialer struct {
	Options Options
	// Dialer is the base dialer; nil means a net.Dialer with a 5 s connect timeout. Its
	// Control hook is replaced.
	Dialer *net.Dialer
}

// DialContext has http.Transport's DialContext signature.
func (d *SafeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("webhook dial %s: %w", network, ErrForbiddenDial)
	}
	base := net.Dialer{Timeout: 5 * time.Second}
	if d.Dialer != nil {
		base = *d.Dialer
	}
	base.Control = d.control
	base.ControlContext = nil
	conn, err := base.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("webhook dial: %w", err)
	}
	return conn, nil
}

// control sees the numeric address about to be connected to.
func (d *SafeDialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("parse dialled address: %w", ErrForbiddenDial)
	}
	a := ap.Addr()
	if d.Options.AllowLoopbackHTTP && a.Unmap().IsLoopback() {
		return nil
	}
	if ForbiddenAddr(a) {
		// The address is not in the error: it would reach the delivery log, which the
		// endpoint's owner reads.
		return ErrForbiddenDial
	}
	return nil
}

// NewClient returns the delivery worker's HTTP client: SafeDialer for every connection,
// no proxy from the environment (it would be dialled instead of the endpoint, bypassing
// the guard), no redirects (a 3xx is a failed attempt: following it would reach a URL
// nobody checked), and DeliveryTimeout per attempt.
func NewClient(opts Options) *http.Client {
	d := &SafeDialer{Options: opts}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: DeliveryTimeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{
		Transport: t,
		Timeout:   DeliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
