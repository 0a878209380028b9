package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// A draft form is kept on the server before it is submitted (暂存), so an
// officer on a shared office PC loses nothing and leaves nothing in the
// browser: the form saves itself every few seconds while it changes
// (static/app.js, autosave), its 暂存 button saves it at once, and a post
// whose session has expired is saved too and comes back after signing in
// again. Each opened form has a key (form_key): the key of its saved copy
// and of its submission, so that a double click or a resubmitted form
// never makes two drafts (store.ClaimIdempotency).

// formKeyRE is what a form key looks like (migration 029 holds to it).
var formKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// formKeyOf is the posted form's key ("" for none or a malformed one).
func formKeyOf(f url.Values) string {
	if k := f.Get("form_key"); formKeyRE.MatchString(k) {
		return k
	}
	return ""
}

func newFormKey() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// formTokenPrefix keeps a sealed form key apart from anything else the
// sealer seals (the TOTP secrets).
const formTokenPrefix = "draft-form:"

// formToken seals the form's key to its person: a post that arrives after
// the session expired is saved for that person only when it carries it.
func (w *Web) formToken(userID int64, key string) string {
	sealed, err := w.Sealer.Seal([]byte(formTokenPrefix+key), userID)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(sealed)
}

// formOwner is the person a posted form was opened by, if its token says so.
func (w *Web) formOwner(f url.Values) (int64, string, bool) {
	key := formKeyOf(f)
	uid, err := strconv.ParseInt(f.Get("form_user"), 10, 64)
	if err != nil || key == "" {
		return 0, "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(f.Get("form_token"))
	if err != nil {
		return 0, "", false
	}
	plain, err := w.Sealer.Open(raw, uid)
	return uid, key, err == nil && string(plain) == formTokenPrefix+key
}

// savedFieldNames are the draft form's fields a saved copy keeps: not its
// token, nor the files chosen, which only a post with them sends (the 暂存
// button stores them and keeps them as attachments: saveNow; autosave
// sends no files, and the files of a post after the session expired are
// not stored: form.restored_expired says to choose them again).
var savedFieldNames = []string{"title", "body", "department", "category", "channels", "formed_on", "digest", "options",
	"correction", "correcting", "publish_at", "expires_on", "attachment", "topics"}

func savedFields(f url.Values) url.Values {
	out := url.Values{}
	for _, k := range savedFieldNames {
		if vs, ok := f[k]; ok {
			out[k] = vs
		}
	}
	return out
}

// prepareForm gives the form its key and, where the address asks
// (?resume=key), what its person saved under that key for this draft.
func (w *Web) prepareForm(c echo.Context, fd *formData) error {
	u := currentUser(c)
	if key := c.QueryParam("resume"); formKeyRE.MatchString(key) {
		saved, err := w.Store.SavedForm(c.Request().Context(), u.ID, key)
		switch {
		case err == nil && saved.DraftID == fd.DraftID:
			_, got := readValues(saved.Fields)
			fd.Title, fd.Body, fd.Department, fd.Category, fd.Channels = got.Title, got.Body, got.Department, got.Category, got.Channels
			fd.FormedOn, fd.Digest, fd.Options, fd.Attachments = got.FormedOn, got.Digest, got.Options, got.Attachments
			fd.Correction, fd.PublishAt, fd.ExpiresOn, fd.Topics = got.Correction, got.PublishAt, got.ExpiresOn, got.Topics
			fd.Deadline = w.deadlineOf(fd.FormedOn)
			fd.FormKey = key
			msg := "form.restored"
			if saved.Expired {
				msg = "form.restored_expired"
			}
			fd.Restored = w.t(c, msg, saved.UpdatedAt.In(domain.Beijing).Format("2006-01-02 15:04"))
			if field := c.QueryParam("lacking"); field != "" { // 暂存 of a form not complete yet (saveNow)
				fd.Restored = w.t(c, "form.saved_incomplete", w.fieldName(c, field))
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if fd.FormKey == "" {
		fd.FormKey = newFormKey()
	}
	return nil
}

// autosave keeps the form as it is now; the page shows when.
func (w *Web) autosave(c echo.Context) error {
	f, err := c.FormParams()
	if err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": w.t(c, "form.autosave_failed")})
	}
	key := formKeyOf(f)
	if key == "" {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": w.t(c, "form.autosave_failed")})
	}
	id, _ := strconv.ParseInt(f.Get("draft_id"), 10, 64)
	u := currentUser(c)
	if err := w.Store.SaveForm(c.Request().Context(), u.ID, store.SavedForm{Key: key, DraftID: id, Title: f.Get("title"), Fields: savedFields(f)}); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"saved_at": localTime(w.Now()),
		"message": w.t(c, "form.autosaved", localTime(w.Now())[11:])})
}

// saveNow is the form's 暂存 button. A complete form of a new draft, or of
// the author's unsubmitted one, is kept as a draft in state unsubmitted
// (store.Save): numbered, in its trail as a save, seen only by its author,
// neither checked nor sent anywhere until it is submitted; the page is
// then that draft's form. Any other form — one not complete yet, or a
// returned or published draft's revision in progress — is kept as the
// form (draft_saves), listed on 我的稿件, and shown again; an incomplete
// one says what it still lacks to become a draft.
// The files chosen in it are stored as a submission would store them: the
// form comes back with them listed (ticked, as kept attachments), and
// nothing has to be chosen again. A file refused (its type, its size) is
// said as a submission's would be, with the form as typed.
func (w *Web) saveNow(c echo.Context, in api.DraftInput, fd formData) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	f, _ := c.FormParams()
	if fd.FormKey == "" {
		fd.FormKey = newFormKey()
	}
	fields := savedFields(f)
	if form := c.Request().MultipartForm; form != nil && len(form.File["files"]) > 0 &&
		!slices.Contains(domain.AttachmentRoles, domain.AttachmentRole(c.FormValue("files_role"))) {
		return w.formError(c, fd, &api.Error{Status: http.StatusBadRequest, Code: "unknown_role", Message: "files_role: use one of cover, image, video, document",
			MessageZH: "请选择所添加文件的用途。", Field: "files_role"})
	}
	kept := len(in.Attachments)
	if err := w.addFiles(c, &in, &fd); err != nil {
		return w.formError(c, fd, err)
	}
	for _, a := range in.Attachments[kept:] {
		fields.Add("attachment", a.SHA256+":"+a.Role+":"+a.Name) // as the form's kept attachments (readValues)
	}
	savable, err := w.savable(c, fd.DraftID)
	if err != nil {
		return err
	}
	lacking := ""
	if savable {
		content, err := w.validContent(c, in)
		var dep store.Department
		if err == nil {
			dep, err = w.Store.DepartmentByName(ctx, u.AgencyID, content.Department)
			if errors.Is(err, store.ErrNotFound) {
				err = &api.Error{Status: 422, Code: "unknown_department", Message: content.Department,
					MessageZH: fmt.Sprintf("科室“%s”不存在，请从列表中选择。", content.Department), Field: "department"}
			}
		}
		var ae *api.Error
		switch {
		case err == nil:
			return w.saveDraft(c, fd, dep.ID, content)
		case errors.As(err, &ae):
			lacking = cmp.Or(ae.Field, "form") // what it lacks to be a draft: said on the form (prepareForm)
		default:
			return err
		}
	}
	if err := w.Store.SaveForm(ctx, u.ID, store.SavedForm{Key: fd.FormKey, DraftID: fd.DraftID, Title: fd.Title, Fields: fields}); err != nil {
		return err
	}
	page := formPage(fd.DraftID, fd.FormKey)
	switch {
	case lacking != "":
		page = withQuery(page, "lacking", lacking)
	case len(in.Attachments) > kept:
		flash(c, "flash.saved_files")
	default:
		flash(c, "flash.saved")
	}
	return c.Redirect(http.StatusSeeOther, page)
}

// fieldName is a draft form's field by its name on the form ("form": the
// form as a whole).
func (w *Web) fieldName(c echo.Context, field string) string {
	return w.pages.or(w.lang(c), "field."+field, w.t(c, "form.saved_incomplete_form"))
}

// savable reports whether 暂存 keeps the form of draft id (0: a new one) as
// a draft: a new draft, or one the rules let them save (domain.CanSave:
// their own unsubmitted one; its department is held to by store.Save).
func (w *Web) savable(c echo.Context, id int64) (bool, error) {
	if id == 0 {
		return true, nil
	}
	d, err := w.Store.Draft(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return domain.CanSave(currentUser(c).Actor(), d.Facts(), d.DepartmentID) == nil, nil
}

// saveDraft keeps the form as a draft in state unsubmitted: a new one, once
// per form (a second 暂存 of the same new form, or a double click, saves a
// new revision of the draft the first made), or a new revision of the
// unsubmitted draft the form revises. The form's saved copy goes, and the
// person is on the draft's form again.
func (w *Web) saveDraft(c echo.Context, fd formData, deptID int64, content domain.Content) error {
	u := currentUser(c)
	return w.formOnce(c, fd, "save:", func(ctx context.Context, made int64) (int64, string, error) {
		d, err := w.Store.Save(ctx, u.Actor(), cmp.Or(made, fd.DraftID), deptID, content, api.Deadline(w.Calendar, content))
		return d.ID, "flash.saved_draft", err
	}, func(id int64) string { return fmt.Sprintf("/web/drafts/%d/edit", id) })
}

// formPage is the address of a form that resumes what was saved under key.
func formPage(draftID int64, key string) string {
	if draftID > 0 {
		return fmt.Sprintf("/web/drafts/%d/edit?resume=%s", draftID, key)
	}
	return "/web/drafts/new?resume=" + key
}

// discardSaved throws a saved form away, from the officer's list.
func (w *Web) discardSaved(c echo.Context) error {
	key := c.Param("key")
	if formKeyRE.MatchString(key) {
		if err := w.Store.DiscardForm(c.Request().Context(), currentUser(c).ID, key); err != nil {
			return err
		}
	}
	flash(c, "flash.discarded")
	return c.Redirect(http.StatusSeeOther, "/web/drafts")
}

// savedFormPaths are the routes whose post carries a draft form.
var savedFormPaths = map[string]bool{"/web/drafts": true, "/web/drafts/:id": true, "/web/drafts/autosave": true}

// Every other form of the staff pages is kept too when its post arrives
// after the session expired (kept_forms, migration 036): each carries its
// person's sealed token (render.go adds form_user, form_key and
// form_token after every form's CSRF field), the post is kept for the
// person the token names, never applied, and after signing in again the
// person is back on the form's page (?restore=key), where app.js puts what
// was typed back into the form, with a message (form.session_restored).

// secretFields are the fields never kept: passwords (password, current,
// new, again), the notification robots' secrets and addresses (the
// address carries the robot's key: wecom_url, dingtalk_url,
// dingtalk_secret), anything named like a password, secret or token, and
// the form's own CSRF and owner fields. A TOTP or recovery code (code) is
// posted only to the sign-in's code step and the enrolment, which are
// not behind requireUser, and unkeptPaths leaves the account's
// secret-bearing forms out whole.
var secretFields = map[string]bool{"password": true, "current": true, "new": true, "again": true, "recovery_code": true, "totp": true,
	"wecom_url": true, "dingtalk_url": true, "dingtalk_secret": true,
	"_csrf": true, "form_user": true, "form_key": true, "form_token": true}

// unkeptPaths are the posts never kept: signing out, and the account's
// password, second factor, recovery codes and API tokens.
var unkeptPaths = map[string]bool{"/web/logout": true, "/web/account/password": true, "/web/account/second-factor/remove": true,
	"/web/account/recovery-codes": true, "/web/account/tokens": true, "/web/account/tokens/:id/revoke": true}

// keptFields are a posted form's fields without its secrets.
func keptFields(f url.Values) url.Values {
	out := url.Values{}
	for k, vs := range f {
		low := strings.ToLower(k)
		if secretFields[low] || strings.Contains(low, "password") || strings.Contains(low, "secret") || strings.Contains(low, "token") {
			continue
		}
		out[k] = vs
	}
	return out
}

// keepExpired keeps a form posted after its session expired, for the
// person its token names, and says where it comes back after signing in
// ("" when the post is no such form): a draft form in draft_saves, on its
// form's page (?resume=key); any other in kept_forms, on the page the
// form was on (?restore=key).
func (w *Web) keepExpired(c echo.Context) (string, error) {
	if c.Request().Method != http.MethodPost || unkeptPaths[c.Path()] {
		return "", nil
	}
	f, err := c.FormParams()
	if err != nil {
		return "", nil
	}
	uid, key, ok := w.formOwner(f)
	if !ok {
		return "", nil
	}
	ctx := c.Request().Context()
	if !savedFormPaths[c.Path()] {
		page := withoutQuery(returnTo(c), "restore")
		err := w.Store.KeepForm(ctx, uid, store.KeptForm{Key: key, Action: c.Request().URL.Path, Page: page, Fields: keptFields(f)})
		if err != nil {
			return "", err
		}
		return withQuery(page, "restore", key), nil
	}
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	if id == 0 {
		id, _ = strconv.ParseInt(f.Get("draft_id"), 10, 64)
	}
	err = w.Store.SaveForm(ctx, uid, store.SavedForm{Key: key, DraftID: id, Title: f.Get("title"), Fields: savedFields(f), Expired: true})
	if err != nil {
		return "", err
	}
	return formPage(id, key), nil
}

// withQuery is the page's address with name=value set in its query.
func withQuery(page, name, value string) string {
	u, err := url.Parse(page)
	if err != nil {
		return page
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.RequestURI() + fragmentOf(u)
}

// withoutQuery is the page's address without name in its query.
func withoutQuery(page, name string) string {
	u, err := url.Parse(page)
	if err != nil {
		return page
	}
	q := u.Query()
	q.Del(name)
	u.RawQuery = q.Encode()
	return u.RequestURI() + fragmentOf(u)
}

func fragmentOf(u *url.URL) string {
	if u.Fragment == "" {
		return ""
	}
	return "#" + u.EscapedFragment()
}

// restoreForm is, for a page opened with ?restore=key after signing in
// again, the form kept under key for its person (deleted as it is read),
// to be put back into the form; nil when there is none (put back
// already, a day old, another person's).
func (w *Web) restoreForm(c echo.Context, p *pageData) error {
	key := c.QueryParam("restore")
	if p.User == nil || c.Request().Method != http.MethodGet || !formKeyRE.MatchString(key) {
		return nil
	}
	kept, err := w.Store.TakeKeptForm(c.Request().Context(), p.User.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	p.Restored = w.t(c, "form.session_restored", kept.CreatedAt.In(domain.Beijing).Format("15:04"))
	p.Posted = postedOf("restored", kept.Action, kept.Fields, "", "form-restored", w.t(c, "form.session_lost"))
	return nil
}
