package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// notice2027 is a holiday notice for 2027 in the State Council's layout,
// invented for the test (the real one is not out yet).
const notice2027 = `国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕7号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节、清明节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（周五）至11日（周四）放假调休，共7天。2月13日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。

国务院办公厅
2026年11月10日`

// TestAddACalendarYear: a platform admin pastes next year's holiday
// notice, sees what was read, and confirms; the change is audited and
// every deadline counts with it at once. A notice with a wrong weekday is
// refused with the line named; other roles may not open the page.
func TestAddACalendarYear(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	platform := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	u, _, err := s.sys.Store.AddUser(ctx, platform, store.NewUser{Name: "plat", Roles: []domain.Role{domain.RolePlatformAdmin}, PasswordHash: hashOf(t, password)})
	if err != nil {
		t.Fatal(err)
	}
	if domain.SecondFactorRequired(u.Roles) {
		s.enrol(u)
	}
	c := s.client()
	c.signIn("plat", password)
	_, page := c.req("GET", "/web/platform/calendar", nil)
	if !strings.Contains(page, "2024年至2026年") || !strings.Contains(page, `value="2027"`) {
		t.Fatalf("the calendar page:\n%s", page)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]

	// What the calendar does not take comes back refused (422): the form
	// as typed, the field at fault marked, the message in the reader's
	// language. A wrong weekday: the notice, its line named; a year after
	// a gap: the year (in English for a reader in English).
	wrong := strings.Replace(notice2027, "4月3日（周六）", "4月3日（周日）", 1)
	for _, tc := range []struct {
		lang, path string
		form       url.Values
		field      string
		says       []string
	}{
		{"zh", "/web/platform/calendar/preview", url.Values{"year": {"2027"}, "notice": {wrong}}, "notice", []string{"预览发现须改正的问题", "第8行"}},
		{"zh", "/web/platform/calendar", url.Values{"year": {"2027"}, "notice": {wrong}}, "notice", []string{"预览发现须改正的问题", "第8行"}},
		{"zh", "/web/platform/calendar/preview", url.Values{"year": {"2029"}, "off": {"2029-01-01"}, "workdays": {""}}, "year",
			[]string{`id="error">缺少2027年的节假日安排：2024年至2029年的每一年都要有</p>`}},
		{"en", "/web/platform/calendar/preview", url.Values{"year": {"2029"}, "off": {"2029-01-01"}, "workdays": {""}}, "year",
			[]string{`id="error">year 2027 is missing</p>`}},
		{"zh", "/web/platform/calendar/preview", url.Values{"year": {"2027"}, "off": {"2027-01-01"}, "workdays": {"2027-02-30"}}, "workdays",
			[]string{"上班日期：2027-02-30不存在。"}},
	} {
		u, _ := url.Parse(s.base)
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: tc.lang, Path: "/"}})
		tc.form.Set("_csrf", csrf)
		r, page := c.req("POST", tc.path, tc.form)
		p, ok := postedBack(t, page)
		if r.StatusCode != http.StatusUnprocessableEntity || !ok || p.Kind != "refused" || p.Action != tc.path || p.Field != tc.field ||
			p.Fields.Get("year") != tc.form.Get("year") || p.Fields.Get("notice") != tc.form.Get("notice") || p.Fields.Get("off") != tc.form.Get("off") ||
			strings.Contains(page, `id="calendar-confirm"`) || !strings.Contains(page, `id="calendar-form"`) {
			t.Errorf("%s %s %s: %d, given back %+v\n%s", tc.lang, tc.path, tc.field, r.StatusCode, p, page)
		}
		for _, want := range tc.says {
			if !strings.Contains(page, want) {
				t.Errorf("%s %s %s: the page does not say %q", tc.lang, tc.path, tc.field, want)
			}
		}
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "zh", Path: "/"}})
	}
	if s.sys.Calendar.Covers(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)) || s.count(`SELECT count(*) FROM audit_events WHERE action = 'calendar_year_set'`) != 0 {
		t.Fatal("a refused year was added")
	}

	r, page := c.req("POST", "/web/platform/calendar/preview", url.Values{"_csrf": {csrf}, "year": {"2027"}, "notice": {notice2027}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "春节") || !strings.Contains(page, "2月13日") || !strings.Contains(page, `id="calendar-confirm"`) {
		t.Fatalf("the preview: %d\n%s", r.StatusCode, page)
	}
	if s.sys.Calendar.Covers(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatal("a preview changed the calendar")
	}
	r, _ = c.req("POST", "/web/platform/calendar", url.Values{"_csrf": {csrf}, "year": {"2027"}, "notice": {notice2027}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirming: %d", r.StatusCode)
	}
	cal := s.sys.Calendar
	day := func(m time.Month, d int) time.Time { return time.Date(2027, m, d, 0, 0, 0, 0, time.UTC) }
	if !cal.Covers(day(6, 1)) || cal.WorkingDay(day(2, 8)) || !cal.WorkingDay(day(2, 13)) || cal.WorkingDay(day(4, 5)) {
		t.Errorf("the calendar after adding 2027: covers %v, 02-08 %v, 02-13 %v, 04-05 %v", cal.Covers(day(6, 1)),
			cal.WorkingDay(day(2, 8)), cal.WorkingDay(day(2, 13)), cal.WorkingDay(day(4, 5)))
	}
	_, page = c.req("GET", "/web/platform/calendar", nil)
	if !strings.Contains(page, "该年的节假日安排") || !strings.Contains(page, "2024年至2027年") {
		t.Errorf("the page after adding:\n%s", page)
	}
	var n int
	if err := s.sys.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'calendar_year_set' AND reason = '2027'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d calendar_year_set events (%v)", n, err)
	}

	o := s.client()
	o.signIn("admin", password)
	if r, _ := o.req("GET", "/web/platform/calendar", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("an agency admin opened the calendar page: %d", r.StatusCode)
	}
}
