package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/media/sample"
)

var (
	formKeyField   = regexp.MustCompile(`name="form_key" value="([^"]+)"`)
	formTokenField = regexp.MustCompile(`name="form_token" value="([^"]+)"`)
	formUserField  = regexp.MustCompile(`name="form_user" value="([^"]+)"`)
)

// draftForm opens the new-draft form and returns its fields as posted.
func (c *client) draftForm(title string) url.Values {
	c.t.Helper()
	return c.formAt("/web/drafts/new", title)
}

// formAt opens the draft form at path (a new draft's, or a draft's edit
// form) and returns its fields as posted, with title.
func (c *client) formAt(path, title string) url.Values {
	c.t.Helper()
	res, page := c.req("GET", path, nil)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("draft form %s: %d", path, res.StatusCode)
	}
	f := url.Values{"title": {title}, "body": {"为进一步做好辖区环境整治工作，街道办事处组织开展了专项检查。"},
		"department": {"综合办"}, "category": {"news"}, "channels": {"website"}, "formed_on": {"2026-11-20"}}
	for name, re := range map[string]*regexp.Regexp{"_csrf": csrfField, "form_key": formKeyField, "form_token": formTokenField, "form_user": formUserField} {
		m := re.FindStringSubmatch(page)
		if m == nil {
			c.t.Fatalf("the form has no %s", name)
		}
		f.Set(name, m[1])
	}
	return f
}

// TestSavedForms: the form saves itself on the server (autosave) and by
// its 暂存 button, is listed for its author alone, comes back by its key,
// and is dropped once submitted; a form posted twice makes one draft; a
// post after the session expired is kept only with the form's own token.
func TestSavedForms(t *testing.T) {
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	f := wang.draftForm("自动保存的稿件")
	key := f.Get("form_key")

	wang.hdr.Set("X-CSRF-Token", f.Get("_csrf"))
	res, body := wang.req("POST", "/web/drafts/autosave", f)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "已自动保存") {
		t.Fatalf("autosave: %d %s", res.StatusCode, body)
	}
	wang.hdr.Del("X-CSRF-Token")
	_, list := wang.req("GET", "/web/drafts", nil)
	if !strings.Contains(list, "自动保存的稿件") || !strings.Contains(list, "resume="+key) {
		t.Errorf("the saved form is not listed: %s", list)
	}
	chen := s.client()
	chen.signIn("chen", password)
	if _, other := chen.req("GET", "/web/drafts", nil); strings.Contains(other, "自动保存的稿件") {
		t.Error("another officer sees wang's saved form")
	}
	if _, page := chen.req("GET", "/web/drafts/new?resume="+key, nil); strings.Contains(page, "自动保存的稿件") {
		t.Error("another officer resumes wang's saved form")
	}
	if _, page := wang.req("GET", "/web/drafts/new?resume="+key, nil); !strings.Contains(page, `value="自动保存的稿件"`) || !strings.Contains(page, `id="restored"`) {
		t.Errorf("the form does not come back: %s", page)
	}

	// Posted twice (a double click, the browser's resend): one draft.
	first, _ := wang.req("POST", "/web/drafts", f)
	second, _ := wang.req("POST", "/web/drafts", f)
	if first.StatusCode != http.StatusSeeOther || second.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("posted twice: %d %s, then %d %s", first.StatusCode, first.Header.Get("Location"), second.StatusCode, second.Header.Get("Location"))
	}
	if n := s.count(`SELECT count(*) FROM drafts`); n != 1 {
		t.Errorf("%d drafts from one form posted twice", n)
	}
	if n := s.count(`SELECT count(*) FROM draft_saves`); n != 0 {
		t.Errorf("%d saved forms after the submission", n)
	}

	// After the session expired: kept for the token's person only.
	g := wang.draftForm("登录过期时的稿件")
	s.exec(`UPDATE sessions SET revoked_at = now()`)
	forged := url.Values{}
	for k, v := range g {
		forged[k] = v
	}
	chenID := strconv.FormatInt(s.userID("chen"), 10)
	forged.Set("form_user", chenID)
	if res, _ := wang.req("POST", "/web/drafts", forged); res.StatusCode != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "resume") {
		t.Errorf("a forged token: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = wang.req("POST", "/web/drafts", g)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/web/login?next=") || !strings.Contains(loc, url.QueryEscape("resume="+g.Get("form_key"))) {
		t.Errorf("after expiry: %d %s", res.StatusCode, loc)
	}
	if n := s.count(`SELECT count(*) FROM draft_saves WHERE expired AND title = '登录过期时的稿件' AND author_id = ` + strconv.FormatInt(s.userID("wang"), 10)); n != 1 {
		t.Errorf("%d forms kept at expiry", n)
	}
	if n := s.count(`SELECT count(*) FROM draft_saves WHERE author_id = ` + chenID); n != 0 {
		t.Errorf("a forged token saved a form for chen")
	}
}

func (s *site) count(q string) int {
	s.t.Helper()
	var n int
	if err := s.sys.Store.Pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *site) exec(q string) {
	s.t.Helper()
	if _, err := s.sys.Store.Pool.Exec(context.Background(), q); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) userID(name string) int64 {
	s.t.Helper()
	var id int64
	if err := s.sys.Store.Pool.QueryRow(context.Background(), `SELECT id FROM users WHERE name = $1`, name).Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

// multipart posts fields and one file (field "files") as the draft form
// with a file chosen does.
func (c *client) multipart(path string, f url.Values, name string, data []byte) *http.Response {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range f {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("files", name)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	r, _ := http.NewRequest("POST", c.base+path, &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.http.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

var keptAttachment = regexp.MustCompile(`name="attachment" value="([0-9a-f]{64}:image:现场\.png)" checked`)

// TestSaveKeepsTheFiles: 暂存 with a file chosen keeps the file too: the
// draft it saves has it among its attachments, listed on its form, and
// submitted from there, has it still.
func TestSaveKeepsTheFiles(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	f := wang.draftForm("暂存时带附件的稿件")
	f.Set("files_role", "image")
	f.Set("save", "1")
	res := wang.multipart("/web/drafts", f, "现场.png", sample.PNG(90, 50, 10))
	var id int64
	if _, err := fmt.Sscanf(res.Header.Get("Location"), "/web/drafts/%d/edit", &id); res.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("暂存: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page := wang.req("GET", res.Header.Get("Location"), nil)
	m := keptAttachment.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the saved draft's form does not list the file chosen: %s", page)
	}
	edit := wang.formAt(fmt.Sprintf("/web/drafts/%d/edit", id), "暂存时带附件的稿件")
	edit.Set("attachment", m[1])
	res, _ = wang.req("POST", fmt.Sprintf("/web/drafts/%d", id), edit)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/web/drafts/%d", id) {
		t.Fatalf("submitting the saved draft: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	d, err := s.sys.Store.Draft(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State == "unsubmitted" || d.Saved || len(d.Content.Attachments) != 1 || d.Content.Attachments[0].Name != "现场.png" {
		t.Errorf("the draft submitted: %s, attachments %+v", d.State, d.Content.Attachments)
	}

	// A file of no known use is refused with the form as typed, nothing saved.
	g := wang.draftForm("用途不明的附件")
	g.Set("files_role", "poster")
	g.Set("save", "1")
	if res := wang.multipart("/web/drafts", g, "现场.png", sample.PNG(90, 50, 10)); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("暂存 with a file of no known use: %d", res.StatusCode)
	}
	if n := s.count(`SELECT count(*) FROM draft_saves WHERE title = '用途不明的附件'`); n != 0 {
		t.Errorf("%d forms saved with a file of no known use", n)
	}
}

// TestSaveAsDraft: 暂存 of a complete form keeps it as a draft in state
// unsubmitted — numbered, in its trail, seen by its author alone, on their
// list — once per form however often pressed; 暂存 on its form saves a new
// revision; submitted, it goes to stage 1 as a submission. A form not
// complete yet is kept as the form, saying what it lacks.
func TestSaveAsDraft(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	f := wang.draftForm("暂存为稿件")
	f.Set("save", "1")
	first, _ := wang.req("POST", "/web/drafts", f)
	second, _ := wang.req("POST", "/web/drafts", f) // a double click
	var id int64
	if _, err := fmt.Sscanf(first.Header.Get("Location"), "/web/drafts/%d/edit", &id); first.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("暂存: %d %s", first.StatusCode, first.Header.Get("Location"))
	}
	if second.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("pressed twice: %s, then %s", first.Header.Get("Location"), second.Header.Get("Location"))
	}
	if n := s.count(`SELECT count(*) FROM drafts WHERE state = 'unsubmitted' AND submitted_at IS NULL AND revision = 2`); n != 1 {
		t.Errorf("%d saved drafts at revision 2 from one form saved twice", n)
	}
	if n := s.count(`SELECT count(*) FROM draft_saves`); n != 0 {
		t.Errorf("%d saved forms beside the saved draft", n)
	}
	draft := fmt.Sprintf("/web/drafts/%d", id)
	_, page := wang.req("GET", first.Header.Get("Location"), nil)
	if !strings.Contains(page, "已暂存为稿件") || !strings.Contains(page, `value="暂存为稿件"`) {
		t.Errorf("the saved draft's form: %s", page)
	}
	if _, list := wang.req("GET", "/web/drafts", nil); !strings.Contains(list, `data-id="`+strconv.FormatInt(id, 10)+`"`) || !strings.Contains(list, "暂存（未提交）") {
		t.Errorf("the saved draft is not on its author's list: %s", list)
	}
	if _, page := wang.req("GET", draft, nil); !strings.Contains(page, "该稿件已暂存，尚未提交") {
		t.Errorf("the saved draft's page does not say it is saved: %s", page)
	}
	for _, name := range []string{"chen", "li"} {
		other := s.client()
		other.signIn(name, password)
		if res, _ := other.req("GET", draft, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s opens wang's saved draft: %d", name, res.StatusCode)
		}
	}

	// 暂存 on its form: a new revision, still unsubmitted; then submitted.
	edit := wang.formAt(draft+"/edit", "暂存为稿件（续）")
	edit.Set("save", "1")
	if res, _ := wang.req("POST", draft, edit); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != draft+"/edit" {
		t.Fatalf("暂存 on the draft's form: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	edit.Del("save")
	if res, _ := wang.req("POST", draft, edit); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != draft {
		t.Fatalf("submitting it: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if n := s.count(fmt.Sprintf(`SELECT count(*) FROM drafts WHERE id = %d AND state IN ('completeness', 'compliance') AND revision = 4 AND submitted_at IS NOT NULL`, id)); n != 1 {
		var st string
		var rev int
		_ = s.sys.Store.Pool.QueryRow(context.Background(), `SELECT state, revision FROM drafts WHERE id = $1`, id).Scan(&st, &rev)
		t.Errorf("the saved draft was not submitted as revision 4: %s %d", st, rev)
	}
	var actions []string
	rows, err := s.sys.Store.Pool.Query(context.Background(), `SELECT action FROM audit_events WHERE chain = $1 ORDER BY idx`, fmt.Sprintf("draft/%d", id))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		_ = rows.Scan(&a)
		actions = append(actions, a)
	}
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, "save save save submit") {
		t.Errorf("the trail: %s", got)
	}

	// Not complete yet (no body): kept as the form, which says so.
	g := wang.draftForm("还没写正文")
	g.Set("body", "")
	g.Set("save", "1")
	res, _ := wang.req("POST", "/web/drafts", g)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/web/drafts/new?") || !strings.Contains(loc, "lacking=body") {
		t.Fatalf("暂存 of an incomplete form: %d %s", res.StatusCode, loc)
	}
	if n := s.count(`SELECT count(*) FROM draft_saves WHERE title = '还没写正文'`); n != 1 {
		t.Errorf("%d copies of the incomplete form", n)
	}
	if _, page := wang.req("GET", loc, nil); !strings.Contains(page, "请补全或改正“正文”") || !strings.Contains(page, `value="还没写正文"`) {
		t.Errorf("the incomplete form does not say what it lacks: %s", page)
	}
	if n := s.count(`SELECT count(*) FROM drafts d JOIN revisions r ON r.draft_id = d.id WHERE r.title = '还没写正文'`); n != 0 {
		t.Error("an incomplete form became a draft")
	}
}
