// Package webhook sends webhook deliveries: signed as the Standard
// Webhooks specification says (https://www.standardwebhooks.com/), over
// HTTPS only, and never to an address of the server's own networks
// (loopback, private, link-local, CGNAT, multicast …) unless the operator
// allows a range of them. The address is checked on the connection
// actually dialled, so a name that resolves (or re-resolves: DNS
// rebinding) to such an address is refused too; redirects are not
// followed.
package webhook

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// special are the ranges no delivery goes to, besides what netip's
// predicates name (loopback, private, link-local, multicast,
// unspecified): networks that are not the public Internet, or that carry
// another address inside (NAT64, 6to4, Teredo), which could be a private
// one.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // CGNAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation
	netip.MustParsePrefix("192.88.99.0/24"),     // 6to4 relay
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),       // NAT64
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local NAT64
	netip.MustParsePrefix("100::/64"),           // discard
	netip.MustParsePrefix("2001::/23"),          // IETF protocol assignments, Teredo
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
	netip.MustParsePrefix("2002::/16"),          // 6to4
	netip.MustParsePrefix("fec0::/10"),          // site-local (deprecated)
	netip.MustParsePrefix("::ffff:0:0/96"),      // IPv4-mapped, when not unmapped
	netip.MustParsePrefix("::/128"),             // unspecified
	netip.MustParsePrefix("::1/128"),            // loopback
	netip.MustParsePrefix("fc00::/7"),           // unique local (ULA)
	netip.MustParsePrefix("fe80::/10"),          // link-local
	netip.MustParsePrefix("ff00::/8"),           // multicast
	netip.MustParsePrefix("169.254.0.0/16"),     // link-local
	netip.MustParsePrefix("127.0.0.0/8"),        // loopback
	netip.MustParsePrefix("10.0.0.0/8"),         // private
	netip.MustParsePrefix("172.16.0.0/12"),      // private
	netip.MustParsePrefix("192.168.0.0/16"),     // private
	netip.MustParsePrefix("224.0.0.0/4"),        // multicast
	netip.MustParsePrefix("255.255.255.255/32"), // broadcast
}

// Guard decides which addresses deliveries may go to: public unicast
// ones, and those in the operator's allowed ranges (serve -webhook-allow).
// The zero value allows no special address.
type Guard struct {
	Allow []netip.Prefix
}

// ParseAllow reads a comma-separated list of CIDR ranges or single
// addresses ("10.0.0.0/8,127.0.0.1"); "" and "none" are none.
func ParseAllow(s string) ([]netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR range", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Refused reports why an address is not one deliveries go to ("" when
// it is): the name of its kind, for the delivery log.
func (g *Guard) Refused(a netip.Addr) string {
	a = a.Unmap()
	for _, p := range g.Allow {
		if p.Contains(a) {
			return ""
		}
	}
	switch {
	case !a.IsValid():
		return "no address"
	case a.IsLoopback():
		return "loopback address"
	case a.IsPrivate():
		return "private address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "link-local address"
	case a.IsUnspecified():
		return "unspecified address"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast():
		return "multicast address"
	}
	for _, p := range special {
		if p.Contains(a) {
			return "special-purpose address " + p.String()
		}
	}
	if !a.IsGlobalUnicast() {
		return "not a global unicast address"
	}
	return ""
}

// IsRefused is Refused as a predicate, for partnerhub.WebhookSpec.Validate.
func (g *Guard) IsRefused(a netip.Addr) bool { return g.Refused(a) != "" }

// RefusedError is a delivery refused for the address it would go to.
type RefusedError struct {
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused: %s is a %s; deliveries go to public addresses only (serve -webhook-allow lists exceptions)", e.Addr, e.Reason)
}

// control is a net.Dialer's Control: it runs on the address about to be
// connected to, after any name was resolved, so no resolution can slip a
// refused address past it.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Reason: "address that cannot be read (" + address + ")"}
	}
	if why := g.Refused(ap.Addr()); why != "" {
		return &RefusedError{Addr: ap.Addr().Unmap(), Reason: why}
	}
	return nil
}

// refusal finds a RefusedError in err.
func refusal(err error) *RefusedError {
	var r *RefusedError
	if errors.As(err, &r) {
		return r
	}
	return nil
}
