package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/services/api"
)

// A form comes back as it was posted in two cases, the same way: after
// signing in again, its session having expired (saves.go, keepExpired and
// restoreForm), and when it was refused for what it said (refuse). The
// page says so (layout.html, #posted-form) and app.js puts the posted
// fields back into the form of the page that posts to the same address
// (and whose hidden fields agree: the word list's two forms, a case's
// many), marks the field at fault (aria-invalid, aria-describedby the
// message), moves the message to the form and the focus to the field.
// Passwords and secrets are never posted back (keptFields).

// postedForm is a form to show again as it was posted.
type postedForm struct {
	Kind    string // restored (after signing in again) or refused
	Action  string // the address it posted to
	Fields  string // its fields, as JSON: name -> values
	Field   string // the field at fault ("" for none)
	Message string // the id of the element that says what happened
	Missing string // what to say when the page no longer has the form
}

func postedOf(kind, action string, fields url.Values, field, message, missing string) *postedForm {
	b, err := json.Marshal(fields)
	if err != nil {
		b = []byte("{}")
	}
	return &postedForm{Kind: kind, Action: action, Fields: string(b), Field: field, Message: message, Missing: missing}
}

// ctxRefused marks a post refused for what it said (refuse).
const ctxRefused = "web.refused"

type refusal struct {
	Field   string
	Message string
}

// refuse answers a post refused for what it said with its form's page
// again (page: the handler that shows it), status 422: the form as it
// was typed, field (a form field's name, "" for none) marked and given
// the focus, msg said at the form. Nothing was applied.
func (w *Web) refuse(c echo.Context, field, msg string, page echo.HandlerFunc) error {
	c.Set(ctxRefused, refusal{Field: field, Message: msg})
	return page(c)
}

// refusedPage adds a refused post's form to the page (refuse).
func (w *Web) refusedPage(c echo.Context, p *pageData, status int) int {
	r, ok := c.Get(ctxRefused).(refusal)
	if !ok || c.Request().Method != http.MethodPost || status >= 400 && status != http.StatusUnprocessableEntity {
		return status // (the form's page could not be shown: its error page)
	}
	if p.Error == "" {
		p.Error = r.Message
	}
	f, _ := c.FormParams()
	p.Posted = postedOf("refused", c.Request().URL.Path, keptFields(f), r.Field, "error", "")
	if status < 400 {
		status = http.StatusUnprocessableEntity
	}
	return status
}

// fieldOf is the form field an input error or a refusal is about, where
// it says ("" otherwise).
func fieldOf(err error) string {
	var ae *api.Error
	var r *domain.Refusal
	switch {
	case errors.As(err, &ae):
		return ae.Field
	case errors.As(err, &r):
		return r.Field
	}
	return ""
}

// csrfValue is what a CSRF token looks like (store.csrfToken: base64url),
// which html/template writes into a value attribute as it is.
var csrfValue = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// withFormOwner adds, after every form's CSRF field on a signed-in
// person's page, the fields that name the form's person and key, sealed
// to the person (form_user, form_key, form_token): a post that arrives
// after the session expired is kept for that person only when it carries
// them (keepExpired). One key per page shown; the draft form's is its own
// (formData.FormKey), which is also its saved copy's and its submission's.
func (w *Web) withFormOwner(page []byte, p pageData) []byte {
	if p.User == nil || !csrfValue.MatchString(p.CSRF) {
		return page
	}
	key := p.FormKey
	if key == "" {
		key = newFormKey()
	}
	token := w.formToken(p.User.ID, key)
	if token == "" {
		return page
	}
	field := []byte(`<input type="hidden" name="_csrf" value="` + p.CSRF + `">`)
	owner := fmt.Appendf(append([]byte{}, field...), `<input type="hidden" name="form_user" value="%d">`+
		`<input type="hidden" name="form_key" value="%s"><input type="hidden" name="form_token" value="%s">`, p.User.ID, key, token)
	return bytes.ReplaceAll(page, field, owner)
}
