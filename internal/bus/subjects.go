package bus

// StreamName is the one JetStream stream that carries work between stages;
// its subjects are work.Subjects().
const StreamName = "SANSHEN_WORK"

// SubjectEvents carries the live pages' news of each committed transition,
// on core NATS outside the stream: a nudge that may be missed, like the
// NOTIFY it replaces, never work.
const SubjectEvents = "sanshen.events"
