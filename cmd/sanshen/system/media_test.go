package system_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

const portalSecret = "a-portal-secret-for-tests"

// mediaHarness is sanshen with its public URL on its own listener (the
// portal fetches the files from it) and a fake portal that checks every
// attachment's size and SHA-256.
func mediaHarness(t *testing.T, client func(*portal.Client)) (*harness, *fakeportal.Server) {
	t.Helper()
	fake := fakeportal.New(fakeportal.Options{KeyID: "sanshen", Secret: []byte(portalSecret), FetchAttachments: true})
	ps := httptest.NewServer(fake)
	t.Cleanup(ps.Close)
	h := start(t, func(cfg *config.Config, o *system.Options) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		o.Listener = ln
		cfg.PublicURL = "http://" + ln.Addr().String()
		c := &portal.Client{BaseURL: ps.URL, KeyID: "sanshen", Secret: []byte(portalSecret), Backoff: 20 * time.Millisecond}
		if client != nil {
			client(c)
		}
		o.Channels = map[domain.Channel]publisher.Channel{}
		o.ClaimTimeout = 500 * time.Millisecond
		// sanshen gives the adapter its store when it starts.
		o.Channels[domain.ChannelPortal] = &publisher.Portal{PublicURL: cfg.PublicURL, Client: c}
	})
	return h, fake
}

// upload sends a file to POST /api/v1/files and returns the answer.
func (h *harness) upload(name string, data []byte) resp {
	h.t.Helper()
	return h.do("POST", "/api/v1/files?name="+url.QueryEscape(name), "officer", data)
}

func testPNG(level uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 6))
	for i := range img.Pix {
		img.Pix[i] = level
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// jpegWithGPS is a JPEG carrying an Exif segment whose GPS IFD says where
// it was taken, and its author.
func jpegWithGPS(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 9))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(1, 1, color.RGBA{R: 10, A: 255})
	var j bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	// TIFF, little-endian: IFD0 (Artist, GPS pointer), then the GPS IFD
	// (GPSLatitudeRef "N").
	le := binary.LittleEndian
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	entry := func(tag, typ uint16, count, value uint32) []byte {
		e := make([]byte, 12)
		le.PutUint16(e, tag)
		le.PutUint16(e[2:], typ)
		le.PutUint32(e[4:], count)
		le.PutUint32(e[8:], value)
		return e
	}
	const ifd0 = 8
	gps := ifd0 + 2 + 2*12 + 4
	artist := gps + 2 + 12 + 4
	tiff = append(tiff, 2, 0)
	tiff = append(tiff, entry(0x013B, 2, 8, uint32(artist))...)
	tiff = append(tiff, entry(0x8825, 4, 1, uint32(gps))...)
	tiff = append(tiff, 0, 0, 0, 0)
	tiff = append(tiff, 1, 0)
	tiff = append(tiff, entry(0x0001, 2, 2, 'N')...)
	tiff = append(tiff, 0, 0, 0, 0)
	tiff = append(tiff, []byte("Zhang3\x00\x00")...)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, app1...)
	return append(out, j.Bytes()[2:]...)
}

// testPDF is a one-page PDF whose text layer holds text.
func testPDF(t *testing.T, text string) []byte {
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Cell(40, 10, text)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mediaDraft uploads a cover (with GPS), two body images and a PDF, and
// submits a draft to the website and the portal that places the images.
func (h *harness) mediaDraft(title, pdfText string) (int64, map[string]string) {
	h.t.Helper()
	sums := map[string]string{}
	for name, data := range map[string][]byte{"封面.jpg": jpegWithGPS(h.t), "现场一.png": testPNG(60), "现场二.png": testPNG(120),
		"决定书.pdf": testPDF(h.t, pdfText)} {
		r := h.mustStatus(h.upload(name, data), http.StatusCreated)
		sums[name] = r.body["sha256"].(string)
	}
	body := "为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查。\n【图片：现场一.png】\n检查共发现问题十二处，已全部整改。\n[image: 现场二.png]\n特此通报。"
	in := map[string]any{"title": title, "body": body, "department": "综合办", "category": "news",
		"channels": []string{"website", "portal"}, "formed_on": "2026-11-20", "digest": "专项检查情况通报",
		"attachments": []map[string]string{
			{"name": "封面.jpg", "sha256": sums["封面.jpg"], "role": "cover"},
			{"name": "现场一.png", "sha256": sums["现场一.png"], "role": "image"},
			{"name": "现场二.png", "sha256": sums["现场二.png"], "role": "image"},
			{"name": "决定书.pdf", "sha256": sums["决定书.pdf"], "role": "document"},
		}}
	r := h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", in), http.StatusCreated)
	return int64(r.body["id"].(float64)), sums
}

// TestMediaPublishedToWebsiteAndPortal: a draft with a cover, two body
// images and a PDF goes through the three stages and reaches the website
// and the portal, with the portal's receipt; the photo's location never
// reaches anyone; a cover changed after stage 2 is refused; a PDF holding
// a citizen's ID number blocks at stage 3.
func TestMediaPublishedToWebsiteAndPortal(t *testing.T) {
	h, fake := mediaHarness(t, nil)
	id, sums := h.mediaDraft("关于辖区环境专项检查情况的通报", "Inspection report, page one")
	d := h.waitFor(id, domain.StateCompliance)
	var metadata bool
	for _, f := range d.Findings {
		if f.Code == "photo_metadata_removed" && strings.Contains(f.MessageZH, "GPS") {
			metadata = true
		}
	}
	if !metadata {
		t.Errorf("no finding that the cover's location was removed: %+v", d.Findings)
	}
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)

	// The author cannot swap the cover now: a revision is only for a draft returned to them.
	in := map[string]any{"title": "换了封面", "body": "正文", "department": "综合办", "category": "news", "channels": []string{"website"},
		"formed_on": "2026-11-20", "attachments": []map[string]string{{"name": "封面.jpg", "sha256": sums["现场一.png"], "role": "cover"}}}
	if r := h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", in); r.status < 400 {
		t.Fatalf("a changed cover after stage 2 was accepted: %d %s", r.status, r.raw)
	}
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
	d = h.waitFor(id, domain.StatePublished)

	pubs := map[string]string{}
	for _, p := range d.Publications {
		pubs[p.Channel] = p.Status + " " + p.URL
	}
	if !strings.HasPrefix(pubs["website"], "delivered ") || !strings.HasPrefix(pubs["portal"], "delivered http") {
		t.Fatalf("publications: %v", pubs)
	}
	items := fake.Items()
	if len(items) != 1 || fake.Writes() != 1 {
		t.Fatalf("the portal holds %d items after %d writes, want 1", len(items), fake.Writes())
	}
	it := items[0]
	if pubs["portal"] != "delivered "+it.URL {
		t.Errorf("receipt %q, the portal's item %q", pubs["portal"], it.URL)
	}
	if it.Item.Cover == nil || it.Item.Cover.SHA256 != sums["封面.jpg"] || len(it.Item.Attachments) != 3 || it.Item.Digest != "专项检查情况通报" {
		t.Errorf("the portal's payload: cover %+v, %d attachments, digest %q", it.Item.Cover, len(it.Item.Attachments), it.Item.Digest)
	}
	if n := strings.Count(it.Item.BodyHTML, "<img "); n != 2 || strings.Contains(it.Item.BodyHTML, "【图片") {
		t.Errorf("the portal's body places %d images: %s", n, it.Item.BodyHTML)
	}

	// The public page shows the images; the published cover has no Exif.
	page := h.do("GET", fmt.Sprintf("/public/default/items/%d", id), "", nil)
	if page.status != http.StatusOK || strings.Count(page.raw, "<img ") != 3 || !strings.Contains(page.raw, "决定书.pdf") {
		t.Errorf("public page: %d %s", page.status, page.raw)
	}
	cover := h.do("GET", "/public/files/"+sums["封面.jpg"]+"/"+url.PathEscape("封面.jpg"), "", nil)
	if cover.status != http.StatusOK || strings.Contains(cover.raw, "Exif") || strings.Contains(cover.raw, "Zhang3") {
		t.Errorf("the published cover: %d, Exif %v, author %v", cover.status, strings.Contains(cover.raw, "Exif"), strings.Contains(cover.raw, "Zhang3"))
	}
	if r := h.do("GET", "/public/files/"+sums["封面.jpg"]+"/other.jpg", "", nil); r.status != http.StatusNotFound {
		t.Errorf("a published file under another name: %d", r.status)
	}

	// Withdrawn: off the website at once, then deleted from the portal;
	// its files are no longer public.
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "封面图片有误", "code": "error"}), http.StatusOK)
	testenv.Eventually(t, "the withdrawal to reach every channel", func() bool {
		d, err := h.sys.Store.Draft(context.Background(), id)
		return err == nil && d.State == domain.StateWithdrawn && d.StepDone
	})
	if it := fake.Items()[0]; it.Deleted.IsZero() || it.DeleteReason != "error" {
		t.Errorf("the portal's item after the withdrawal: deleted %v, reason %q", it.Deleted, it.DeleteReason)
	}
	if n := h.count(`SELECT count(*) FROM publications WHERE draft_id = $1 AND withdraw_status = 'done'`, id); n != 2 {
		t.Errorf("%d channels removed, want 2 (website, portal)", n)
	}
	if r := h.do("GET", fmt.Sprintf("/public/default/items/%d", id), "", nil); r.status != http.StatusGone || !strings.Contains(r.raw, "发布有误") {
		t.Errorf("the withdrawn item's page: %d %s", r.status, r.raw)
	}
	// A link to its cover is its Chinese 410 page.
	if r := h.do("GET", "/public/files/"+sums["封面.jpg"]+"/"+url.PathEscape("封面.jpg"), "", nil); r.status != http.StatusGone || !strings.Contains(r.raw, "发布有误") {
		t.Errorf("the withdrawn item's cover: %d %s", r.status, r.raw)
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE chain = $1 AND action IN ('channel_withdraw_done', 'withdrawn_everywhere')`,
		fmt.Sprintf("draft/%d", id)); n != 2 {
		t.Errorf("%d withdrawal events in the trail, want 2", n)
	}

	// A file must suit its role, and a marker must name an image.
	for _, tc := range []struct{ role, body, code string }{
		{"cover", "正文。", "role_not_allowed"},
		{"document", "正文。\n【图片：决定书.pdf】", "unknown_image"},
	} {
		in := map[string]any{"title": "附件用途不符", "body": tc.body, "department": "综合办", "category": "news",
			"channels": []string{"website"}, "formed_on": "2026-11-20",
			"attachments": []map[string]string{{"name": "决定书.pdf", "sha256": sums["决定书.pdf"], "role": tc.role}}}
		if r := h.do("POST", "/api/v1/drafts", "officer", in); r.status != http.StatusUnprocessableEntity || r.errCode() != tc.code {
			t.Errorf("a PDF as %s with body %q: %d %s, want 422 %s", tc.role, tc.body, r.status, r.raw, tc.code)
		}
	}

	// A PDF with a citizen's ID number: blocked at stage 3.
	leak, _ := h.mediaDraft("关于行政处罚决定的公示", "ID 11010519491231002X")
	h.waitFor(leak, domain.StateCompliance)
	h.mustStatus(h.decide(leak, "head", "compliance", 1, "approve", nil), http.StatusOK)
	d = h.waitFor(leak, domain.StateConfidentiality)
	var blocked bool
	for _, f := range d.Findings {
		if f.Stage == domain.StageConfidentiality && f.Severity == domain.SeverityBlock && f.Field == "attachment:决定书.pdf" {
			blocked = true
		}
	}
	if !blocked {
		t.Fatalf("the ID number in the PDF was not found at stage 3: %+v", d.Findings)
	}
	if r := h.decide(leak, "sec", "confidentiality", 1, "approve", nil); r.status < 400 {
		t.Fatalf("approved past the ID number without an override: %d %s", r.status, r.raw)
	}
	h.verifyAudit()
}

// TestPortalFaults: the portal fails with 503 then takes the item; and
// the portal commits but its answer is lost (the client times out): the
// retry gets the same item back. Either way the receipt is right and the
// item is pushed once.
func TestPortalFaults(t *testing.T) {
	h, fake := mediaHarness(t, func(c *portal.Client) { c.AttemptTimeout = 300 * time.Millisecond })
	fake.FailNext(2, http.StatusServiceUnavailable)
	first := h.submitTo("503 然后成功", "website", "portal")
	h.approveThrough(first)
	fake.CommitThenStall(1, time.Second)
	second := h.submitTo("提交成功但应答丢失", "website", "portal")
	h.approveThrough(second)
	if got := len(fake.Items()); got != 2 || fake.Writes() != 2 {
		t.Fatalf("the portal holds %d items after %d writes, want 2 and 2", got, fake.Writes())
	}
	var failed int
	for _, r := range fake.Requests() {
		if r.Status == http.StatusServiceUnavailable {
			failed++
		}
	}
	if failed != 2 || fake.Replays() < 1 {
		t.Errorf("faults not exercised: %d answers 503 (want 2), %d replays (want ≥ 1)", failed, fake.Replays())
	}
	for _, id := range []int64{first, second} {
		d := h.waitFor(id, domain.StatePublished)
		var url string
		for _, p := range d.Publications {
			if p.Channel == "portal" {
				url = p.URL
			}
		}
		var found bool
		for _, it := range fake.Items() {
			found = found || it.URL == url && it.Item.DraftID == id
		}
		if !found {
			t.Errorf("draft %d: receipt %q is not the portal's item", id, url)
		}
	}
	h.verifyAudit()
}

// submitTo submits a plain draft to the channels.
func (h *harness) submitTo(title string, channels ...string) int64 {
	h.t.Helper()
	b := draftBody(title)
	b["channels"] = channels
	// The platforms need their media: WeChat a cover, Douyin a video.
	var files []map[string]string
	for _, ch := range channels {
		name, data, role := "", []byte(nil), ""
		switch ch {
		case "wechat":
			name, data, role = "封面.jpg", sample.JPEG(90, 38, 40), "cover"
		case "douyin":
			name, data, role = "视频.mp4", sample.MP4(30*time.Second, 720, 1280, 0), "video"
		default:
			continue
		}
		sum := h.mustStatus(h.upload(name, data), http.StatusCreated).body["sha256"].(string)
		files = append(files, map[string]string{"name": name, "sha256": sum, "role": role})
	}
	if files != nil {
		b["attachments"] = files
	}
	r := h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated)
	return int64(r.body["id"].(float64))
}

// approveThrough takes a draft through both people's approvals and waits
// for it to be published.
func (h *harness) approveThrough(id int64) {
	h.t.Helper()
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StatePublished)
}
