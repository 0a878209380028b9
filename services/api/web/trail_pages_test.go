package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api/web"
)

// appendEvent appends e to its chain as the store would (sealed after the
// chain's head), for an event in a format the store no longer writes or
// that no test drives.
func (s *site) appendEvent(e audit.Event) {
	s.t.Helper()
	ctx := context.Background()
	tx, err := s.sys.Store.Pool.Begin(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var length int64
	var head []byte
	if err := tx.QueryRow(ctx, `INSERT INTO audit_chains (chain) VALUES ($1)
		ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain RETURNING length, head`, e.Chain).Scan(&length, &head); err != nil {
		s.t.Fatal(err)
	}
	e.At = time.Now()
	audit.Seal(&e, length, head)
	var seq int64
	if err := tx.QueryRow(ctx, `INSERT INTO audit_events (chain, idx, draft_id, actor_id, actor, role, stage, action, revision,
			content_sha256, reason, comment, at, prev_hash, hash, agency_id)
		VALUES ($1, $2, NULLIF($3, 0), NULLIF($4, 0), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULLIF($16, 0)) RETURNING seq`,
		e.Chain, e.Index, e.DraftID, e.ActorID, e.Actor, e.Role, e.Stage, e.Action, e.Revision, e.ContentSHA256, e.Reason, e.Comment,
		e.At, e.PrevHash, e.Hash, e.AgencyID).Scan(&seq); err != nil {
		s.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_unsequenced (seq) VALUES ($1)`, seq); err != nil {
		s.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_chains SET length = $2, head = $3 WHERE chain = $1`, e.Chain, e.Index, e.Hash); err != nil {
		s.t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		s.t.Fatal(err)
	}
}

var (
	detailSpan  = regexp.MustCompile(`(?s)<span class="pre detail"[^>]*>.*?</span>`)
	detailCell  = regexp.MustCompile(`(?s)<td data-label="说明">.*?</td>`)
	codeElement = regexp.MustCompile(`(?s)<code[^>]*>.*?</code>`)
	anyTag      = regexp.MustCompile(`<[^>]*>`)
	latinWord   = regexp.MustCompile(`[A-Za-z]{2,}`)
)

// outsideCode is what a reader sees of h outside its <code> elements.
func outsideCode(h string) string {
	return html.UnescapeString(anyTag.ReplaceAllString(codeElement.ReplaceAllString(h, " "), ""))
}

// TestTrailPagesSpeakChinese: the details the store, the publisher and the
// channels write into the trail and the publications, in every format
// they write or wrote (web.DetailFormats: from real actions, and events
// made in each format), read in Chinese on the draft's page, the 审批单,
// the draft's trail, the event browser, the case's page and the
// publications page: no English word outside <code>.
func TestTrailPagesSpeakChinese(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	wang, _, _ := s.sys.Store.UserForSignIn(ctx, "wang")
	li, _, _ := s.sys.Store.UserForSignIn(ctx, "li")
	zhao, _, _ := s.sys.Store.UserForSignIn(ctx, "zhao")
	chen, _, _ := s.sys.Store.UserForSignIn(ctx, "chen")
	submit := func(title string) store.Draft {
		t.Helper()
		d, err := s.sys.Store.Submit(ctx, wang.Actor(), wang.Departments[0], domain.Content{Title: title,
			Body: "为进一步做好辖区环境整治工作，街道办事处组织开展了专项检查。", Department: "综合办", Category: "news",
			Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Now().UTC().Truncate(24 * time.Hour)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// Real actions: a draft through the three stages to the website, its
	// expiry changed and withdrawn; a person's access, a queue limit, a
	// token, an application taken in.
	d := submit("关于开展环境整治专项检查的通知")
	s.waitState(d.ID, domain.StateCompliance)
	if _, err := s.sys.Store.Decide(ctx, li.Actor(), d.ID, domain.DecisionRequest{Stage: domain.StageCompliance, Revision: 1,
		Decision: domain.DecisionApprove, Comment: "同意"}, nil); err != nil {
		t.Fatal(err)
	}
	s.waitState(d.ID, domain.StateConfidentiality)
	if _, err := s.sys.Store.Decide(ctx, zhao.Actor(), d.ID, domain.DecisionRequest{Stage: domain.StageConfidentiality, Revision: 1,
		Decision: domain.DecisionApprove}, nil); err != nil {
		t.Fatal(err)
	}
	s.waitState(d.ID, domain.StatePublished)
	until := time.Now().AddDate(1, 0, 0).UTC().Truncate(24 * time.Hour)
	for _, err := range []error{
		s.sys.Store.ChangeExpiry(ctx, li.Actor(), d.ID, &until, "按通知有效期设置"),
		s.sys.Store.ChangeExpiry(ctx, li.Actor(), d.ID, nil, ""),
		s.sys.Store.Withdraw(ctx, li.Actor(), d.ID, domain.WithdrawError, "标题有误，撤回后重新发布"),
		s.sys.Store.SetAccess(ctx, admin, chen.ID, []domain.Role{domain.RoleOfficer, domain.RoleDeptHead}, chen.Departments),
		s.sys.Store.SetQueueLimit(ctx, admin, 1, 5),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.sys.Store.AddToken(ctx, admin, wang.ID, "发布接口"); err != nil {
		t.Fatal(err)
	}
	app, err := s.sys.Store.AddApplication(ctx, admin, store.NewApplication{Route: domain.RouteLetter, ApplicantType: "natural",
		ApplicantName: "张三", ApplicantIDNumber: "110105199003071239", Description: "本街道老旧小区改造项目的资金使用情况",
		ReceivedOn: time.Now().AddDate(0, 0, -1)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// Every format, as an event of the chain it goes to.
	for _, f := range web.DetailFormats {
		e := audit.Event{AgencyID: 1, Actor: "系统", Role: string(domain.RoleSystem), Action: f.Action, Reason: f.Reason, Comment: f.Comment}
		switch f.Chain {
		case "draft":
			e.Chain, e.DraftID, e.Revision, e.Stage = audit.DraftChain(d.ID), d.ID, 1, string(domain.StatePublishing)
		case "agency":
			e.Chain = audit.AgencyChain(1)
		case "application":
			e.Chain = audit.ApplicationChain(app.ID)
		}
		s.appendEvent(e)
	}
	// The publications page: each text as an open publication's error; a
	// channel's alert; a removal left to a person.
	var others []int64
	for i := 0; i < (len(web.StoredFormats)+2)/3; i++ {
		others = append(others, submit(fmt.Sprintf("关于做好第%d批整改工作的通知", i+1)).ID)
	}
	for i, f := range web.StoredFormats {
		s.exec(fmt.Sprintf(`INSERT INTO publications (draft_id, revision, channel, status, attempts, error) VALUES (%d, 1, '%s', 'failed', 1, '%s')`,
			others[i/3], []string{"wechat", "douyin", "portal"}[i%3], strings.ReplaceAll(f.Comment, "'", "''")))
	}
	s.exec(fmt.Sprintf(`UPDATE publications SET alert = '微信公众号：发布成功后文章已被平台封禁。（publish_status 4）', alert_at = now()
		WHERE draft_id = %d AND channel = 'wechat'`, others[0]))
	s.exec(fmt.Sprintf(`UPDATE publications SET withdraw_status = 'manual', withdraw_code = 'superseded',
		withdraw_error = 'this channel cannot delete through its API: remove the item there by hand, then record it here',
		withdraw_reason = 'deleted before the corrected post: https://www.douyin.com/video/71' WHERE draft_id = %d AND channel = 'douyin'`, others[0]))

	// The pages, in Chinese.
	qian, adm, head := s.client(), s.client(), s.client()
	qian.signIn("qian", password)
	adm.signIn("admin", password)
	head.signIn("li", password)
	pages := map[string]string{}
	for _, p := range []struct {
		c    *client
		path string
	}{
		{head, fmt.Sprintf("/web/drafts/%d", d.ID)},
		{head, fmt.Sprintf("/web/drafts/%d/print", d.ID)},
		{qian, fmt.Sprintf("/web/drafts/%d/audit", d.ID)},
		{qian, "/web/audit/events"},
		{adm, fmt.Sprintf("/web/applications/%d", app.ID)},
		{adm, "/web/admin/publications"},
	} {
		res, page := p.c.req("GET", p.path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p.path, res.StatusCode)
		}
		pages[p.path] = page
		regions := detailSpan.FindAllString(page, -1)
		regions = append(regions, detailCell.FindAllString(page, -1)...)
		if len(regions) == 0 {
			t.Errorf("%s shows no detail", p.path)
		}
		for _, r := range regions {
			if w := latinWord.FindString(outsideCode(r)); w != "" {
				t.Errorf("%s shows %q outside <code>: %s", p.path, w, r)
			}
		}
	}
	said := func(path string) string {
		var b strings.Builder
		for _, r := range detailSpan.FindAllString(pages[path], -1) {
			b.WriteString(outsideCode(r) + "\n")
		}
		return b.String()
	}
	events := said("/web/audit/events")
	for _, f := range web.DetailFormats {
		if !strings.Contains(events, f.Want) {
			t.Errorf("the event browser does not say %q (%s)", f.Want, f.Where)
		}
		if f.Chain == "draft" && !strings.Contains(said(fmt.Sprintf("/web/drafts/%d/audit", d.ID)), f.Want) {
			t.Errorf("the draft's trail does not say %q (%s)", f.Want, f.Where)
		}
		if f.Chain == "application" && !strings.Contains(said(fmt.Sprintf("/web/applications/%d", app.ID)), f.Want) {
			t.Errorf("the case's page does not say %q (%s)", f.Want, f.Where)
		}
	}
	// What the real actions wrote.
	for path, want := range map[string][]string{
		fmt.Sprintf("/web/drafts/%d", d.ID):         {"政府网站：已发布", "公开至" + until.Format(domain.DateLayout) + "；按通知有效期设置", "公开不设期限", "标题有误"},
		fmt.Sprintf("/web/drafts/%d/audit", d.ID):   {"阻断性问题0项，提示0项", "政府网站：已发布", "地址："},
		fmt.Sprintf("/web/drafts/%d/print", d.ID):   {"政府网站：已发布", "阻断性问题1项，提示0项"},
		"/web/audit/events":                         {"角色 信息员 → 信息员、科室负责人", "待审超过5个工作日时提醒", "的接口令牌", "角色 信息员，科室编号 ", "政府网站：已发布"},
		fmt.Sprintf("/web/applications/%d", app.ID): {"申请方式：信函申请；申请人类型：自然人"},
		"/web/admin/publications":                   {"该渠道未配置，未发送", "已被平台封禁", "该渠道不能通过接口删除", "更正后的版本发布前，已删除原来的"},
	} {
		got := said(path)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s does not say %q: %s", path, w, got)
			}
		}
	}
	// The stored text stays to hand on the audit pages.
	if !strings.Contains(pages["/web/audit/events"], `<summary>存储原文</summary><code>website=delivered</code>`) {
		t.Error("the event browser does not keep the stored text")
	}

	// And in the CSV, beside the stored text.
	_, body := qian.req("GET", "/web/audit/events?action=published&format=csv", nil)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if last := rows[len(rows)-1]; len(rows) < 2 || last[12] != "website=delivered" || last[16] != "政府网站：已发布" {
		t.Errorf("the CSV's published event: %q", last)
	}

	// In English: the same pages leave no key or verb unformatted.
	en := s.client()
	u, _ := url.Parse(s.base)
	en.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "en"}})
	en.signIn("qian", password)
	for _, path := range []string{"/web/audit/events", fmt.Sprintf("/web/drafts/%d/audit", d.ID)} {
		_, page := en.req("GET", path, nil)
		for _, r := range detailSpan.FindAllString(page, -1) {
			if strings.Contains(r, "detail.") || strings.Contains(r, "%!") {
				t.Errorf("%s in English: %s", path, r)
			}
		}
		if !strings.Contains(page, "Website: delivered") {
			t.Errorf("%s in English does not say the website's outcome", path)
		}
	}
}
