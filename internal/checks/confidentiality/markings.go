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
	codeClassified   = "classified_marking"
	codeWorkSecret   = "work_secret_marking"
	codeNotPublic    = "not_for_publication"
	codeRequest      = "request_for_instructions"
	codeConsultation = "consultation_draft"
)

// period is a secrecy period or declassification date after the star of a
// state-secret marking (国家秘密标志): 秘密★6个月, 机密★10年, 绝密★长期,
// 机密★2030年12月31日前, and the exam papers' 绝密★启用前.
const period = `(?:\d{4}年\d{1,2}月\d{1,2}日前?|\d{1,3}[ \t]*(?:年|个月)|[一二三四五六七八九十两]{1,3}(?:年|个月)|长期|启用前)`

var (
	// The marking as the law prints it: the level, a black star and, optionally,
	// the period. A black star after a level word has no other use in a
	// government text, so it is a marking even without a period. The
	// normaliser has made every star look-alike (☆ ✩ ⋆ ⭐ …) a black star.
	reClassified = regexp.MustCompile(`(?:绝密|机密|秘密)[ \t]*★(?:[ \t]*` + period + `)?`)

	// An asterisk (or an asterisk-like dingbat) for the star is what a typist
	// uses when ★ is not at hand. "国家秘密*" is also a footnote, so it counts
	// only together with a period, which no footnote has.
	reClassifiedVariant = regexp.MustCompile(`(?:绝密|机密|秘密)[ \t]*[*\x{2731}-\x{273A}][ \t]*` + period)

	// 工作秘密 marked like a state secret (工作秘密★), with or without a period.
	reWorkSecretStar = regexp.MustCompile(`工作秘密[ \t]*[★*](?:[ \t]*` + period + `)?`)

	// An internal-use phrase followed by a keeping instruction: 内部资料 注意保存,
	// 内部使用 不得外传. The separators are checked in keepMarking.
	reKeep = regexp.MustCompile(`((?:仅限|仅供)?(?:内部资料|内部文件|内部材料|内部刊物|内部参考|内部使用|内部发行|内部传阅|工作秘密|内部))` +
		`([ \t·•・/|★—,，、-]*)` +
		`(?:注意保存|注意保管|妥善保管|注意保密|不得外传|请勿外传|严禁外传|禁止外传|不得扩散|请勿扩散|严禁扩散|不得翻印|不得复制|严禁复制|不得转载|用后收回|阅后收回|会后收回)`)

	// A level or a secrecy period given as a labelled field, without a star:
	// 密级：秘密, 保密期限：10年 (the colon is ASCII after the normaliser).
	reLevelLabel  = regexp.MustCompile(`密级[ \t]*:[ \t]*(绝密|机密|秘密|工作秘密|内部)`)
	rePeriodLabel = regexp.MustCompile(`保密期限[ \t]*:[ \t]*(?:` + period + `|\d{4}年\d{1,2}月\d{1,2}日)`)

	// The 公文 notes that a document is not for the public (条例 articles
	// 14-16 and the practice of 公文): 此件不予公开, (此件)不得上网, 内部明电.
	reNotPublic = regexp.MustCompile(`(?:此件|本件|此文|本文件?)(?:不予公开|不公开|不宜公开|不予公布|不得公开)|内部明电`)
	reNoNet     = regexp.MustCompile(`(此件|本件|此文|本文件?)?(?:不得|严禁|禁止|请勿)上网(?:公开|发布|登载|传播)?`)

	// The close of a 请示: 妥否，请批示 (the comma is ASCII after the normaliser).
	reRequest = regexp.MustCompile(`(?:妥否|当否|可否)[ \t]*[,，]?[ \t]*请(?:批示|批复|审批|审示|指示|示)`)

	// 征求意见稿, and the words of a notice that puts a draft to the public,
	// where the draft is meant to be published.
	reConsultation      = regexp.MustCompile(`征求意见稿`)
	rePublicConsultaion = regexp.MustCompile(`公开征求|向社会(?:公开)?征求|面向社会征求|征求社会(?:公众|各界)?意见|公开听取`)
)

// The expressions without a literal to skip to run only around a rune each
// of their matches holds (see runetext.Sieve): the star, the 密 of the level
// words, the 内 of the internal phrases or the 密 of 工作秘密. reWorkSecretStar
// starts with 工作秘密, which regexp itself skips to.
var (
	sieveClassified        = runetext.NewSieve(reClassified, "★")
	sieveClassifiedVariant = runetext.NewSieve(reClassifiedVariant, "密")
	sieveKeep              = runetext.NewSieve(reKeep, "内密")
	sieveNoNet             = runetext.NewSieve(reNoNet, "网")
	sieveRequest           = runetext.NewSieve(reRequest, "否")
	sieveNotPublic         = runetext.NewSieve(reNotPublic, "不明")
)

// Phrases that are a marking when they make up a whole line or open a line in
// brackets. Anywhere in the text: phrases no sentence consists of on its own,
// and a bare 内部. At the head of the text only: the bare level words, which
// in a heading or a table mean something else.
var (
	lineMarkings = []string{"工作秘密", "内部资料", "内部文件", "内部材料", "内部刊物", "内部参考",
		"内部使用", "内部发行", "内部传阅", "仅供内部参考", "仅供内部使用", "仅限内部使用", "仅限内部传阅", "内部"}
	headMarkings = []string{"绝密", "机密", "秘密"}
	levelWords   = []string{"绝密", "机密", "秘密"}
)

// Markings finds classification markings of state secrets (绝密★, 机密★10年,
// 秘密★6个月, 密级：秘密, 保密期限：10年), markings of work secrets or internal
// material (工作秘密, 内部资料 注意保存, a line reading 内部 or 内部资料), and the
// notes that a document is not for the public (此件不予公开, 不得上网, 内部明电),
// all of which block: a marked document must not be published until it is
// declassified or the marking is removed by whoever set it. The close of a
// 请示 (妥否，请批示) warns: a request to a superior is internal, but the
// reviewer may know it is being published on purpose. Ordinary prose that
// merely mentions secrets (不得泄露国家秘密, 保密审查, 内部事务信息) is not a
// marking. Field is left empty for the caller to set; offsets are into s.
func Markings(s string) []domain.Finding {
	t := newText(s)
	return sortByOffset(toOriginal(t, markings(t, triggersOf(t.Runes))))
}

// markings finds the markings of t, with offsets into its normalised text;
// tr is triggersOf(t.Runes).
func markings(t *text, tr uint) []domain.Finding {
	var fs []domain.Finding
	// The messages quote the marking as the drafter wrote it (less any
	// invisible characters): 祕密☆ is the thing to look for in the draft.
	add := func(code string, start, end int, variant bool) {
		fs = append(fs, markingFinding(code, t.Display(start, end), start, end, variant))
	}

	for _, m := range sieveClassified.FindAllStringIndex(t.Str, -1) {
		if start, end := t.Span(m[0], m[1]); !namedSecret(t.Runes, start) {
			add(codeClassified, start, end, starVariant(t, start, end))
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
	// The expressions below run only when a rune every match holds is in
	// the text: most texts have none of them.
	if tr&trJi != 0 {
		for _, m := range reLevelLabel.FindAllStringSubmatchIndex(t.Str, -1) {
			start, end := t.Span(m[0], m[1])
			add(markingCode(t.Str[m[2]:m[3]]), start, end, false)
		}
	}
	if tr&trXian != 0 {
		for _, m := range rePeriodLabel.FindAllStringIndex(t.Str, -1) {
			start, end := t.Span(m[0], m[1])
			add(codeClassified, start, end, false)
		}
	}
	if tr&(trKai|trBu|trDian) != 0 {
		for _, m := range sieveNotPublic.FindAllStringIndex(t.Str, -1) {
			start, end := t.Span(m[0], m[1])
			add(codeNotPublic, start, end, false)
		}
	}
	for _, m := range sieveNoNet.FindAllStringSubmatchIndex(t.Str, -1) {
		start, end := t.Span(m[0], m[1])
		if m[2] >= 0 || bracketed(t.Runes, start, end) || wholeLine(t.Runes, start, end) {
			add(codeNotPublic, start, end, false)
		}
	}
	for _, m := range sieveRequest.FindAllStringIndex(t.Str, -1) {
		start, end := t.Span(m[0], m[1])
		fs = append(fs, domain.Finding{Code: codeRequest, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Start: start, End: end,
			MessageZH: "文中有请示的结束语“" + t.Display(start, end) + "”。请示是报上级机关的内部公文，一般不公开，请核实是否确需公开。",
			MessageEN: "The text closes like a 请示 (" + t.Display(start, end) + "), a request to a superior office, which is internal and normally not published; confirm it is meant to be."})
	}

	head := headLine(t.Runes)
	for a, b := range lines(t.Runes) {
		a, b = trimBlank(t.Runes, a, b)
		if a == b || b-a > maxMarkingLine && !isOpener(t.Runes[a]) {
			continue
		}
		set := lineMarkings
		if a == head {
			set = append(slices.Clip(lineMarkings), headMarkings...)
		}
		if inner := unbracket(t.Runes[a:b]); slices.Contains(set, inner) {
			add(markingCode(inner), a, b, false)
			continue
		}
		if end, inner, ok := bracketedPrefix(t.Runes[a:b]); ok && slices.Contains(set, inner) {
			add(markingCode(inner), a, a+end, false)
		}
	}
	fs = dropOverlaps(fs)
	for i, f := range fs {
		if (f.Code == codeClassified || f.Code == codeWorkSecret) && quotedInProse(t.Runes, f.Start, f.End) {
			fs[i].Severity = domain.SeverityWarn
			fs[i].MessageZH = "引号中的" + f.MessageZH + "（系行文中提及标志的，可不作处理。）"
			fs[i].MessageEN = f.MessageEN + " It is in quotation marks inside a sentence: if the text only mentions such a marking, nothing needs to be done."
		}
	}
	return sortByOffset(fs)
}

// quotedInProse reports whether [start, end) is all that stands between a
// pair of quotation marks in the middle of a line: prose that mentions a
// marking (对标注“秘密★”的文件), which a marked document never does with its
// own marking. It warns instead of blocking.
func quotedInProse(rs []rune, start, end int) bool {
	if start == 0 || end >= len(rs) {
		return false
	}
	open, close := rs[start-1], rs[end]
	quoted := open == '“' && close == '”' || open == '「' && close == '」' || open == '『' && close == '』' || open == '"' && close == '"'
	return quoted && !opensLine(rs, start-1)
}

// Runes that the rarer expressions need, as bits: a pass over the runes
// tells which expressions can match at all, cheaper than a search for each.
const (
	trJi   = 1 << iota // 级: 密级
	trXian             // 限: 保密期限
	trKai              // 开: 不予公开 …
	trBu               // 布: 不予公布
	trDian             // 电: 内部明电
	trGao              // 稿: 征求意见稿
	trSuo              // 索: 索引号
	trMask             // * and the other mask runes
)

// triggerBits has a bit set for each BMP rune that triggersOf looks for,
// so that the rest (nearly all) cost one load.
var triggerBits = func() *[0x10000 / 8]byte {
	var b [0x10000 / 8]byte
	for _, r := range "级限开布电稿索*×#●○■□" {
		b[r>>3] |= 1 << (r & 7)
	}
	return &b
}()

// triggersOf tells which of the rarer expressions' runes rs holds.
func triggersOf(rs []rune) uint {
	var tr uint
	for _, r := range rs {
		if r >= 0x10000 || triggerBits[r>>3]&(1<<(r&7)) == 0 {
			continue
		}
		switch r {
		case '级':
			tr |= trJi
		case '限':
			tr |= trXian
		case '开':
			tr |= trKai
		case '布':
			tr |= trBu
		case '电':
			tr |= trDian
		case '稿':
			tr |= trGao
		case '索':
			tr |= trSuo
		case '*', '×', '#', '●', '○', '■', '□':
			tr |= trMask
		}
	}
	return tr
}

// maxMarkingLine is the longest line that may be a marking on its own: the
// longest phrase (仅供内部参考) in brackets, spaced out.
const maxMarkingLine = 16

func isOpener(r rune) bool { _, ok := closers[r]; return ok }

// consultationDrafts warns of a 征求意见稿: a draft put out for comment within
// the administration is not for the public. Check leaves them out when the
// draft says it puts the text to the public (公开征求意见).
func consultationDrafts(t *text, tr uint) []domain.Finding {
	if tr&trGao == 0 {
		return nil
	}
	var fs []domain.Finding
	for _, m := range reConsultation.FindAllStringIndex(t.Str, 3) {
		start, end := t.Span(m[0], m[1])
		fs = append(fs, domain.Finding{Code: codeConsultation, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Start: start, End: end,
			MessageZH: "文中有“征求意见稿”。内部征求意见的稿件属于过程性信息，一般不公开；如系公开征求社会意见，请在文中写明。",
			MessageEN: "The text is or cites a draft for comment (征求意见稿). A draft circulated for comment within the administration is process information, normally not published; if it is put to the public for comment, say so in the text."})
	}
	return fs
}

// publicConsultation reports whether the draft puts a draft for comment to
// the public.
func publicConsultation(title, body *text, tr uint) bool {
	if tr&trGao == 0 {
		return false // no 征求意见稿 to excuse
	}
	return rePublicConsultaion.MatchString(title.Str) || rePublicConsultaion.MatchString(body.Str)
}

// starVariant reports whether the star of the marking at [start, end) was
// written as a look-alike (☆, ⭐ …) that the normaliser folded.
func starVariant(t *text, start, end int) bool {
	for i := start; i < end; i++ {
		if t.Runes[i] == '★' {
			return !strings.ContainsRune(t.Display(i, i+1), '★')
		}
	}
	return false
}

// bracketed reports whether [start, end) is the whole content of a pair of
// brackets, blanks aside: （此件不得上网）.
func bracketed(rs []rune, start, end int) bool {
	a, b := start, end
	for a > 0 && isBlank(rs[a-1]) {
		a--
	}
	for b < len(rs) && isBlank(rs[b]) {
		b++
	}
	if a == 0 || b == len(rs) {
		return false
	}
	c, ok := closers[rs[a-1]]
	return ok && rs[b] == c
}

// wholeLine reports whether [start, end) is all of its line but blanks and a
// final full stop.
func wholeLine(rs []rune, start, end int) bool {
	for end < len(rs) && (isBlank(rs[end]) || rs[end] == '。' || rs[end] == '.') {
		end++
	}
	return opensLine(rs, start) && (end == len(rs) || isLineBreak(rs[end]))
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
	case code == codeNotPublic:
		f.MessageZH = fmt.Sprintf("发现不予公开的标注“%s”。标注不公开、不得上网或内部明电的文件不得公开发布，请核实。", matched)
		f.MessageEN = fmt.Sprintf("Note that the document is not for the public (%q). A document so marked, or an internal telegram, must not be published; please check.", matched)
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

// unbracket returns the line without one pair of enclosing brackets and
// without blanks: a line spaced out (内 部 资 料) reads as it is meant.
func unbracket(line []rune) string {
	if len(line) >= 2 {
		if c, ok := closers[line[0]]; ok && line[len(line)-1] == c {
			line = line[1 : len(line)-1]
		}
	}
	if !slices.ContainsFunc(line, isBlank) {
		return string(line)
	}
	var b strings.Builder
	for _, r := range line {
		if !isBlank(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
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
