package confidentiality

import (
	"fmt"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// maxInvisible caps the warnings about invisible characters in one field:
// past that the officer has seen the pattern.
const maxInvisible = 20

// guarded are the findings inside which an invisible character is an attempt
// to hide them, and blocks.
var guarded = map[string][2]string{
	codeClassified: {"密级标志", "a classification marking"},
	codeWorkSecret: {"工作秘密或内部资料标志", "a work-secret marking"},
	codeNotPublic:  {"不予公开的标注", "a not-for-publication note"},
	codeResidentID: {"身份证号", "an ID number"},
	codeMistypedID: {"身份证号", "an ID number"},
	codeMaskedID:   {"身份证号", "an ID number"},
	codeMobile:     {"手机号码", "a mobile number"},
}

// invisibles reports the invisible characters the normaliser removed from t
// (zero-width spaces, joiners, soft hyphens, BOMs, bidi controls, variation
// selectors): a warning, as they have no place in a published text and can
// hide what a reader or a search cannot see; a block inside a marking, an ID
// or a mobile number, which they were put there to hide from these checks.
// fs are the field's other findings, with offsets into the original.
func invisibles(t *text, fs []domain.Finding) []domain.Finding {
	var out []domain.Finding
	warned := 0
	for _, h := range t.Hidden() {
		inside := ""
		for _, f := range fs {
			if _, ok := guarded[f.Code]; ok && f.Start <= h.Start && h.End <= f.End {
				inside = f.Code
				break
			}
		}
		f := domain.Finding{Code: codeInvisibleChar, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Start: h.Start, End: h.End, Suggestion: "",
			MessageZH: fmt.Sprintf("发现%d个不可见字符（零宽空格、连接符、软连字符、方向控制符等）。公开文本中不应有不可见字符，请删除。", h.End-h.Start),
			MessageEN: fmt.Sprintf("%d invisible character(s) (zero-width space, joiner, soft hyphen, direction control…). A published text should have none; delete them.", h.End-h.Start)}
		if inside != "" {
			g := guarded[inside]
			f.Severity = domain.SeverityBlock
			f.MessageZH = fmt.Sprintf("%s中夹有%d个不可见字符，疑似为规避审查而插入。请删除不可见字符，并按%s的要求处理。", g[0], h.End-h.Start, g[0])
			f.MessageEN = fmt.Sprintf("%d invisible character(s) inside %s, as if to slip it past the checks. Delete them and deal with %s as such.", h.End-h.Start, g[1], g[1])
		} else {
			if warned >= maxInvisible {
				continue
			}
			warned++
		}
		out = append(out, f)
	}
	return out
}
