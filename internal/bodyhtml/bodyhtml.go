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
