package api_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/services/api"
)

// han is a Chinese character: a word a visitor reads, not code.
var han = regexp.MustCompile(`\p{Han}`)

// publicSources are the Go files of the public pages, and in each the
// declarations whose Chinese literals are not words shown to a visitor
// ("*": the whole file is checked).
var publicSources = map[string]struct {
	only  []string // check these functions only
	allow []string // skip these declarations, with the reason below
}{
	"public.go":        {},
	"public_column.go": {allow: []string{"reDocNumberLine"}}, // a pattern that finds the 文号 line of a body
	"public_feeds.go":  {},
	"public_words.go":  {},
	"apply.go":         {},
	"transparency.go":  {},
	"public_site.go":   {allow: []string{"CheckSite"}}, // the settings' refusals, for the agency's admins (API and web), not visitors
	"review.go":        {only: []string{"publicValidity"}},
	"files.go":         {only: []string{"publicFile"}},
}

// declName is a top-level declaration's name (a function's, or its
// first value's).
func declName(d ast.Decl) string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Name.Name
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				return s.Names[0].Name
			case *ast.TypeSpec:
				return s.Name.Name
			}
		}
	}
	return ""
}

// keyPrefix is a literal the code completes into keys: "public.category.".
var keyPrefix = regexp.MustCompile(`^public\.[a-z_.]+\.$`)

// TestPublicWordsFromLocales: no word a visitor reads on the public pages
// is written in their Go code or templates; every one is a "public." key
// of the locales, in both languages; every such key is used.
func TestPublicWordsFromLocales(t *testing.T) {
	t.Parallel()
	// The templates: nothing Chinese outside their actions ({{t "…"}}).
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	var templateKeys []string
	for _, f := range []string{"templates/public.html", "templates/apply.html"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(action.ReplaceAllString(string(b), ""), "\n") {
			if han.MatchString(line) {
				t.Errorf("%s line %d shows words of its own, not through t: %s", f, i+1, line)
			}
		}
		if !strings.Contains(string(b), `{{t "public.`) {
			t.Errorf("%s calls no t", f)
		}
		for _, m := range regexp.MustCompile(`"(public\.[a-z0-9_.]+)"`).FindAllStringSubmatch(string(b), -1) {
			templateKeys = append(templateKeys, m[1])
		}
	}

	// The Go code: no Chinese literal outside the declarations allowed;
	// every literal of every file of the package, for the keys they use.
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	var literals []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		rules, checked := publicSources[f]
		for _, d := range file.Decls {
			name := declName(d)
			check := checked && !slices.Contains(rules.allow, name) && (rules.only == nil || slices.Contains(rules.only, name))
			ast.Inspect(d, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				literals = append(literals, s)
				if check && han.MatchString(s) {
					t.Errorf("%s: %s shows the words %s: make it a public. key of the locales", fset.Position(lit.Pos()), name, lit.Value)
				}
				return true
			})
		}
	}
	for f := range publicSources {
		if !slices.Contains(files, f) {
			t.Errorf("%s is gone: update publicSources", f)
		}
	}

	locales := map[string]map[string]string{}
	for _, lang := range []string{"zh", "en"} {
		b, err := os.ReadFile("web/locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		locales[lang] = m
	}
	// Every key the code or a template names is in both locales.
	for _, k := range append(slices.Clone(templateKeys), literals...) {
		if !regexp.MustCompile(`^public\.[a-z0-9_.]*[a-z0-9_]$`).MatchString(k) {
			continue // not a key, or a prefix
		}
		for lang, m := range locales {
			if _, ok := m[k]; !ok {
				t.Errorf("the %s locale lacks %q", lang, k)
			}
		}
	}
	for _, k := range api.PublicKeys() {
		for lang, m := range locales {
			if _, ok := m[k]; !ok {
				t.Errorf("the %s locale lacks %q, which a code of internal/domain needs", lang, k)
			}
		}
	}
	// Every public. key of the locales is used: named whole, or by a
	// prefix ("public.category.") the code completes.
	var unused []string
	for k := range locales["zh"] {
		if !strings.HasPrefix(k, "public.") {
			continue
		}
		used := slices.Contains(templateKeys, k) || slices.ContainsFunc(literals, func(l string) bool {
			return l == k || keyPrefix.MatchString(l) && strings.HasPrefix(k, l)
		})
		if !used {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("keys no public page uses: %v", unused)
	}
}

// publicLocale is the "public." messages of a locale.
func publicLocale(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("web/locales/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]string
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range all {
		if strings.HasPrefix(k, "public.") {
			out[k] = v
		}
	}
	return out
}

// TestPublicPagesInEnglish: ?lang=en shows the column, an item, the error
// pages, the form and the feeds in English, no key shown and no Chinese
// message of the locale; without it, the same pages are Chinese.
func TestPublicPagesInEnglish(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	news := h.published("社区简讯第01期")
	norm := h.publishedAs("关于印发《街道社区议事规则》的通知", "normative_document", 10)
	gone := h.published("将要撤下的简讯")
	h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", gone), "admin", map[string]any{"reason": "信息有误", "code": "superseded"}), http.StatusOK, "")
	zh, en := publicLocale(t, "zh"), publicLocale(t, "en")
	// The Chinese messages' fixed parts (4 characters or more) that English
	// does not share: none may show on an English page.
	var chinese []string
	for k, v := range zh {
		if en[k] == v {
			continue
		}
		for _, part := range regexp.MustCompile(`%[a-z]|\n`).Split(v, -1) {
			if len([]rune(part)) >= 4 && han.MatchString(part) {
				chinese = append(chinese, part)
			}
		}
	}

	pages := map[string]struct {
		status int
		zh, en string
	}{
		"/public/":         {200, "最新公开信息", "Latest disclosures"},
		"/public/default/": {200, "第1页，共1页，2条", "Page 1 of 1 (2 items in all)"},
		"/public/default/search?q=%E7%AE%80%E8%AE%AF": {200, "找到1条结果", "Results: 1, by date of publication."},
		"/public/default/categories/":                 {200, "法定主动公开内容", "Proactive Disclosure"},
		"/public/default/guide":                       {200, "本机关尚未在此发布政府信息公开指南。", "This agency has not yet published its Guide to Government Information Disclosure here."},
		"/public/default/application":                 {200, "第二十七条", "Article 27"},
		"/public/default/annual-reports":              {200, "政府信息公开工作年度报告", "Annual Reports on Government Information Disclosure"},
		"/public/default/topics/x":                    {200, "专题：x", "Topic: x"},
		fmt.Sprintf("/public/default/items/%d", news): {200, `<th scope="row">有效性</th><td colspan="3" id="validity"><strong>有效</strong></td>`,
			`<th scope="row">Validity</th><td colspan="3" id="validity"><strong>Valid</strong></td>`},
		fmt.Sprintf("/public/default/items/%d", norm):    {200, `id="validity">—</td>`, `id="validity">—</td>`},
		fmt.Sprintf("/public/default/items/%d", gone):    {410, "原因：已有新的信息替代。", "Reason: newer information replaces it."},
		"/public/default/items/999999":                   {404, "未找到该信息", "Information not found"},
		"/public/default/nosuch":                         {404, "未找到该信息", "Information not found"},
		"/public/transparency/":                          {200, "审计日志公开（透明日志）", "Public audit log (transparency log)"},
		"/public/default/apply":                          {200, "政府信息公开申请", `action="/public/default/apply?lang=en"`},
		"/public/default/apply/status?code=WRONGCODE234": {404, "查询码不正确。", `<input type="hidden" name="lang" value="en">`},
	}
	for path, want := range pages {
		for lang, text := range map[string]string{"zh": want.zh, "en": want.en} {
			p := path
			if lang == "en" {
				p += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "lang=en"
			}
			status, hdr, body := h.get(p)
			if status != want.status || !strings.Contains(body, text) {
				t.Errorf("%s: %d, want %d with %q:\n%s", p, status, want.status, text, body)
			}
			for k := range zh {
				if regexp.MustCompile(`\b` + regexp.QuoteMeta(k) + `\b`).MatchString(body) {
					t.Errorf("%s shows the key %q", p, k)
				}
			}
			wantLang := map[string]string{"zh": `lang="zh-CN"`, "en": `lang="en"`}[lang]
			if !strings.Contains(body, wantLang) || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
				t.Errorf("%s is not a %s page", p, lang)
			}
			if lang == "en" {
				for _, part := range chinese {
					if strings.Contains(body, part) {
						t.Errorf("%s shows the Chinese %q", p, part)
					}
				}
			}
		}
	}
	// The feeds: the platform's describes itself once (not 政府信息公开政府信息公开).
	for path, want := range map[string]string{
		"/public/all.rss":                  "<description>各机关主动公开的政府信息</description>",
		"/public/default/feed.rss":         "<description>本机关政府信息公开</description>",
		"/public/all.rss?lang=en":          "<description>Government information disclosed by every agency</description>",
		"/public/all.atom?lang=en":         `xml:lang="en"`,
		"/public/all.json":                 `"title":"政府信息公开"`,
		"/public/all.json?lang=en":         `"title":"Government Information Disclosure"`,
		"/public/default/feed.rss?lang=en": "<category>News</category>",
	} {
		status, _, body := h.get(path)
		if status != http.StatusOK || !strings.Contains(body, want) || strings.Contains(body, "政府信息公开政府信息公开") {
			t.Errorf("%s: %d, want %q:\n%s", path, status, want, body)
		}
	}
}

// TestPublicLinksStayInEnglish: a visitor who asked for English stays in
// English from link to link. From the English index, every link to a
// page of the column carries lang=en and leads to an English page: the
// agencies, the columns, the categories, a topic, the items, the pager's
// pages, the application form and the feeds; the search form asks in
// English too. Files and the transparency log's machine-readable answers
// have no language and are not followed.
func TestPublicLinksStayInEnglish(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := draftBody("老旧小区改造项目启动")
	b["topics"] = []string{"老旧小区改造"}
	h.publishedBy("officer", "head", "综合办", b)
	for i := range 21 { // a second page
		h.published(fmt.Sprintf("社区简讯第%02d期", i+1))
	}
	link := regexp.MustCompile(`href="([^"]*)"`)
	feedLink := regexp.MustCompile(`<link>([^<]*)</link>|<link href="([^"]*)"|"(?:url|home_page_url|feed_url)":"([^"]*)"`)
	feedID := regexp.MustCompile(`<guid>([^<]*)</guid>|<id>([^<]*)</id>|"id":"([^"]*)"`)
	languageless := regexp.MustCompile(`^/public/(static/|files/|[^/]+/emblem/|transparency/(checkpoint|heads\.json))`)
	reached := map[string]bool{}
	seen := map[string]bool{}
	queue := []string{"/public/?lang=en"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		status, hdr, body := h.get(p)
		if status != http.StatusOK {
			t.Errorf("%s: %d", p, status)
			continue
		}
		for _, r := range []string{"?page=2&", "/items/", "/categories/", "/topics/", "/guide?", "/apply?", "/transparency/?", "feed.json", "feed.rss", "feed.atom"} {
			if strings.Contains(p, r) {
				reached[r] = true
			}
		}
		english := map[string]string{"application/feed+json": `"language":"en"`, "application/rss+xml": "<language>en</language>",
			"application/atom+xml": `xml:lang="en"`, "text/html": `<html lang="en">`}
		ct, _, _ := strings.Cut(hdr.Get("Content-Type"), ";")
		if want, ok := english[ct]; !ok || !strings.Contains(body, want) {
			t.Errorf("%s (%s) is not in English", p, ct)
		}
		if ct != "text/html" {
			// A feed's links open its items in English; their ids stay
			// the items' own, so a reader never sees an item twice.
			links := feedLink.FindAllStringSubmatch(body, -1)
			if len(links) == 0 {
				t.Errorf("%s has no links", p)
			}
			for _, m := range links {
				l := strings.Join(m[1:], "") // the one alternative that matched
				if u, err := url.Parse(html.UnescapeString(l)); err != nil || u.Query().Get("lang") != "en" {
					t.Errorf("%s links to %s, a Chinese page", p, l)
				}
			}
			for _, m := range feedID.FindAllStringSubmatch(body, -1) {
				if id := strings.Join(m[1:], ""); strings.Contains(id, "lang=") {
					t.Errorf("%s names an item %s: its id changes with the language", p, id)
				}
			}
			continue
		}
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/public/") || languageless.MatchString(u.Path) {
				continue // another site's, a file, the log's own
			}
			if u.Query().Get("lang") != "en" {
				t.Errorf("%s links to %s, a Chinese page", p, m[1])
				continue
			}
			u.Fragment = ""
			queue = append(queue, u.String())
		}
		if len(seen) > 300 {
			t.Fatalf("more than 300 pages: %v", seen)
		}
	}
	for _, r := range []string{"?page=2&", "/items/", "/categories/", "/topics/", "/guide?", "/apply?", "/transparency/?", "feed.json", "feed.rss", "feed.atom"} {
		if !reached[r] {
			t.Errorf("no English link reached %q (%d pages)", r, len(seen))
		}
	}
	// The search form asks in English, and its answer links in English.
	_, _, home := h.get("/public/default/?lang=en")
	form := regexp.MustCompile(`(?s)<form class="search"[^>]*>.*?</form>`).FindString(home)
	if !strings.Contains(form, `<input type="hidden" name="lang" value="en">`) {
		t.Errorf("the English search form does not ask in English: %s", form)
	}
	_, _, found := h.get("/public/default/search?lang=en&q=" + url.QueryEscape("简讯"))
	if !strings.Contains(found, "Results: 21") || !strings.Contains(found, `rel="next"`) ||
		!regexp.MustCompile(`href="/public/default/search\?page=2&amp;q=[^"]*&amp;lang=en" rel="next"`).MatchString(found) {
		t.Errorf("the English search's answer:\n%s", found)
	}
	// In Chinese the links are as they were: no lang at all.
	if _, _, zh := h.get("/public/default/"); regexp.MustCompile(`(\?|&amp;)lang=|name="lang"`).MatchString(zh) {
		t.Errorf("a Chinese page's links ask for a language")
	}
}
