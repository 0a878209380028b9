package api_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks/confidentiality"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
)

// validCredit is a unified social credit code on the prefix given.
func validCredit(prefix string) string {
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if confidentiality.ValidCreditCode(prefix + string(c)) {
			return prefix + string(c)
		}
	}
	panic("no check character")
}

// strictPage fails unless a public page is Chinese HTML under a CSP
// without 'unsafe-inline', with no inline style or script.
func strictPage(t *testing.T, path string, status int, hdr http.Header, body string) {
	t.Helper()
	csp := hdr.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Errorf("%s: %d %q %q", path, status, hdr.Get("Content-Type"), csp)
	}
	if regexp.MustCompile(`<style|style=|<script>|<script [^>]*>[^<]|\son[a-z]+=`).MatchString(body) {
		t.Errorf("%s has inline style or script", path)
	}
	if !strings.Contains(body, `lang="zh-CN"`) {
		t.Errorf("%s is not a Chinese page", path)
	}
}

// TestPublicColumn: the column's settings (audited, checked), its standard
// columns, pages with every item on one of them, search with marked hits
// and filters, the item's metadata table, feeds, and Chinese 404 and 410
// pages, every one under a strict CSP.
func TestPublicColumn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code := validCredit("11500103009284580")
	h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"credit_code": "11500103009284580X"}), http.StatusBadRequest, "invalid_site")
	h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"index_pattern": "{code}-{serial}"}), http.StatusBadRequest, "invalid_site")
	h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"emblem": "https://example.com/x.png"}), http.StatusBadRequest, "invalid_site")
	h.want(h.do("PUT", "/api/v1/agency/site", "officer", map[string]any{}), http.StatusForbidden, "role_required")
	r := h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"credit_code": code, "sponsor": "建国门街道办事处",
		"site_code": "1101010001", "icp": "京ICP备12345678号", "guide": "一、主动公开\n二、依申请公开", "rules": "政府信息公开保密审查制度"}), http.StatusOK, "")
	if r.body["index_pattern"] != "{code}/{year}-{serial}" || r.body["credit_code"] != code {
		t.Fatalf("settings: %s", r.raw)
	}
	var n int
	h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'public_site_set' AND comment LIKE '%sponsor%'`).Scan(&n)
	if n != 1 {
		t.Errorf("the settings' change is not audited")
	}
	// The agency's name, in the column's header, is set with the settings:
	// a name that is not one is refused with nothing written.
	h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"credit_code": code, "sponsor": "别的主办单位", "name": " 前后有空格 "}),
		http.StatusOK, "") // trimmed
	h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"credit_code": code, "sponsor": "不应写入", "name": "名\u200b字"}),
		http.StatusUnprocessableEntity, "invalid_name")
	r = h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"credit_code": code, "sponsor": "建国门街道办事处",
		"site_code": "1101010001", "icp": "京ICP备12345678号", "guide": "一、主动公开\n二、依申请公开", "rules": "政府信息公开保密审查制度",
		"name": "北京市东城区建国门街道办事处"}), http.StatusOK, "")
	if r.body["name"] != "北京市东城区建国门街道办事处" || r.body["sponsor"] != "建国门街道办事处" {
		t.Fatalf("the settings with the name: %s", r.raw)
	}
	h.want(h.do("PUT", "/api/v1/agency/site", "admin", map[string]any{"credit_code": code, "sponsor": "建国门街道办事处",
		"site_code": "1101010001", "icp": "京ICP备12345678号", "guide": "一、主动公开\n二、依申请公开", "rules": "政府信息公开保密审查制度",
		"name": "本机关"}), http.StatusOK, "") // as the pages below expect
	h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'agency_rename'`).Scan(&n)
	if n != 3 {
		t.Errorf("%d renames audited, want 3", n)
	}

	penalty := draftBody("关于某某公司消防通道堵塞的行政处罚决定")
	penalty["category"], penalty["body"] = "penalty", "决定书文号：街执罚字〔2026〕12号\n当事人：某某公司\n经查，当事人堵塞消防通道。"
	first := h.publishedBy("officer", "head", "综合办", penalty)
	var ids []int64
	for i := range 22 {
		ids = append(ids, h.published(fmt.Sprintf("社区工作动态第%02d期", i+1)))
	}
	year := time.Now().In(domain.Beijing).Year()

	get := func(path string, want int) string {
		t.Helper()
		status, hdr, body := h.get(path)
		if status != want {
			t.Fatalf("%s: %d, want %d:\n%s", path, status, want, body)
		}
		strictPage(t, path, status, hdr, body)
		return body
	}
	// Every item on exactly one page of the column.
	seen := map[string]int{}
	p1 := get("/public/default/", http.StatusOK)
	p2 := get("/public/default/?page=2", http.StatusOK)
	for _, page := range []string{p1, p2} {
		for _, m := range regexp.MustCompile(`href="/public/default/items/(\d+)"`).FindAllStringSubmatch(page, -1) {
			seen[m[1]]++
		}
	}
	if len(seen) != 23 {
		t.Errorf("the two pages show %d items, want 23: %v", len(seen), seen)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("item %s is on %d pages", id, k)
		}
	}
	for _, want := range []string{"第1页，共2页，23条", `href="/public/default/?page=2" rel="next"`, "主办单位：建国门街道办事处", "网站标识码：1101010001", "京ICP备12345678号",
		"政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报", "依申请公开", "适老化模式", "打印", "A＋"} {
		if !strings.Contains(p1, want) {
			t.Errorf("the column lacks %q", want)
		}
	}

	// Search: hits marked, filters kept in the pages' links.
	s := get("/public/default/search?q=%E6%B6%88%E9%98%B2", http.StatusOK)
	if !strings.Contains(s, "找到1条结果") || !strings.Contains(s, "<mark>消防</mark>通道堵塞") {
		t.Errorf("search 消防:\n%s", s)
	}
	if s := get(fmt.Sprintf("/public/default/search?q=%%E6%%B6%%88%%E9%%98%%B2&category=news&year=%d", year), http.StatusOK); !strings.Contains(s, "找到0条结果") {
		t.Errorf("search 消防 in news finds something")
	}
	if s := get("/public/default/search?q=%E5%8A%A8%E6%80%81&category=news", http.StatusOK); !strings.Contains(s, "找到22条结果") ||
		!strings.Contains(s, `href="/public/default/search?category=news&amp;page=2&amp;q=%E5%8A%A8%E6%80%81"`) {
		t.Errorf("search 动态 in news:\n%s", s)
	}
	if s := get("/public/default/search?q=%EF%BC%8C", http.StatusOK); !strings.Contains(s, "请输入要检索的文字") {
		t.Errorf("a search of a comma")
	}
	get("/public/default/search?category=nonsense", http.StatusNotFound)

	// The columns.
	if c := get("/public/default/categories/", http.StatusOK); !strings.Contains(c, `href="/public/default/categories/penalty">行政处罚决定</a><span class="count">1条`) {
		t.Errorf("the statutory column:\n%s", c)
	}
	if c := get("/public/default/categories/penalty", http.StatusOK); !strings.Contains(c, fmt.Sprintf("/items/%d", first)) || strings.Contains(c, fmt.Sprintf("/items/%d\"", ids[0])) {
		t.Errorf("the penalty column:\n%s", c)
	}
	if c := get("/public/default/guide", http.StatusOK); !strings.Contains(c, "<p>一、主动公开</p>\n<p>二、依申请公开</p>") && !strings.Contains(c, "<p>一、主动公开</p><p>二、依申请公开</p>") {
		t.Errorf("the guide:\n%s", c)
	}
	get("/public/default/rules", http.StatusOK)
	if c := get("/public/default/application", http.StatusOK); !strings.Contains(c, `href="/public/default/apply"`) || !strings.Contains(c, "第二十七条") {
		t.Errorf("the application column:\n%s", c)
	}
	if c := get("/public/default/annual-reports", http.StatusOK); !strings.Contains(c, "暂无公开信息") {
		t.Errorf("the annual reports column:\n%s", c)
	}

	// The item's metadata.
	item := get(fmt.Sprintf("/public/default/items/%d", first), http.StatusOK)
	for _, want := range []string{fmt.Sprintf("<td>%s/%d-00001</td>", code, year), "<th scope=\"row\">主题分类</th><td>行政处罚决定</td>",
		"<td>街执罚字〔2026〕12号</td>", "<time>2026-11-20</time>", "发布机构</th><td>本机关（综合办）</td>",
		`有效性</th><td colspan="3" id="validity"><strong>有效</strong></td>`} {
		if !strings.Contains(item, want) {
			t.Errorf("the item's page lacks %s:\n%s", want, item)
		}
	}

	// Chinese 404 and 410 pages, never JSON.
	for _, path := range []string{"/public/nosuch/", "/public/default/nosuch", "/public/default/items/999999", "/public/default/items/x", "/public/default/categories/nosuch"} {
		if b := get(path, http.StatusNotFound); !strings.Contains(b, "未找到") {
			t.Errorf("%s: %s", path, b)
		}
	}
	h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", ids[0]), "admin", map[string]any{"reason": "信息有误"}), http.StatusOK, "")
	if b := get(fmt.Sprintf("/public/default/items/%d", ids[0]), http.StatusGone); !strings.Contains(b, "该信息已撤下") {
		t.Errorf("a withdrawn item: %s", b)
	}
	if p := get("/public/default/", http.StatusOK); strings.Contains(p, fmt.Sprintf("/items/%d\"", ids[0])) || !strings.Contains(p, "共2页，22条") {
		t.Errorf("a withdrawn item is listed")
	}

	// Feeds.
	for path, root := range map[string]string{"/public/default/feed.rss": "rss", "/public/default/feed.atom": "feed", "/public/all.rss": "rss", "/public/all.atom": "feed"} {
		status, hdr, body := h.get(path)
		var x struct{ XMLName xml.Name }
		if err := xml.Unmarshal([]byte(body), &x); status != http.StatusOK || err != nil || x.XMLName.Local != root || !strings.Contains(body, "社区工作动态第02期") ||
			!strings.Contains(hdr.Get("Content-Type"), "xml") {
			t.Errorf("%s: %d %v %s", path, status, err, body)
		}
	}
	status, hdr, css := h.get("/public/static/public.css")
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") || !strings.Contains(css, "html.care") {
		t.Errorf("the stylesheet: %d %s", status, hdr.Get("Content-Type"))
	}
	if status, _, _ := h.get("/public/static/..%2fpublic.html"); status != http.StatusNotFound {
		t.Errorf("a path out of the static files: %d", status)
	}
}

// TestPublicFileOfWithdrawnItem: a visitor following the link to a file
// of a withdrawn item reads the item's Chinese 410 page (when and why it
// was taken down), and to a file never published the Chinese 404 page,
// never JSON.
func TestPublicFileOfWithdrawnItem(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withBlobs(t))
	req := h.request("POST", "/api/v1/files?name="+url.QueryEscape("现场.png"), "officer", sample.PNG(12, 8, 90))
	req.Header.Set("Content-Type", "application/octet-stream")
	up := h.want(h.send(req, expectation{}), http.StatusCreated, "")
	sum := up.body["sha256"].(string)
	b := draftBody("关于辖区消防通道检查情况的通报")
	b["attachments"] = []map[string]string{{"name": "现场.png", "sha256": sum, "role": "cover"}}
	id := h.publishedBy("officer", "head", "综合办", b)
	file := "/public/files/" + sum + "/" + url.PathEscape("现场.png")

	if status, hdr, _ := h.get(file); status != http.StatusOK || hdr.Get("Content-Type") != "image/png" {
		t.Fatalf("the published item's file: %d %s", status, hdr.Get("Content-Type"))
	}
	status, hdr, page := h.get(fmt.Sprintf("/public/default/items/%d", id))
	if status != http.StatusOK || !strings.Contains(page, `src="`+file+`"`) {
		t.Fatalf("the item's page does not show its cover (%d):\n%s", status, page)
	}
	strictPage(t, "item", status, hdr, page)

	h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "照片有误", "code": "error"}), http.StatusOK, "")
	status, hdr, page = h.get(file)
	if status != http.StatusGone || !strings.Contains(page, "该信息已撤下") || !strings.Contains(page, "《关于辖区消防通道检查情况的通报》已于") ||
		!strings.Contains(page, "原因：发布有误。") || !strings.Contains(page, `href="/public/default/"`) {
		t.Errorf("the withdrawn item's file: %d\n%s", status, page)
	}
	strictPage(t, file, status, hdr, page)
	if status, _, page := h.get(file + "?lang=en"); status != http.StatusGone || !strings.Contains(page, "Reason: it was published in error.") {
		t.Errorf("the withdrawn item's file in English: %d\n%s", status, page)
	}
	for _, path := range []string{"/public/files/" + sum + "/other.png", "/public/files/" + strings.Repeat("0", 64) + "/x.pdf", "/public/files/nosum/x.pdf"} {
		status, hdr, page := h.get(path)
		if status != http.StatusNotFound || !strings.Contains(page, "未找到该信息") {
			t.Errorf("%s: %d\n%s", path, status, page)
		}
		strictPage(t, path, status, hdr, page)
	}
}
