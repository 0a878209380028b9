package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/checks/confidentiality"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestSiteSettingsInTheBrowser: the agency's admin sets the public
// column's emblem, credit code, footer and guide on /web/admin/site. A bad
// credit code is refused with the field marked and focused and what was
// typed kept; saved, the visitor sees the emblem, the footer and the guide,
// and the save is in the audit trail. At 1280 and 390 px.
func TestSiteSettingsInTheBrowser(t *testing.T) {
	s := startSite(t)
	emblem := filepath.Join(t.TempDir(), "徽标.png")
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for x := range 96 {
		for y := range 96 {
			img.Set(x, y, color.RGBA{R: 200, G: 16, B: 46, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(emblem, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code := ""
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if confidentiality.ValidCreditCode("11110101000012345" + string(c)) {
			code = "11110101000012345" + string(c)
		}
	}

	admin := s.as("admin")
	admin.do(chromedp.Navigate(s.base+"/web/admin/site"), chromedp.WaitVisible(chromedp.CSS("#site-form")))
	year := fmt.Sprint(time.Now().In(domain.Beijing).Year())
	if ex := admin.text("#index-example"); !strings.HasSuffix(ex, "/"+year+"-00017") {
		t.Errorf("the 索引号 example is %q", ex)
	}
	admin.do(chromedp.SetValue(chromedp.CSS("#credit_code"), "11110101000012345Z"),
		chromedp.SetValue(chromedp.CSS("#sponsor"), "北京市东城区建国门街道办事处"),
		chromedp.SetValue(chromedp.CSS("#site_code"), "1101010029"),
		chromedp.SetValue(chromedp.CSS("#icp"), "京ICP备05060933号"),
		chromedp.SetValue(chromedp.CSS("#guide"), "一、概述\n为了更好地提供政府信息公开服务，编制本指南。"),
		chromedp.SetUploadFiles(chromedp.CSS("#emblem"), []string{emblem}),
		chromedp.Click(chromedp.CSS("#site-save")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if got := admin.text("#error"); !strings.Contains(got, "统一社会信用代码无效") {
		t.Errorf("a bad credit code says %q", got)
	}
	if admin.eval(`document.activeElement.id + " " + document.querySelector('#credit_code').getAttribute('aria-invalid')`) != "credit_code true" {
		t.Errorf("the credit code is not marked and focused: %s", admin.eval(`document.activeElement.id`))
	}
	if got := admin.eval(`document.querySelector('#sponsor').value`); got != "北京市东城区建国门街道办事处" {
		t.Errorf("the refused form lost what was typed: sponsor %q", got)
	}
	if n := s.count(`SELECT count(*) FROM agency_sites WHERE sponsor <> ''`); n != 0 {
		t.Errorf("a refused save stored something")
	}
	admin.shot("site-refused-1280")

	// The emblem chosen with the refused save came back with the form: it
	// is saved now without being chosen again.
	if !admin.exists("#emblem-pending") || admin.exists("#emblem-now") {
		t.Errorf("the refused form does not say a new emblem is chosen")
	}
	admin.do(chromedp.SetValue(chromedp.CSS("#credit_code"), code),
		chromedp.Click(chromedp.CSS("#site-save")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if got := admin.text("#flash"); !strings.Contains(got, "公开栏目设置已保存") {
		t.Errorf("the saved notice says %q", got)
	}
	if !admin.exists("#emblem-now") {
		t.Errorf("the saved settings lack the emblem")
	}
	if ex := admin.text("#index-example"); ex != code+"/"+year+"-00017" {
		t.Errorf("the 索引号 example is %q", ex)
	}
	if n := s.count(`SELECT count(*) FROM audit_events WHERE action = 'public_site_set'`); n != 1 {
		t.Errorf("%d audit events of the settings, want 1", n)
	}
	for _, w := range []int64{1280, 390} {
		admin.do(chromedp.EmulateViewport(w, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#emblem-now")))
		admin.noSideways("the settings")
		if v := admin.axe(); v != "" {
			t.Errorf("axe-core at %d px: %s", w, v)
		}
		if en := admin.eval(englishWords); en != "" {
			t.Errorf("English on the Chinese settings page: %s", en)
		}
		admin.shot(fmt.Sprintf("site-settings-%d", w))
	}

	v := s.visitor()
	v.do(chromedp.EmulateViewport(390, 900), chromedp.Navigate(s.base+"/public/default/"), chromedp.WaitVisible(chromedp.CSS("img.emblem")))
	if ok := v.eval(`String(document.querySelector('img.emblem').complete && document.querySelector('img.emblem').naturalWidth === 96)`); ok != "true" {
		t.Errorf("the emblem does not load for a visitor: %s", v.eval(`document.querySelector('img.emblem').src`))
	}
	for _, want := range []string{"主办单位：北京市东城区建国门街道办事处", "1101010029", "京ICP备05060933号"} {
		if !strings.Contains(v.text("body"), want) {
			t.Errorf("the column lacks %s", want)
		}
	}
	v.do(chromedp.Navigate(s.base+"/public/default/guide"), chromedp.WaitVisible(chromedp.CSS("article.text")))
	if !strings.Contains(v.text("article.text"), "编制本指南") {
		t.Errorf("the guide is %q", v.text("article.text"))
	}
	v.shot("column-with-emblem-390")

	// Removing the emblem: the column shows none, and its old address is gone.
	src := admin.eval(`document.querySelector('#emblem-now').getAttribute('src')`)
	status := func() string {
		return admin.eval(`fetch(` + "`" + src + "`" + `, {cache: "no-store"}).then(r => String(r.status))`)
	}
	if got := status(); got != "200" {
		t.Errorf("the emblem answers %s", got)
	}
	admin.do(chromedp.Click(chromedp.CSS("#remove_emblem")), chromedp.Click(chromedp.CSS("#site-save")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if admin.exists("#emblem-now") {
		t.Errorf("the emblem is still set after removing it")
	}
	if got := status(); got != "404" {
		t.Errorf("the removed emblem answers %s, want 404", got)
	}
}
