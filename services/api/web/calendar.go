package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// calendarView is the calendar page: the years covered, those admins
// added, the form, and a parsed year's preview.
type calendarView struct {
	First, Last int
	Added       []store.CalendarYear
	Year        int
	Notice      string // the pasted notice, or
	Off, Work   string // the dates listed
	Parsed      bool
	Preview     calendar.Year
	Problems    []calendar.Problem
	CanAdd      bool   // parsed without a blocking problem, and the calendar takes it
	Refused     string // why the calendar does not take it (a gap between years)
}

// calendarPage shows the working-day calendar's years and the form that
// adds one, for platform admins.
func (w *Web) calendarPage(c echo.Context) error {
	_, last := w.Calendar.Years()
	return w.showCalendar(c, http.StatusOK, calendarView{Year: last + 1})
}

func (w *Web) showCalendar(c echo.Context, status int, v calendarView) error {
	if !w.requireRoles(c, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	added, _, err := w.Store.CalendarYears(c.Request().Context())
	if err != nil {
		return err
	}
	v.First, v.Last = w.Calendar.Years()
	v.Added = added
	p := w.base(c, "calendar.title", "calendar")
	p.Data = v
	return w.render(c, status, "calendar", p)
}

// parseCalendarForm reads the year and the notice (or the date lists) and
// parses them, checking that the calendar would take the year.
func (w *Web) parseCalendarForm(c echo.Context) (calendarView, *calendar.Calendar) {
	v := calendarView{Notice: c.FormValue("notice"), Off: c.FormValue("off"), Work: c.FormValue("workdays"), Parsed: true}
	v.Year, _ = strconv.Atoi(strings.TrimSpace(c.FormValue("year")))
	var err error
	if strings.TrimSpace(v.Notice) != "" {
		v.Preview, v.Problems, err = calendar.ParseNotice(v.Year, v.Notice)
	} else {
		v.Preview, v.Problems, err = calendar.ParseDateList(v.Year, v.Off, v.Work)
	}
	if err != nil {
		v.Refused = oneLanguage(w.lang(c), err.Error())
		return v, nil
	}
	if calendar.Blocking(v.Problems) {
		return v, nil
	}
	cal, err := w.Calendar.WithYears(v.Preview)
	if err != nil {
		v.Refused = oneLanguage(w.lang(c), err.Error())
		return v, nil
	}
	v.CanAdd = true
	return v, cal
}

// previewCalendar parses what the admin pasted and shows the holidays and
// the problems found, with the button that adds the year when nothing
// blocks it.
func (w *Web) previewCalendar(c echo.Context) error {
	v, _ := w.parseCalendarForm(c)
	status := http.StatusOK
	if !v.CanAdd {
		status = http.StatusUnprocessableEntity
	}
	return w.showCalendar(c, status, v)
}

// addCalendarYear parses the same text again and, when nothing blocks it,
// stores the year (audited) and makes this process count with it at once;
// the others reload it within seconds.
func (w *Web) addCalendarYear(c echo.Context) error {
	if !w.requireRoles(c, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	v, cal := w.parseCalendarForm(c)
	if !v.CanAdd {
		return w.showCalendar(c, http.StatusUnprocessableEntity, v)
	}
	if err := w.Store.SetCalendarYear(c.Request().Context(), currentUser(c).Actor(), v.Preview, v.Notice); err != nil {
		return err
	}
	w.Calendar.Replace(cal)
	flash(c, "flash.calendar_year_added")
	return c.Redirect(http.StatusSeeOther, "/web/platform/calendar")
}

// dateList formats dates for the preview.
func dateList(ds []time.Time) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Format("1月2日")
	}
	return strings.Join(out, "、")
}

// oneLanguage is a message the calendar package writes in both languages,
// "中文 (English)", in lang alone.
func oneLanguage(lang, msg string) string {
	i := strings.LastIndex(msg, " (")
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return msg
	}
	if lang == langZH {
		return msg[:i]
	}
	return msg[i+2 : len(msg)-1]
}
