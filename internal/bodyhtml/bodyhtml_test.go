package bodyhtml

import (
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestRender(t *testing.T) {
	c := domain.Content{Body: "第一段<script>\n\n【图片：现场.png】\n[image: 不存在.png]\n【图片：决定书.pdf】",
		Attachments: []domain.Attachment{{Name: "现场.png", Role: domain.RoleImage, Width: 90, Height: 50},
			{Name: "决定书.pdf", Role: domain.RoleDocument}}}
	got := string(Render(c, func(a domain.Attachment) string { return "/f/" + a.Name + `?"` }))
	for _, want := range []string{"<p>第一段&lt;script&gt;</p>", `<figure><img src="/f/现场.png?&#34;" alt="现场.png" width="90" height="50" loading="lazy"></figure>`,
		"<p>[image: 不存在.png]</p>", "<p>【图片：决定书.pdf】</p>"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
	if strings.Count(got, "<img") != 1 {
		t.Errorf("only an image attachment is placed: %s", got)
	}
	if text := Text(c); strings.Contains(text, "现场.png") || !strings.Contains(text, "第一段") {
		t.Errorf("text %q", text)
	}
}

// TestCut: a long body is cut between blocks, under the limit, with the
// note; one that fits is left alone.
func TestCut(t *testing.T) {
	html := strings.Repeat("<p>"+strings.Repeat("字", 93)+"</p>", 10) // 100 characters a block
	if got := Cut(html, 1000); got != html {
		t.Errorf("a body that fits was cut")
	}
	got := Cut(html, 450)
	if !strings.HasSuffix(got, ReadMoreNote) || strings.Count(got, "<p>") != 5 || !strings.HasPrefix(got, "<p>字") {
		t.Errorf("cut to 450: %d blocks: %q", strings.Count(got, "<p>"), got)
	}
}
