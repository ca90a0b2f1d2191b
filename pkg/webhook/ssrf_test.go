package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// fakeDNS answers from a table; names not in it do not resolve. A test double for the
// network, not for the code under test.
type fakeDNS map[string][]string

func (f fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, len(ips))
	for i, s := range ips {
		a := netip.MustParseAddr(s)
		out[i] = net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()}
	}
	return out, nil
}

var dns = fakeDNS{
	"hooks.example.com":   {"93.184.215.14"},
	"hooks.example.com.":  {"93.184.215.14"},
	"v6.example.com":      {"2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
	"both.example.com":    {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
	"localhost":           {"127.0.0.1", "::1"},
	"localhost.":          {"127.0.0.1"},
	"metadata.example":    {"169.254.169.254"},
	"mixed.example.com":   {"93.184.215.14", "10.0.0.5"},
	"private.example.com": {"192.168.1.10"},
	"ula.example.com":     {"fd00:ec2::254"},
	"mapped.example.com":  {"::ffff:127.0.0.1"},
	"cgnat.example.com":   {"100.64.0.1"},
	"zero.example.com":    {"0.0.0.0"},
	"linklocal6.example":  {"fe80::1"},
	"nat64.example.com":   {"64:ff9b::a9fe:a9fe"},
	"empty.example.com":   {},
	"zoned.example.com":   {"2606:2800:21f:cb07:6820:80da:af6b:8b2c%eth0"},
}

func TestCheckURL(t *testing.T) {
	local := webhook.Options{AllowLoopbackHTTP: true}
	aws := webhook.Options{}
	tests := []struct {
		url  string
		opts webhook.Options
		ok   bool
	}{
		{"https://hooks.example.com/kyc", aws, true},
		{"https://hooks.example.com./kyc", aws, true},
		{"https://hooks.example.com:8443/kyc?x=1", aws, true},
		{"https://hooks.example.com:443/kyc", aws, true},
		{"https://v6.example.com/", aws, true},
		{"https://both.example.com/", aws, true},
		{"https://93.184.215.14/hook", aws, true},
		{"https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook", aws, true},
		{"https://[64:ff9b::5db8:d70e]/hook", aws, true}, // NAT64 of a public address

		// scheme, userinfo, fragment, ports
		{"http://hooks.example.com/kyc", aws, false},
		{"http://hooks.example.com/kyc", local, false},
		{"ftp://hooks.example.com/", aws, false},
		{"//hooks.example.com/", aws, false},
		{"hooks.example.com/kyc", aws, false},
		{"https:hooks.example.com", aws, false},
		{"https://user:pw@hooks.example.com/", aws, false},
		{"https://user@hooks.example.com/", aws, false},
		{"https://hooks.example.com/#frag", aws, false},
		{"https://hooks.example.com:22/", aws, false},
		{"https://hooks.example.com:25/", aws, false},
		{"https://hooks.example.com:0/", aws, false},
		{"https://hooks.example.com:65536/", aws, false},
		{"https://hooks.example.com:80/", aws, false},
		{"https://", aws, false},
		{"", aws, false},
		{"https://" + strings.Repeat("a", 2050) + ".com/", aws, false},

		// names
		{"https://nowhere.example.com/", aws, false},
		{"https://empty.example.com/", aws, false},
		{"https://zoned.example.com/", aws, false},
		{"https://metadata.example/", aws, false},
		{"https://mixed.example.com/", aws, false},
		{"https://private.example.com/", aws, false},
		{"https://ula.example.com/", aws, false},
		{"https://mapped.example.com/", aws, false},
		{"https://mapped.example.com/", local, true}, // mapped loopback is loopback
		{"https://cgnat.example.com/", aws, false},
		{"https://zero.example.com/", aws, false},
		{"https://linklocal6.example/", aws, false},
		{"https://nat64.example.com/", aws, false},
		{"https://under_score.example.com/", aws, false},
		{"https://-bad.example.com/", aws, false},
		{"https://a..b.example.com/", aws, false},
		{"https://exämple.com/", aws, false},

		// loopback and the local runner
		{"https://localhost/", aws, false},
		{"http://localhost:8080/hook", aws, false},
		{"http://localhost:8080/hook", local, true},
		{"http://localhost.:8080/hook", local, true},
		{"http://127.0.0.1:9000/hook", local, true},
		{"http://127.0.0.1/hook", local, true},
		{"http://127.0.0.1:22/hook", local, false},
		{"http://[::1]:9000/hook", local, true},
		{"https://127.0.0.1/hook", local, true},
		{"http://127.0.0.1:9000/hook", aws, false},
		{"http://10.0.0.1:9000/hook", local, false},
		{"http://private.example.com/", local, false},
		{"http://metadata.example/", local, false},

		// IPv4 literals in every spelling some HTTP stack reads
		{"https://127.0.0.1/", aws, false},
		{"https://127.1/", aws, false},
		{"https://2130706433/", aws, false},
		{"http://2130706433/", local, false},
		{"https://017700000001/", aws, false},
		{"https://0177.0.0.1/", aws, false},
		{"https://0x7f.0.0.1/", aws, false},
		{"https://0x7f000001/", aws, false},
		{"https://0X7F000001/", aws, false},
		{"https://127.0.0.1./", aws, false},
		{"https://93.184.215.14./", aws, false},
		{"https://%31%32%37.0.0.1/", aws, false},
		{"https://169.254.169.254/latest/meta-data/", aws, false},
		{"https://169.254.169.254/", local, false},
		{"https://0.0.0.0/", aws, false},
		{"https://0/", aws, false},
		{"https://10.1.2.3/", aws, false},
		{"https://172.16.0.1/", aws, false},
		{"https://172.31.255.255/", aws, false},
		{"https://192.168.0.1/", aws, false},
		{"https://100.64.0.1/", aws, false},
		{"https://100.127.255.255/", aws, false},
		{"https://224.0.0.1/", aws, false},
		{"https://255.255.255.255/", aws, false},
		{"https://198.18.0.1/", aws, false},

		// IPv6 literals
		{"https://[::1]/", aws, false},
		{"https://[::]/", aws, false},
		{"https://[::ffff:127.0.0.1]/", aws, false},
		{"https://[::ffff:7f00:1]/", aws, false},
		{"https://[::ffff:169.254.169.254]/", aws, false},
		{"https://[::ffff:10.0.0.1]/", aws, false},
		{"https://[::127.0.0.1]/", aws, false},
		{"https://[fe80::1]/", aws, false},
		{"https://[fe80::1%25eth0]/", aws, false},
		{"https://[fe80::1%25eth0]/", local, false},
		{"https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c%25eth0]/", aws, false},
		{"https://[fd00:ec2::254]/", aws, false},
		{"https://[fc00::1]/", aws, false},
		{"https://[ff02::1]/", aws, false},
		{"https://[64:ff9b::7f00:1]/", aws, false},
		{"https://[64:ff9b::a9fe:a9fe]/", aws, false},
		{"https://[2002:7f00:1::]/", aws, false},
		{"https://[2002:a9fe:a9fe::]/", aws, false},
		{"https://[2001:db8::1]/", aws, false},
		{"https://[2001::1]/", aws, false},
		{"https://[::1/", aws, false},
		{"https://[1.2.3.4]/", aws, false},
	}
	for _, tt := range tests {
		err := webhook.CheckURL(context.Background(), tt.url, tt.opts, dns)
		if tt.ok && err != nil {
			t.Errorf("CheckURL(%q, local=%v) = %v, want allowed", tt.url, tt.opts.AllowLoopbackHTTP, err)
		}
		if !tt.ok {
			var e *kyc.Error
			if !errors.As(err, &e) || e.Field != "url" || (e.Code != kyc.EINVALID && e.Code != kyc.EMISSING) {
				t.Errorf("CheckURL(%q, local=%v) = %v, want a field error naming url", tt.url, tt.opts.AllowLoopbackHTTP, err)
			}
		}
	}
}

// A refusal says the same thing whatever range matched, so the endpoint API is no oracle
// for the private network's layout.
func TestCheckURLRefusalNamesNoAddress(t *testing.T) {
	for _, u := range []string{"https://metadata.example/", "https://private.example.com/", "https://ula.example.com/"} {
		err := webhook.CheckURL(context.Background(), u, webhook.Options{}, dns)
		if err == nil {
			t.Fatalf("CheckURL(%q) accepted", u)
		}
		for _, ip := range dns[strings.TrimSuffix(strings.TrimPrefix(u, "https://"), "/")] {
			if strings.Contains(err.Error(), ip) {
				t.Errorf("CheckURL(%q) = %v names the address", u, err)
			}
		}
	}
}

func TestForbiddenAddr(t *testing.T) {
	forbidden := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.0", "100.127.255.255", "127.0.0.1", "127.255.255.254",
		"169.254.0.1", "169.254.169.254", "172.16.0.1", "172.31.0.1", "192.0.0.8", "192.0.2.1",
		"192.168.255.255", "198.19.0.1", "203.0.113.9", "224.0.0.251", "239.255.255.250", "240.0.0.1",
		"255.255.255.255", "::", "::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.0.1",
		"::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::1", "100::1", "2001::1", "2001:db8::1",
		"2002:c0a8:1::", "fc00::1", "fd00:ec2::254", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1",
	}
	allowed := []string{
		"1.1.1.1", "8.8.8.8", "93.184.215.14", "100.63.255.255", "100.128.0.0", "172.15.255.255",
		"172.32.0.0", "192.169.0.1", "169.253.255.255", "::ffff:8.8.8.8", "64:ff9b::808:808",
		"2002:808:808::1", "2606:4700:4700::1111", "2600:1f18::1",
	}
	for _, s := range forbidden {
		if !webhook.ForbiddenAddr(netip.MustParseAddr(s)) {
			t.Errorf("ForbiddenAddr(%s) = false", s)
		}
	}
	for _, s := range allowed {
		if webhook.ForbiddenAddr(netip.MustParseAddr(s)) {
			t.Errorf("ForbiddenAddr(%s) = true", s)
		}
	}
	if !webhook.ForbiddenAddr(netip.Addr{}) {
		t.Error("the zero Addr is allowed")
	}
}

// wildcardDNS answers every name with a public address, as a hostile or catch-all zone
// would: numeric hosts must be refused for their spelling, before any lookup.
type wildcardDNS struct{}

func (wildcardDNS) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return []net.IPAddr{{IP: net.ParseIP("93.184.215.14")}}, nil
}

func TestCheckURLRefusesNumericHostsWhateverDNSSays(t *testing.T) {
	for _, u := range []string{
		"https://2130706433/", "https://017700000001/", "https://0177.0.0.1/", "https://0x7f.0.0.1/",
		"https://0x7f000001/", "https://127.1/", "https://127.0.0.1./", "https://0/", "https://a.123/",
	} {
		for _, local := range []bool{false, true} {
			err := webhook.CheckURL(context.Background(), u, webhook.Options{AllowLoopbackHTTP: local}, wildcardDNS{})
			var e *kyc.Error
			if !errors.As(err, &e) || e.Field != "url" {
				t.Errorf("CheckURL(%q, local=%v) = %v, want refused", u, local, err)
			}
		}
	}
	if err := webhook.CheckURL(context.Background(), "https://a123.example/", webhook.Options{}, wildcardDNS{}); err != nil {
		t.Errorf("a name with digits was refused: %v", err)
	}
}
