package api

import (
	"embed"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/fulltext"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The public 政府信息公开 column of an agency (issue 19 point 1): its
// standard columns, lists with pages, search with filters and highlighted
// hits, and the settings its admins give it (store.Site).

// publicCategories are the categories a visitor finds items of: every one
// but the replies to applications (domain.CategoryApplicationReply), which
// go to their applicants only and are never published.
func publicCategories() []string {
	return slices.DeleteFunc(slices.Clone(domain.Categories), func(c string) bool { return c == domain.CategoryApplicationReply })
}

// pageSize is how many items a list or search page shows.
const pageSize = store.SearchPageSize

// publicPage is the data every public page's header and footer read.
func publicPage(a *store.Agency, site store.Site, title, nav string) map[string]any {
	m := map[string]any{"Title": title, "Nav": nav, "Feed": "/public/all.json",
		"Feeds": map[string]string{"RSS": "/public/all.rss", "Atom": "/public/all.atom"}}
	if a != nil {
		m["Agency"], m["Site"] = a, site
		m["Feed"] = "/public/" + a.Slug + "/feed.json"
		m["Feeds"] = map[string]string{"RSS": "/public/" + a.Slug + "/feed.rss", "Atom": "/public/" + a.Slug + "/feed.atom"}
	}
	return m
}

// column resolves the :slug of a public URL with its settings.
func (s *Server) column(c echo.Context) (store.Agency, store.Site, error) {
	a, err := s.agency(c)
	if err != nil {
		return a, store.Site{}, err
	}
	site, err := s.Store.AgencySite(c.Request().Context(), a.ID)
	return a, site, err
}

// listItem is an item as a list shows it.
type listItem struct {
	URL, Title, Department, Category, Date, Agency string
	TitleHits, Snippet                             []fulltext.Segment
}

func listItems(w publicWords, items []store.PublicItem, slugs map[int64]store.Agency, runs []string) []listItem {
	out := make([]listItem, len(items))
	for i, it := range items {
		a := slugs[it.AgencyID]
		out[i] = listItem{URL: "/public/" + a.Slug + "/items/" + strconv.FormatInt(it.ID, 10), Title: it.Title, Department: it.Department,
			Category: w.Category(it.Category), Date: it.PublishedAt.In(domain.Beijing).Format(domain.DateLayout)}
		if len(slugs) > 1 {
			out[i].Agency = a.Name
		}
		if len(runs) > 0 {
			out[i].TitleHits = fulltext.Highlight(it.Title, runs, 0)
			out[i].Snippet = fulltext.Highlight(strings.Join(strings.Fields(it.Digest+" "+it.Body), " "), runs, 120)
		}
	}
	return out
}

// pager is a list's page links: every item of a list is on one of them.
type pager struct {
	Summary, Note, First, Prev, Next, Last string
	Pages                                  []pageLink
}

type pageLink struct {
	N       int
	URL     string
	Current bool
}

// newPager links the pages of a list of total items (at least total when
// capped) on page page, each URL made by at.
func newPager(w publicWords, page int, total int64, capped bool, shown int, maxPage int, at func(int) string) *pager {
	if total == 0 {
		return nil
	}
	last := int((total + pageSize - 1) / pageSize)
	if maxPage > 0 {
		last = min(last, maxPage)
	}
	p := &pager{First: at(1)}
	if capped {
		p.Summary = w.T("public.pager.summary_capped", page, total)
	} else {
		p.Summary = w.T("public.pager.summary", page, last, total)
		p.Last = at(last)
	}
	if page > 1 {
		p.Prev = at(page - 1)
	}
	// A capped list goes on past its count while its pages are full.
	if page < last || capped && shown == pageSize && (maxPage == 0 || page < maxPage) {
		p.Next = at(page + 1)
	}
	for n := max(1, page-4); n <= min(max(last, page), page+4); n++ {
		p.Pages = append(p.Pages, pageLink{N: n, URL: at(n), Current: n == page})
	}
	return p
}

// option is a filter's choice.
type option struct {
	Code, Name string
	Selected   bool
}

// columnQuery is the filters of a list or search URL.
type columnQuery struct {
	Q, Category string
	Department  int64
	Year, Page  int
}

// parseColumnQuery reads ?q, category, department, year and page; a value
// a visitor cannot have chosen from the form is a 404 page.
func parseColumnQuery(c echo.Context) (columnQuery, bool) {
	var q columnQuery
	q.Q = strings.TrimSpace(c.QueryParam("q"))
	if utf8.RuneCountInString(q.Q) > 100 {
		q.Q = string([]rune(q.Q)[:100])
	}
	q.Category = c.QueryParam("category")
	if q.Category != "" && !slices.Contains(publicCategories(), q.Category) {
		return q, false
	}
	num := func(name string, lo, hi int) (int, bool) {
		v := c.QueryParam(name)
		if v == "" {
			return 0, true
		}
		n, err := strconv.Atoi(v)
		return n, err == nil && n >= lo && n <= hi
	}
	var ok bool
	var d int
	if d, ok = num("department", 1, 1<<31-1); !ok {
		return q, false
	}
	q.Department = int64(d)
	if q.Year, ok = num("year", 1990, 2200); !ok {
		return q, false
	}
	if q.Page, ok = num("page", 1, 1000000); !ok {
		return q, false
	}
	q.Page = max(q.Page, 1)
	return q, true
}

// values is q as a URL's query, on page page.
func (q columnQuery) values(page int, fixedCategory bool) string {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.Category != "" && !fixedCategory {
		v.Set("category", q.Category)
	}
	if q.Department != 0 {
		v.Set("department", strconv.FormatInt(q.Department, 10))
	}
	if q.Year != 0 {
		v.Set("year", strconv.Itoa(q.Year))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// columnView is what a list page of the column is: its heading, its
// navigation tab and its fixed filter.
type columnView struct {
	heading, intro, nav, base string
	category                  string   // a category's own column
	topic                     string   // a topic's page
	search                    bool     // the search page
	categories                []string // the statutory column: any of these
}

// publicList is the column's home: its latest items, a page at a time.
func (s *Server) publicList(c echo.Context) error {
	return s.columnList(c, columnView{heading: wordsOf(c).T("public.latest"), nav: "home", base: ""})
}

// publicSearch is /public/{slug}/search: the column's items matching the
// words and filters, hits marked.
func (s *Server) publicSearch(c echo.Context) error {
	return s.columnList(c, columnView{heading: wordsOf(c).T("public.search.title"), nav: "home", base: "search", search: true})
}

// publicCategory is one category's column, /public/{slug}/categories/{code}.
func (s *Server) publicCategory(c echo.Context) error {
	code := c.Param("code")
	if !slices.Contains(publicCategories(), code) {
		return echo.NewHTTPError(http.StatusNotFound, "no such category")
	}
	if code == "annual_report" {
		return c.Redirect(http.StatusMovedPermanently, "../annual-reports")
	}
	return s.columnList(c, columnView{heading: wordsOf(c).Category(code), nav: "categories", base: "categories/" + code, category: code})
}

// publicAnnualReports is the 政府信息公开年报 column.
func (s *Server) publicAnnualReports(c echo.Context) error {
	w := wordsOf(c)
	return s.columnList(c, columnView{heading: w.T("public.annual.title"), nav: "annual", base: "annual-reports", category: "annual_report",
		intro: w.T("public.annual.intro")})
}

// publicTopic is a topic's page, /public/{slug}/topics/{topic}: the items
// of every department about one project, in the order they were published.
func (s *Server) publicTopic(c echo.Context) error {
	topic, err := url.PathUnescape(c.Param("topic"))
	if err != nil || topic == "" || utf8.RuneCountInString(topic) > domain.MaxTopicRunes {
		return echo.NewHTTPError(http.StatusNotFound, "no such topic")
	}
	w := wordsOf(c)
	return s.columnList(c, columnView{heading: w.T("public.topic.title", topic), nav: "", base: "topics/" + url.PathEscape(topic), topic: topic,
		intro: w.T("public.topic.intro")})
}

// columnList renders one page of a list or search of the column.
func (s *Server) columnList(c echo.Context, v columnView) error {
	a, site, err := s.column(c)
	if err != nil {
		return err
	}
	q, ok := parseColumnQuery(c)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such page")
	}
	if v.category != "" {
		q.Category = v.category
	}
	if v.search && q.Page > store.MaxSearchPages {
		q.Page = store.MaxSearchPages
	}
	ctx := c.Request().Context()
	sq := store.PublicQuery{AgencyID: a.ID, Q: q.Q, Category: q.Category, Categories: v.categories, DepartmentID: q.Department, Year: q.Year,
		Topic: v.topic, Oldest: v.topic != "", Page: q.Page, Size: pageSize}
	page, err := s.Store.PublicList(ctx, sq)
	bad := errors.Is(err, store.ErrBadQuery)
	if err != nil && !bad {
		return err
	}
	deps, err := s.Store.PublicDepartments(ctx, a.ID)
	if err != nil {
		return err
	}
	years, err := s.Store.PublicYears(ctx, a.ID)
	if err != nil {
		return err
	}
	w := wordsOf(c)
	data := publicPage(&a, site, v.heading, v.nav)
	data["Heading"], data["Intro"], data["Q"] = v.heading, v.intro, q.Q
	var cats []option
	for _, code := range publicCategories() {
		cats = append(cats, option{Code: code, Name: w.Category(code), Selected: code == q.Category})
	}
	data["CategoryOptions"] = cats
	var dopts []map[string]any
	for _, d := range deps {
		dopts = append(dopts, map[string]any{"ID": d.ID, "Name": d.Name, "Selected": d.ID == q.Department})
	}
	data["Departments"] = dopts
	var yopts []map[string]any
	for _, y := range years {
		yopts = append(yopts, map[string]any{"Y": y, "Selected": y == q.Year})
	}
	data["Years"] = yopts
	data["Items"] = listItems(w, page.Items, map[int64]store.Agency{a.ID: a}, page.Runs)
	searched := q.Q != "" || v.search
	data["Searched"] = searched
	switch {
	case bad:
		data["Found"] = w.T("public.search.bad_query")
	case q.Q == "" && v.search:
		data["Found"] = w.T("public.search.empty_query")
	case page.Capped:
		data["Found"] = w.T("public.search.found_capped", page.Total)
	default:
		data["Found"] = w.T("public.search.found", page.Total)
	}
	base := "/public/" + a.Slug + "/" + v.base
	maxPage := 0
	if v.search {
		maxPage = store.MaxSearchPages
	}
	p := newPager(w, q.Page, page.Total, page.Capped, len(page.Items), maxPage, func(n int) string { return base + q.values(n, v.category != "") })
	if p != nil && v.search && page.Capped {
		p.Note = w.T("public.pager.note_capped", maxPage)
	}
	data["Pager"] = p
	if v.nav == "home" && !v.search {
		ts, err := s.Store.PublicTopics(ctx, a.ID)
		if err != nil {
			return err
		}
		var topics []map[string]any
		for _, t := range ts {
			topics = append(topics, map[string]any{"Name": t.Topic, "Count": t.Count, "URL": "/public/" + a.Slug + "/topics/" + url.PathEscape(t.Topic)})
		}
		data["Topics"] = topics
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	return s.render(c, http.StatusOK, "list", data)
}

// publicCategories is the 法定主动公开内容 column: every category with its
// count of items.
func (s *Server) publicCategories(c echo.Context) error {
	a, site, err := s.column(c)
	if err != nil {
		return err
	}
	counts, err := s.Store.PublicCategoryCounts(c.Request().Context(), a.ID)
	if err != nil {
		return err
	}
	w := wordsOf(c)
	var cats []map[string]any
	for _, code := range publicCategories() {
		if code == "annual_report" {
			continue
		}
		cats = append(cats, map[string]any{"Name": w.Category(code), "URL": "/public/" + a.Slug + "/categories/" + code, "Count": counts[code]})
	}
	data := publicPage(&a, site, w.T("public.categories.title"), "categories")
	data["Categories"] = cats
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	return s.render(c, http.StatusOK, "categories", data)
}

// paragraphs cuts an admin's text into its paragraphs.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// publicGuide is the 政府信息公开指南 column, as the agency's admins wrote it.
func (s *Server) publicGuide(c echo.Context) error {
	return s.textPage(c, "guide", "public.guide.title", func(st store.Site) string { return st.Guide }, "")
}

// publicRules is the 政府信息公开制度 column.
func (s *Server) publicRules(c echo.Context) error {
	return s.textPage(c, "rules", "public.rules.title", func(st store.Site) string { return st.Rules }, "")
}

// publicApplication is the 依申请公开 column: what an application is and
// where to make it (the online form is /public/{slug}/apply).
func (s *Server) publicApplication(c echo.Context) error {
	text := wordsOf(c).T("public.application.text")
	return s.textPage(c, "application", "public.application.title", func(store.Site) string { return text }, "public.application.link")
}

// textPage renders one of the column's text pages from the agency's
// settings: text picks the page's text from them; headingKey names the
// page, linkKey (when not "") a button to the online form.
func (s *Server) textPage(c echo.Context, nav, headingKey string, text func(store.Site) string, linkKey string) error {
	a, site, err := s.column(c)
	if err != nil {
		return err
	}
	w := wordsOf(c)
	heading := w.T(headingKey)
	data := publicPage(&a, site, heading, nav)
	data["Heading"], data["Paragraphs"], data["Empty"] = heading, paragraphs(text(site)), w.T("public.text.empty", heading)
	if linkKey != "" {
		data["Link"] = struct{ URL, Text string }{URL: "/public/" + a.Slug + "/apply", Text: w.T(linkKey)}
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return s.render(c, http.StatusOK, "text", data)
}

// reDocNumberLine is a 文号 line of a body: 文号：东政发〔2024〕1号, with the
// labels the completeness checks know (发文字号, 决定书文号, 许可决定文号…).
var reDocNumberLine = regexp.MustCompile(`(?m)^\s*(?:\p{Han}{0,6}文号|发文字号|文书号)\s*[:：]\s*(\S[^\n]{0,60}?)\s*$`)

// docNumber is the 文号 a body names on a line of its own, or "".
func docNumber(body string) string {
	if m := reDocNumberLine.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

//go:embed templates/static
var publicStatic embed.FS

// publicFileServer serves /public/static/{name}: the pages' stylesheet and
// script, which their CSP allows from this site only.
func (s *Server) publicStaticFile(c echo.Context) error {
	name := path.Clean(c.Param("name"))
	b, err := fs.ReadFile(publicStatic, "templates/static/"+name)
	if err != nil || strings.Contains(name, "/") {
		return echo.NewHTTPError(http.StatusNotFound, "no such file")
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, mime.TypeByExtension(path.Ext(name))+"; charset=utf-8", b)
}

// publicHTML reports whether path is one of the public pages a person
// reads, or an item's file a person follows a link to (not a feed, the
// pages' static files or the transparency log's machine answers): its
// errors are pages in the visitor's language (Chinese), not JSON.
func publicHTML(p string) bool {
	if !strings.HasPrefix(p, "/public/") || strings.HasPrefix(p, "/public/static/") {
		return false
	}
	return !slices.ContainsFunc([]string{".json", ".rss", ".atom", "/checkpoint", "/consistency"}, func(x string) bool { return strings.HasSuffix(p, x) })
}

// publicError renders an error of a public page as a page in the
// visitor's language (Chinese).
func (s *Server) publicError(c echo.Context, status int) {
	w := wordsOf(c)
	data := publicPage(nil, store.Site{}, w.T("public.error.not_found"), "")
	name := "missing"
	switch {
	case status == http.StatusNotFound:
		if a, err := s.Store.AgencyBySlug(c.Request().Context(), strings.SplitN(strings.TrimPrefix(c.Request().URL.Path, "/public/"), "/", 2)[0]); err == nil {
			site, _ := s.Store.AgencySite(c.Request().Context(), a.ID)
			data = publicPage(&a, site, w.T("public.error.not_found"), "")
		}
	case status >= 500:
		name = "failed"
		data["Title"], data["Heading"], data["Message"] = w.T("public.error.busy"), w.T("public.error.busy"), w.T("public.error.busy_text")
	default:
		name = "failed"
		data["Title"], data["Heading"], data["Message"] = w.T("public.error.bad"), w.T("public.error.bad"), w.T("public.error.bad_text")
	}
	if err := s.render(c, status, name, data); err != nil {
		s.Log.Error("error rendering a public error page", "err", err)
	}
}
