package web_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// TestApplicationInTheBrowser: a case handler takes in a letter, records
// the outcome and sends the reply, which repeats the applicant's own ID
// number (a warning at stage 3, not a block); the head and the
// confidentiality reviewer approve it; the case is answered, never on the
// public column; the handler records the delivery and closes it. On the
// way, the handler uploads the applicant's ID card, which the case page lists.
func TestApplicationInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	deps, err := s.sys.Store.Departments(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var office int64
	for _, d := range deps {
		if d.Name == "综合办" {
			office = d.ID
		}
	}
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if _, _, err := s.sys.Store.AddUser(ctx, admin, store.NewUser{Name: "zheng", Roles: []domain.Role{domain.RoleCaseHandler, domain.RoleOfficer},
		Departments: []int64{office}, PasswordHash: hashOf(t, password)}); err != nil {
		t.Fatal(err)
	}
	zheng := s.as("zheng")
	zheng.do(chromedp.Navigate(s.base+"/web/applications"), chromedp.WaitVisible(chromedp.CSS("#applications")))
	zheng.do(chromedp.Click(chromedp.CSS("#app-new")), chromedp.WaitVisible(chromedp.CSS("#app-intake")),
		chromedp.SendKeys(chromedp.CSS("#applicant_name"), "张三"),
		chromedp.SendKeys(chromedp.CSS("#applicant_id_number"), "110105199003071239"),
		chromedp.SetValue(chromedp.CSS("#description"), "本街道2026年老旧小区改造项目的资金使用情况"))
	zheng.shot("application-intake")
	zheng.do(chromedp.Click(chromedp.CSS("#app-save")), chromedp.WaitVisible(chromedp.CSS("#app-clock")))
	if due := zheng.text("#app-due"); !strings.Contains(due, "剩余") {
		t.Fatalf("the new case's deadline: %q", due)
	}
	zheng.shot("application-case")
	// The applicant's ID card, photographed: uploaded, listed, its upload in the trail.
	scan := scanFile(t, "张三身份证.png")
	zheng.do(chromedp.SetUploadFiles(chromedp.CSS("#doc-file"), []string{scan}), chromedp.Click(chromedp.CSS("#doc-upload")),
		chromedp.WaitVisible(chromedp.CSS("#documents tr[data-id] a.doc-read")))
	if row := zheng.text("#documents tbody"); !strings.Contains(row, "张三身份证.png") || !strings.Contains(row, "KB") {
		t.Fatalf("the documents: %q", row)
	}
	if trail := zheng.text("#events"); !strings.Contains(trail, "上传身份证明") || strings.Contains(trail, "张三身份证.png") {
		t.Fatalf("the trail after the upload: %q", trail)
	}
	zheng.do(chromedp.Click(chromedp.CSS("#act-outcome button")), chromedp.WaitVisible(chromedp.CSS("#app-outcome")))
	zheng.do(chromedp.WaitVisible(chromedp.CSS("#r-body")))
	body := zheng.eval(`document.querySelector("#r-body").value`)
	body = strings.Replace(body, "（请写明理由和依据。）", "依据《中华人民共和国政府信息公开条例》第二十七条，现将相关信息提供给您（申请人身份证号110105199003071239）。", 1)
	zheng.do(chromedp.SetValue(chromedp.CSS("#r-body"), body), chromedp.Click(chromedp.CSS("#app-reply-start")),
		chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	id := zheng.draftIDFromURL()
	s.waitState(id, domain.StateCompliance)

	li := s.as("li")
	li.decide(id, "approve", "")
	s.waitState(id, domain.StateConfidentiality)
	zhao := s.as("zhao")
	zhao.do(chromedp.Navigate(s.base+"/web/drafts/"+strconv.FormatInt(id, 10)), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	zhao.decide(id, "approve", "")
	s.waitState(id, domain.StatePublished)

	var a store.Application
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		list, err := s.sys.Store.Applications(ctx, admin, store.CaseQuery{All: true})
		if err != nil || len(list) != 1 {
			t.Fatalf("cases: %v %v", list, err)
		}
		if a = list[0]; a.State == domain.CaseAnswered {
			break
		}
	}
	if a.State != domain.CaseAnswered || a.ReplyDraftID != id {
		t.Fatalf("the case after its reply was approved: %+v", a)
	}
	resp, err := http.Get(s.base + "/public/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(page), "答复书") {
		t.Fatal("the reply is on the public column")
	}
	zheng.do(chromedp.Navigate(s.base+"/web/applications/"+strconv.FormatInt(a.ID, 10)), chromedp.WaitVisible(chromedp.CSS("#act-deliver")),
		chromedp.Click(chromedp.CSS("#act-deliver button")), chromedp.WaitNotPresent(chromedp.CSS("#act-deliver")),
		chromedp.Click(chromedp.CSS("#act-close button")), chromedp.WaitNotPresent(chromedp.CSS("#act-close")))
	if a, err = s.sys.Store.Application(ctx, admin, a.ID); err != nil || a.State != domain.CaseClosed || a.DeliveryMethod != domain.DeliveryEmail {
		t.Fatalf("closed: %+v %v", a, err)
	}
	zheng.do(chromedp.Navigate(s.base+"/web/applications?all=1"), chromedp.WaitVisible(chromedp.CSS("#applications")))
	zheng.shot("application-queue")
}

// scanFile writes a small PNG, a photographed document, named name, for a
// file field, and returns its path.
func scanFile(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, sample.PNG(16, 10, 180), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
