package api

import (
	"encoding/xml"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// RSS 2.0 and Atom (RFC 4287) beside the JSON Feed: the same items, newest
// first.

type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Language    string    `xml:"language"`
	Items       []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string `xml:"title"`
	Link        string `xml:"link"`
	GUID        string `xml:"guid"`
	Description string `xml:"description"`
	Category    string `xml:"category"`
	PubDate     string `xml:"pubDate"`
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	Title     string   `xml:"title"`
	ID        string   `xml:"id"`
	Link      atomLink `xml:"link"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Author    struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Category struct {
		Term  string `xml:"term,attr"`
		Label string `xml:"label,attr"`
	} `xml:"category"`
	Summary string `xml:"summary"`
}

// feedSource is the items of a feed, what it is called and how it
// describes itself: an agency's feed by its name, the platform's as the
// column of every agency.
func (s *Server) feedSource(c echo.Context, agencyScope bool) (title, description, home string, items []feedItem, err error) {
	ctx := c.Request().Context()
	w := wordsOf(c)
	var agencyID int64
	title, description, home = w.T("public.site_name"), w.T("public.feed.description_all"), "/public/"
	if agencyScope {
		a, err := s.agency(c)
		if err != nil {
			return "", "", "", nil, err
		}
		agencyID, title, description, home = a.ID, a.Name, w.T("public.feed.description_agency", a.Name), "/public/"+a.Slug+"/"
	}
	ps, err := s.Store.PublicItems(ctx, agencyID, 100)
	if err != nil {
		return "", "", "", nil, err
	}
	as, err := s.Store.Agencies(ctx)
	if err != nil {
		return "", "", "", nil, err
	}
	slugs := map[int64]string{}
	for _, a := range as {
		slugs[a.ID] = a.Slug
	}
	return title, description, home, feedItems(s.PublicURL, slugs, ps), nil
}

// summary is an item's text cut for a feed.
func summary(s string) string {
	r := []rune(s)
	if len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// rss answers an agency's (or, with agencyScope false, every agency's) RSS.
func (s *Server) rss(agencyScope bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		title, description, home, items, err := s.feedSource(c, agencyScope)
		if err != nil {
			return err
		}
		w := wordsOf(c)
		f := rssFeed{Version: "2.0", Channel: rssChannel{Title: title, Link: w.Link(s.PublicURL + home), Description: description, Language: w.T("public.html_lang")}}
		for _, it := range items {
			// The guid is the item's address in any language, so a reader
			// never sees an item twice; the link opens it in the feed's.
			f.Channel.Items = append(f.Channel.Items, rssItem{Title: it.Title, Link: w.Link(it.URL), GUID: it.URL, Description: summary(it.ContentText),
				Category: w.Category(firstTag(it.Tags)), PubDate: it.DatePublished.UTC().Format(time.RFC1123Z)})
		}
		return writeXML(c, "application/rss+xml; charset=utf-8", f)
	}
}

// atom answers an agency's (or every agency's) Atom feed.
func (s *Server) atom(agencyScope bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		title, _, home, items, err := s.feedSource(c, agencyScope)
		if err != nil {
			return err
		}
		w := wordsOf(c)
		f := atomFeed{Lang: w.T("public.html_lang"), Title: title, ID: s.PublicURL + home, Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
			Links: []atomLink{{Href: w.Link(s.PublicURL + home)}, {Href: w.Link(s.PublicURL + c.Request().URL.Path), Rel: "self"}}}
		for i, it := range items {
			at := it.DatePublished.UTC().Format(time.RFC3339)
			if i == 0 {
				f.Updated = at
			}
			e := atomEntry{Title: it.Title, ID: it.URL, Link: atomLink{Href: w.Link(it.URL)}, Updated: at, Published: at, Summary: summary(it.ContentText)}
			if len(it.Authors) > 0 {
				e.Author.Name = it.Authors[0].Name
			}
			e.Category.Term, e.Category.Label = firstTag(it.Tags), w.Category(firstTag(it.Tags))
			f.Entries = append(f.Entries, e)
		}
		return writeXML(c, "application/atom+xml; charset=utf-8", f)
	}
}

func firstTag(ts []string) string {
	if len(ts) == 0 {
		return ""
	}
	return ts[0]
}

func writeXML(c echo.Context, contentType string, v any) error {
	b, err := xml.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=30")
	return c.Blob(http.StatusOK, contentType, append([]byte(xml.Header), b...))
}
