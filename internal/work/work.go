// Package work is the message that carries a machine step between sanshen's
// processes, and the subjects it travels on. It is shared by the store
// (which writes each message into the outbox in the transition's own
// transaction) and the bus (which relays and consumes it), so that neither
// depends on the other and the store never imports NATS.
package work

import (
	"fmt"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Item is a message's body: which draft, at which revision, owes the machine
// step of which state. A worker compares it with Postgres before acting, so a
// stale or duplicated message changes nothing.
type Item struct {
	DraftID  int64        `json:"draft_id"`
	Revision int          `json:"revision"`
	State    domain.State `json:"state"`
}

// Subjects: one per machine step, each derived from the stages of
// domain.StageTable, plus the publisher's.
const (
	SubjectPrefix   = "sanshen.work."
	SubjectPublish  = SubjectPrefix + "publish"
	SubjectWithdraw = SubjectPrefix + "withdraw"
	stagePrefix     = SubjectPrefix + "stage."
)

// StageSubject is the subject that carries the work of entering stage s.
func StageSubject(s domain.Stage) string { return stagePrefix + string(s) }

// Subject is the subject of the machine step owed in state st.
func Subject(st domain.State) (string, error) {
	switch st {
	case domain.StatePublishing:
		return SubjectPublish, nil
	case domain.StateWithdrawn:
		return SubjectWithdraw, nil
	}
	if s, ok := domain.StageOf(st); ok {
		return StageSubject(s), nil
	}
	return "", fmt.Errorf("state %q owes no machine step", st)
}

// Subjects lists every work subject, each with its durable consumer: the
// stages' in the table's order, then the publisher's two.
func Subjects() []string {
	var out []string
	for _, st := range domain.MachineStates() {
		s, _ := Subject(st)
		out = append(out, s)
	}
	return out
}

// StateOf is the state whose machine step a subject carries.
func StateOf(subject string) (domain.State, bool) {
	for _, st := range domain.MachineStates() {
		if s, _ := Subject(st); s == subject {
			return st, true
		}
	}
	return "", false
}

// DeadLetter is a message the consume loop gave up on, to be kept in
// Postgres where an admin sees and replays it.
type DeadLetter struct {
	Consumer   string
	Subject    string
	Payload    []byte
	MsgID      string
	Deliveries int
	Err        error
}
