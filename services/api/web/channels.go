package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// douyinStateCookie carries the OAuth state between the connect button and
// Douyin's redirect back, so a code can only be exchanged by the admin who
// asked for it.
const douyinStateCookie = "douyin_oauth_state"

// refreshWarning is how long before the Douyin authorisation ends the page
// warns that an admin must authorise again.
const refreshWarning = 7 * 24 * time.Hour

// channelRow is one channel on the channels page.
type channelRow struct {
	Info       domain.ChannelInfo
	Configured bool
	Status     store.ChannelStatus
	// Expiring: the platform's authorisation ends within refreshWarning;
	// NotConnected: the channel needs an account connected (Douyin) and
	// has none.
	Expiring, NotConnected bool
}

// channelsPage shows each channel's health: whether it is configured, how
// long its credentials hold, its last success and error, today's quota
// refusals; and connects the Douyin account.
func (w *Web) channelsPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	now := w.Now()
	st, err := w.Store.ChannelStatuses(c.Request().Context(), now)
	if err != nil {
		return err
	}
	var rows []channelRow
	for _, info := range domain.ChannelTable {
		r := channelRow{Info: info, Configured: info.Code == domain.ChannelWebsite || info.Private || w.ChannelsConfigured[info.Code], Status: st[info.Code]}
		until := r.Status.RefreshExpiresAt
		r.Expiring = !until.IsZero() && until.Sub(now) < refreshWarning
		r.NotConnected = info.Code == domain.ChannelDouyin && r.Configured && until.IsZero()
		rows = append(rows, r)
	}
	p := w.base(c, "channels.title", "channels")
	p.Data = map[string]any{"Rows": rows, "CanConnect": w.Douyin != nil && w.mayConnect(c)}
	return w.render(c, http.StatusOK, "channels", p)
}

// mayConnect: the platform accounts serve the whole installation, so only
// a platform admin, or an admin of the first agency, connects them.
func (w *Web) mayConnect(c echo.Context) bool {
	a := currentUser(c).Actor()
	return a.Has(domain.RolePlatformAdmin) || (a.Has(domain.RoleAdmin) && a.AgencyID == store.DefaultAgency)
}

// connectDouyin sends the admin to Douyin's authorisation page.
func (w *Web) connectDouyin(c echo.Context) error {
	if !w.mayConnect(c) {
		return w.errorPage(c, http.StatusForbidden, "channels.connect_forbidden")
	}
	if w.Douyin == nil {
		return w.errorPage(c, http.StatusNotFound, "channels.douyin_not_configured")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	state := hex.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: douyinStateCookie, Value: state, Path: "/web/admin/channels/douyin", HttpOnly: true,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode, MaxAge: 600})
	return c.Redirect(http.StatusSeeOther, w.Douyin.AuthorizeURL(douyinCallback(c), state))
}

// douyinCallback is where Douyin sends the admin back, on this host.
func douyinCallback(c echo.Context) string {
	return c.Scheme() + "://" + c.Request().Host + "/web/admin/channels/douyin/callback"
}

// douyinCallback exchanges the code Douyin sent back for the account's
// tokens, which are sealed and stored.
func (w *Web) douyinCallback(c echo.Context) error {
	if !w.mayConnect(c) {
		return w.errorPage(c, http.StatusForbidden, "channels.connect_forbidden")
	}
	if w.Douyin == nil {
		return w.errorPage(c, http.StatusNotFound, "channels.douyin_not_configured")
	}
	ck, err := c.Cookie(douyinStateCookie)
	if err != nil || ck.Value == "" || c.QueryParam("state") != ck.Value || c.QueryParam("code") == "" {
		return w.errorPage(c, http.StatusBadRequest, "channels.bad_state")
	}
	c.SetCookie(&http.Cookie{Name: douyinStateCookie, Path: "/web/admin/channels/douyin", MaxAge: -1})
	t, err := w.Douyin.Exchange(c.Request().Context(), c.QueryParam("code"))
	if err != nil {
		w.Log.Warn("douyin authorisation failed", "err", err, "by", currentUser(c).ID)
		return w.errorPage(c, http.StatusBadGateway, "channels.exchange_failed")
	}
	w.Log.Info("douyin account connected", "open_id", t.OpenID, "scope", t.Scope, "by", currentUser(c).ID)
	flash(c, "flash.douyin_connected")
	return c.Redirect(http.StatusSeeOther, "/web/admin/channels")
}
