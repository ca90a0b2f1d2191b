package webhook

import "net/netip"

// forbiddenV4 are the IPv4 ranges a webhook must never reach: IANA's special-purpose
// registry minus nothing (none of them is a public receiver).
var forbiddenV4 = prefixes(
	"0.0.0.0/8",       // "this network", 0.0.0.0 reaches the local host on Linux
	"10.0.0.0/8",      // RFC 1918
	"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, incl. 169.254.169.254 (EC2/ECS/Lambda metadata)
	"172.16.0.0/12",   // RFC 1918
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // RFC 1918
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, incl. 255.255.255.255 broadcast
)

// forbiddenV6 are the IPv6 ranges refused outright. IPv4-mapped (::ffff:0:0/96) addresses
// are unmapped and judged as IPv4; NAT64 and 6to4 ones by the IPv4 address they embed.
var forbiddenV6 = prefixes(
	"::/96",          // unspecified, loopback (::1) and deprecated IPv4-compatible
	"64:ff9b:1::/48", // local-use NAT64
	"100::/64",       // discard-only
	"2001::/23",      // IETF protocol assignments, incl. Teredo (2001::/32)
	"2001:db8::/32",  // documentation
	"fc00::/7",       // unique local, incl. fd00:ec2::254 (EC2 metadata over IPv6)
	"fe80::/10",      // link-local
	"fec0::/10",      // deprecated site-local
	"ff00::/8",       // multicast
)

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToV4 = netip.MustParsePrefix("2002::/16")
)

// ForbiddenAddr reports whether a webhook must not connect to a: loopback, private,
// link-local (cloud metadata), unspecified, multicast, CGNAT, documentation, reserved,
// or an IPv6 form that embeds one of those (IPv4-mapped, NAT64, 6to4). A zoned address
// is forbidden: zones only matter on link-local networks.
func ForbiddenAddr(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return true
	}
	a = a.Unmap()
	if a.Is4() {
		return inAny(forbiddenV4, a)
	}
	if embedded, ok := embeddedV4(a); ok {
		return ForbiddenAddr(embedded)
	}
	return inAny(forbiddenV6, a)
}

// embeddedV4 returns the IPv4 address a NAT64 (last 32 bits) or 6to4 (bits 16..47)
// address routes to.
func embeddedV4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToV4.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

func inAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func prefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}
