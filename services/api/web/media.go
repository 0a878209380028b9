package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/bodyhtml"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// preview is a draft as one channel would show it.
type preview struct {
	Channel domain.Channel
	Cover   string
	Title   string
	Digest  string
	Body    template.HTML
	Video   string
	Files   []domain.Attachment // documents (and, but for Douyin, videos) listed under the body
	Notes   []string            // the channel's limits as the draft meets them
	// Card: the channel shows the item first as a card in a feed (WeChat:
	// the cover cropped 2.35:1, the title, the digest); Author is the
	// byline of its page.
	Card   bool
	Author string
	// Text is the post's whole text where the channel takes text, not a
	// page (Douyin), with its length.
	Text      string
	TextRunes int
}

// previews shows the draft in each channel it names, with its files served
// from the draft's own file route.
func (w *Web) previews(c echo.Context, id int64, content domain.Content) []preview {
	src := func(a domain.Attachment) string { return draftFileURL(id, a.Name) }
	body := bodyhtml.Render(content, src)
	var out []preview
	for _, ch := range content.Channels {
		info := ch.Info()
		p := preview{Channel: ch, Title: content.Title, Digest: content.Digest, Body: body}
		if cover, ok := content.Cover(); ok {
			p.Cover = src(cover)
		}
		for _, a := range content.Attachments {
			switch {
			case a.Role == domain.RoleVideo && info.VideoRequired && p.Video == "":
				p.Video = src(a)
			case a.Role == domain.RoleDocument || a.Role == domain.RoleVideo:
				p.Files = append(p.Files, a)
			}
		}
		switch ch {
		case domain.ChannelWeChat:
			p.Card, p.Author = true, content.Department
			p.Notes = append(p.Notes, w.t(c, "preview.wechat_limits", utf8.RuneCountInString(content.Title), utf8.RuneCountInString(content.Digest)))
			if content.Has(domain.OptionWeChatReadMore) {
				// As WeChat will receive it (wechat.MaxContentRunes, less the margin the adapter keeps).
				p.Body = template.HTML(bodyhtml.Cut(string(body), info.MaxBody-500)) //nolint:gosec // Render escaped the text
			}
			if content.Has(domain.OptionWeChatMassSend) {
				p.Notes = append(p.Notes, w.t(c, "preview.wechat_mass_send"))
			}
		case domain.ChannelDouyin:
			p.Text = douyin.PostText(content.Title, content.Digest)
			p.TextRunes, p.Body, p.Title, p.Digest = utf8.RuneCountInString(p.Text), "", "", ""
			if p.Video == "" {
				p.Notes = append(p.Notes, w.t(c, "preview.douyin_no_video"))
			}
		}
		if info.CoverRequired && p.Cover == "" {
			p.Notes = append(p.Notes, w.t(c, "preview.no_cover"))
		}
		out = append(out, p)
	}
	return out
}

func draftFileURL(id int64, name string) string {
	return fmt.Sprintf("/web/drafts/%d/files/%s", id, url.PathEscape(name))
}

// draftFile serves a file of a draft the person may see, by the name it
// has in the current revision.
func (w *Web) draftFile(c echo.Context) error {
	d, err := w.loadVisible(c)
	if err != nil || d.ID == 0 {
		return err
	}
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil {
		name = c.Param("name")
	}
	a, ok := d.Content.Attachment(name)
	if !ok || w.Files == nil || w.Files.Blobs == nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	err = api.StreamFile(c, w.Files.Blobs, w.Log, a.SHA256, a.MediaType, a.Name, a.Role == domain.RoleDocument)
	if errors.Is(err, store.ErrNotFound) {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	return err
}
