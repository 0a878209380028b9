package api

import (
	"embed"
	"errors"
	"github.com/sanshen-gov/sanshen/internal/bodyhtml"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// publicTemplates escape every value (html/template): draft text is shown
// as text, whatever it contains.
var publicTemplates = template.Must(template.ParseFS(templateFS, "templates/public.html"))

// categoryNames are the Chinese names of the category codes, for readers.
var categoryNames = map[string]string{
	"regulation": "规章", "normative_document": "行政规范性文件", "agency_info": "机关职能、机构设置、联系方式",
	"plan": "规划", "statistics": "统计信息", "license": "行政许可", "penalty": "行政处罚决定", "enforcement": "行政强制",
	"budget": "财政预算决算", "fee": "行政事业性收费", "procurement": "政府集中采购", "major_project": "重大建设项目",
	"public_service": "公共服务", "emergency": "突发公共事件", "inspection": "监督检查", "civil_service": "公务员招考",
	"news": "工作动态", "annual_report": "年度报告", "other": "其他",
}

// publicCSP allows the pages' own stylesheet, script and images, and the
// search form: nothing inline.
const publicCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) render(c echo.Context, status int, name string, data any) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", publicCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(status)
	return publicTemplates.ExecuteTemplate(c.Response(), name, data)
}

// publicIndex is the platform's index: every agency's column, and the
// latest items of all of them.
func (s *Server) publicIndex(c echo.Context) error {
	ctx := c.Request().Context()
	as, err := s.Store.Agencies(ctx)
	if err != nil {
		return err
	}
	items, err := s.Store.PublicItems(ctx, 0, 30)
	if err != nil {
		return err
	}
	slugs := map[int64]store.Agency{}
	for _, a := range as {
		slugs[a.ID] = a
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	data := publicPage(nil, store.Site{}, "政府信息公开", "")
	data["Agencies"], data["Items"] = as, listItems(items, slugs, nil)
	return s.render(c, http.StatusOK, "index", data)
}

// agency resolves the :slug of a public URL; an unknown one is 404.
func (s *Server) agency(c echo.Context) (store.Agency, error) {
	a, err := s.Store.AgencyBySlug(c.Request().Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		return a, echo.NewHTTPError(http.StatusNotFound, "no such agency")
	}
	return a, err
}

func (s *Server) publicItem(c echo.Context) error {
	a, site, err := s.column(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such item")
	}
	it, err := s.Store.PublicItem(c.Request().Context(), a.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return s.itemGone(c, a, site, id)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	content := domain.Content{Body: it.Body, Attachments: it.Attachments}
	var files []map[string]string // documents and videos, listed under the body
	for _, x := range it.Attachments {
		if x.Role == domain.RoleDocument || x.Role == domain.RoleVideo {
			files = append(files, map[string]string{"Name": x.Name, "URL": PublicFileURL("", x), "Kind": roleZH[x.Role]})
		}
	}
	var cover string
	if x, ok := content.Cover(); ok {
		cover = PublicFileURL("", x)
	}
	// A corrected item carries its dated correction notes, newest first.
	var corrections []map[string]string
	for i := len(it.Corrections) - 1; i >= 0; i-- {
		x := it.Corrections[i]
		corrections = append(corrections, map[string]string{"Date": x.At.In(domain.Beijing).Format(domain.DateLayout), "Note": x.Note})
	}
	validity, err := s.publicValidity(c, a, it)
	if err != nil {
		return err
	}
	var topics []map[string]string
	for _, t := range it.Topics {
		topics = append(topics, map[string]string{"Name": t, "URL": "/public/" + a.Slug + "/topics/" + url.PathEscape(t)})
	}
	data := publicPage(&a, site, it.Title, "")
	for k, v := range map[string]any{"Item": it, "Category": categoryNames[it.Category], "Cover": cover, "Files": files, "Corrections": corrections,
		"Validity": validity, "Published": it.PublishedAt.In(domain.Beijing).Format(domain.DateLayout), "Formed": it.FormedOn.Format(domain.DateLayout),
		"DocNumber": docNumber(it.Body), "Topics": topics, "CarriesValidity": domain.CarriesValidity(it.Category),
		"Body": bodyhtml.Render(content, func(x domain.Attachment) string { return PublicFileURL("", x) })} {
		data[k] = v
	}
	return s.render(c, http.StatusOK, "item", data)
}

// withdrawalZH says why an item was taken down, for its public page.
var withdrawalZH = map[domain.WithdrawalCode]string{
	domain.WithdrawExpired:    "公开期限已届满",
	domain.WithdrawRevoked:    "所依据的决定已被撤销",
	domain.WithdrawSuperseded: "已有新的信息替代",
	domain.WithdrawError:      "发布有误",
	domain.WithdrawOther:      "其他原因",
}

// itemGone answers an item's URL that shows nothing: 410 with a page
// saying when and why a withdrawn item was taken down, 404 with a page for
// anything never published here.
func (s *Server) itemGone(c echo.Context, a store.Agency, site store.Site, id int64) error {
	w, err := s.Store.PublicWithdrawn(c.Request().Context(), a.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return s.render(c, http.StatusNotFound, "missing", publicPage(&a, site, "未找到该信息", ""))
	}
	if err != nil {
		return err
	}
	why := withdrawalZH[w.Code]
	if why == "" {
		why = withdrawalZH[domain.WithdrawOther]
	}
	data := publicPage(&a, site, "该信息已撤下", "")
	data["Item"], data["Why"], data["Date"] = w, why, w.WithdrawnAt.In(domain.Beijing).Format("2006年1月2日")
	return s.render(c, http.StatusGone, "gone", data)
}

// itemLink is an item's permanent short link, /public/items/{id}, which
// every link shared before agencies is: 301 to the item in its agency's
// column (or, for no published item, to where the default agency's would be).
func (s *Server) itemLink(c echo.Context) error {
	ctx := c.Request().Context()
	agency := store.DefaultAgency
	if id, err := strconv.ParseInt(c.Param("id"), 10, 64); err == nil {
		if it, err := s.Store.PublicItem(ctx, 0, id); err == nil {
			agency = it.AgencyID
		}
	}
	a, err := s.Store.Agency(ctx, agency)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusMovedPermanently, "/public/"+a.Slug+"/items/"+url.PathEscape(c.Param("id")))
}

// defaultFeed is the feed's URL before agencies: 301 to the default
// agency's feed.
func (s *Server) defaultFeed(c echo.Context) error {
	a, err := s.Store.Agency(c.Request().Context(), store.DefaultAgency)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusMovedPermanently, "/public/"+a.Slug+"/feed.json")
}

// feedItem is a JSON Feed 1.1 item.
type feedItem struct {
	ID            string    `json:"id"`
	URL           string    `json:"url"`
	Title         string    `json:"title"`
	ContentText   string    `json:"content_text"`
	DatePublished time.Time `json:"date_published"`
	Tags          []string  `json:"tags,omitempty"`
	Authors       []struct {
		Name string `json:"name"`
	} `json:"authors,omitempty"`
}

// publicFeed is an agency's JSON Feed.
func (s *Server) publicFeed(c echo.Context) error {
	a, err := s.agency(c)
	if err != nil {
		return err
	}
	return s.feed(c, a.ID, a.Name, "/public/"+a.Slug+"/", "/public/"+a.Slug+"/feed.json")
}

// platformFeed is every agency's items in one JSON Feed.
func (s *Server) platformFeed(c echo.Context) error {
	return s.feed(c, 0, "政府信息公开", "/public/", "/public/all.json")
}

func (s *Server) feed(c echo.Context, agencyID int64, title, home, self string) error {
	ctx := c.Request().Context()
	items, err := s.Store.PublicItems(ctx, agencyID, 100)
	if err != nil {
		return err
	}
	as, err := s.Store.Agencies(ctx)
	if err != nil {
		return err
	}
	slugs := map[int64]string{}
	for _, a := range as {
		slugs[a.ID] = a.Slug
	}
	feed := map[string]any{
		"version":       "https://jsonfeed.org/version/1.1",
		"title":         title,
		"home_page_url": s.PublicURL + home,
		"feed_url":      s.PublicURL + self,
		"language":      "zh-CN",
		"items":         feedItems(s.PublicURL, slugs, items),
	}
	c.Response().Header().Set("Content-Type", "application/feed+json; charset=utf-8")
	return c.JSON(http.StatusOK, feed)
}

func feedItems(base string, slugs map[int64]string, items []store.PublicItem) []feedItem {
	out := make([]feedItem, len(items))
	for i, it := range items {
		f := feedItem{ID: strconv.FormatInt(it.ID, 10), URL: base + "/public/" + slugs[it.AgencyID] + "/items/" + strconv.FormatInt(it.ID, 10),
			Title: it.Title, ContentText: it.Body, DatePublished: it.PublishedAt, Tags: []string{it.Category}}
		f.Authors = append(f.Authors, struct {
			Name string `json:"name"`
		}{it.Department})
		out[i] = f
	}
	return out
}
