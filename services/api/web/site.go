package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// siteView is the column settings page: the settings (as typed, when a
// save was refused), the field at fault, the agency whose column it is.
type siteView struct {
	S          store.Site
	Slug, Name string
	ErrorField string
	Refused    bool   // a save was refused: the form carries its emblem
	Pending    bool   // and that emblem is a new one, not saved yet
	Pattern    string // the default 索引号 pattern
	Example    string // an 索引号 made with the pattern shown
}

// sitePage is GET /web/admin/site: the agency's public column settings.
func (w *Web) sitePage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	st, err := w.Store.AgencySite(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	return w.siteForm(c, http.StatusOK, st, "", "")
}

func (w *Web) siteForm(c echo.Context, status int, st store.Site, problem, field string) error {
	a, err := w.Store.Agency(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	p := w.base(c, "site.title", "site")
	p.Error = problem
	v := siteView{S: st, Slug: a.Slug, Name: a.Name, ErrorField: field, Pattern: store.DefaultIndexPattern, Refused: problem != ""}
	if field == "agency_name" {
		v.Name = c.FormValue("agency_name") // as typed, to mend
	}
	if v.Refused && st.Emblem != "" {
		// An emblem uploaded with the refused save is not served yet
		// (only the saved one is): it is named, not shown.
		saved, err := w.Store.AgencySite(c.Request().Context(), a.ID)
		if err != nil {
			return err
		}
		v.Pending = st.Emblem != saved.Emblem
	}
	code := st.CreditCode
	if code == "" {
		code = "11500103009284580A"
	}
	pattern := st.IndexPattern
	if pattern == "" {
		pattern = store.DefaultIndexPattern
	}
	v.Example = strings.NewReplacer("{code}", code, "{year}", strconv.Itoa(w.Now().In(domain.Beijing).Year()), "{serial}", "00017").Replace(pattern)
	p.Data = v
	return w.render(c, status, "site", p)
}

// setSite is POST /web/admin/site: every setting at once, with an emblem
// uploaded (an image, judged as any upload) or removed. A refusal shows
// the form again with what was typed and the field marked.
func (w *Web) setSite(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	old, err := w.Store.AgencySite(ctx, u.AgencyID)
	if err != nil {
		return err
	}
	st := store.Site{CreditCode: c.FormValue("credit_code"), IndexPattern: c.FormValue("index_pattern"), Emblem: old.Emblem,
		Sponsor: c.FormValue("sponsor"), SiteCode: c.FormValue("site_code"), ICP: c.FormValue("icp"),
		Guide: c.FormValue("guide"), Rules: c.FormValue("rules")}
	// An emblem uploaded with a save that was refused comes back with the
	// form, so it is not lost with the other fields' problem.
	if kept := c.FormValue("emblem_kept"); kept != "" && kept != old.Emblem {
		if !w.ownEmblem(c, u, kept) {
			return w.errorPage(c, http.StatusBadRequest, "input.invalid_site")
		}
		st.Emblem = kept
	}
	if c.FormValue("remove_emblem") != "" {
		st.Emblem = ""
	}
	if err := w.siteEmblem(c, u, &st); err != nil {
		return w.siteRefused(c, st, err)
	}
	if err := api.CheckSite(&st); err != nil {
		return w.siteRefused(c, st, err)
	}
	var r *domain.Refusal
	switch err := api.SaveSite(ctx, w.Store, u.Actor(), st, c.FormValue("agency_name")); {
	case errors.As(err, &r):
		return w.siteForm(c, http.StatusUnprocessableEntity, st, w.t(c, "rule."+string(r.Rule)), "agency_name")
	case err != nil:
		return err
	}
	flash(c, "flash.site_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/site")
}

// siteEmblem stores the form's emblem file, if one was chosen, and points
// the settings at it.
func (w *Web) siteEmblem(c echo.Context, u *store.User, st *store.Site) error {
	fh, err := c.FormFile("emblem")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil
	}
	if err != nil {
		return &api.Error{Status: http.StatusBadRequest, Code: "unreadable_body", Message: err.Error(), MessageZH: w.t(c, "site.emblem_unreadable"), Field: "emblem"}
	}
	if w.Files == nil {
		return &api.Error{Status: http.StatusServiceUnavailable, Code: "no_file_store", Message: "this installation has no file store configured",
			MessageZH: w.t(c, "input.no_file_store"), Field: "emblem"}
	}
	data, err := readUpload(fh)
	if err != nil {
		return err
	}
	f, err := w.Files.Upload(c.Request().Context(), *u, fh.Filename, data)
	var ae *api.Error
	if errors.As(err, &ae) {
		ae.Field = "emblem"
	}
	if err != nil {
		return err
	}
	if f.Kind != string(media.KindImage) {
		return &api.Error{Status: http.StatusUnprocessableEntity, Code: "invalid_site", Message: "the emblem must be an image (JPEG or PNG)",
			MessageZH: w.t(c, "site.emblem_not_image"), Field: "emblem"}
	}
	a, err := w.Store.Agency(c.Request().Context(), u.AgencyID)
	if err != nil {
		return err
	}
	st.Emblem = api.EmblemPath(a.Slug, f.SHA256)
	return nil
}

// ownEmblem reports whether path is an emblem address of u's agency for
// an image the agency uploaded.
func (w *Web) ownEmblem(c echo.Context, u *store.User, path string) bool {
	ctx := c.Request().Context()
	a, err := w.Store.Agency(ctx, u.AgencyID)
	if err != nil {
		return false
	}
	sum, ok := strings.CutPrefix(path, api.EmblemPath(a.Slug, ""))
	if !ok || path != api.EmblemPath(a.Slug, sum) {
		return false
	}
	f, err := w.Store.AgencyFile(ctx, sum, u.AgencyID)
	return err == nil && f.Kind == string(media.KindImage)
}

// siteRefused shows the form again with the refusal: its Chinese message
// on a Chinese page, the code's name and the detail on an English one.
func (w *Web) siteRefused(c echo.Context, st store.Site, err error) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return err
	}
	msg := ae.MessageZH
	if w.lang(c) != "zh" || msg == "" {
		msg = w.t(c, "input."+ae.Code) + " — " + ae.Message
	}
	status := ae.Status
	if status < 400 || status > 499 {
		status = http.StatusUnprocessableEntity
	}
	return w.siteForm(c, status, st, msg, ae.Field)
}
