package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// notificationsPage lists the person's notifications, unread first.
func (w *Web) notificationsPage(c echo.Context) error {
	ns, err := w.Store.Notifications(c.Request().Context(), currentUser(c).ID, 200)
	if err != nil {
		return err
	}
	p := w.base(c, "notifications.title", "notifications")
	p.Data = ns
	return w.render(c, http.StatusOK, "notifications", p)
}

// readNotification marks one notification read; readAllNotifications all.
func (w *Web) readNotification(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err := w.Store.MarkNotificationsRead(c.Request().Context(), currentUser(c).ID, id, w.Now()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/web/notifications")
}

func (w *Web) readAllNotifications(c echo.Context) error {
	if err := w.Store.MarkNotificationsRead(c.Request().Context(), currentUser(c).ID, 0, w.Now()); err != nil {
		return err
	}
	flash(c, "flash.notifications_read")
	return c.Redirect(http.StatusSeeOther, "/web/notifications")
}

// prefsView is the person's notification preferences page.
type prefsView struct {
	Prefs store.NotificationPrefs
	Kinds []store.NotificationKind
	// Robots: which robots the agency has configured.
	Robots map[string]bool
}

func (w *Web) prefsPage(c echo.Context) error {
	prefs, err := w.Store.NotificationPrefs(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return w.showPrefs(c, http.StatusOK, "", prefs)
}

func (w *Web) showPrefs(c echo.Context, status int, errMsg string, prefs store.NotificationPrefs) error {
	robots, err := w.Store.AgencyRobots(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	v := prefsView{Prefs: prefs, Kinds: store.NotificationKinds, Robots: map[string]bool{}}
	for ch := range robots {
		v.Robots[ch] = true
	}
	p := w.base(c, "prefs.title", "account")
	p.Error = errMsg
	p.Data = v
	return w.render(c, status, "notify_prefs", p)
}

// setPrefs saves the form: the address, the digest, and a checkbox per
// kind and channel (mail_K, wecom_K, dingtalk_K). An address that is not
// one comes back as posted, marked (posted.go).
func (w *Web) setPrefs(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "input.missing_field")
	}
	p := store.NotificationPrefs{Email: form.Get("email"), Digest: form.Get("digest") == "on", Kinds: map[store.NotificationKind]store.KindPrefs{}}
	for _, k := range store.NotificationKinds {
		p.Kinds[k] = store.KindPrefs{Email: form.Get("mail_"+string(k)) == "on", WeCom: form.Get("wecom_"+string(k)) == "on",
			DingTalk: form.Get("dingtalk_"+string(k)) == "on"}
	}
	err = w.Store.SetNotificationPrefs(c.Request().Context(), currentUser(c).ID, p)
	if errors.Is(err, store.ErrBadEmail) {
		msg := w.t(c, "input.bad_email")
		return w.refuse(c, "email", msg, func(c echo.Context) error { return w.showPrefs(c, http.StatusUnprocessableEntity, msg, p) })
	}
	if err != nil {
		return err
	}
	flash(c, "flash.prefs_saved")
	return c.Redirect(http.StatusSeeOther, "/web/account/notifications")
}

// notifyAdminView is the agency admin's notification settings: the robots
// (their URLs redacted), the queue limit, and the deliveries that failed or
// whose outcome is unknown.
type notifyAdminView struct {
	Robots    map[string]store.AgencyRobot
	QueueDays int
	Problems  []store.DeliveryProblem
}

func (w *Web) notifyAdminPage(c echo.Context) error {
	return w.showNotifyAdmin(c, http.StatusOK, "")
}

func (w *Web) showNotifyAdmin(c echo.Context, status int, errKey string) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	agency := currentUser(c).AgencyID
	var v notifyAdminView
	var err error
	if v.Robots, err = w.Store.AgencyRobots(ctx, agency); err != nil {
		return err
	}
	if v.QueueDays, err = w.Store.QueueLimit(ctx, agency); err != nil {
		return err
	}
	if v.Problems, err = w.Store.DeliveryProblems(ctx, agency, 200); err != nil {
		return err
	}
	p := w.base(c, "notifyadmin.title", "notifyadmin")
	if errKey != "" {
		p.Error = w.t(c, errKey)
	}
	p.Data = v
	return w.render(c, status, "notify_admin", p)
}

// setRobots saves the agency's robots. An empty URL field leaves a robot
// as it is (the stored URL is never shown back); "remove" removes it. A
// DingTalk secret is given with its URL; none means unsigned. A refused
// form comes back with the field at fault marked (posted.go), but not
// its URLs and secret, which carry the robots' credentials (keptFields).
func (w *Web) setRobots(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	refused := func(field, key string) error {
		return w.refuse(c, field, w.t(c, key), func(c echo.Context) error { return w.showNotifyAdmin(c, http.StatusUnprocessableEntity, key) })
	}
	u := currentUser(c)
	ctx := c.Request().Context()
	type change struct {
		ch, url, secret string
		remove          bool
	}
	changes := []change{
		{store.DeliverWeCom, strings.TrimSpace(c.FormValue("wecom_url")), "", c.FormValue("wecom_remove") == "on"},
		{store.DeliverDingTalk, strings.TrimSpace(c.FormValue("dingtalk_url")), strings.TrimSpace(c.FormValue("dingtalk_secret")), c.FormValue("dingtalk_remove") == "on"},
	}
	for _, ch := range changes {
		if !ch.remove && ch.url == "" {
			if ch.secret != "" {
				return refused(ch.ch+"_url", "rule.robot_secret_without_url")
			}
			continue
		}
		if !ch.remove {
			if key := robotURLProblem(ch.ch, ch.url); key != "" {
				return refused(ch.ch+"_url", key)
			}
			if ch.secret != "" && (!strings.HasPrefix(ch.secret, "SEC") || len(ch.secret) > 200) {
				return refused(ch.ch+"_secret", "rule.bad_robot_secret")
			}
		}
	}
	for _, ch := range changes {
		r := store.AgencyRobot{AgencyID: u.AgencyID, Channel: ch.ch}
		switch {
		case ch.remove:
		case ch.url == "":
			continue
		default:
			var err error
			if r, err = store.SealRobot(w.Sealer, u.AgencyID, ch.ch, ch.url, ch.secret); err != nil {
				return err
			}
		}
		if err := w.Store.SetAgencyRobot(ctx, u.Actor(), r); err != nil {
			if isRefusal(err) {
				return w.errorPage(c, http.StatusForbidden, "rule.role_required")
			}
			return err
		}
	}
	flash(c, "flash.robots_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/notifications")
}

// robotURLProblem is the locale key of what is wrong with a robot's URL,
// or "": an http(s) URL carrying the robot's credential.
func robotURLProblem(channel, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 1000 {
		return "rule.bad_robot_url"
	}
	param := "key"
	if channel == store.DeliverDingTalk {
		param = "access_token"
	}
	if u.Query().Get(param) == "" {
		return "rule.bad_robot_url"
	}
	return ""
}

// setQueueLimit saves the agency's queue limit in working days; a number
// that is not one comes back as typed, marked (posted.go).
func (w *Web) setQueueLimit(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	n, err := strconv.Atoi(strings.TrimSpace(c.FormValue("days")))
	if err != nil || n < 1 || n > 60 {
		return w.refuse(c, "days", w.t(c, "rule.bad_queue_days"), func(c echo.Context) error {
			return w.showNotifyAdmin(c, http.StatusUnprocessableEntity, "rule.bad_queue_days")
		})
	}
	u := currentUser(c)
	if err := w.Store.SetQueueLimit(c.Request().Context(), u.Actor(), u.AgencyID, n); err != nil {
		return err
	}
	flash(c, "flash.queue_limit_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/notifications")
}

// acknowledgeDelivery takes a failed or unknown delivery off the list.
func (w *Web) acknowledgeDelivery(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	err = w.Store.AcknowledgeDelivery(c.Request().Context(), currentUser(c).Actor(), id)
	if errors.Is(err, store.ErrNotFound) {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	flash(c, "flash.delivery_acknowledged")
	return c.Redirect(http.StatusSeeOther, "/web/admin/notifications")
}
