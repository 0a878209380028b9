package api

import (
	"embed"
	"html/template"
	"net/http"
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

const publicCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) render(c echo.Context, status int, name string, data any) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", publicCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(status)
	return publicTemplates.ExecuteTemplate(c.Response(), name, data)
}

func (s *Server) publicList(c echo.Context) error {
	items, err := s.Store.PublicItems(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	return s.render(c, http.StatusOK, "list", map[string]any{"Title": "最新公开信息", "Items": items})
}

func (s *Server) publicItem(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such item")
	}
	it, err := s.Store.PublicItem(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	return s.render(c, http.StatusOK, "item", map[string]any{"Title": it.Title, "Item": it, "Category": categoryNames[it.Category]})
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

func (s *Server) publicFeed(c echo.Context) error {
	items, err := s.Store.PublicItems(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	feed := map[string]any{
		"version":       "https://jsonfeed.org/version/1.1",
		"title":         "政府信息公开",
		"home_page_url": s.PublicURL + "/public/",
		"feed_url":      s.PublicURL + "/public/feed.json",
		"language":      "zh-CN",
		"items":         feedItems(s.PublicURL, items),
	}
	c.Response().Header().Set("Content-Type", "application/feed+json; charset=utf-8")
	return c.JSON(http.StatusOK, feed)
}

func feedItems(base string, items []store.PublicItem) []feedItem {
	out := make([]feedItem, len(items))
	for i, it := range items {
		f := feedItem{ID: strconv.FormatInt(it.ID, 10), URL: base + "/public/items/" + strconv.FormatInt(it.ID, 10),
			Title: it.Title, ContentText: it.Body, DatePublished: it.PublishedAt, Tags: []string{it.Category}}
		f.Authors = append(f.Authors, struct {
			Name string `json:"name"`
		}{it.Department})
		out[i] = f
	}
	return out
}
