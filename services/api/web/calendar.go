package web

import (
	"errors"
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
	CanAdd      bool // parsed without a blocking problem, and the calendar takes it
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
// parses them, checking that the calendar would take the year. When it
// would not, it says why in the reader's language (msg) and which field
// is at fault.
func (w *Web) parseCalendarForm(c echo.Context) (v calendarView, cal *calendar.Calendar, field, msg string) {
	v = calendarView{Notice: c.FormValue("notice"), Off: c.FormValue("off"), Work: c.FormValue("workdays"), Parsed: true}
	v.Year, _ = strconv.Atoi(strings.TrimSpace(c.FormValue("year")))
	listed := strings.TrimSpace(v.Notice) == ""
	text := "notice"
	if listed {
		text = "off"
	}
	var err error
	if !listed {
		v.Preview, v.Problems, err = calendar.ParseNotice(v.Year, v.Notice)
	} else {
		v.Preview, v.Problems, err = calendar.ParseDateList(v.Year, v.Off, v.Work)
	}
	if err == nil && calendar.Blocking(v.Problems) {
		// The problems are listed in the preview. A date list's do not say
		// which list they are in: the days off when those block alone.
		if listed {
			if _, ps, _ := calendar.ParseDateList(v.Year, v.Off, ""); !calendar.Blocking(ps) {
				text = "workdays"
			}
		}
		return v, nil, text, w.t(c, "calendar.blocked")
	}
	if err == nil {
		cal, err = w.Calendar.WithYears(v.Preview)
	}
	if err == nil {
		v.CanAdd = true
		return v, cal, "", ""
	}
	var e *calendar.Error
	if !errors.As(err, &e) {
		e = &calendar.Error{MessageZH: err.Error(), MessageEN: err.Error()}
	}
	field = text
	switch e.Code {
	case calendar.ErrorInvalidYear, calendar.ErrorYearTwice, calendar.ErrorYearMissing:
		field = "year"
	}
	msg = e.MessageZH
	if w.lang(c) != langZH {
		msg = e.MessageEN
	}
	return v, nil, field, msg
}

// previewCalendar parses what the admin pasted and shows the holidays and
// the problems found, with the button that adds the year when nothing
// blocks it; when something does, the form comes back refused (422, the
// field at fault marked).
func (w *Web) previewCalendar(c echo.Context) error {
	v, _, field, msg := w.parseCalendarForm(c)
	if msg != "" {
		return w.refuse(c, field, msg, func(c echo.Context) error { return w.showCalendar(c, http.StatusUnprocessableEntity, v) })
	}
	return w.showCalendar(c, http.StatusOK, v)
}

// addCalendarYear parses the same text again and, when nothing blocks it,
// stores the year (audited) and makes this process count with it at once;
// the others reload it within seconds. (What blocks it now and did not at
// the preview, the calendar having changed since, shows the preview again
// with what blocks it.)
func (w *Web) addCalendarYear(c echo.Context) error {
	if !w.requireRoles(c, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	v, cal, field, msg := w.parseCalendarForm(c)
	if msg != "" {
		return w.refuse(c, field, msg, func(c echo.Context) error { return w.showCalendar(c, http.StatusUnprocessableEntity, v) })
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
