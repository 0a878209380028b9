package confidentiality

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Finding codes of the marking detector.
const (
	codeClassified = "classified_marking"
	codeWorkSecret = "work_secret_marking"
)

// period is a secrecy period or declassification date after the star of a
// state-secret marking (国家秘密标志): 秘密★6个月, 机密★10年, 绝密★长期,
// 机密★2030年12月31日前, and the exam papers' 绝密★启用前.
const period = `(?:\d{4}年\d{1,2}月\d{1,2}日前?|\d{1,3}[ \t]*(?:年|个月)|[一二三四五六七八九十两]{1,3}(?:年|个月)|长期|启用前)`

var (
	// The marking as the law prints it: the level, a black star and, optionally,
	// the period. A black star after a level word has no other use in a
	// government text, so it is a marking even without a period.
	reClassified = regexp.MustCompile(`(?:绝密|机密|秘密)[ \t]*★(?:[ \t]*` + period + `)?`)

	// Stand-ins for the star (white star, asterisk, other star dingbats) are
	// what a typist uses when ★ is not at hand. "国家秘密*" is also a footnote,
	// so a stand-in counts only together with a period, which no footnote has.
	reClassifiedVariant = regexp.MustCompile(`(?:绝密|机密|秘密)[ \t]*[☆*\x{2729}-\x{273A}\x{2B50}][ \t]*` + period)

	// 工作秘密 marked like a state secret (工作秘密★), with or without a period.
	reWorkSecretStar = regexp.MustCompile(`工作秘密[ \t]*[★☆*](?:[ \t]*` + period + `)?`)

	// An internal-use phrase followed by a keeping instruction: 内部资料 注意保存,
	// 内部使用 不得外传. The separators are checked in keepMarking.
	reKeep = regexp.MustCompile(`((?:仅限|仅供)?(?:内部资料|内部文件|内部材料|内部刊物|内部参考|内部使用|内部发行|内部传阅|工作秘密|内部))` +
		`([ \t·•・/|★—,，、-]*)` +
		`(?:注意保存|注意保管|妥善保管|注意保密|不得外传|请勿外传|严禁外传|禁止外传|不得扩散|请勿扩散|严禁扩散|不得翻印|不得复制|严禁复制|不得转载|用后收回|阅后收回|会后收回)`)
)

// The expressions without a literal to skip to run only around a rune each
// of their matches holds (see runetext.Sieve): the star, the 密 of the level
// words, the 内 of the internal phrases or the 密 of 工作秘密. reWorkSecretStar
// starts with 工作秘密, which regexp itself skips to.
var (
	sieveClassified        = runetext.NewSieve(reClassified, "★")
	sieveClassifiedVariant = runetext.NewSieve(reClassifiedVariant, "密")
	sieveKeep              = runetext.NewSieve(reKeep, "内密")
)

// Phrases that are a marking when they make up a whole line or open a line in
// brackets. Anywhere in the text: phrases no sentence consists of on its own.
// At the head of the text only: the bare level words and a bare 内部, which in
// a heading or in running text mean something else.
var (
	lineMarkings = []string{"工作秘密", "内部资料", "内部文件", "内部材料", "内部刊物", "内部参考",
		"内部使用", "内部发行", "内部传阅", "仅供内部参考", "仅供内部使用", "仅限内部使用", "仅限内部传阅"}
	headMarkings = []string{"内部", "绝密", "机密", "秘密"}
	levelWords   = []string{"绝密", "机密", "秘密"}
)

// Markings finds classification markings of state secrets (绝密★, 机密★10年,
// 秘密★6个月) and markings of work secrets or internal material (工作秘密,
// 内部资料 注意保存, a bare 内部 heading the text), all of which block: a
// marked document must not be published until it is declassified or the
// marking is removed by whoever set it. Ordinary prose that merely mentions
// secrets (不得泄露国家秘密, 保密审查, 内部事务信息) is not a marking. Field is
// left empty for the caller to set.
func Markings(s string) []domain.Finding { return markings(newText(s)) }

func markings(t *text) []domain.Finding {
	var fs []domain.Finding
	add := func(code string, start, end int, variant bool) {
		fs = append(fs, markingFinding(code, string(t.Runes[start:end]), start, end, variant))
	}

	for _, m := range sieveClassified.FindAllStringIndex(t.Str, -1) {
		if start, end := t.Span(m[0], m[1]); !namedSecret(t.Runes, start) {
			add(codeClassified, start, end, false)
		}
	}
	for _, m := range sieveClassifiedVariant.FindAllStringIndex(t.Str, -1) {
		if start, end := t.Span(m[0], m[1]); !namedSecret(t.Runes, start) {
			add(codeClassified, start, end, true)
		}
	}
	for _, m := range reWorkSecretStar.FindAllStringIndex(t.Str, -1) {
		start, end := t.Span(m[0], m[1])
		add(codeWorkSecret, start, end, false)
	}
	for _, m := range sieveKeep.FindAllStringSubmatchIndex(t.Str, -1) {
		start, end := t.Span(m[0], m[1])
		phrase, sep := t.Str[m[2]:m[3]], t.Str[m[4]:m[5]]
		if keepMarking(t.Runes, start, phrase, sep) {
			add(codeWorkSecret, start, end, false)
		}
	}

	head := headLine(t.Runes)
	for a, b := range lines(t.Runes) {
		a, b = trimBlank(t.Runes, a, b)
		if a == b {
			continue
		}
		set := lineMarkings
		if a == head {
			set = append(slices.Clip(lineMarkings), headMarkings...)
			if inner := unbracket(t.Runes[a:b]); slices.Contains(set, inner) {
				add(markingCode(inner), a, b, false)
				continue
			}
		}
		if end, inner, ok := bracketedPrefix(t.Runes[a:b]); ok && slices.Contains(set, inner) {
			add(markingCode(inner), a, a+end, false)
		}
	}
	return sortByOffset(dropOverlaps(fs))
}

func markingCode(phrase string) string {
	if slices.Contains(levelWords, phrase) {
		return codeClassified
	}
	return codeWorkSecret
}

func markingFinding(code, matched string, start, end int, variant bool) domain.Finding {
	f := domain.Finding{Code: code, Severity: domain.SeverityBlock, Stage: domain.StageConfidentiality,
		Start: start, End: end}
	switch {
	case code == codeClassified && variant:
		f.MessageZH = fmt.Sprintf("发现疑似国家秘密密级标志“%s”（星号不规范）。涉密文件不得公开发布，请核实定密情况并按规定解密后再报送。", matched)
		f.MessageEN = fmt.Sprintf("Probable state-secret classification marking %q (non-standard star). Classified material must not be published; confirm its classification and declassify it first.", matched)
	case code == codeClassified:
		f.MessageZH = fmt.Sprintf("发现国家秘密密级标志“%s”。涉密文件不得公开发布，须经定密责任人解密后方可报送。", matched)
		f.MessageEN = fmt.Sprintf("State-secret classification marking %q. Classified material must not be published until it has been declassified.", matched)
	default:
		f.MessageZH = fmt.Sprintf("发现工作秘密或内部资料标志“%s”。标注为工作秘密、内部资料的文件不得公开发布，请核实是否可以公开。", matched)
		f.MessageEN = fmt.Sprintf("Work-secret or internal-use marking %q. Material marked as a work secret or for internal use must not be published; confirm it may be disclosed.", matched)
	}
	return f
}

// namedSecret reports whether the level word at start is the tail of
// 工作秘密 or 商业秘密, which are not state-secret levels: 工作秘密★ has its own
// expression and a trade secret is the third party's to mark.
func namedSecret(rs []rune, start int) bool {
	return start >= 2 && (string(rs[start-2:start]) == "工作" || string(rs[start-2:start]) == "商业")
}

// keepMarking tells a marking from prose that happens to contain its words.
// Separated by blanks or dots only (内部资料 注意保存) it is a marking wherever
// it stands. With a comma it is a sentence unless it opens a line, as a
// marking does, or says 仅限/仅供 itself. A bare 内部 must open a line.
func keepMarking(rs []rune, start int, phrase, sep string) bool {
	opens := opensLine(rs, start)
	if phrase == "内部" && !opens {
		return false
	}
	if strings.ContainsAny(sep, ",，、") {
		return opens || strings.HasPrefix(phrase, "仅")
	}
	return true
}

// opensLine reports whether only blanks and at most one opening bracket stand
// between the start of the line and offset i.
func opensLine(rs []rune, i int) bool {
	for i > 0 && isBlank(rs[i-1]) {
		i--
	}
	if i > 0 {
		if _, ok := closers[rs[i-1]]; ok {
			i--
		}
	}
	for i > 0 && isBlank(rs[i-1]) {
		i--
	}
	return i == 0 || isLineBreak(rs[i-1])
}

// lines yields the rune range of every line of rs, line breaks excluded.
func lines(rs []rune) func(yield func(int, int) bool) {
	return func(yield func(int, int) bool) {
		a := 0
		for i := 0; i <= len(rs); i++ {
			if i == len(rs) || isLineBreak(rs[i]) {
				if !yield(a, i) {
					return
				}
				a = i + 1
			}
		}
	}
}

func trimBlank(rs []rune, a, b int) (int, int) {
	for a < b && isBlank(rs[a]) {
		a++
	}
	for b > a && isBlank(rs[b-1]) {
		b--
	}
	return a, b
}

// headLine returns the offset of the first non-blank line's first non-blank
// rune, or -1. A line of digits only before it is a copy number (份号), which
// GB/T 9704 prints above the marking, and is skipped.
func headLine(rs []rune) int {
	for a, b := range lines(rs) {
		a, b = trimBlank(rs, a, b)
		if a == b {
			continue
		}
		if !slices.ContainsFunc(rs[a:b], func(r rune) bool { return !isDigit(r) }) {
			continue
		}
		return a
	}
	return -1
}

// unbracket returns the line without one pair of enclosing brackets.
func unbracket(line []rune) string {
	if len(line) >= 2 {
		if c, ok := closers[line[0]]; ok && line[len(line)-1] == c {
			a, b := trimBlank(line, 1, len(line)-1)
			return string(line[a:b])
		}
	}
	return string(line)
}

// bracketedPrefix returns the end of a bracket group opening the line
// ("【内部】关于…") and its trimmed content.
func bracketedPrefix(line []rune) (end int, inner string, ok bool) {
	if len(line) == 0 {
		return 0, "", false
	}
	c, ok := closers[line[0]]
	if !ok {
		return 0, "", false
	}
	for i := 1; i < len(line) && i <= 12; i++ {
		if line[i] == c {
			a, b := trimBlank(line, 1, i)
			return i + 1, string(line[a:b]), true
		}
	}
	return 0, "", false
}

// dropOverlaps keeps, of findings that overlap, the one that starts first
// (the longest of those), so one marking is reported once.
func dropOverlaps(fs []domain.Finding) []domain.Finding {
	slices.SortStableFunc(fs, func(a, b domain.Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := fs[:0]
	last := -1
	for _, f := range fs {
		if f.Start < last {
			continue
		}
		out = append(out, f)
		last = f.End
	}
	return out
}
