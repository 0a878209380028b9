package words

import (
	"fmt"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Code is the finding code of a sensitive-word match, so the UI and the
// audit trail can group and filter them.
const Code = "sensitive_word"

// Check returns one finding per match in the title and the body, so the
// confidentiality reviewer sees every listed word in place. A match is a
// warning, never a block: the list flags words a reviewer must weigh in
// context (a word can be legitimate in an official text). Each message
// names the word and the list version that flagged it, e.g.
// "敏感词「xx」（词表第3版）". A nil Matcher finds nothing.
func Check(m *Matcher, c domain.Content) []domain.Finding {
	if m == nil {
		return nil
	}
	var fs []domain.Finding
	for _, field := range [...]struct{ name, text string }{{"title", c.Title}, {"body", c.Body}} {
		for _, x := range m.FindAll(field.text) {
			fs = append(fs, domain.Finding{
				Code:      Code,
				Severity:  domain.SeverityWarn,
				Stage:     domain.StageConfidentiality,
				Field:     field.name,
				Start:     x.Start,
				End:       x.End,
				MessageZH: fmt.Sprintf("敏感词「%s」（词表第%d版）", x.Word, m.version),
				MessageEN: fmt.Sprintf("sensitive word %q (word list version %d)", x.Word, m.version),
			})
		}
	}
	return fs
}
