package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// The identity documents on the case page (依申请公开, Article 29): the
// case handlers upload and read them (api.Files.AddIdentityDocument,
// api.ServeIdentityDocument: each read is audited before a byte is sent);
// the admins set how long they are kept, on the queue page.

// addDocument takes the case page's upload form.
func (w *Web) addDocument(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	name, data, err := api.FormDocument(c, "file")
	if err == nil {
		// The one check of who may add one, audited when it refuses.
		_, err = w.Files.AddIdentityDocument(c.Request().Context(), currentUser(c).Actor(), id, name, data, w.Now())
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.Status == http.StatusForbidden {
		return w.errorPage(c, http.StatusForbidden, "app.doc_refused")
	}
	return w.caseWritten(c, err, "app.flash.document_added", fmt.Sprintf("/web/applications/%d#app-documents", id))
}

// document sends a document's bytes to a case handler, the read audited
// first; anyone else gets the error page and no byte.
func (w *Web) document(c echo.Context) error {
	id, err1 := strconv.ParseInt(c.Param("id"), 10, 64)
	doc, err2 := strconv.ParseInt(c.Param("doc"), 10, 64)
	if err1 != nil || err2 != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if w.Files == nil {
		return w.errorPage(c, http.StatusServiceUnavailable, "app.no_file_store")
	}
	err := api.ServeIdentityDocument(c, w.Store, w.Files.Blobs, w.Log, currentUser(c).Actor(), id, doc)
	var ae *api.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		return w.errorPage(c, http.StatusForbidden, "app.doc_refused")
	case errors.As(err, &ae) && ae.Status == http.StatusGone:
		return w.errorPage(c, http.StatusGone, "app.doc_gone")
	case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable:
		return w.errorPage(c, http.StatusServiceUnavailable, "app.no_file_store")
	}
	return err
}

// setRetention takes the queue page's retention form (admins).
func (w *Web) setRetention(c echo.Context) error {
	days, err := strconv.Atoi(strings.TrimSpace(c.FormValue("days")))
	if err != nil || days < store.MinIdentityRetention || days > store.MaxIdentityRetention {
		return w.refuse(c, "days", w.t(c, "app.retention_bad", store.MinIdentityRetention, store.MaxIdentityRetention), w.applicationsPage)
	}
	err = w.Store.SetIdentityRetention(c.Request().Context(), currentUser(c).Actor(), days)
	if isRefusal(err) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	if err != nil {
		return err
	}
	flash(c, "app.flash.retention_set")
	return c.Redirect(http.StatusSeeOther, "/web/applications")
}
