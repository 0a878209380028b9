package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// office makes a department with an officer and submits n drafts, each at
// stage 1 waiting for its checks.
func office(t *testing.T, n int) (*store.Store, []store.Draft) {
	t.Helper()
	s := testenv.Store(t)
	return s, officeIn(t, s, n)
}

// officeIn is office on a store of the caller's.
func officeIn(t *testing.T, s *store.Store, n int) []store.Draft {
	t.Helper()
	ctx := context.Background()
	dep, err := s.AddDepartment(ctx, admin, "执法队")
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "王信息员", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{dep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var ds []store.Draft
	for i := range n {
		c := domain.Content{Title: fmt.Sprintf("关于第%d批执法检查结果的公告", i+1), Body: "经检查，各单位均已整改完毕。", Department: dep.Name,
			Category: "news", Channels: []domain.Channel{domain.ChannelWebsite, domain.ChannelWeChat}, FormedOn: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
		d, err := s.Submit(ctx, u.Actor(), dep.ID, c, time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

func stage1(d store.Draft) work.Item {
	return work.Item{DraftID: d.ID, Revision: 1, State: domain.StateCompleteness}
}

// One batch carries items that pass, block, fail their check, are not owed
// any more, are duplicated, or name no draft: each gets its own result and
// only the good ones are written, each with its audit event and outbox row.
func TestCompleteChecksBatchSettlesEachItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, ds := office(t, 4)
	block := domain.Finding{Code: "missing_field", Severity: domain.SeverityBlock, Field: "body", MessageZH: "缺少", MessageEN: "missing"}
	ws := []work.Item{
		stage1(ds[0]), // passes
		stage1(ds[1]), // blocks
		stage1(ds[2]), // its check fails
		{DraftID: ds[3].ID, Revision: 2, State: domain.StateCompleteness}, // a revision that does not exist: not owed
		stage1(ds[0]), // a duplicate of the first
		{DraftID: 999999, Revision: 1, State: domain.StateCompleteness}, // no such draft
	}
	checkErr := errors.New("word list unavailable")
	var checked []int64
	errs := s.CompleteChecksBatch(ctx, ws, func(w work.Item, agency int64, c domain.Content) ([]domain.Finding, error) {
		checked = append(checked, w.DraftID)
		if c.Title != ds[indexOf(ds, w.DraftID)].Content.Title {
			t.Errorf("draft %d: the check got the content of another draft: %q", w.DraftID, c.Title)
		}
		switch w.DraftID {
		case ds[1].ID:
			return []domain.Finding{block}, nil
		case ds[2].ID:
			return nil, checkErr
		}
		return nil, nil
	})
	if len(checked) != 3 {
		t.Errorf("checks ran for %v; want the three owed drafts once each", checked)
	}
	want := []error{nil, nil, checkErr, store.ErrNothingToDo, store.ErrNothingToDo, store.ErrNotFound}
	for i, err := range errs {
		if (want[i] == nil) != (err == nil) || (want[i] != nil && !errors.Is(err, want[i])) {
			t.Errorf("item %d: got %v, want %v", i, err, want[i])
		}
	}
	states := map[int64]domain.State{ds[0].ID: domain.StateCompliance, ds[1].ID: domain.StateReturned,
		ds[2].ID: domain.StateCompleteness, ds[3].ID: domain.StateCompleteness}
	for id, st := range states {
		d, err := s.Draft(ctx, id)
		if err != nil || d.State != st {
			t.Errorf("draft %d is %s (%v), want %s", id, d.State, err, st)
		}
	}
	var events, outbox, findings int
	if err := s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_events WHERE action IN ('checks_pass', 'checks_block')),
		(SELECT count(*) FROM outbox WHERE subject = $1), (SELECT count(*) FROM findings)`,
		work.StageSubject(domain.StageCompliance)).Scan(&events, &outbox, &findings); err != nil {
		t.Fatal(err)
	}
	if events != 2 || outbox != 1 || findings != 1 {
		t.Errorf("wrote %d check events, %d outbox rows for stage 2, %d findings; want 2, 1, 1", events, outbox, findings)
	}
	if res, err := s.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("audit trail after a batch: %+v %v", res, err)
	}
	// The same batch again finds nothing owed for the items it wrote.
	errs = s.CompleteChecksBatch(ctx, ws[:2], func(work.Item, int64, domain.Content) ([]domain.Finding, error) {
		t.Error("a check ran for a step already done")
		return nil, nil
	})
	for i, err := range errs {
		if !errors.Is(err, store.ErrNothingToDo) {
			t.Errorf("redelivered item %d: %v", i, err)
		}
	}
}

func indexOf(ds []store.Draft, id int64) int {
	for i, d := range ds {
		if d.ID == id {
			return i
		}
	}
	return 0
}

// publishing puts the drafts at the publishing step. The people's
// decisions before it are not what these tests are about, so the state is
// set directly; the audit chains stay intact.
func publishing(t *testing.T, s *store.Store, ds []store.Draft) []work.Item {
	t.Helper()
	var ws []work.Item
	for _, d := range ds {
		exec(t, s, fmt.Sprintf(`UPDATE drafts SET state = '%s', step_done = false WHERE id = %d`, domain.StatePublishing, d.ID))
		ws = append(ws, work.Item{DraftID: d.ID, Revision: 1, State: domain.StatePublishing})
	}
	return ws
}

// A publishing batch writes every local outcome and the move to published
// in one transaction, and leaves alone the drafts that need an external
// send or already have publication rows.
func TestPublishLocalBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, ds := office(t, 3)
	ws := publishing(t, s, ds)
	exec(t, s, fmt.Sprintf(`INSERT INTO publications (draft_id, revision, channel, status) VALUES (%d, 1, 'wechat', 'pending')`, ds[2].ID))
	plan := func(w work.Item, c domain.Content) ([]store.PublicationOutcome, bool) {
		if w.DraftID == ds[1].ID {
			return nil, false // its WeChat is configured: a send is needed
		}
		return []store.PublicationOutcome{
			{Channel: domain.ChannelWeChat, Status: store.PubNotConfigured, Error: "channel not configured"},
			{Channel: domain.ChannelWebsite, Status: store.PubDelivered, URL: "https://example.gov.cn/public/items/1"},
		}, true
	}
	errs := s.PublishLocalBatch(ctx, append(ws, ws[0]), plan)
	want := []error{nil, store.ErrNeedsSend, store.ErrPublishedBefore, store.ErrNothingToDo}
	for i, err := range errs {
		if (want[i] == nil) != (err == nil) || (want[i] != nil && !errors.Is(err, want[i])) {
			t.Errorf("item %d: got %v, want %v", i, err, want[i])
		}
	}
	d, err := s.Draft(ctx, ds[0].ID)
	if err != nil || d.State != domain.StatePublished {
		t.Fatalf("draft 1 is %s (%v)", d.State, err)
	}
	var comment string
	if err := s.Pool.QueryRow(ctx, `SELECT comment FROM audit_events WHERE draft_id = $1 AND action = 'published'`, ds[0].ID).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	if comment != "website=delivered wechat=not_configured" {
		t.Errorf("published event says %q", comment)
	}
	var rows, channelEvents int
	if err := s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM publications WHERE draft_id = $1 AND status IN ('delivered', 'not_configured')),
		(SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action LIKE 'channel_%')`, ds[0].ID).Scan(&rows, &channelEvents); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || channelEvents != 2 {
		t.Errorf("draft 1: %d publication rows, %d channel events; want 2 and 2", rows, channelEvents)
	}
	for _, d := range ds[1:] {
		got, _ := s.Draft(ctx, d.ID)
		if got.State != domain.StatePublishing {
			t.Errorf("draft %d left the batch as %s; it should wait for the careful path", d.ID, got.State)
		}
	}
	if res, err := s.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
}

// A row that names a draft (a notification, inserted by the trail's reader
// in a transaction of its own) takes a key-share lock on the draft until
// it commits. The batches lock drafts FOR NO KEY UPDATE, which that lock
// does not block: with FOR UPDATE they waited, and the reader, inserting
// for several drafts in trail order, deadlocked with them (the bench saw
// dozens a run, each a second's stall).
func TestBatchIsNotBlockedByRowsNamingTheDraft(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, ds := office(t, 1)
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM drafts WHERE id = $1 FOR KEY SHARE`, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	errs := s.CompleteChecksBatch(wait, []work.Item{stage1(ds[0])}, func(work.Item, int64, domain.Content) ([]domain.Finding, error) {
		return nil, nil
	})
	if errs[0] != nil {
		t.Fatalf("the batch waited on a key-share lock: %v", errs[0])
	}
	if d, err := s.Draft(ctx, ds[0].ID); err != nil || d.State != domain.StateCompliance {
		t.Fatalf("draft is %s (%v), want %s", d.State, err, domain.StateCompliance)
	}
}
