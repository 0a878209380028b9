package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// publishedBy brings a draft of officer (whose department is dept, its
// head head) to published.
func (h *harness) publishedBy(officer, head, dept string, b map[string]any) int64 {
	h.t.Helper()
	b["department"] = dept
	r := h.want(h.do("POST", "/api/v1/drafts", officer, b), http.StatusCreated, "")
	id := int64(r.body["id"].(float64))
	h.advance(id)
	h.advance(id)
	h.want(h.decide(id, head, domain.StageCompliance, "approve", nil), http.StatusOK, "")
	h.advance(id)
	h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", nil), http.StatusOK, "")
	h.advance(id)
	return id
}

// TestTopicPage: topics are part of a draft's content (checked, hashed,
// returned); a topic's page gathers two departments' items in the order
// they were published; the item's page links its topic, the column lists it.
func TestTopicPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := draftBody("老旧小区改造项目启动")
	b["topics"] = []string{"a", "b", "c", "d", "e", "f"}
	h.want(h.doInvalid("POST", "/api/v1/drafts", "officer", b), http.StatusBadRequest, "invalid_topics")
	b["topics"] = []string{"老旧/小区"}
	h.want(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusBadRequest, "invalid_topics")

	b = draftBody("幸福里小区老旧小区改造项目启动")
	b["topics"] = []string{" 老旧小区改造 ", "城市更新", "老旧小区改造"}
	first := h.publishedBy("officer", "head", "综合办", b)
	d := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", first), "officer", nil), http.StatusOK, "")
	if fmt.Sprint(d.body["topics"]) != "[城市更新 老旧小区改造]" {
		t.Errorf("the draft's topics: %v", d.body["topics"])
	}
	h.published("与专题无关的工作动态")
	b = draftBody("幸福里小区改造施工期间临时交通管制的通告")
	b["topics"] = []string{"老旧小区改造"}
	second := h.publishedBy("officer2", "head2", "执法队", b)

	_, _, page := h.get("/public/default/topics/" + url.PathEscape("老旧小区改造"))
	i1, i2 := strings.Index(page, fmt.Sprintf("/items/%d\"", first)), strings.Index(page, fmt.Sprintf("/items/%d\"", second))
	if i1 < 0 || i2 < 0 || i1 > i2 || strings.Count(page, `<li><a href="/public/default/items/`) != 2 || !strings.Contains(page, "专题：老旧小区改造") {
		t.Errorf("the topic's page (%d, %d):\n%s", i1, i2, page)
	}
	if !strings.Contains(page, "综合办") || !strings.Contains(page, "执法队") {
		t.Errorf("the topic's page lacks a department")
	}
	_, _, item := h.get(fmt.Sprintf("/public/default/items/%d", first))
	if !strings.Contains(item, `<a href="/public/default/topics/%E8%80%81%E6%97%A7%E5%B0%8F%E5%8C%BA%E6%94%B9%E9%80%A0">老旧小区改造</a>`) {
		t.Errorf("the item's page does not link its topic:\n%s", item)
	}
	_, _, home := h.get("/public/default/")
	if !strings.Contains(home, "专题专栏") || !strings.Contains(home, `老旧小区改造</a><span class="count">2条`) {
		t.Errorf("the column does not list the topic:\n%s", home)
	}
	if status, _, _ := h.get("/public/default/topics/" + url.PathEscape("没有这个专题")); status != http.StatusOK {
		t.Errorf("an empty topic: %d", status)
	}
}
