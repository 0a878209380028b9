package domain

// Severity says whether a finding stops a draft.
type Severity string

// Severities of a finding.
const (
	SeverityBlock Severity = "block"
	SeverityWarn  Severity = "warn"
)

// Finding is what a machine check found in a revision. Start and End are rune
// offsets into the field it names (End exclusive); both are -1 when the
// finding is about the draft as a whole.
type Finding struct {
	Code       string   `json:"code"`
	Severity   Severity `json:"severity"`
	Stage      Stage    `json:"stage"`
	Field      string   `json:"field,omitempty"` // "title" or "body", empty for the whole draft
	Start      int      `json:"start"`
	End        int      `json:"end"`
	MessageZH  string   `json:"message_zh"`
	MessageEN  string   `json:"message_en"`
	Suggestion string   `json:"suggestion,omitempty"`
}

// Blocking reports whether any finding blocks.
func Blocking(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityBlock {
			return true
		}
	}
	return false
}
