package attachments

import (
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func codes(fs []domain.Finding) map[string]domain.Severity {
	out := map[string]domain.Severity{}
	for _, f := range fs {
		out[f.Code] = f.Severity
	}
	return out
}

func TestLimits(t *testing.T) {
	c := domain.Content{Channels: []domain.Channel{domain.ChannelWebsite, domain.ChannelWeChat, domain.ChannelDouyin},
		Attachments: []domain.Attachment{
			{Name: "大图.png", Role: domain.RoleImage, MediaType: "image/png", Size: 3 << 20},
			{Name: "动图.gif", Role: domain.RoleImage, MediaType: "image/gif", Size: 1000},
			{Name: "长视频.mp4", Role: domain.RoleVideo, MediaType: "video/mp4", DurationMS: (16 * time.Minute).Milliseconds()},
			{Name: "现场.jpg", Role: domain.RoleImage, MediaType: "image/jpeg", Size: 1000, Stripped: []string{"exif", "gps"}},
		}}
	got := codes(Limits(c))
	want := map[string]domain.Severity{CodeImageSize: domain.SeverityBlock, CodeImageType: domain.SeverityBlock,
		CodeVideoLength: domain.SeverityBlock, CodeCoverMissing: domain.SeverityBlock, CodeMetadataRemoved: domain.SeverityWarn}
	for code, sev := range want {
		if got[code] != sev {
			t.Errorf("%s: %q, want %q (all: %v)", code, got[code], sev, got)
		}
	}
	if _, ok := got[CodeVideoMissing]; ok {
		t.Errorf("a Douyin draft with a video was told it has none")
	}
	// The website alone takes any of them.
	c.Channels = []domain.Channel{domain.ChannelWebsite}
	for _, f := range Limits(c) {
		if f.Code != CodeMetadataRemoved {
			t.Errorf("the website has no such limit: %+v", f)
		}
	}
}

// TestWeChatTextLimits: a WeChat-bound draft's title, digest and body are
// held to WeChat's limits at stage 1, each at its boundary.
func TestWeChatTextLimits(t *testing.T) {
	cover := domain.Attachment{Name: "封面.jpg", Role: domain.RoleCover, MediaType: "image/jpeg", Size: 1000}
	c := domain.Content{Channels: []domain.Channel{domain.ChannelWeChat}, Attachments: []domain.Attachment{cover},
		Title: strings.Repeat("标", 32), Digest: strings.Repeat("摘", 128), Body: "正文"}
	if fs := Limits(c); len(fs) != 0 {
		t.Fatalf("a draft at the limits: %+v", fs)
	}
	c.Title, c.Digest = strings.Repeat("标", 33), strings.Repeat("摘", 129)
	// Each line becomes <p>…</p> (7 characters more).
	c.Body = strings.Repeat(strings.Repeat("字", 993)+"\n", 20)
	got := codes(Limits(c))
	for _, code := range []string{CodeTitleLength, CodeDigestLength, CodeBodyLength} {
		if got[code] != domain.SeverityBlock {
			t.Errorf("%s: %q (all %v)", code, got[code], got)
		}
	}
	// The author lets a long body go out cut short, with 阅读原文: a warning.
	c.Options = []domain.ChannelOption{domain.OptionWeChatReadMore, domain.OptionWeChatMassSend}
	got = codes(Limits(c))
	if _, blocked := got[CodeBodyLength]; blocked || got[CodeBodyCut] != domain.SeverityWarn || got[CodeMassSend] != domain.SeverityWarn {
		t.Errorf("with the read-more and mass-send options: %v", got)
	}
	c.Options = nil
	c.Body = strings.Repeat(strings.Repeat("字", 992)+"\n", 20)
	if _, ok := codes(Limits(c))[CodeBodyLength]; ok {
		t.Errorf("a body of 19,980 characters as HTML was refused")
	}
	// The website takes them all.
	c.Channels = []domain.Channel{domain.ChannelWebsite}
	if fs := Limits(c); len(fs) != 0 {
		t.Errorf("the website has no text limits: %+v", fs)
	}
}

func TestTexts(t *testing.T) {
	c := domain.Content{Attachments: []domain.Attachment{
		{Name: "决定书.pdf", Role: domain.RoleDocument, MediaType: "application/pdf", TextReadable: true, Text: "当事人身份证号 11010519491231002X"},
		{Name: "扫描件.pdf", Role: domain.RoleDocument, MediaType: "application/pdf"},
		{Name: "照片.jpg", Role: domain.RoleImage, MediaType: "image/jpeg"},
	}}
	fs := Texts(c, nil)
	var id, unchecked bool
	for _, f := range fs {
		switch {
		case f.Field == FieldPrefix+"决定书.pdf" && f.Severity == domain.SeverityBlock && strings.Contains(f.MessageZH, "决定书.pdf"):
			id = true
			if ex := Excerpt(c.Attachments[0].Text, f.Start, f.End, 4); !strings.Contains(ex, "11010519491231002X") {
				t.Errorf("excerpt %q", ex)
			}
		case f.Code == CodeUnchecked && f.Field == FieldPrefix+"扫描件.pdf" && f.Severity == domain.SeverityWarn:
			unchecked = true
		case f.Field == FieldPrefix+"照片.jpg":
			t.Errorf("an image has no text to check: %+v", f)
		}
	}
	if !id || !unchecked {
		t.Fatalf("ID number blocked %v, unreadable warned %v: %+v", id, unchecked, fs)
	}
}
