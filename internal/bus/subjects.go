package bus

import (
	"fmt"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// StreamName is the one JetStream stream that carries work between stages.
const StreamName = "SANSHEN_WORK"

// Subjects: one per machine step. A stage worker consumes its stage's
// subject; the publisher consumes SubjectPublish.
const (
	SubjectPrefix  = "sanshen.work."
	SubjectPublish = SubjectPrefix + "publish"
)

// SubjectEvents carries the live pages' news of each committed transition,
// on core NATS outside the stream: a nudge that may be missed, like the
// NOTIFY it replaces, never work.
const SubjectEvents = "sanshen.events"

// StageSubject is the subject that carries the work of entering stage s.
func StageSubject(s domain.Stage) string { return SubjectPrefix + "stage." + string(s) }

// SubjectForState is the subject of the machine step owed in state st.
func SubjectForState(st domain.State) (string, error) {
	if st == domain.StatePublishing {
		return SubjectPublish, nil
	}
	if s, ok := domain.StageOf(st); ok {
		return StageSubject(s), nil
	}
	return "", fmt.Errorf("state %q owes no machine step", st)
}

// Work is the message body: which draft, at which revision, owes which step.
// A worker compares it with Postgres before acting, so stale or duplicated
// messages change nothing.
type Work struct {
	DraftID  int64        `json:"draft_id"`
	Revision int          `json:"revision"`
	State    domain.State `json:"state"`
}

// StateForSubject is the state whose machine step a subject carries.
func StateForSubject(subject string) (domain.State, bool) {
	if subject == SubjectPublish {
		return domain.StatePublishing, true
	}
	for _, st := range domain.Stages {
		if StageSubject(st) == subject {
			return st.State(), true
		}
	}
	return "", false
}
