package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestAttachmentsInTheBrowser: an officer attaches a cover and a body
// image in the draft form and places the image with a marker line; the
// head sees the files, and each channel's preview, at desktop and phone
// width; a revision keeps the files unless unticked.
func TestAttachmentsInTheBrowser(t *testing.T) {
	s := startSite(t)
	dir := t.TempDir()
	write := func(name string, c color.Color) string {
		img := image.NewRGBA(image.Rect(0, 0, 90, 50))
		for x := 0; x < 90; x++ {
			for y := 0; y < 50; y++ {
				img.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	site1 := write("现场.png", color.RGBA{R: 30, G: 120, B: 60, A: 255})

	wang := s.as("wang")
	wang.do(chromedp.Navigate(s.base+"/web/drafts/new"),
		chromedp.SendKeys(chromedp.CSS("#title"), "关于辖区环境专项检查情况的通报"),
		chromedp.SetValue(chromedp.CSS("#body"), body1+"\n【图片：现场.png】\n特此通报。"),
		chromedp.SetValue(chromedp.CSS("#digest"), "专项检查共发现问题十二处，已全部整改。"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{site1}),
		chromedp.SetValue(chromedp.CSS("#files_role"), "image"))
	if wang.eval(`String(document.querySelector('input[name=channels][value=wechat]').checked)`) != "true" {
		wang.do(chromedp.Click(chromedp.CSS(`input[name=channels][value=wechat]`)))
	}
	wang.shot("form-with-file")
	wang.do(chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	id := wang.draftIDFromURL()
	if a := wang.text("#attachments"); !strings.Contains(a, "现场.png") {
		t.Fatalf("the draft page lists %q", a)
	}
	// WeChat shows no article without a cover: stage 1 returns the draft.
	s.waitState(id, domain.StateReturned)
	wang.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#findings")))
	if f := wang.text("#findings"); !strings.Contains(f, "需要一张封面图片") {
		t.Errorf("the findings say %q", f)
	}

	// The revision adds a cover and keeps the body image.
	cover := write("封面.png", color.RGBA{R: 200, G: 40, B: 40, A: 255})
	wang.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d/edit", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#attachments")),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{cover}),
		chromedp.SetValue(chromedp.CSS("#files_role"), "cover"),
		chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	s.waitState(id, domain.StateCompliance)

	li := s.as("li")
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#previews")))
	if n := li.eval(`String(document.querySelectorAll('#previews .preview').length)`); n != "2" {
		t.Fatalf("%s previews, want 2 (website, WeChat)", n)
	}
	// The image is placed in the body of each preview and loads (its
	// natural width is the file's); WeChat's card shows the cover.
	testenv.Eventually(t, "the previews' images to load", func() bool {
		return li.eval(`String([...document.querySelectorAll('#previews .preview-body img')].filter(i => i.naturalWidth === 90).length)`) == "2" &&
			li.eval(`String(document.querySelector('#previews [data-channel="wechat"] .card-cover').naturalWidth)`) == "90"
	})
	if note := li.text(`#previews [data-channel="wechat"]`); !strings.Contains(note, "标题 15/32 字") || !strings.Contains(note, "文章页面") {
		t.Errorf("the WeChat preview says %q", note)
	}
	li.shot("previews-1280")
	li.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#previews")))
	if w := li.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the draft page scrolls sideways at 390 px: %s px wide", w)
	}
	li.shot("previews-390")
	d, err := s.sys.Store.Draft(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Content.Attachments) != 2 || d.Revision != 2 {
		t.Fatalf("revision %d has %+v", d.Revision, d.Content.Attachments)
	}
	if c, ok := d.Content.Cover(); !ok || c.Name != "封面.png" {
		t.Errorf("the revision's cover: %+v", d.Content.Attachments)
	}
}

// TestWithdrawInTheBrowser: the department head withdraws a published item
// from its page with a reason; the page shows who, when and why, and each
// channel's removal; the item's public address answers 410 with a Chinese
// page saying when and why it was taken down.
func TestWithdrawInTheBrowser(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	id := wang.submitDraft("关于调整便民服务大厅开放时间的公告", body1)
	s.waitState(id, domain.StateCompliance)
	li := s.as("li")
	li.decide(id, "approve", "")
	s.waitState(id, domain.StateConfidentiality)
	zhao := s.as("zhao")
	zhao.decide(id, "approve", "")
	s.waitState(id, domain.StatePublished)
	public := fmt.Sprintf("%s/public/default/items/%d", s.base, id)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := client.Get(public); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the published item: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if wang.exists("#withdraw") {
		t.Errorf("an officer is offered the withdrawal")
	}
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#withdraw")),
		chromedp.Click(chromedp.CSS("#withdraw summary")), chromedp.WaitVisible(chromedp.CSS("#withdraw-reason")),
		chromedp.SetValue(chromedp.CSS("#withdraw-code"), "error"),
		chromedp.SendKeys(chromedp.CSS("#withdraw-reason"), "开放时间有误，更正后重新发布。"))
	li.shot("withdraw-form")
	li.do(chromedp.Click(chromedp.CSS("#withdraw-send")), chromedp.WaitVisible(chromedp.CSS("#withdrawal")))
	if box := li.text("#withdrawal"); !strings.Contains(box, "li") || !strings.Contains(box, "发布有误") || !strings.Contains(box, "开放时间有误") {
		t.Errorf("the withdrawal box says %q", box)
	}
	if pubs := li.text(`#publications [data-channel="website"]`); !strings.Contains(pubs, "已撤下") {
		t.Errorf("the website's line says %q", pubs)
	}
	li.shot("withdrawn-1280")
	li.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#withdrawal")))
	li.shot("withdrawn-390")
	res, err := client.Get(public)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusGone || !strings.Contains(string(page), "已于") || !strings.Contains(string(page), "发布有误") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("the withdrawn item's public address: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	li.do(chromedp.Navigate(public), chromedp.WaitVisible(chromedp.CSS("#gone")))
	li.shot("public-410-390")
}

// TestVideoPreviewLoads: the draft page's Douyin preview plays the
// draft's own video: the page's Content-Security-Policy lets a <video>
// load this site's files (media-src 'self'), as it lets the images.
func TestVideoPreviewLoads(t *testing.T) {
	s := startSite(t)
	video := filepath.Join(t.TempDir(), "宣传片.mp4")
	if err := os.WriteFile(video, sample.MP4(30*time.Second, 720, 1280, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	wang := s.as("wang")
	wang.do(chromedp.Navigate(s.base+"/web/drafts/new"),
		chromedp.SendKeys(chromedp.CSS("#title"), "街道消防安全宣传短片"),
		chromedp.SetValue(chromedp.CSS("#body"), body1),
		chromedp.Click(chromedp.CSS(`input[name=channels][value=douyin]`)),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{video}),
		chromedp.SetValue(chromedp.CSS("#files_role"), "video"),
		chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	if !wang.exists(`#previews [data-channel="douyin"] video`) {
		t.Fatalf("the Douyin preview has no video: %s", wang.html())
	}
	// Load the video again, listening for the policy's refusal.
	blocked := wang.eval(`new Promise(done => {
		const v = document.querySelector('#previews [data-channel="douyin"] video');
		let blocked = "";
		document.addEventListener("securitypolicyviolation", e => { blocked += e.violatedDirective + " " + e.blockedURI + "; "; });
		const settle = () => setTimeout(() => done(blocked), 500);
		v.addEventListener("loadedmetadata", settle);
		v.addEventListener("error", settle);
		v.load();
	})`)
	if blocked != "" {
		t.Errorf("the page's policy refuses the draft's video: %s", blocked)
	}
	wang.shot("video-preview")
}
