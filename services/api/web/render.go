package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Languages: Chinese by default, English as the switch.
const (
	langZH      = "zh"
	langEN      = "en"
	defaultLang = langZH
)

var languages = []string{langZH, langEN}

// pageSet holds, per language, each page parsed with the layout.
type pageSet struct {
	pages    map[string]map[string]*template.Template // lang -> page -> template
	messages map[string]map[string]string
}

func loadPages() (*pageSet, error) {
	ps := &pageSet{pages: map[string]map[string]*template.Template{}, messages: map[string]map[string]string{}}
	for _, lang := range languages {
		b, err := localeFS.ReadFile("locales/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("error reading locale %s: %w", lang, err)
		}
		msgs := map[string]string{}
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("error parsing locale %s: %w", lang, err)
		}
		ps.messages[lang] = msgs
	}
	// Every key must exist in every language.
	for k := range ps.messages[langZH] {
		if _, ok := ps.messages[langEN][k]; !ok {
			return nil, fmt.Errorf("locale en lacks key %q", k)
		}
	}
	for k := range ps.messages[langEN] {
		if _, ok := ps.messages[langZH][k]; !ok {
			return nil, fmt.Errorf("locale zh lacks key %q", k)
		}
	}
	// And every key the stages of domain.StageTable need.
	for _, lang := range languages {
		for _, k := range StageKeys() {
			if _, ok := ps.messages[lang][k]; !ok {
				return nil, fmt.Errorf("locale %s lacks key %q, which stage %s needs", lang, k, strings.SplitN(k, ".", 2)[1])
			}
		}
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, lang := range languages {
		ps.pages[lang] = map[string]*template.Template{}
		// layout.html and the partials (_*.html) go into every page.
		shared, err := template.New("shared").Funcs(ps.funcs(lang)).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
		if err != nil {
			return nil, fmt.Errorf("error parsing templates: %w", err)
		}
		ps.pages[lang][""] = shared
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".html")
			if name == "layout" || strings.HasPrefix(name, "_") {
				continue
			}
			t, err := template.Must(shared.Clone()).ParseFS(templateFS, f)
			if err != nil {
				return nil, fmt.Errorf("error parsing template %s: %w", f, err)
			}
			ps.pages[lang][name] = t
		}
	}
	return ps, nil
}

// StageKeys are the locale keys the stages of domain.StageTable need: each
// stage's and state's name; the queue's title and link where a person
// decides it; the setting's label where the agency chooses.
func StageKeys() []string {
	var out []string
	for _, sp := range domain.StageTable {
		s := string(sp.Stage)
		out = append(out, "stage."+s, "state."+s)
		if sp.Person != domain.PersonNever {
			out = append(out, "nav.queue_"+s, "queue.title."+s)
		}
		if sp.Person == domain.PersonIfRequired {
			out = append(out, "policy.person."+s)
		}
	}
	return out
}

// T translates key in lang, formatting args into it.
func (ps *pageSet) T(lang, key string, args ...any) string {
	msg, ok := ps.messages[lang][key]
	if !ok {
		return key // a missing key shows itself, and TestLocalesComplete catches it
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// or translates key, or gives fallback when the locale does not have it.
func (ps *pageSet) or(lang, key, fallback string) string {
	if msg, ok := ps.messages[lang][key]; ok {
		return msg
	}
	return fallback
}

// actionName is an audit action in lang: a refusal as 拒绝（the action）,
// a channel's outcomes by their names, the code itself for any the locale
// does not name.
func (ps *pageSet) actionName(lang, a string) string {
	if rest, ok := strings.CutPrefix(a, "denied:"); ok {
		return ps.T(lang, "action.denied") + "（" + ps.or(lang, "action."+rest, rest) + "）"
	}
	if rest, ok := strings.CutPrefix(a, "channel_resolved_"); ok {
		return ps.T(lang, "action.channel_resolved") + "：" + ps.or(lang, "pub."+rest, rest)
	}
	if rest, ok := strings.CutPrefix(a, "channel_"); ok {
		return ps.T(lang, "action.channel") + "：" + ps.or(lang, "pub."+rest, rest)
	}
	return ps.or(lang, "action."+a, a)
}

func (ps *pageSet) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string, args ...any) string { return ps.T(lang, key, args...) },
		"state":    func(s domain.State) string { return ps.T(lang, "state."+string(s)) },
		"category": func(c string) string { return ps.T(lang, "category."+c) },
		"channel":  func(c any) string { return ps.T(lang, "channel."+fmt.Sprint(c)) },
		"role":     func(r domain.Role) string { return ps.T(lang, "role."+string(r)) },
		"hasRole":  func(rs []domain.Role, r domain.Role) bool { return slices.Contains(rs, r) },
		"hasDept":  func(ds []int64, d int64) bool { return slices.Contains(ds, d) },
		// The audit trail stores codes; these show them in the reader's language
		// and fall back to the code itself for any the locale does not name.
		"actorRole": func(r string) string { return ps.or(lang, "role."+r, r) },
		"stageName": func(st string) string { return ps.or(lang, "stage."+st, st) },
		"action":    func(a string) string { return ps.actionName(lang, a) },
		// eventDetail is an audit event's comment told in the reader's
		// language (detail.go), the stored text kept beside it; stored is
		// a text a machine wrote elsewhere (a channel's error), told so.
		"eventDetail": func(action, reason, comment string) detail {
			return ps.eventDetail(lang, action, reason, comment)
		},
		"stored": func(s string) detail { return ps.storedDetail(lang, s) },
		// notice is a notification's text for the page: it is written in
		// Chinese with an English line for mail readers, which a Chinese
		// page leaves out.
		"notice": func(s string) string { return noticeIn(lang, s) },
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(domain.Beijing).Format("2006-01-02 15:04")
		},
		"date": func(t time.Time) string { return t.Format(domain.DateLayout) },
		// yuan shows an amount kept in fen (分) as yuan (元).
		"yuan": func(fen int64) string { return fmt.Sprintf("%d.%02d 元", fen/100, fen%100) },
		// fileSize shows a size in bytes as KB or MB.
		"fileSize": func(n int64) string {
			if n < 1<<20 {
				return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
			}
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		},
		"age": func(d time.Duration) string {
			switch {
			case d < time.Hour:
				return ps.T(lang, "age.minutes", int(d.Minutes()))
			case d < 48*time.Hour:
				return ps.T(lang, "age.hours", int(d.Hours()))
			}
			return ps.T(lang, "age.days", int(d.Hours()/24))
		},
		"hasChannel":      func(cs []domain.Channel, c string) bool { return slices.Contains(cs, domain.Channel(c)) },
		"hasOption":       func(os []domain.ChannelOption, o string) bool { return slices.Contains(os, domain.ChannelOption(o)) },
		"channelOptions":  func() []domain.ChannelOption { return domain.ChannelOptions },
		"dateList":        dateList,
		"attachmentRoles": func() []domain.AttachmentRole { return domain.AttachmentRoles },
		"pathEscape":      url.PathEscape,
		"channels":        func() []domain.Channel { return domain.FormChannels },
		"neg":             func(n int) int { return -n },
		"inc":             func(n int) int { return n + 1 },
		"deref":           func(t *time.Time) time.Time { return *t },
		"expired":         func(t time.Time) bool { return !time.Now().Before(t) },
		"tokenRows": func(ts []store.Token, csrf, action string) tokenRows {
			return tokenRows{Tokens: ts, CSRF: csrf, Action: action}
		},
		"lockRows": func(ls []store.SignInLock, csrf, back string) lockRows {
			return lockRows{Locks: ls, CSRF: csrf, Back: back}
		},
		"hex": func(b []byte) string { return fmt.Sprintf("%x", b) },
		"reviewOf": func(r *reviewRow, id int64, csrf string) reviewSection {
			return reviewSection{Row: r, ID: id, CSRF: csrf, Validities: domain.Validities}
		},
		"validityForm": func(id int64, csrf, back string) reviewSection {
			return reviewSection{ID: id, CSRF: csrf, Back: back, Validities: domain.Validities}
		},
	}
}

// pageData is what every page gets; Data is the page's own.
type pageData struct {
	User  *store.User
	Lang  string
	CSRF  string
	Title string
	Nav   string
	Flash string
	// FlashBad shows the flash as a refusal, not a confirmation.
	FlashBad bool
	Error    string
	Path     string
	Queues   []domain.Stage // the review queues the user works from (StageTable, the policy)
	IsOff    bool
	IsAdm    bool
	IsAud    bool
	IsPlat   bool
	IsRev    bool // has a periodic-review queue (a department head or an admin)
	IsCase   bool // handles applications (a case handler or an admin)
	// ToDo are the header's counts: unread notifications, returned
	// drafts, each queue's drafts (nil when they could not be read).
	ToDo *store.ToDo
	Data any
	// FormKey is the key of the page's forms (withFormOwner): the draft
	// form's own, or "" for one made for the page.
	FormKey string
	// Posted is a form to show again as it was posted (posted.go): after
	// signing in again, with Restored saying so; or refused, with Error.
	Posted   *postedForm
	Restored string
}

func (w *Web) lang(c echo.Context) string {
	if ck, err := c.Cookie("lang"); err == nil && slices.Contains(languages, ck.Value) {
		return ck.Value
	}
	return defaultLang
}

func (w *Web) t(c echo.Context, key string, args ...any) string {
	return w.pages.T(w.lang(c), key, args...)
}

func (w *Web) base(c echo.Context, title, nav string) pageData {
	p := pageData{User: currentUser(c), Lang: w.lang(c), CSRF: currentSession(c).CSRF, Nav: nav, Path: c.Request().URL.RequestURI()}
	p.Title = w.t(c, title)
	if p.User != nil {
		a := p.User.Actor()
		p.Queues, p.IsOff = domain.QueueStages(a, w.policy(c)), a.Has(domain.RoleOfficer)
		p.IsAdm, p.IsAud, p.IsPlat = a.Has(domain.RoleAdmin), a.Has(domain.RoleAuditor), a.Has(domain.RolePlatformAdmin)
		p.IsRev = a.Has(domain.RoleDeptHead) || a.Has(domain.RoleAdmin)
		p.IsCase = domain.CanHandleCases(a) == nil
		// The counts only help: a failure to read them is logged, and the
		// page shows without them.
		if todo, err := w.Store.ToDoCounts(c.Request().Context(), a, p.Queues); err == nil {
			p.ToDo = &todo
		} else {
			w.Log.Warn("reading the to-do counts", "err", err)
		}
	}
	if f, err := c.Cookie("flash"); err == nil && f.Value != "" {
		p.Flash, p.FlashBad = w.t(c, f.Value), strings.HasPrefix(f.Value, "rule.")
		c.SetCookie(&http.Cookie{Name: "flash", Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	return p
}

// policy is the agency's policy; a failure to read it is logged and read
// as the default (no optional reviewers), which only hides a queue link.
func (w *Web) policy(c echo.Context) domain.Policy {
	u := currentUser(c)
	if u == nil {
		return domain.Policy{}
	}
	p, err := w.Store.Policy(c.Request().Context(), u.AgencyID)
	if err != nil {
		w.Log.Error("reading the policy", "err", err)
	}
	return p
}

// flash shows a message (a locale key) on the next page.
func flash(c echo.Context, key string) {
	c.SetCookie(&http.Cookie{Name: "flash", Value: key, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: 60})
}

// render executes a page (its file's "content" inside "layout") into a
// buffer first, so a template error never sends half a page.
//
// A signed-in person's page carries, in every form, the fields that keep
// a post arriving after the session expired (withFormOwner); it puts back
// a form so kept (restoreForm, ?restore=key) or one refused (refuse).
func (w *Web) render(c echo.Context, status int, page string, p pageData) error {
	if status < 400 {
		if err := w.restoreForm(c, &p); err != nil {
			return err
		}
	}
	status = w.refusedPage(c, &p, status)
	if fd, ok := p.Data.(formData); ok && p.FormKey == "" {
		p.FormKey = fd.FormKey
	}
	out, err := w.executeBytes(p.Lang, page, "layout", p)
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, w.withFormOwner(out, p))
}

// fragment renders a partial (a {{define}} in a _*.html file) alone, for htmx.
func (w *Web) fragment(c echo.Context, name string, data any) error {
	return w.execute(c, http.StatusOK, w.lang(c), "", name, data)
}

func (w *Web) execute(c echo.Context, status int, lang, page, name string, p any) error {
	out, err := w.executeBytes(lang, page, name, p)
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, out)
}

func (w *Web) executeBytes(lang, page, name string, p any) ([]byte, error) {
	t := w.pages.pages[lang][page]
	if t == nil {
		return nil, fmt.Errorf("no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, p); err != nil {
		return nil, fmt.Errorf("error rendering %s/%s: %w", page, name, err)
	}
	return buf.Bytes(), nil
}

// errorView is the error page's: a heading that names the kind of
// problem (by the status) and the message that says what went wrong.
type errorView struct {
	Heading string
	Message string
	Code    string // the error's code, for whoever the person asks for help
}

// errorPage shows a translated error with its status.
func (w *Web) errorPage(c echo.Context, status int, key string, args ...any) error {
	return w.showError(c, status, w.t(c, key, args...))
}

// showError renders the error page, in the staff layout, with status.
func (w *Web) showError(c echo.Context, status int, msg string) error {
	return w.showErrorCode(c, status, msg, "")
}

// showErrorCode is showError with the error's code shown beneath.
func (w *Web) showErrorCode(c echo.Context, status int, msg, code string) error {
	p := w.base(c, "error.title", "")
	v := errorView{Heading: w.t(c, statusKey("error.heading", status)), Message: msg, Code: code}
	p.Title, p.Data = v.Heading, v
	return w.render(c, status, "error", p)
}

// statusKey is the locale key, under prefix, of what a person reads for an
// HTTP status: the statuses a person meets have their own, any other 4xx
// reads as a request that could not be handled, any 5xx as 系统繁忙.
func statusKey(prefix string, status int) string {
	switch status {
	case http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusConflict, http.StatusGone,
		http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return prefix + "." + strconv.Itoa(status)
	}
	if status >= 500 {
		return prefix + ".500"
	}
	return prefix + ".400"
}

// wantsPage reports whether the errors of a request are answered with a
// staff page rather than JSON: a browser's request for a page under /web,
// but not the draft form's autosave, whose script reads JSON, nor a
// client that asks for JSON alone.
func wantsPage(c echo.Context) bool {
	path := c.Request().URL.Path
	if path != "/web" && !strings.HasPrefix(path, "/web/") || c.Path() == "/web/drafts/autosave" {
		return false
	}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	return !strings.Contains(accept, echo.MIMEApplicationJSON) || strings.Contains(accept, echo.MIMETextHTML)
}

// statusPage is the page of an error no handler answered itself (a
// missing page, a refusal, a failure: api.UseErrorPage), in the person's
// language and the staff layout. The message is the refused rule's, or
// the Chinese one the error carries, or the status's; never the English
// detail of the JSON answer on a Chinese page.
func (w *Web) statusPage(c echo.Context, e *api.Error) error {
	if c.Get(ctxSessionRead) == nil {
		// An error before the pages' middleware ran (an address no route
		// has, a body over the limit): the headers and the session now.
		w.setSecurityHeaders(c)
		if err := w.loadSession(c); err != nil {
			w.Log.Warn("reading the session of an error page", "err", err)
		}
	}
	c.Response().Header().Del(echo.HeaderContentDisposition)
	lang := w.lang(c)
	msg, ok := w.pages.messages[lang]["rule."+e.Code]
	switch {
	case ok:
	case lang == langZH && e.MessageZH != "":
		msg = e.MessageZH
	default:
		msg = w.t(c, statusKey("error.message", e.Status))
	}
	code := e.Code
	switch {
	case code == "internal", code == "not_found", code == "method_not_allowed", code == "body_too_large", code == "unauthorized",
		strings.HasPrefix(code, "http_"):
		code = "" // says nothing the heading does not
	}
	return w.showErrorCode(c, e.Status, msg, code)
}

// tokenRows is the token table (_tokens.html): the tokens, and where their
// revoke buttons post ({Action}/{id}/revoke).
type tokenRows struct {
	Tokens []store.Token
	CSRF   string
	Action string
}

// lockRows is the sign-in brakes' table (_locks.html); Back is the page to
// return to after clearing one.
type lockRows struct {
	Locks []store.SignInLock
	CSRF  string
	Back  string
}

// noticeIn is a notification's text as a page in lang shows it: on a
// Chinese page without its English lines (and the English half of a line
// written "中文 / English"), which services/notifications adds for mail.
func noticeIn(lang, text string) string {
	if lang == "en" {
		return text
	}
	var keep []string
	for _, line := range strings.Split(text, "\n") {
		if zh, en, ok := strings.Cut(line, " / "); ok && hasHan(zh) && !hasHan(en) {
			line = zh
		}
		if hasHan(line) || !strings.ContainsFunc(line, unicode.IsLetter) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}
