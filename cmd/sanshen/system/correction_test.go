package system_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

// correction PUTs a new revision of the published draft id as the officer:
// its current content, changed by change, with the correction note.
func (h *harness) correction(id int64, note string, change func(b map[string]any)) resp {
	h.t.Helper()
	cur := h.mustStatus(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", nil), http.StatusOK).body
	b := map[string]any{"title": cur["title"], "body": cur["body"], "department": cur["department"], "category": cur["category"],
		"channels": cur["channels"], "formed_on": cur["formed_on"], "correction": note}
	for _, k := range []string{"digest", "options"} {
		if v, ok := cur[k]; ok {
			b[k] = v
		}
	}
	var files []map[string]any
	for _, a := range cur["attachments"].([]any) {
		x := a.(map[string]any)
		files = append(files, map[string]any{"name": x["name"], "sha256": x["sha256"], "role": x["role"]})
	}
	b["attachments"] = files
	if change != nil {
		change(b)
	}
	return h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", b)
}

// approveRevision approves revision rev of the draft at both stages and
// waits for it to be published.
func (h *harness) approveRevision(id int64, rev int) {
	h.t.Helper()
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", rev, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", rev, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StatePublished)
}

// TestCorrectionReplacesTheItem: a published notice on the website and the
// portal is corrected. While the correction is reviewed the public still
// reads the published revision; a rejected correction leaves it so. Once
// a correction is published, it replaces the text at the same address
// with a dated note, the portal's item is updated in place (same id, no
// second item), and the trail shows every revision. A later withdrawal
// deletes the portal's one item once.
func TestCorrectionReplacesTheItem(t *testing.T) {
	t.Parallel()
	fake := fakeportal.New(fakeportal.Options{KeyID: "sanshen", Secret: []byte(portalSecret)})
	ps := httptest.NewServer(fake)
	t.Cleanup(ps.Close)
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelPortal: &publisher.Portal{PublicURL: "http://public.test",
			Client: &portal.Client{BaseURL: ps.URL, KeyID: "sanshen", Secret: []byte(portalSecret), Backoff: 20 * time.Millisecond}}}
	})
	id := h.submitTo("关于调整办事大厅开放时间的公告", "website", "portal")
	h.approveThrough(id)
	url := fmt.Sprintf("/public/default/items/%d", id)
	first := h.do("GET", url, "", nil)
	if first.status != http.StatusOK {
		t.Fatalf("the published item: %d", first.status)
	}

	// A correction must say what it corrects, and keep every channel.
	if r := h.correction(id, "", func(b map[string]any) { b["body"] = "更正后的正文。" }); r.status != http.StatusUnprocessableEntity || r.errCode() != "correction_note_required" {
		t.Fatalf("a correction without a note: %d %s", r.status, r.raw)
	}
	if r := h.correction(id, "更正开放时间", func(b map[string]any) { b["channels"] = []string{"website"} }); r.status != http.StatusUnprocessableEntity || r.errCode() != "correction_keeps_channels" {
		t.Fatalf("a correction leaving the portal: %d %s", r.status, r.raw)
	}
	// Another reader's correction: only the author corrects.
	if r := h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "head", map[string]any{"title": "x", "body": "x", "department": "办公室", "category": "notice",
		"channels": []string{"website", "portal"}, "formed_on": time.Now().Format(domain.DateLayout), "correction": "x"}); r.status < 400 {
		t.Fatalf("the head corrected the officer's item: %d", r.status)
	}

	// A correction that is rejected: the item stays published, unchanged.
	h.mustStatus(h.correction(id, "更正开放时间。", func(b map[string]any) { b["body"] = b["body"].(string) + "\n（错误的更正）" }), http.StatusOK)
	h.waitFor(id, domain.StateCompliance)
	if r := h.do("GET", url, "", nil); r.status != http.StatusOK || r.raw != first.raw {
		t.Errorf("the public item changed while its correction is reviewed: %d", r.status)
	}
	h.mustStatus(h.decide(id, "head", "compliance", 2, "reject", map[string]any{"reason": "internal_affairs", "comment": "不需要更正"}), http.StatusOK)
	if d := h.detail(id); d.State != domain.StatePublished || d.PublishedRevision != 1 || d.Revision != 2 {
		t.Fatalf("after the correction was rejected: %s, revision %d, published %d", d.State, d.Revision, d.PublishedRevision)
	}

	// The correction that is published.
	h.mustStatus(h.correction(id, "原公告中的开放时间有误，已更正为每日9:00至17:00。", func(b map[string]any) {
		b["body"] = strings.Replace(strings.TrimSuffix(b["body"].(string), "\n（错误的更正）"), "。", "。办事大厅每日9:00至17:00开放。", 1)
	}), http.StatusOK)
	h.approveRevision(id, 3)
	d := h.detail(id)
	if d.PublishedRevision != 3 {
		t.Errorf("published revision %d, want 3", d.PublishedRevision)
	}
	page := h.do("GET", url, "", nil)
	if page.status != http.StatusOK || !strings.Contains(page.raw, "9:00至17:00") || !strings.Contains(page.raw, "更正说明（<time>"+time.Now().In(domain.Beijing).Format(domain.DateLayout)) ||
		!strings.Contains(page.raw, "原公告中的开放时间有误") {
		t.Errorf("the corrected item at the same address: %d\n%s", page.status, page.raw)
	}
	items := fake.Items()
	if len(items) != 1 || items[0].Version != 2 || items[0].Item.Revision != 3 || !strings.Contains(items[0].Item.BodyText, "9:00至17:00") ||
		items[0].Item.Correction == "" {
		t.Fatalf("the portal: %d items, %+v", len(items), items)
	}
	if p := publication(d, domain.ChannelPortal); p.Revision != 3 || p.ExternalID != items[0].ID {
		t.Errorf("the portal's publication of the correction: %+v", p)
	}
	if n := h.count(`SELECT count(*) FROM publications WHERE draft_id = $1 AND revision = 1 AND channel = 'portal' AND withdraw_status = 'replaced' AND replaced_by = 3`, id); n != 1 {
		t.Errorf("the first revision's portal publication is not marked replaced")
	}
	for _, action := range []string{"submit", "correct", "reject", "channel_replaced"} {
		if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = $2`, id, action); n == 0 {
			t.Errorf("no %s event in the trail", action)
		}
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'correct'`, id); n != 2 {
		t.Errorf("%d correct events, want 2", n)
	}

	// Withdrawn: the portal's one item is deleted once, the address is 410.
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "活动取消"}), http.StatusOK)
	testenv.Eventually(t, "the withdrawal to end", func() bool {
		d, err := h.sys.Store.Draft(context.Background(), id)
		return err == nil && d.StepDone
	})
	if items := fake.Items(); len(items) != 1 || items[0].Deleted.IsZero() {
		t.Errorf("the portal after the withdrawal: %+v", items)
	}
	if r := h.do("GET", url, "", nil); r.status != http.StatusGone {
		t.Errorf("the withdrawn corrected item: %d", r.status)
	}
	h.verifyAudit()
}

// TestWeChatCorrectionPolicies: WeChat cannot edit an article. By default
// a correction deletes the old article before publishing the corrected
// one; with the notice policy the old one stays and a correction notice is
// published beside it, and a withdrawal then deletes both.
func TestWeChatCorrectionPolicies(t *testing.T) {
	t.Parallel()
	h, fake := wechatHarness(t, fakewechat.Options{}, nil)
	deletes := func() int { return fake.Calls("/cgi-bin/freepublish/delete") }

	// Delete and republish.
	a := h.wechatDraft("辖区环境整治专项检查情况通报")
	h.approveThrough(a)
	h.mustStatus(h.correction(a, "更正问题数量。", func(b map[string]any) {
		b["body"] = strings.Replace(b["body"].(string), "十二处", "十三处", 1)
	}), http.StatusOK)
	h.approveRevision(a, 2)
	if deletes() != 1 || fake.Published() != 2 {
		t.Errorf("republish: %d deletes, %d published; want 1 and 2", deletes(), fake.Published())
	}
	d := h.detail(a)
	old, cur := store.Publication{}, publication(d, domain.ChannelWeChat)
	for _, p := range d.Publications {
		if p.Channel == string(domain.ChannelWeChat) && p.Revision == 1 {
			old = p
		}
	}
	if old.WithdrawStatus != store.WithdrawReplaced || cur.Revision != 2 || cur.Status != store.PubDelivered || cur.ExternalID == old.ExternalID {
		t.Errorf("republish: old %+v, new %+v", old, cur)
	}

	// A correction notice beside the article.
	b := h.wechatDraft("辖区垃圾分类工作情况通报")
	h.approveThrough(b)
	h.mustStatus(h.correction(b, "更正检查时间。", func(m map[string]any) {
		m["options"] = []string{"wechat_correction_notice"}
		m["body"] = strings.Replace(m["body"].(string), "本月", "上月", 1)
	}), http.StatusOK)
	h.approveRevision(b, 2)
	if deletes() != 1 || fake.Published() != 4 {
		t.Errorf("notice: %d deletes, %d published; want 1 and 4", deletes(), fake.Published())
	}
	live := h.count(`SELECT count(*) FROM publications WHERE draft_id = $1 AND channel = 'wechat' AND status = 'delivered' AND withdraw_status IS NULL`, b)
	if live != 2 {
		t.Errorf("%d live WeChat publications after the notice, want 2 (the article and its notice)", live)
	}
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", b), "admin", map[string]any{"reason": "撤回"}), http.StatusOK)
	testenv.Eventually(t, "both articles to be deleted", func() bool { return deletes() == 3 })
	h.verifyAudit()
}
