package kit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the peers whose X-Forwarded-For header is believed. The zero value (and
// nil) trusts no one: the client is the TCP peer, whatever the headers say.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies reads a list of IP addresses and CIDR networks ("10.0.0.0/8",
// "192.0.2.7", "2001:db8::/32"). The error names the first entry that is neither.
func ParseTrustedProxies(list []string) (*TrustedProxies, error) {
	p := &TrustedProxies{}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if pf, err := netip.ParsePrefix(s); err == nil {
			p.prefixes = append(p.prefixes, pf.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR network", s)
		}
		a = a.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

func (p *TrustedProxies) trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	for _, pf := range p.prefixes {
		if pf.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the address of the client that sent r. X-Forwarded-For is read only when the TCP
// peer is a trusted proxy, and then from the right, skipping trusted hops: every entry left of
// the first untrusted one was written by someone we cannot believe (the client itself).
func (p *TrustedProxies) ClientIP(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !p.trusts(peer) {
		return peer.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// A trusted proxy wrote something that is no address: the proxy is the best we know.
			return peer.String()
		}
		if !p.trusts(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
