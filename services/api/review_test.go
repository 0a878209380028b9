package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// publishedAs brings a fresh draft of category, of 综合办, to published,
// and dates its publication daysAgo days before today in Beijing.
func (h *harness) publishedAs(title, category string, daysAgo int) int64 {
	h.t.Helper()
	b := draftBody(title)
	b["category"] = category
	r := h.want(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated, "")
	id := int64(r.body["id"].(float64))
	h.advance(id)
	h.advance(id)
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", nil), http.StatusOK, "")
	h.advance(id)
	h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", nil), http.StatusOK, "")
	if d := h.advance(id); d.State != domain.StatePublished {
		h.t.Fatalf("draft %d is %s after publishing", id, d.State)
	}
	// Noon in Beijing, daysAgo days ago.
	on := checks.Today(time.Now()).AddDate(0, 0, -daysAgo).Add(4 * time.Hour)
	if _, err := h.store.Pool.Exec(context.Background(), `UPDATE drafts SET published_at = $2 WHERE id = $1`, id, on); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func reviewIDs(r resp) []int64 {
	var out []int64
	items, _ := r.body["items"].([]any)
	for _, it := range items {
		out = append(out, int64(it.(map[string]any)["id"].(float64)))
	}
	return out
}

func (h *harness) publicPage(path string) (int, string) {
	h.t.Helper()
	res, err := http.Get(h.base + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// The periodic review through the API: the head's queue, keep, the
// validity on the draft and the public page, the policy and the annual
// report's counts; every decision in the trail, which verifies.
func TestReviewAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	today := checks.Today(time.Now())
	norm := h.publishedAs("关于印发《街道社区议事规则》的通知", "normative_document", 400) // due 35 days ago
	news := h.publishedAs("街道开展冬季消防检查", "news", 400)                      // never reviewed
	repealing := h.publishedAs("关于废止《街道社区议事规则》的决定", "normative_document", 10)

	// The head of 综合办 sees it; the head of 执法队 does not; an officer has no queue.
	r := h.want(h.do("GET", "/api/v1/reviews", "head", nil), http.StatusOK, "")
	if got := fmt.Sprint(reviewIDs(r)); got != fmt.Sprint([]int64{norm}) {
		t.Fatalf("the head's review queue: %s (%s)", got, r.raw)
	}
	item := r.body["items"].([]any)[0].(map[string]any)
	if item["review_due_on"] != today.AddDate(0, 0, -400).AddDate(1, 0, 0).Format(domain.DateLayout) || item["review_months"] != 12.0 {
		t.Errorf("the queue's item: %v", item)
	}
	if got := reviewIDs(h.want(h.do("GET", "/api/v1/reviews", "head2", nil), http.StatusOK, "")); len(got) != 0 {
		t.Errorf("the other head's review queue: %v", got)
	}
	h.want(h.do("GET", "/api/v1/reviews", "officer", nil), http.StatusForbidden, "role_required")

	// Keep: the next review is a year from today, and it leaves the queue.
	h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/reviews", norm), "head2", map[string]any{"decision": "keep"}), http.StatusNotFound, "not_found")
	h.want(h.doInvalid("POST", fmt.Sprintf("/api/v1/drafts/%d/reviews", norm), "head", map[string]any{"decision": "withdraw"}), http.StatusBadRequest, "invalid_decision")
	r = h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/reviews", norm), "head", map[string]any{"decision": "keep", "comment": "仍然适用"}), http.StatusOK, "")
	if r.body["last_reviewed_on"] != today.Format(domain.DateLayout) || r.body["review_due_on"] != today.AddDate(1, 0, 0).Format(domain.DateLayout) {
		t.Errorf("after keeping: %s", r.raw)
	}
	if got := reviewIDs(h.want(h.do("GET", "/api/v1/reviews", "head", nil), http.StatusOK, "")); len(got) != 0 {
		t.Errorf("the queue after keeping: %v", got)
	}

	// Validity: news has none; the normative document is repealed by the other.
	h.want(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d/validity", news), "head", map[string]any{"status": "valid"}), http.StatusUnprocessableEntity, "validity_not_applicable")
	h.want(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d/validity", norm), "head", map[string]any{"status": "repealed",
		"on": today.AddDate(0, 0, 1).Format(domain.DateLayout)}), http.StatusUnprocessableEntity, "invalid_date")
	h.want(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d/validity", norm), "officer", map[string]any{"status": "repealed"}), http.StatusForbidden, "role_required")
	on := today.AddDate(0, 0, -3).Format(domain.DateLayout)
	r = h.want(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d/validity", norm), "head", map[string]any{"status": "repealed", "on": on,
		"superseded_by": repealing, "comment": "已由新决定废止"}), http.StatusOK, "")
	v, _ := r.body["validity"].(map[string]any)
	if v["status"] != "repealed" || v["on"] != on || v["superseded_by"] != float64(repealing) {
		t.Errorf("the validity recorded: %s", r.raw)
	}
	d := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", norm), "head", nil), http.StatusOK, "")
	if rv, _ := d.body["review"].(map[string]any); rv == nil || rv["validity"] == nil || rv["review_due_on"] == nil {
		t.Errorf("the draft's review: %s", d.raw)
	}
	if d := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", news), "head", nil), http.StatusOK, ""); d.body["review"].(map[string]any)["review_due_on"] != nil {
		t.Errorf("news has a next review: %s", d.raw)
	}

	// The public page says it, and links the repealing item.
	status, page := h.publicPage(fmt.Sprintf("/public/default/items/%d", norm))
	wantLine := fmt.Sprintf(`有效性</th><td colspan="3" id="validity"><strong>已废止</strong>（%s起，见<a href="/public/default/items/%d">《关于废止《街道社区议事规则》的决定》</a>）`,
		today.AddDate(0, 0, -3).Format("2006年1月2日"), repealing)
	if status != http.StatusOK || !strings.Contains(page, wantLine) {
		t.Errorf("the public page (%d) lacks %s:\n%s", status, wantLine, page)
	}
	if _, page := h.publicPage(fmt.Sprintf("/public/default/items/%d", repealing)); !strings.Contains(page, `id="validity">—</td>`) {
		t.Errorf("an item with no status recorded shows one:\n%s", page)
	}
	// A superseding draft not yet public is not named on the public page.
	b := draftBody("关于修改《社区议事规则废止决定》的决定（送审稿）")
	b["category"] = "normative_document"
	pending := int64(h.want(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated, "").body["id"].(float64))
	h.want(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d/validity", repealing), "admin", map[string]any{"status": "amended", "superseded_by": pending}), http.StatusOK, "")
	if _, page := h.publicPage(fmt.Sprintf("/public/default/items/%d", repealing)); !strings.Contains(page, "<strong>已修改</strong>") || strings.Contains(page, "送审稿") {
		t.Errorf("the public page names a draft that is not public, or lacks the status:\n%s", page)
	}

	// The policy: auditors read, admins write; news yearly puts it in the queue.
	h.want(h.do("GET", "/api/v1/policy/review", "auditor", nil), http.StatusOK, "")
	h.want(h.do("PUT", "/api/v1/policy/review", "head", map[string]any{"months": map[string]int{"news": 12}}), http.StatusForbidden, "role_required")
	h.want(h.doInvalid("PUT", "/api/v1/policy/review", "admin", map[string]any{"months": map[string]int{"news": 121}}), http.StatusUnprocessableEntity, "invalid_policy")
	r = h.want(h.do("PUT", "/api/v1/policy/review", "admin", map[string]any{"months": map[string]int{"news": 12}}), http.StatusOK, "")
	if m := r.body["months"].(map[string]any); m["news"] != 12.0 || m["normative_document"] != 12.0 || m["penalty"] != 0.0 {
		t.Errorf("the policy saved: %s", r.raw)
	}
	if got := fmt.Sprint(reviewIDs(h.want(h.do("GET", "/api/v1/reviews", "admin", nil), http.StatusOK, ""))); got != fmt.Sprint([]int64{news}) {
		t.Errorf("the admin's queue once news is reviewed yearly: %s", got)
	}

	// The annual report's counts.
	r = h.want(h.do("GET", fmt.Sprintf("/api/v1/reports/validity?year=%d", today.Year()), "auditor", nil), http.StatusOK, "")
	if !strings.Contains(r.raw, `"category":"normative_document"`) || !strings.Contains(r.raw, `"repealed_in_year"`) {
		t.Errorf("the validity report: %s", r.raw)
	}
	h.want(h.do("GET", "/api/v1/reports/validity", "head", nil), http.StatusForbidden, "role_required")

	// Every decision is in the draft's chain, and the trail verifies.
	a := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d/audit", norm), "auditor", nil), http.StatusOK, "")
	for _, action := range []string{`"review_kept"`, `"validity_set"`, `"denied:review_kept"`, `"denied:validity_set"`} {
		if !strings.Contains(a.raw, action) {
			t.Errorf("the draft's trail lacks %s", action)
		}
	}
	if res, err := h.store.VerifyAll(context.Background()); err != nil || !res.OK {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
}

// Under correction, a published item stays in the review queue and its
// public page keeps its validity.
func TestReviewUnderCorrection(t *testing.T) {
	h := newHarness(t)
	norm := h.publishedAs("关于印发《社区议事规则》的通知", "normative_document", 400)
	h.want(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d/validity", norm), "head", map[string]any{"status": "valid"}), http.StatusOK, "")
	b := draftBody("关于印发《社区议事规则》的通知（更正）")
	b["category"] = "normative_document"
	b["correction"] = "更正第三条的笔误。"
	r := h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", norm), "officer", b)
	if r.status != http.StatusOK {
		t.Fatalf("the correction: %d %s", r.status, r.raw)
	}
	if d := h.draft(norm); d.PublishedRevision != 1 || d.Revision != 2 {
		t.Fatalf("under correction: revision %d, published %d", d.Revision, d.PublishedRevision)
	}
	q := h.want(h.do("GET", "/api/v1/reviews", "head", nil), http.StatusOK, "")
	if !strings.Contains(q.raw, fmt.Sprintf(`"id":%d`, norm)) || strings.Contains(q.raw, "（更正）") {
		t.Errorf("queue under correction: %s", q.raw)
	}
	_, page := h.publicPage(fmt.Sprintf("/public/default/items/%d", norm))
	if !strings.Contains(page, "现行有效") {
		t.Errorf("public page under correction lacks validity")
	}
	h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/reviews", norm), "head", map[string]any{"decision": "keep"}), http.StatusOK, "")
	// The correction's revision has its event (correct) in the trail.
	if res, err := h.store.VerifyAll(context.Background()); err != nil || !res.OK {
		t.Errorf("the trail under correction does not verify: %+v %v", res.Breaks, err)
	}
}
