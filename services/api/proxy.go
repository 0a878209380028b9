package api

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/labstack/echo/v4"
)

// Proxies are the reverse proxies whose X-Forwarded-For and
// X-Forwarded-Proto are believed (SANSHEN_TRUSTED_PROXIES). From anyone
// else the socket's address is the client — in the sign-in brakes, the
// sessions and the trail — and the headers are ignored: otherwise a client
// names its own address, and every guess at a password comes from a new one.
type Proxies []netip.Prefix

// IPExtractor is echo's way to the client's address (c.RealIP): the
// socket's, or, when the socket is a trusted proxy, the nearest address in
// X-Forwarded-For that is not one.
func (p Proxies) IPExtractor() echo.IPExtractor {
	if len(p) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, pr := range p {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: pr.Addr().AsSlice(), Mask: net.CIDRMask(pr.Bits(), pr.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// trusts reports whether the request came straight from a trusted proxy.
func (p Proxies) trusts(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, pr := range p {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

const secureKey = "sanshen.secure"

// markSecure records whether the browser reached us over TLS: directly,
// or through a trusted proxy that says so.
func (s *Server) markSecure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.Set(secureKey, r.TLS != nil || s.Proxies.trusts(r) && r.Header.Get("X-Forwarded-Proto") == "https")
		return next(c)
	}
}

// Secure reports whether the request reached sanshen over TLS (markSecure),
// which decides the session cookie's Secure flag and __Host- name.
func Secure(c echo.Context) bool {
	v, _ := c.Get(secureKey).(bool)
	return v || c.IsTLS()
}
