// Package bodyhtml renders a draft's body, plain text with image marker
// lines (domain.Markers), as HTML: a paragraph per line, a figure where a
// marker places an image. The public pages, the reviewers' previews and the
// channel adapters share it, each saying where an image is fetched from.
package bodyhtml

import (
	"html"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// ImageSource gives an attachment's address where the HTML will be read.
type ImageSource func(a domain.Attachment) string

// Render writes c's body as HTML. Text is escaped; a marker line naming an
// image attachment of c becomes <figure><img></figure> (alt text: the
// file's name); a marker naming no image stays as text, which the API's
// checks do not let happen.
func Render(c domain.Content, src ImageSource) template.HTML {
	var b strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(c.Body, "\r\n", "\n"), "\n") {
		if name, ok := domain.MarkerName(line); ok {
			if a, found := c.Attachment(name); found && a.Role.Kind() == "image" {
				b.WriteString(`<figure><img src="` + html.EscapeString(src(a)) + `" alt="` + html.EscapeString(a.Name) + `"`)
				if a.Width > 0 && a.Height > 0 {
					b.WriteString(` width="` + itoa(a.Width) + `" height="` + itoa(a.Height) + `"`)
				}
				b.WriteString(` loading="lazy"></figure>`)
				continue
			}
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		b.WriteString("<p>" + html.EscapeString(line) + "</p>")
	}
	return template.HTML(b.String()) //nolint:gosec // every piece of text above is escaped
}

// Text is the body without its marker lines, for channels that take text.
func Text(c domain.Content) string {
	var out []string
	for _, line := range strings.Split(c.Body, "\n") {
		if _, ok := domain.MarkerName(line); !ok {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }

// ReadMoreNote ends a body cut short: the full text is behind 阅读原文.
const ReadMoreNote = "<p>……（全文请点击下方“阅读原文”，在政府网站查看。）</p>"

// Cut keeps the rendered body's first paragraphs and figures that fit in
// limit characters, then ReadMoreNote: whole blocks, never a tag or a
// sentence cut inside its markup. A body that fits comes back unchanged.
func Cut(html string, limit int) string {
	if utf8.RuneCountInString(html) <= limit {
		return html
	}
	var b strings.Builder
	n := 0
	for rest := html; rest != ""; {
		end := len(rest)
		i, j := strings.Index(rest, "</p>"), strings.Index(rest, "</figure>")
		switch {
		case i >= 0 && (j < 0 || i < j):
			end = i + len("</p>")
		case j >= 0:
			end = j + len("</figure>")
		}
		m := utf8.RuneCountInString(rest[:end])
		if n+m > limit {
			break
		}
		n += m
		b.WriteString(rest[:end])
		rest = rest[end:]
	}
	return b.String() + ReadMoreNote
}
