package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Every word a visitor reads on the public pages (the column, the
// application form and its status page, their error pages, the feeds'
// titles) comes from the locale files the staff pages read,
// web/locales/{zh,en}.json, under the "public." prefix: the templates call
// t, the Go code publicWords.T.
//
// The column is a government's 政府信息公开 column: Chinese unless a
// request asks ?lang=en. The language is in the URL, never in a cookie or
// Accept-Language, so that the pages' public caching (Cache-Control:
// public) never serves one visitor's language to another; so an English
// page's links to the column's pages carry it (the templates' link, the
// search form's hidden lang field), and the application form and its
// status page keep it through their own form and links. Files and the
// transparency log's machine-readable answers have no language.

//go:embed web/locales/*.json
var publicLocaleFS embed.FS

const (
	publicZH = "zh"
	publicEN = "en"
)

// publicLangs are the languages of the public pages, the default first.
var publicLangs = []string{publicZH, publicEN}

// publicMessages are the locales' "public." messages, by language.
var publicMessages = mustPublicMessages()

// publicTemplates and applyTemplates are, per language, the column's pages
// and the application form's, each parsed with its t. They escape every
// value (html/template): draft text is shown as text, whatever it contains.
var (
	publicTemplates = mustPublicTemplates("templates/public.html")
	applyTemplates  = mustPublicTemplates("templates/apply.html")
)

// PublicKeys are the locale keys that the codes of internal/domain need on
// the public pages: every category, validity status, attachment role,
// withdrawal reason, applicant type and case state.
func PublicKeys() []string {
	var out []string
	for _, c := range publicCategories() {
		out = append(out, "public.category."+c)
	}
	for _, v := range domain.Validities {
		out = append(out, "public.validity."+string(v))
	}
	for _, r := range domain.AttachmentRoles {
		out = append(out, "public.role."+string(r))
	}
	for _, w := range domain.WithdrawalCodes {
		out = append(out, "public.withdrawal."+string(w))
	}
	for _, t := range domain.ApplicantTypes {
		out = append(out, "public.applicant."+string(t))
	}
	for _, s := range domain.CaseStates {
		out = append(out, "public.case_state."+string(s))
	}
	return out
}

// loadPublicMessages reads the "public." keys of every language, which
// must have the same keys and every key PublicKeys names.
func loadPublicMessages() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, lang := range publicLangs {
		b, err := publicLocaleFS.ReadFile("web/locales/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("error reading locale %s: %w", lang, err)
		}
		var all map[string]string
		if err := json.Unmarshal(b, &all); err != nil {
			return nil, fmt.Errorf("error parsing locale %s: %w", lang, err)
		}
		msgs := map[string]string{}
		for k, v := range all {
			if strings.HasPrefix(k, "public.") {
				msgs[k] = v
			}
		}
		out[lang] = msgs
	}
	for _, lang := range publicLangs[1:] {
		for k := range out[publicZH] {
			if _, ok := out[lang][k]; !ok {
				return nil, fmt.Errorf("locale %s lacks key %q", lang, k)
			}
		}
		for k := range out[lang] {
			if _, ok := out[publicZH][k]; !ok {
				return nil, fmt.Errorf("locale %s lacks key %q", publicZH, k)
			}
		}
	}
	for _, k := range PublicKeys() {
		if _, ok := out[publicZH][k]; !ok {
			return nil, fmt.Errorf("the locales lack key %q, which the public pages need", k)
		}
	}
	return out, nil
}

func mustPublicMessages() map[string]map[string]string {
	m, err := loadPublicMessages()
	if err != nil {
		panic(err)
	}
	return m
}

func mustPublicTemplates(file string) map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, lang := range publicLangs {
		w := publicWords{lang: lang}
		out[lang] = template.Must(template.New("").Funcs(template.FuncMap{"t": w.T, "link": w.Link, "lang": w.param}).ParseFS(templateFS, file))
	}
	return out
}

// publicWords translates the public pages into one language.
type publicWords struct{ lang string }

// wordsOf is the language a public request asks for: ?lang=en, or Chinese.
func wordsOf(c echo.Context) publicWords {
	if c.QueryParam("lang") == publicEN {
		return publicWords{lang: publicEN}
	}
	return publicWords{lang: publicZH}
}

// T is key's message, args formatted into it; a key the locales lack shows
// itself (the tests look for any).
func (w publicWords) T(key string, args ...any) string {
	msg, ok := publicMessages[w.lang][key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Category is a category code's name.
func (w publicWords) Category(code string) string {
	if code == "" {
		return ""
	}
	return w.T("public.category." + code)
}

// LongDate is a date as a sentence writes it (2026年1月2日).
func (w publicWords) LongDate(t time.Time) string { return t.Format(w.T("public.date_long")) }

// Link is the address of a public page u as a page in w's language links
// to it: as it is in Chinese, with lang=en added in English, so that a
// visitor who asked for English stays in English from link to link.
func (w publicWords) Link(u string) string {
	if w.lang == publicZH {
		return u
	}
	u, frag, hasFrag := strings.Cut(u, "#")
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "lang=" + w.lang
	if hasFrag {
		u += "#" + frag
	}
	return u
}

// param is the lang parameter's value that asks for w's language: "" for
// Chinese, which needs none.
func (w publicWords) param() string {
	if w.lang == publicZH {
		return ""
	}
	return w.lang
}

// query is what keeps the language in a link of the application form: ""
// in Chinese, ?lang=en in English.
func (w publicWords) query() string {
	if w.lang == publicZH {
		return ""
	}
	return "?lang=" + w.lang
}
