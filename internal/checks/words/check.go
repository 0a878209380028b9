package words

import (
	"fmt"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Code is the finding code of a sensitive-word match, so the UI and the
// audit trail can group and filter them.
const Code = "sensitive_word"

// The lists' names in findings, by Scope.
var (
	listZH = [...]string{ScopeList: "词表", ScopePlatform: "全平台词表", ScopeAgency: "本机关增补词表"}
	listEN = [...]string{ScopeList: "word list", ScopePlatform: "platform word list", ScopeAgency: "agency word list"}
)

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
				MessageZH: fmt.Sprintf("敏感词「%s」（%s第%d版）", x.Word, listZH[m.scope], m.version),
				MessageEN: fmt.Sprintf("sensitive word %q (%s version %d)", x.Word, listEN[m.scope], m.version),
			})
		}
	}
	return fs
}
