package web

import (
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The event browser (/web/audit/events): an agency's trail filtered by
// time, person, action, department and draft, a page at a time, the
// newest first; the same filter as CSV for the inspector's spreadsheet; and
// the latest signed tree head (the public checkpoint) to keep beside it.

// eventsPage is how many events a page shows.
const eventsPage = 200

// eventsCSVChunk is how many events a CSV reads at a time: all of them,
// however many (a variable for a test).
var eventsCSVChunk = 5000

type eventsView struct {
	Events      []audit.Event
	Departments []store.Department
	Actions     []string
	From, To    string
	Actor       string
	Action      string
	Department  int64
	Draft       int64
	Query       string // the filter as a query string (CSV, next page)
	Next        int64  // the seq the next page starts before (0: last page)
	Bad         string // a filter that could not be read
	// Checkpoint: a tree head is signed, so there is one to download
	// (before the first, the page says so instead of offering the link).
	Checkpoint bool
}

// eventFilter reads the browser's filter from the query.
func (w *Web) eventFilter(c echo.Context, v *eventsView) store.EventFilter {
	q := c.QueryParams()
	f := store.EventFilter{AgencyID: currentUser(c).AgencyID, Limit: eventsPage}
	v.From, v.To, v.Actor, v.Action = q.Get("from"), q.Get("to"), strings.TrimSpace(q.Get("actor")), q.Get("action")
	if d, err := time.ParseInLocation(domain.DateLayout, v.From, domain.Beijing); err == nil {
		f.From = d
	} else if v.From != "" {
		v.Bad = "from"
	}
	if d, err := time.ParseInLocation(domain.DateLayout, v.To, domain.Beijing); err == nil {
		f.To = d.AddDate(0, 0, 1) // the whole last day
	} else if v.To != "" {
		v.Bad = "to"
	}
	f.Actor, f.Action = v.Actor, v.Action
	v.Department, _ = strconv.ParseInt(q.Get("department"), 10, 64)
	v.Draft, _ = strconv.ParseInt(q.Get("draft"), 10, 64)
	f.DepartmentID, f.DraftID = v.Department, v.Draft
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	keep := url.Values{}
	for _, k := range []string{"from", "to", "actor", "action", "department", "draft"} {
		if x := q.Get(k); x != "" {
			keep.Set(k, x)
		}
	}
	v.Query = keep.Encode()
	return f
}

// browsableActions are the actions the filter offers (any other can be
// typed into the address).
var browsableActions = []string{"submit", "save", "revise", "correct", "recall", "explain", "checks_pass", "checks_block", "checks_done",
	"approve", "return", "reject", "release", "published", "withdraw", "expiry_set", "denied:"}

func (w *Web) eventsBrowser(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAuditor, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	v := eventsView{Actions: browsableActions}
	f := w.eventFilter(c, &v)
	if c.QueryParam("format") == "csv" {
		return w.eventsCSV(c, f)
	}
	var err error
	if v.Departments, err = w.Store.Departments(ctx, f.AgencyID); err != nil {
		return err
	}
	if v.Events, err = w.Store.Events(ctx, f); err != nil {
		return err
	}
	switch _, err := w.Store.LatestHead(ctx); {
	case err == nil:
		v.Checkpoint = true
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if len(v.Events) == eventsPage {
		v.Next = v.Events[len(v.Events)-1].Seq
	}
	p := w.base(c, "events.title", "audit")
	if v.Bad != "" {
		p.Error = w.t(c, "events.bad_date")
	}
	p.Data = v
	return w.render(c, http.StatusOK, "events", p)
}

// eventsCSV sends the filtered events as CSV (UTF-8 with a BOM, so that
// Excel reads the Chinese), the newest first, with every hash: every
// event the filter passes, read a chunk at a time (the first before the
// answer starts, so that a failure is still an error page).
func (w *Web) eventsCSV(c echo.Context, f store.EventFilter) error {
	f.Limit = eventsCSVChunk
	evs, err := w.Store.Events(c.Request().Context(), f)
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="audit-events-%s.csv"`, w.Now().In(domain.Beijing).Format("20060102-1504")))
	res.WriteHeader(http.StatusOK)
	if _, err := res.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(res)
	lang := w.lang(c)
	_ = cw.Write([]string{w.t(c, "events.col_seq"), w.t(c, "events.col_chain"), w.t(c, "events.col_index"), w.t(c, "audit.time"),
		w.t(c, "audit.actor"), w.t(c, "events.col_role"), w.t(c, "audit.action"), w.t(c, "events.col_code"), w.t(c, "audit.stage"),
		w.t(c, "events.col_draft"), w.t(c, "field.revision"), w.t(c, "events.col_reason"), w.t(c, "events.col_comment"),
		w.t(c, "events.col_content"), w.t(c, "events.col_prev"), w.t(c, "audit.hash"), w.t(c, "events.col_detail")})
	for {
		for _, e := range evs {
			draft := ""
			if e.DraftID > 0 {
				draft = strconv.FormatInt(e.DraftID, 10)
			}
			_ = cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.Chain, strconv.FormatInt(e.Index, 10),
				e.At.In(domain.Beijing).Format("2006-01-02 15:04:05"), e.Actor, w.pages.or(lang, "role."+e.Role, e.Role),
				w.pages.actionName(lang, e.Action), e.Action, e.Stage, draft, strconv.Itoa(e.Revision), e.Reason,
				csvSafe(e.Comment), hex.EncodeToString(e.ContentSHA256), hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash),
				csvSafe(w.pages.eventDetail(lang, e.Action, e.Reason, e.Comment).String())})
		}
		if len(evs) < f.Limit {
			break
		}
		f.Before = evs[len(evs)-1].Seq
		if evs, err = w.Store.Events(c.Request().Context(), f); err != nil {
			// The answer has begun: the file ends short, and says so.
			_ = cw.Write([]string{w.t(c, "events.csv_cut")})
			cw.Flush()
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a person's text as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
