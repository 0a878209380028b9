package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// visitor is a browser context that has not signed in: a member of the public.
func (s *site) visitor() *person {
	s.t.Helper()
	if s.alloc == nil {
		s.alloc = browser(s.t)
	}
	ctx, cancel := chromedp.NewContext(s.alloc, chromedp.WithNewBrowserContext())
	s.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		s.t.Fatalf("opening a visitor's tab: %v", err)
	}
	return &person{s: s, name: "visitor", ctx: ctx}
}

// noSideways fails when the page scrolls sideways.
func (p *person) noSideways(page string) {
	p.s.t.Helper()
	if w := p.eval(`String(document.documentElement.scrollWidth - window.innerWidth)`); w != "0" && !strings.HasPrefix(w, "-") {
		p.s.t.Errorf("%s scrolls sideways at %s by %s px", page, p.eval(`String(window.innerWidth)`), w)
	}
}

// TestPublicColumnInTheBrowser: a visitor reads the agency's column at 1280
// and 390 px: the name, columns and footer; a search with its hits marked;
// an item with its metadata table; the 字号 and 适老化 controls (kept on the
// next page); no page scrolls sideways, and the stylesheet and script load
// under the pages' CSP.
func TestPublicColumnInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := s.sys.Store.SetAgencySite(ctx, admin, store.Site{IndexPattern: store.DefaultIndexPattern, Sponsor: "北京市东城区建国门街道办事处",
		SiteCode: "1101010029", ICP: "京ICP备05060933号", Guide: "一、概述\n为了更好地提供政府信息公开服务，编制本指南。"}, ""); err != nil {
		t.Fatal(err)
	}
	wang, li, zhao := s.as("wang"), s.as("li"), s.as("zhao")
	var ids []int64
	for _, x := range [][2]string{{"关于开展冬季消防安全专项检查的通知", body1},
		{"建国门街道2026年第四季度城乡低保对象名单公示", "根据《社会救助暂行办法》，经入户调查、民主评议，现将第四季度城乡低保对象名单予以公示，公示期为七日。如有异议，请向街道民生保障办公室反映。"}} {
		id := wang.submitDraft(x[0], x[1])
		s.waitState(id, domain.StateCompliance)
		li.decide(id, "approve", "")
		s.waitState(id, domain.StateConfidentiality)
		zhao.decide(id, "approve", "")
		s.waitState(id, domain.StatePublished)
		ids = append(ids, id)
	}

	v := s.visitor()
	for _, width := range []int64{1280, 390} {
		w := fmt.Sprint(width)
		v.do(chromedp.EmulateViewport(width, 900), chromedp.Navigate(s.base+"/public/default/"), chromedp.WaitVisible(chromedp.CSS("#care")))
		if red := v.eval(`getComputedStyle(document.querySelector('header.site')).borderBottomColor`); red != "rgb(180, 0, 11)" {
			t.Errorf("the stylesheet did not load under the CSP: %s", red)
		}
		for _, want := range []string{"政府信息公开指南", "法定主动公开内容", "依申请公开", "主办单位：北京市东城区建国门街道办事处", "京ICP备05060933号"} {
			if !strings.Contains(v.text("body"), want) {
				t.Errorf("the column at %s px lacks %s", w, want)
			}
		}
		v.noSideways("the column")
		v.shot("column-" + w)

		v.do(chromedp.SetValue(chromedp.CSS("input[name=q]"), "低保"), chromedp.Submit(chromedp.CSS("form.search")), chromedp.WaitVisible(chromedp.CSS("#found")))
		if got := v.text("#found"); !strings.Contains(got, "找到1条结果") {
			t.Errorf("the search at %s px says %q", w, got)
		}
		if marks := v.eval(`String(document.querySelectorAll('ul.items mark').length)`); marks == "0" {
			t.Errorf("no hit is marked")
		}
		v.noSideways("the search")
		v.shot("search-" + w)

		v.do(chromedp.Navigate(fmt.Sprintf("%s/public/default/items/%d", s.base, ids[0])), chromedp.WaitVisible(chromedp.CSS("table.metadata")))
		meta := v.text("table.metadata")
		for _, want := range []string{"索引号", "default/", "-00001", "发布机构", "成文日期", "发布日期", "文号", "主题分类", "工作动态"} {
			if !strings.Contains(meta, want) {
				t.Errorf("the metadata at %s px lacks %s: %s", w, want, meta)
			}
		}
		v.noSideways("the item")
		v.shot("item-" + w)
	}

	// 适老化 and 字号, kept on the next page.
	v.do(chromedp.Click(chromedp.CSS("#care")), chromedp.Click(chromedp.CSS(`[data-size="1"]`)))
	if cls := v.eval(`document.documentElement.className + ' ' + document.documentElement.dataset.size`); cls != "care 1" {
		t.Errorf("after 适老化 and A＋ the page is %q", cls)
	}
	v.do(chromedp.Navigate(s.base+"/public/default/guide"), chromedp.WaitVisible(chromedp.CSS("article.text")))
	if cls := v.eval(`document.documentElement.className`); cls != "care" {
		t.Errorf("the next page forgot 适老化: %q", cls)
	}
	if size := v.eval(`getComputedStyle(document.documentElement).fontSize`); size != "23px" {
		t.Errorf("适老化 with A＋ is %s", size)
	}
	v.noSideways("the guide in 适老化")
	v.shot("guide-care-390")
	v.do(chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("article.text")))
	v.shot("guide-care-1280")

	// An unknown address: the Chinese 404 page.
	v.do(chromedp.Navigate(s.base+"/public/default/nosuch"), chromedp.WaitVisible(chromedp.CSS("#missing")))
	v.shot("not-found-1280")

	// 依申请公开 online, with a photo of the ID card, at phone width: the
	// form under the column's CSP, accessible, in Chinese; the query code.
	scan := scanFile(t, "身份证.png")
	v.do(chromedp.EmulateViewport(390, 900), chromedp.Navigate(s.base+"/public/default/apply"), chromedp.WaitVisible(chromedp.CSS("#identity")))
	if bg := v.eval(`getComputedStyle(document.querySelector('button')).backgroundColor`); bg != "rgb(180, 0, 11)" {
		t.Errorf("the form's stylesheet did not load under the CSP: %s", bg)
	}
	if problems := v.axe(); problems != "" {
		t.Errorf("axe-core on the application form: %s", problems)
	}
	if words := v.eval(englishWords); words != "" {
		t.Errorf("English on the application form: %s", words)
	}
	v.noSideways("the application form")
	v.do(chromedp.SetValue(chromedp.CSS("#applicant_name"), "张某某"), chromedp.SetValue(chromedp.CSS("#applicant_contact"), "zhang@example.org"),
		chromedp.SetValue(chromedp.CSS("#description"), "本街道2026年老旧小区改造的项目清单"),
		chromedp.SetUploadFiles(chromedp.CSS("#identity"), []string{scan}))
	v.shot("apply-390")
	v.do(chromedp.Click(chromedp.CSS("#apply-submit")), chromedp.WaitVisible(chromedp.CSS("#query-code")))
	if got := v.text("#documents-received"); !strings.Contains(got, "身份证明材料 1 个") {
		t.Errorf("the confirmation says %q", got)
	}
	v.shot("applied-390")
}

// TestTopicsInTheBrowser: an officer gives a draft its topic on the form;
// published, the item's page links the topic's page, which gathers it;
// staff find it in the archive by topic and month. At 1280 and 390 px.
func TestTopicsInTheBrowser(t *testing.T) {
	s := startSite(t)
	wang, li, zhao := s.as("wang"), s.as("li"), s.as("zhao")
	wang.do(chromedp.Navigate(s.base+"/web/drafts/new"),
		chromedp.SendKeys(chromedp.CSS("#title"), "幸福里社区老旧小区改造项目开工"),
		chromedp.SetValue(chromedp.CSS("#body"), "幸福里社区老旧小区改造项目于本月开工，涉及楼栋12栋，预计明年6月完工。"),
		chromedp.SendKeys(chromedp.CSS("#topics"), "老旧小区改造、城市更新"))
	wang.shot("form-topics-1280")
	wang.do(chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	id := wang.draftIDFromURL()
	s.waitState(id, domain.StateCompliance)
	li.decide(id, "approve", "")
	s.waitState(id, domain.StateConfidentiality)
	zhao.decide(id, "approve", "")
	s.waitState(id, domain.StatePublished)

	v := s.visitor()
	v.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(fmt.Sprintf("%s/public/default/items/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("table.metadata")))
	v.do(chromedp.Click(chromedp.CSS(`table.metadata a[href*="/topics/"]`)), chromedp.WaitVisible(chromedp.CSS("ul.items")))
	if h := v.text("h1"); h != "专题：城市更新" && h != "专题：老旧小区改造" {
		t.Errorf("the topic's page is headed %q", h)
	}
	if !strings.Contains(v.text("ul.items"), "幸福里社区老旧小区改造项目开工") {
		t.Errorf("the topic's page lacks the item")
	}
	v.noSideways("the topic's page")
	v.shot("topic-390")

	now := time.Now().In(domain.Beijing)
	for _, width := range []int64{1280, 390} {
		wang.do(chromedp.EmulateViewport(width, 900), chromedp.Navigate(fmt.Sprintf("%s/web/archive?year=%d&month=%d&topic=%s", s.base, now.Year(), int(now.Month()),
			url.QueryEscape("老旧小区改造"))), chromedp.WaitVisible(chromedp.CSS("#archive")))
		if !strings.Contains(wang.text("#archive"), "幸福里社区老旧小区改造项目开工") || !strings.Contains(wang.text("#archive-count"), "共 1 条") {
			t.Errorf("the archive at %d px: %s", width, wang.text("main"))
		}
		wang.noSideways("the archive")
		wang.shot(fmt.Sprintf("archive-%d", width))
	}
}
