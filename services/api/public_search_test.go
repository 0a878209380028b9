package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// publishedBody brings a fresh draft with this title and body to published.
func (h *harness) publishedBody(title, body string) int64 {
	h.t.Helper()
	b := draftBody(title)
	b["body"] = body
	return h.publishedBy("officer", "head", "综合办", b)
}

// ids are the ids of a page's items.
func ids(p store.PublicPage) []int64 {
	var out []int64
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestPublicIndex: a published item is in the column's index at once with
// its 索引号 (numbered per agency and year, kept across a correction); one-
// and two-character words find it; a correction's text replaces the old;
// a withdrawal takes it out of every list and search.
func TestPublicIndex(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	fire := h.publishedBody("冬季消防安全检查情况通报", "街道组织开展了冬季消防安全专项检查，排查隐患12处。")
	dibao := h.publishedBody("最低生活保障对象复核公示", "经入户调查，以下低保家庭符合条件，现予公示。")
	search := func(q string) []int64 {
		t.Helper()
		p, err := h.store.PublicList(ctx, store.PublicQuery{AgencyID: store.DefaultAgency, Q: q, Size: 20})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		return ids(p)
	}
	for q, want := range map[string][]int64{
		"消防": {fire}, "低保": {dibao}, "消防安全检查": {fire}, "税": nil, "隐": {fire}, "公示": {dibao}, "12": {fire},
		"检": {fire}, "街道 低保": nil, "以下 低保": {dibao},
	} {
		if got := search(q); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("search %q = %v, want %v", q, got, want)
		}
	}
	// Rows without terms (items published before migration 027) get
	// theirs when the migrations run.
	if _, err := h.store.Pool.Exec(ctx, `UPDATE public_items SET terms = NULL`); err != nil {
		t.Fatal(err)
	}
	if err := h.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search("低保"); fmt.Sprint(got) != fmt.Sprint([]int64{dibao}) {
		t.Errorf("after filling the terms, search 低保 = %v", got)
	}
	if _, err := h.store.PublicList(ctx, store.PublicQuery{Q: "，。！"}); err != store.ErrBadQuery {
		t.Errorf("a query of punctuation: %v", err)
	}
	year := strconv.Itoa(time.Now().In(domain.Beijing).Year())
	var nos []string
	rows, _ := h.store.Pool.Query(ctx, `SELECT index_no FROM public_items ORDER BY draft_id`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		nos = append(nos, s)
	}
	if fmt.Sprint(nos) != fmt.Sprintf("[default/%s-00001 default/%s-00002]", year, year) {
		t.Errorf("索引号: %v", nos)
	}

	// A correction: the new text is searched, the old is not, the number stays.
	b := draftBody("冬季消防安全检查情况通报")
	b["body"] = "街道组织开展了冬季燃气安全专项检查。"
	b["correction"] = "更正检查内容。"
	h.want(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", fire), "officer", b), http.StatusOK, "")
	h.advance(fire)
	h.advance(fire)
	h.want(h.decide(fire, "head", domain.StageCompliance, "approve", nil), http.StatusOK, "")
	h.advance(fire)
	h.want(h.decide(fire, "sec", domain.StageConfidentiality, "approve", nil), http.StatusOK, "")
	if d := h.advance(fire); d.PublishedRevision != 2 {
		t.Fatalf("the correction is not published: %+v", d)
	}
	if got := search("燃气"); fmt.Sprint(got) != fmt.Sprint([]int64{fire}) {
		t.Errorf("the corrected text is not found: %v", got)
	}
	if got := search("隐患"); len(got) != 0 {
		t.Errorf("the text before the correction is still found: %v", got)
	}
	var no string
	h.store.Pool.QueryRow(ctx, `SELECT index_no FROM public_items WHERE draft_id = $1`, fire).Scan(&no)
	if no != "default/"+year+"-00001" {
		t.Errorf("the 索引号 changed with the correction: %s", no)
	}

	h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", dibao), "admin", map[string]any{"reason": "信息有误"}), http.StatusOK, "")
	if got := search("低保"); len(got) != 0 {
		t.Errorf("a withdrawn item is found: %v", got)
	}
	p, err := h.store.PublicList(ctx, store.PublicQuery{AgencyID: store.DefaultAgency, Size: 20})
	if err != nil || p.Total != 1 || fmt.Sprint(ids(p)) != fmt.Sprint([]int64{fire}) {
		t.Errorf("the column after a withdrawal: %v %v", p, err)
	}
}

// TestCappedSearch: a search with more hits than its 50 pages hold says
// so ("1000条以上", and that only 50 pages are listed); its page 50 is
// the last, and a page past it shows page 50.
func TestCappedSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	id := h.publishedBody("冬季消防安全检查情况通报", "街道组织开展了冬季消防安全专项检查。")
	// 1,000 more items like it, written as the search benchmark writes
	// them (the pipeline would take minutes).
	for _, q := range []string{
		`INSERT INTO drafts (id, author_id, department_id, agency_id, state, revision, step_done, formed_on, deadline, published_at, published_revision)
			SELECT d.id + g, author_id, department_id, agency_id, state, revision, step_done, formed_on, deadline, published_at, published_revision
			FROM drafts d, generate_series(1, 1000) g WHERE d.id = $1`,
		`INSERT INTO revisions (draft_id, revision, title, body, category, channels, formed_on, content_sha256)
			SELECT draft_id + g, revision, title, body, category, channels, formed_on, content_sha256 FROM revisions, generate_series(1, 1000) g WHERE draft_id = $1`,
		`INSERT INTO publications (draft_id, revision, channel, status, delivered_at)
			SELECT draft_id + g, revision, channel, status, delivered_at FROM publications, generate_series(1, 1000) g WHERE draft_id = $1 AND channel = 'website'`,
		`INSERT INTO public_items (draft_id, agency_id, department_id, revision, category, published_at, year, index_serial, index_no, terms)
			SELECT draft_id + g, agency_id, department_id, revision, category, published_at, year, index_serial + g, index_no || '-' || g, terms
			FROM public_items, generate_series(1, 1000) g WHERE draft_id = $1`,
	} {
		if _, err := h.store.Pool.Exec(ctx, q, id); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	const search = "/public/default/search?q=%E6%B6%88%E9%98%B2"
	status, _, s := h.get(search)
	if status != http.StatusOK || !strings.Contains(s, "找到1000条以上结果") || !strings.Contains(s, "检索结果只列出前50页") {
		t.Fatalf("a search of 1,001 hits: %d\n%s", status, s)
	}
	_, _, last := h.get(search + "&page=50")
	_, _, past := h.get(search + "&page=60")
	if n := strings.Count(last, "<mark>消防</mark>"); n < 20 || strings.Contains(last, `rel="next"`) || past != last {
		t.Errorf("page 50: %d hits marked, a next link %v, page 60 the same page %v", n, strings.Contains(last, `rel="next"`), past == last)
	}
}
