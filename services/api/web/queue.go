package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// nearlyDue is how many working days before the deadline a row is marked.
const nearlyDue = 5

// queueRow is one row of a review queue.
type queueRow struct {
	store.QueueItem
	Age      time.Duration
	Deadline string
	due
	Claim *store.Claim
	Mine  bool
}

// due is how a deadline stands today, as the queues and the officer's list
// mark it.
type due struct {
	DaysLeft int
	Overdue  bool
	Near     bool
	// Uncovered: the deadline falls in a year whose holidays the calendar
	// lacks, so it was counted with weekends only.
	Uncovered bool
}

// dueOn is how deadline stands on today (a civil date).
func (w *Web) dueOn(today, deadline time.Time) due {
	left := w.Calendar.WorkingDaysBetween(today, deadline)
	return due{DaysLeft: left, Overdue: left < 0, Near: left >= 0 && left <= nearlyDue, Uncovered: !w.Calendar.Covers(deadline)}
}

// queueView is the queue page's data.
type queueView struct {
	Stage       domain.Stage
	Rows        []queueRow
	Departments []store.Department
	Categories  []string
	Department  string
	Category    string
	Query       string
	Query2      string // the filter as a query string, for the live refresh
	Limit       int    // rows asked for; a full page offers more
	More        string // the query string of the next larger page, when the page is full
	Batch       bool   // rows can be approved together (stage 2 only: batchApprove)
}

// loadQueue reads the filtered queue of the caller for the requested stage.
func (w *Web) loadQueue(c echo.Context) (queueView, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	a := u.Actor()
	v := queueView{Stage: domain.Stage(c.QueryParam("stage")), Department: c.QueryParam("department"),
		Category: c.QueryParam("category"), Query: c.QueryParam("q"), Categories: domain.Categories}
	if v.Stage == "" {
		if qs := domain.QueueStages(a, w.policy(c)); len(qs) > 0 {
			v.Stage = qs[0]
		}
	}
	spec, ok := domain.Spec(v.Stage)
	if !ok || !v.Stage.HumanDecided() || !a.Has(spec.Decider) {
		return v, &domain.Refusal{Rule: domain.RuleRole}
	}
	v.Batch = v.Stage == domain.StageCompliance
	all, err := w.Store.Departments(ctx, a.AgencyID)
	if err != nil {
		return v, err
	}
	f := store.QueueFilter{Category: v.Category, Text: v.Query}
	if n, err := strconv.Atoi(c.QueryParam("limit")); err == nil && n > 0 {
		f.Limit = n
	}
	v.Limit = min(max(f.Limit, store.DefaultQueueLimit), store.MaxQueueLimit)
	for _, d := range all {
		if spec.InScope(a, a.AgencyID, d.ID) {
			v.Departments = append(v.Departments, d)
		}
		if d.Name == v.Department {
			f.Department = d.ID
		}
	}
	items, err := w.Store.Queue(ctx, a, v.Stage, f)
	if err != nil {
		return v, err
	}
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	claims, err := w.Store.Claims(ctx, ids)
	if err != nil {
		return v, err
	}
	now := w.Now()
	today := checks.Today(now)
	for _, it := range items {
		r := queueRow{QueueItem: it, Age: now.Sub(it.StateEnteredAt), Deadline: it.Deadline.Format(domain.DateLayout),
			due: w.dueOn(today, it.Deadline)}
		if cl, ok := claims[it.ID]; ok {
			r.Claim, r.Mine = &cl, cl.UserID == u.ID
		}
		v.Rows = append(v.Rows, r)
	}
	v.Query2 = fmt.Sprintf("stage=%s&department=%s&category=%s&q=%s&limit=%d", v.Stage, queryEscape(v.Department), queryEscape(v.Category), queryEscape(v.Query), v.Limit)
	if len(items) >= v.Limit && v.Limit < store.MaxQueueLimit {
		v.More = fmt.Sprintf("stage=%s&department=%s&category=%s&q=%s&limit=%d", v.Stage, queryEscape(v.Department), queryEscape(v.Category), queryEscape(v.Query), v.Limit+store.DefaultQueueLimit)
	}
	return v, nil
}

func (w *Web) queuePage(c echo.Context) error {
	v, err := w.loadQueue(c)
	if isRefusal(err) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	if err != nil {
		return err
	}
	p := w.base(c, "queue.title."+string(v.Stage), "queue-"+string(v.Stage))
	p.Data = v
	return w.render(c, http.StatusOK, "queue", p)
}

// queueRows is the table body alone, which the page re-fetches when the
// live event stream says a draft arrived or left.
func (w *Web) queueRows(c echo.Context) error {
	v, err := w.loadQueue(c)
	if isRefusal(err) {
		return c.NoContent(http.StatusForbidden)
	}
	if err != nil {
		return err
	}
	p := w.base(c, "queue.title."+string(v.Stage), "")
	p.Data = v
	return w.fragment(c, "queue_rows", p)
}

// The live stream's limits of its own: it lives longer than any request
// (the server's read and write timeouts are lifted for it), but each write
// must finish within streamWrite, and every keepalive the session is asked
// again, so a revoked session or a disabled account stops hearing news.
const (
	streamWrite     = 15 * time.Second
	streamKeepalive = 25 * time.Second
)

// liveEvents streams server-sent events: one "change" per draft that moved
// and that the person may see, so open queues refresh without a reload.
func (w *Web) liveEvents(c echo.Context) error {
	rc := http.NewResponseController(c.Response())
	_ = rc.SetReadDeadline(time.Time{}) // the request has no body; the stream outlives ReadTimeout
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	write := func(f string, args ...any) error {
		if err := rc.SetWriteDeadline(time.Now().Add(streamWrite)); err != nil {
			return err
		}
		fmt.Fprintf(c.Response(), f, args...)
		return rc.Flush()
	}
	_ = rc.SetWriteDeadline(time.Now().Add(streamWrite))
	c.Response().WriteHeader(http.StatusOK)
	ch, cancel := w.events.subscribe(currentUser(c).Actor())
	defer cancel()
	sid, _ := c.Get(ctxSID).(string)
	if err := write("retry: 3000\n\n"); err != nil {
		return nil
	}
	keepalive := time.NewTicker(streamKeepalive)
	defer keepalive.Stop()
	for {
		var err error
		select {
		case <-c.Request().Context().Done():
			return nil
		case <-keepalive.C:
			ok, aerr := w.Store.SessionActive(c.Request().Context(), sid, w.IdleTimeout)
			if aerr != nil || !ok {
				return nil
			}
			err = write(": keepalive\n\n")
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			err = write("event: change\ndata: %s\n\n", ev)
		}
		if err != nil {
			return nil // the client stopped reading: let the stream go
		}
	}
}

func queryEscape(s string) string { return url.QueryEscape(s) }

// batchApprove approves, one by one, the drafts ticked in the 复审 queue:
// at stage 2 only (终审 is always read draft by draft), only drafts without
// a blocking finding, each decision its own, audited as if taken on the
// draft's page, bound to the revision the queue showed. What cannot be
// approved so stays in the queue, and the page says so.
func (w *Web) batchApprove(c echo.Context) error {
	ctx := c.Request().Context()
	a := currentUser(c).Actor()
	f, err := c.FormParams()
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "input.missing_field")
	}
	comment := strings.TrimSpace(f.Get("comment"))
	picked := f["draft"]
	if len(picked) == 0 || len(picked) > store.MaxQueueLimit {
		flash(c, "flash.batch_none")
		return c.Redirect(http.StatusSeeOther, "/web/queue?stage="+string(domain.StageCompliance))
	}
	done := 0
	for _, v := range picked {
		var id int64
		var rev int
		if _, err := fmt.Sscanf(v, "%d:%d", &id, &rev); err != nil {
			continue
		}
		facts, err := w.Store.DraftFacts(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if facts.Blocking || facts.State != domain.StageCompliance.State() || domain.CanView(a, facts) != nil {
			continue // a blocking finding is read and overridden on the draft's page
		}
		_, err = w.Store.Decide(ctx, a, id, domain.DecisionRequest{Stage: domain.StageCompliance, Revision: rev,
			Decision: domain.DecisionApprove, Comment: comment}, nil)
		var r *domain.Refusal
		switch {
		case err == nil:
			done++
		case errors.As(err, &r), errors.Is(err, store.ErrNotFound):
			// decided by someone else meanwhile, or not theirs to decide: it stays or left
		default:
			return err
		}
	}
	if done == len(picked) {
		flash(c, "flash.batch_approved")
	} else {
		flash(c, "flash.batch_partial")
	}
	return c.Redirect(http.StatusSeeOther, "/web/queue?stage="+string(domain.StageCompliance))
}
