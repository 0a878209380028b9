package api

import (
	"embed"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/bodyhtml"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// publicCSP allows the pages' own stylesheet, script and images, and the
// search form: nothing inline.
const publicCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) render(c echo.Context, status int, name string, data any) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", publicCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(status)
	return publicTemplates[wordsOf(c).lang].ExecuteTemplate(c.Response(), name, data)
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
	w := wordsOf(c)
	data := publicPage(nil, store.Site{}, w.T("public.site_name"), "")
	data["Agencies"], data["Items"] = as, listItems(w, items, slugs, nil)
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
	w := wordsOf(c)
	content := domain.Content{Body: it.Body, Attachments: it.Attachments}
	var files []map[string]string // documents and videos, listed under the body
	for _, x := range it.Attachments {
		if x.Role == domain.RoleDocument || x.Role == domain.RoleVideo {
			files = append(files, map[string]string{"Name": x.Name, "URL": PublicFileURL("", x), "Kind": w.T("public.role." + string(x.Role))})
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
	validity, err := s.publicValidity(c, w, a, it)
	if err != nil {
		return err
	}
	var topics []map[string]string
	for _, t := range it.Topics {
		topics = append(topics, map[string]string{"Name": t, "URL": "/public/" + a.Slug + "/topics/" + url.PathEscape(t)})
	}
	data := publicPage(&a, site, it.Title, "")
	for k, v := range map[string]any{"Item": it, "Category": w.Category(it.Category), "Cover": cover, "Files": files, "Corrections": corrections,
		"Validity": validity, "Published": it.PublishedAt.In(domain.Beijing).Format(domain.DateLayout), "Formed": it.FormedOn.Format(domain.DateLayout),
		"DocNumber": docNumber(it.Body), "Topics": topics,
		"Body": bodyhtml.Render(content, func(x domain.Attachment) string { return PublicFileURL("", x) })} {
		data[k] = v
	}
	return s.render(c, http.StatusOK, "item", data)
}

// itemGone answers an item's URL that shows nothing: 410 with a page
// saying when and why a withdrawn item was taken down, 404 with a page for
// anything never published here.
func (s *Server) itemGone(c echo.Context, a store.Agency, site store.Site, id int64) error {
	gone, err := s.Store.PublicWithdrawn(c.Request().Context(), a.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return s.render(c, http.StatusNotFound, "missing", publicPage(&a, site, wordsOf(c).T("public.missing.title"), ""))
	}
	if err != nil {
		return err
	}
	return s.renderGone(c, a, site, gone)
}

// renderGone is the 410 page of a withdrawn item: when and why it was
// taken down.
func (s *Server) renderGone(c echo.Context, a store.Agency, site store.Site, gone store.WithdrawnItem) error {
	w := wordsOf(c)
	code := gone.Code
	if !code.Valid() {
		code = domain.WithdrawOther
	}
	data := publicPage(&a, site, w.T("public.gone.title"), "")
	data["Item"], data["Why"], data["Date"] = gone, w.T("public.withdrawal."+string(code)), w.LongDate(gone.WithdrawnAt.In(domain.Beijing))
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
	return s.feed(c, 0, wordsOf(c).T("public.site_name"), "/public/", "/public/all.json")
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
	w := wordsOf(c)
	fs := feedItems(s.PublicURL, slugs, items)
	for i := range fs {
		fs[i].URL = w.Link(fs[i].URL) // opens the item in the feed's language; its id has none
	}
	feed := map[string]any{
		"version":       "https://jsonfeed.org/version/1.1",
		"title":         title,
		"home_page_url": w.Link(s.PublicURL + home),
		"feed_url":      w.Link(s.PublicURL + self),
		"language":      w.T("public.html_lang"),
		"items":         fs,
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
