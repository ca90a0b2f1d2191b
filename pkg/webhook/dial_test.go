package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/realname-kyc/realname/pkg/webhook"
)

func listen(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l
}

func TestSafeDialerRefusesLoopbackUnlessAllowed(t *testing.T) {
	l := listen(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(l.Addr().String())
	// "localhost" is resolved by the dialer itself: the check sees the address dialled,
	// not the name, which is what defeats DNS rebinding after CheckURL.
	for _, addr := range []string{l.Addr().String(), net.JoinHostPort("localhost", port)} {
		strict := &webhook.SafeDialer{}
		if c, err := strict.DialContext(context.Background(), "tcp", addr); !errors.Is(err, webhook.ErrForbiddenDial) {
			if c != nil {
				c.Close()
			}
			t.Errorf("strict dial %s = %v, want ErrForbiddenDial", addr, err)
		}
		local := &webhook.SafeDialer{Options: webhook.Options{AllowLoopbackHTTP: true}}
		c, err := local.DialContext(context.Background(), "tcp", addr)
		if err != nil {
			t.Errorf("local dial %s: %v", addr, err)
			continue
		}
		c.Close()
	}
}

func TestSafeDialerRefusesOtherNetworks(t *testing.T) {
	d := &webhook.SafeDialer{Options: webhook.Options{AllowLoopbackHTTP: true}}
	for _, network := range []string{"udp", "unix", "ip4:icmp"} {
		if c, err := d.DialContext(context.Background(), network, "127.0.0.1:53"); !errors.Is(err, webhook.ErrForbiddenDial) {
			if c != nil {
				c.Close()
			}
			t.Errorf("dial %s = %v, want ErrForbiddenDial", network, err)
		}
	}
}

func TestNewClientGuardsEveryRequest(t *testing.T) {
	var redirected atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			redirected.Store(true)
		}
		if r.URL.Path == "/hook" {
			http.Redirect(w, r, "/moved", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	// Loopback is refused on AWS even though the URL is reached without CheckURL.
	resp, err := webhook.NewClient(webhook.Options{}).Post(srv.URL+"/ok", "application/json", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatal("strict client reached a loopback server")
	}
	if !errors.Is(err, webhook.ErrForbiddenDial) || webhook.Classify(0, err) != webhook.Retry {
		t.Errorf("strict client error = %v, want ErrForbiddenDial and a retry", err)
	}

	local := webhook.NewClient(webhook.Options{AllowLoopbackHTTP: true})
	resp, err = local.Post(srv.URL+"/ok", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if webhook.Classify(resp.StatusCode, nil) != webhook.Delivered {
		t.Errorf("status %d is not delivered", resp.StatusCode)
	}

	resp, err = local.Post(srv.URL+"/hook", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || redirected.Load() || webhook.Classify(resp.StatusCode, nil) != webhook.Retry {
		t.Errorf("redirect: status %d, followed %v; want 302 not followed, a retry", resp.StatusCode, redirected.Load())
	}
}
