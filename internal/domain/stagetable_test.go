package domain_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/work"
	"github.com/sanshen-gov/sanshen/services/api/web"
)

// TestStageTableIsTheBriefs pins the table to the brief's stages: deleting
// or reordering a row fails here, as well as wherever its name is used.
func TestStageTableIsTheBriefs(t *testing.T) {
	want := []domain.Stage{domain.StageCompleteness, domain.StageCompliance, domain.StageConfidentiality}
	if got := domain.Stages(); !slices.Equal(got, want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	wantSubjects := []string{"sanshen.work.stage.completeness", "sanshen.work.stage.compliance",
		"sanshen.work.stage.confidentiality", "sanshen.work.publish", "sanshen.work.withdraw"}
	if got := work.Subjects(); !slices.Equal(got, wantSubjects) {
		t.Fatalf("subjects %v, want %v", got, wantSubjects)
	}
}

// withDummyStage adds a legal review (法制审核) between stages 2 and 3,
// decided by a role of its own for every department, until the test ends.
// Tests using it must not run in parallel.
func withDummyStage(t *testing.T) domain.Stage {
	t.Helper()
	saved := domain.StageTable
	legal := domain.StageSpec{Stage: "legal", Decider: "legal_reviewer", Person: domain.PersonAlways, Scope: domain.ScopeAgency}
	domain.StageTable = slices.Insert(slices.Clone(saved), 2, legal)
	t.Cleanup(func() { domain.StageTable = saved })
	return legal.Stage
}

// TestDummyStageDerivesEverything adds a stage to the table and checks
// what sanshen derives from it: the lifecycle, the work subjects and
// consumers, the sweeper's states, the metrics labels, the queue's role
// and scope, and the locale keys the pages need.
func TestDummyStageDerivesEverything(t *testing.T) {
	legal := withDummyStage(t)

	// The lifecycle: 复审 approves into it, it approves into 终审.
	if got, err := domain.Next(domain.StateCompliance, domain.ActionApprove); err != nil || got != legal.State() {
		t.Errorf("approve at compliance → %q, %v; want %q", got, err, legal)
	}
	if got, err := domain.Next(legal.State(), domain.ActionApprove); err != nil || got != domain.StateConfidentiality {
		t.Errorf("approve at legal → %q, %v; want confidentiality", got, err)
	}
	if got, _ := domain.Next(legal.State(), domain.ActionChecksPass); got != "" {
		t.Errorf("a stage a person always decides cannot be passed by the machine, got %q", got)
	}
	if !legal.State().Valid() || !legal.State().MachineStep() || legal.Order() != 3 {
		t.Errorf("legal: valid %v, machine step %v, order %d", legal.State().Valid(), legal.State().MachineStep(), legal.Order())
	}

	// The bus: a subject and a durable consumer of its own; the sweeper
	// looks at its state.
	subject := work.StageSubject(legal)
	if !slices.Contains(work.Subjects(), subject) {
		t.Errorf("work subjects %v lack %s", work.Subjects(), subject)
	}
	if st, ok := work.StateOf(subject); !ok || st != legal.State() {
		t.Errorf("StateOf(%s) = %q, %v", subject, st, ok)
	}
	if got := bus.ConsumerName(subject); got != "stage-legal" {
		t.Errorf("consumer %q, want stage-legal", got)
	}
	if !slices.Contains(domain.MachineStates(), legal.State()) {
		t.Errorf("the sweeper's states %v lack legal", domain.MachineStates())
	}

	// The metrics: its queue depth is reported, zero included.
	labels := queueDepthLabels(t)
	if !slices.Contains(labels, "legal") {
		t.Errorf("sanshen_queue_depth labels %v lack legal", labels)
	}

	// The queue: whose it is, for which drafts.
	reviewer := domain.Actor{ID: 7, Roles: []domain.Role{"legal_reviewer"}}
	if qs := domain.QueueStages(reviewer, domain.Policy{}); !slices.Equal(qs, []domain.Stage{legal}) {
		t.Errorf("the legal reviewer's queues %v", qs)
	}
	f := domain.DraftFacts{AuthorID: 1, DepartmentID: 99, State: legal.State(), Revision: 1, StepDone: true}
	if err := domain.MayDecideStage(reviewer, f, legal); err != nil {
		t.Errorf("agency scope: the legal reviewer may not decide another department's draft: %v", err)
	}
	if err := domain.CanView(reviewer, f); err != nil {
		t.Errorf("the legal reviewer may not see the draft: %v", err)
	}

	// The pages: the locale keys it needs (the pages refuse to start
	// without them).
	keys := web.StageKeys()
	for _, k := range []string{"stage.legal", "state.legal", "nav.queue_legal", "queue.title.legal"} {
		if !slices.Contains(keys, k) {
			t.Errorf("locale keys lack %s", k)
		}
	}
}

// TestInitialReviewerIsTheTableAndThePolicy checks stage 1's optional
// person: the machine passes the draft on unless the policy asks for one.
func TestInitialReviewerIsTheTableAndThePolicy(t *testing.T) {
	on := domain.Policy{People: []domain.Stage{domain.StageCompleteness}}
	cases := []struct {
		policy   domain.Policy
		blocking bool
		want     domain.Action
	}{
		{domain.Policy{}, false, domain.ActionChecksPass},
		{domain.Policy{}, true, domain.ActionChecksBlock},
		{on, false, domain.ActionChecksDone},
		{on, true, domain.ActionChecksBlock}, // a blocking finding still goes back at once
	}
	for _, tc := range cases {
		if got := domain.ChecksAction(domain.StageCompleteness, tc.policy, tc.blocking); got != tc.want {
			t.Errorf("stage 1, policy %v, blocking %v: %q, want %q", tc.policy, tc.blocking, got, tc.want)
		}
	}
	for _, st := range []domain.Stage{domain.StageCompliance, domain.StageConfidentiality} {
		for _, b := range []bool{false, true} {
			if got := domain.ChecksAction(st, domain.Policy{}, b); got != domain.ActionChecksDone {
				t.Errorf("%s blocking=%v: %q, want checks_done (a person always decides)", st, b, got)
			}
		}
	}
	officer := domain.Actor{ID: 2, Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{10}}
	if qs := domain.QueueStages(officer, domain.Policy{}); len(qs) != 0 {
		t.Errorf("an officer has queues %v without the policy", qs)
	}
	if qs := domain.QueueStages(officer, on); !slices.Equal(qs, []domain.Stage{domain.StageCompleteness}) {
		t.Errorf("an officer's queues with the policy: %v", qs)
	}
	if got := domain.OptionalPeople(); !slices.Equal(got, []domain.Stage{domain.StageCompleteness}) {
		t.Errorf("optional people %v", got)
	}
}

func queueDepthLabels(t *testing.T) []string {
	t.Helper()
	c := metrics.NewQueueCollector(
		func(context.Context) ([]metrics.Depth, error) { return nil, nil },
		func(context.Context) (metrics.Problems, error) { return metrics.Problems{}, nil })
	ch := make(chan prometheus.Metric, 100)
	c.Collect(ch)
	close(ch)
	var out []string
	for m := range ch {
		if !strings.Contains(m.Desc().String(), "sanshen_queue_depth") {
			continue
		}
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		for _, l := range pb.GetLabel() {
			if l.GetName() == "stage" {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}
