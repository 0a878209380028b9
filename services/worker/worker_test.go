package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/work"
)

func item(id int64, st domain.State) work.Item { return work.Item{DraftID: id, Revision: 1, State: st} }

func codes(d store.DraftDetail, stage domain.Stage) map[string]domain.Severity {
	out := map[string]domain.Severity{}
	for _, f := range d.Findings {
		if f.Stage == stage && f.Revision == d.Revision {
			out[f.Code] = f.Severity
		}
	}
	return out
}

// Stage 1 stores the checks' findings (a warning here) and moves a draft
// without a blocking one to compliance, sending compliance its work.
func TestStageOneStoresFindingsAndMovesAPassingDraftToCompliance(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	c := content("关于开展安全生产大检查的通知")
	c.FormedOn = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC) // past its Article 26 deadline: a warning
	id := o.submit(c)

	errs := o.worker(domain.StageCompleteness).HandleBatch(context.Background(), []work.Item{item(id, domain.StateCompleteness)})
	if len(errs) != 1 || errs[0] != nil {
		t.Fatalf("HandleBatch: %v", errs)
	}
	d := o.detail(id)
	if d.State != domain.StateCompliance || d.StepDone {
		t.Fatalf("draft is %s (checks done %v), want compliance awaiting its checks", d.State, d.StepDone)
	}
	if got := codes(d, domain.StageCompleteness); got["deadline_passed"] != domain.SeverityWarn {
		t.Fatalf("stage-1 findings %v, want the deadline_passed warning", got)
	}
	if n := o.work(id, work.StageSubject(domain.StageCompliance)); n != 1 {
		t.Fatalf("%d compliance work rows in the outbox, want 1", n)
	}
	if n := o.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'checks_pass'`, id); n != 1 {
		t.Fatalf("%d checks_pass events, want 1", n)
	}
	o.verifyAudit()
}

// A blocking finding at stage 1 (formed_on after today) returns the draft
// to its author; nothing is sent on.
func TestStageOneReturnsADraftWithABlockingFinding(t *testing.T) {
	t.Parallel()
	o := newOffice(t)
	c := content("关于开展安全生产大检查的通知")
	c.FormedOn = time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	id := o.submit(c)

	if errs := o.worker(domain.StageCompleteness).HandleBatch(context.Background(), []work.Item{item(id, domain.StateCompleteness)}); errs[0] != nil {
		t.Fatalf("HandleBatch: %v", errs)
	}
	d := o.detail(id)
	if d.State != domain.StateReturned {
		t.Fatalf("draft is %s, want returned", d.State)
	}
	if got := codes(d, domain.StageCompleteness); got["formed_on_future"] != domain.SeverityBlock {
		t.Fatalf("stage-1 findings %v, want formed_on_future blocking", got)
	}
	if n := o.work(id, work.StageSubject(domain.StageCompliance)); n != 0 {
		t.Fatalf("a returned draft sent %d messages to compliance", n)
	}
	o.verifyAudit()
}

// Stages 2 and 3 run their checks and leave the draft in their queue for
// a person (checks done), sending no work on; the person moves it.
func TestStagesTwoAndThreeLeaveTheDraftForAPerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	id := o.submit(content("关于开展安全生产大检查的通知"))
	if errs := o.worker(domain.StageCompleteness).HandleBatch(ctx, []work.Item{item(id, domain.StateCompleteness)}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	for _, st := range []domain.Stage{domain.StageCompliance, domain.StageConfidentiality} {
		if errs := o.worker(st).HandleBatch(ctx, []work.Item{item(id, st.State())}); errs[0] != nil {
			t.Fatalf("%s: %v", st, errs[0])
		}
		d := o.detail(id)
		if d.State != st.State() || !d.StepDone {
			t.Fatalf("after the %s checks the draft is %s (checks done %v), want it waiting for a person", st, d.State, d.StepDone)
		}
		if n := o.work(id, mustSubject(t, st.After())); n != 0 {
			t.Fatalf("the %s checks sent the next step's work (%d rows) without a person", st, n)
		}
		if n := o.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'checks_done' AND stage = $2`, id, string(st)); n != 1 {
			t.Fatalf("%d checks_done events at %s, want 1", n, st)
		}
		if st == domain.StageCompliance {
			o.decide(o.head, id, st)
		}
	}
	o.verifyAudit()
}

// With the agency requiring an initial reviewer, a draft that passes stage
// 1's checks stays in completeness with its checks done, for a person.
func TestInitialReviewerPolicyKeepsAPassingDraftAtStageOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	if err := o.s.SetPolicy(ctx, admin, domain.Policy{People: []domain.Stage{domain.StageCompleteness}}); err != nil {
		t.Fatal(err)
	}
	id := o.submit(content("关于开展冬季消防安全检查的通知"))
	if errs := o.worker(domain.StageCompleteness).HandleBatch(ctx, []work.Item{item(id, domain.StateCompleteness)}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	d := o.detail(id)
	if d.State != domain.StateCompleteness || !d.StepDone {
		t.Fatalf("draft is %s (checks done %v), want completeness awaiting the initial reviewer", d.State, d.StepDone)
	}
	if n := o.work(id, work.StageSubject(domain.StageCompliance)); n != 0 {
		t.Fatalf("sent %d messages to compliance before the initial reviewer decided", n)
	}
	o.decide(o.colleague, id, domain.StageCompleteness)
	if d := o.detail(id); d.State != domain.StateCompliance {
		t.Fatalf("after the initial reviewer's approval the draft is %s", d.State)
	}
}

// Duplicates, in one batch or redelivered later, and messages for a
// revision or state the draft is no longer in change nothing and are
// acked as no-ops.
func TestDuplicateAndStaleMessagesAreNoops(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	a := o.submit(content("关于开展安全生产大检查的通知"))
	b := o.submit(content("关于开展冬季消防安全检查的通知"))
	wk := o.worker(domain.StageCompleteness)
	errs := wk.HandleBatch(ctx, []work.Item{item(a, domain.StateCompleteness), item(a, domain.StateCompleteness), item(b, domain.StateCompleteness)})
	if errs[0] != nil || !errors.Is(errs[1], bus.ErrNoop) || errs[2] != nil {
		t.Fatalf("a batch with a duplicate: %v, want [nil noop nil]", errs)
	}
	const written = `SELECT (SELECT count(*) FROM findings) + (SELECT count(*) FROM audit_events) * 1000 + (SELECT count(*) FROM outbox) * 1000000`
	before := o.count(written)
	if n := o.count(`SELECT count(*) FROM audit_events WHERE action = 'checks_pass'`); n != 2 {
		t.Fatalf("%d checks_pass events after a batch with a duplicate, want 2", n)
	}

	stale := []work.Item{
		item(a, domain.StateCompleteness),                          // redelivered after it was done
		{DraftID: b, Revision: 2, State: domain.StateCompleteness}, // a revision the draft does not have
		{DraftID: b, Revision: 1, State: domain.StateCompliance},   // right state, but on its own worker below
	}
	for i, err := range wk.HandleBatch(ctx, stale[:2]) {
		if !errors.Is(err, bus.ErrNoop) {
			t.Errorf("stale message %+v: %v, want a no-op", stale[i], err)
		}
	}
	if after := o.count(written); after != before {
		t.Fatalf("stale stage-1 messages wrote to the database (%d -> %d)", before, after)
	}

	// Compliance: done once, then the redelivery is a no-op.
	cw := o.worker(domain.StageCompliance)
	if errs := cw.HandleBatch(ctx, stale[2:]); errs[0] != nil {
		t.Fatal(errs[0])
	}
	before = o.count(written)
	if errs := cw.HandleBatch(ctx, stale[2:]); !errors.Is(errs[0], bus.ErrNoop) {
		t.Fatalf("compliance checks already done: %v, want a no-op", errs[0])
	}
	if after := o.count(written); after != before {
		t.Fatalf("a duplicate compliance message wrote to the database (%d -> %d)", before, after)
	}
	// A person approved it meanwhile: the old compliance message is stale.
	o.decide(o.head, b, domain.StageCompliance)
	before = o.count(written)
	if errs := cw.HandleBatch(ctx, stale[2:]); !errors.Is(errs[0], bus.ErrNoop) {
		t.Fatalf("compliance message after the head's approval: %v, want a no-op", errs[0])
	}
	if after := o.count(written); after != before {
		t.Fatalf("stale compliance messages wrote to the database (%d -> %d)", before, after)
	}
	if d := o.detail(b); d.State != domain.StateConfidentiality || d.StepDone {
		t.Fatalf("draft is %s (checks done %v), want confidentiality awaiting its checks", d.State, d.StepDone)
	}
	o.verifyAudit()
}

// A message for another stage's state on this worker's subject can never
// be handled here: it is permanent (dead-lettered at once), and so is one
// naming no draft; the good message in the same batch still goes through.
func TestMessagesOnTheWrongSubjectOrForNoDraftArePermanent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	id := o.submit(content("关于开展安全生产大检查的通知"))
	other := o.submit(content("关于开展冬季消防安全检查的通知"))
	ws := []work.Item{
		item(other, domain.StateCompliance), // the compliance step, on the completeness subject
		{DraftID: id + other + 1000, Revision: 1, State: domain.StateCompleteness},
		item(id, domain.StateCompleteness),
	}
	errs := o.worker(domain.StageCompleteness).HandleBatch(ctx, ws)
	if !permanent(errs[0]) || !permanent(errs[1]) || errs[2] != nil {
		t.Fatalf("results %v, want [permanent permanent nil]", errs)
	}
	if !errors.Is(errs[1], store.ErrNotFound) {
		t.Fatalf("a message for no draft: %v, want not found", errs[1])
	}
	if d := o.detail(other); d.State != domain.StateCompleteness || d.StepDone {
		t.Fatalf("the wrong subject's draft changed: %s (checks done %v)", d.State, d.StepDone)
	}
	if d := o.detail(id); d.State != domain.StateCompliance {
		t.Fatalf("the good message's draft is %s", d.State)
	}
}

// A step that fails before its checks (BeforeStep) is retried alone; the
// rest of the batch is committed.
func TestAFailingStepHoldsUpOnlyItsOwnMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	bad := o.submit(content("关于开展安全生产大检查的通知"))
	good := o.submit(content("关于开展冬季消防安全检查的通知"))
	wk := o.worker(domain.StageCompleteness)
	boom := errors.New("database hiccup")
	wk.BeforeStep = func(w work.Item) error {
		if w.DraftID == bad {
			return boom
		}
		return nil
	}
	errs := wk.HandleBatch(ctx, []work.Item{item(bad, domain.StateCompleteness), item(good, domain.StateCompleteness)})
	if !errors.Is(errs[0], boom) || permanent(errs[0]) || errs[1] != nil {
		t.Fatalf("results %v, want [retryable nil]", errs)
	}
	if d := o.detail(bad); d.State != domain.StateCompleteness || d.StepDone {
		t.Fatalf("the failed step's draft is %s (checks done %v)", d.State, d.StepDone)
	}
	if d := o.detail(good); d.State != domain.StateCompliance {
		t.Fatalf("the good draft is %s", d.State)
	}
	wk.BeforeStep = nil
	if errs := wk.HandleBatch(ctx, []work.Item{item(bad, domain.StateCompleteness)}); errs[0] != nil {
		t.Fatalf("the retry: %v", errs[0])
	}
	if d := o.detail(bad); d.State != domain.StateCompliance {
		t.Fatalf("after the retry the draft is %s", d.State)
	}
}

func mustSubject(t *testing.T, st domain.State) string {
	t.Helper()
	s, err := work.Subject(st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
