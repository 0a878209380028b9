package confidentiality

import (
	"regexp"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Finding codes of the personal-data detector.
const (
	codeResidentID    = "resident_id"
	codeMistypedID    = "resident_id_mistyped"
	codeMaskedID      = "resident_id_mask"
	codeMobile        = "mobile_number"
	codeBankCard      = "bank_card"
	codeAddress       = "home_address"
	codeInvisibleChar = "invisible_character"
)

// reIndexNumber finds the value of an index number (索引号), which opens with
// the office's own credit code and goes on with a year and a serial number.
// Nothing inside it is anyone's personal data.
var reIndexNumber = regexp.MustCompile(`索引号[ \t]*(?::[ \t]*)?([0-9A-Za-z][0-9A-Za-z/_.-]*)`)

// PersonalData finds personal data of natural persons that a public text must
// not carry, each checked beyond its pattern so that the reviewer is not
// buried in serial numbers: resident ID numbers with a valid check character,
// birth date and province (block), and masked ones that can be rebuilt from a
// birth date beside them (block); ID-shaped numbers whose only fault is the
// check character, and masks that leave the birth date visible (warn); mobile
// numbers (block; warn when the text presents them as an official's duty
// line); Luhn-valid bank card numbers (warn, as a Luhn pass is only a hint);
// and home addresses next to a natural person (warn, heuristic).
// Organisations' unified social credit codes and index numbers are public and
// never reported. Field is left empty for the caller to set; offsets are
// into s.
func PersonalData(s string) []domain.Finding {
	t := newText(s)
	return sortByOffset(toOriginal(t, personalData(t, triggersOf(t.Runes))))
}

// personalData finds the personal data of t, with offsets into its
// normalised text; tr is triggersOf(t.Runes).
func personalData(t *text, tr uint) []domain.Finding {
	sc := &numberScanner{rs: t.Runes, ts: tokenize(t.Runes)}
	sc.scan()
	fs := sc.found
	if tr&trMask != 0 {
		fs = append(fs, maskedIDs(t.Runes)...)
	}
	fs = append(fs, addresses(t)...)

	var exempt [][2]int
	if tr&trSuo != 0 {
		for _, m := range reIndexNumber.FindAllStringSubmatchIndex(t.Str, -1) {
			a, b := t.Span(m[2], m[3])
			exempt = append(exempt, [2]int{a, b})
		}
	}
	out := fs[:0]
next:
	for _, f := range fs {
		for _, e := range exempt {
			if f.Start < e[1] && e[0] < f.End {
				continue next
			}
		}
		out = append(out, f)
	}
	return sortByOffset(out)
}

// token is a maximal run of ASCII letters and digits (of the normalised text).
type token struct {
	start, end int
	digits     bool // digits only
}

func (tk token) len() int { return tk.end - tk.start }

func tokenize(rs []rune) []token {
	var ts []token
	for i := 0; i < len(rs); {
		if !isASCIIAlnum(rs[i]) {
			i++
			continue
		}
		j, digits := i, true
		for ; j < len(rs) && isASCIIAlnum(rs[j]); j++ {
			digits = digits && isDigit(rs[j])
		}
		ts = append(ts, token{start: i, end: j, digits: digits})
		i = j
	}
	return ts
}

// numberScanner finds ID, mobile and card numbers among the tokens. A number
// is a whole token, so a number inside a longer run of digits or letters is
// never one. The normaliser has already joined the groups of an ID or a
// mobile number written 110105 19900307 1239 or 138 1234 5678; a card number
// may still come as groups of four joined by one and the same separator (a
// space or a hyphen), 6222 0202 0000 1234, and not joined to a further group,
// which would make it part of a longer number.
type numberScanner struct {
	rs    []rune
	ts    []token
	found []domain.Finding
}

// str is the text of token tk.
func (sc *numberScanner) str(tk token) string { return string(sc.rs[tk.start:tk.end]) }

func (sc *numberScanner) scan() {
	for i := 0; i < len(sc.ts); i++ {
		if n := sc.grouped(i); n > 0 {
			i += n - 1
			continue
		}
		sc.single(i)
	}
}

// link returns the separator joining token i to token i+1, or 0 if they are
// not one space or hyphen apart.
func (sc *numberScanner) link(i int) rune {
	if i < 0 || i+1 >= len(sc.ts) || sc.ts[i+1].start != sc.ts[i].end+1 {
		return 0
	}
	if r := sc.rs[sc.ts[i].end]; r == ' ' || r == '-' {
		return r
	}
	return 0
}

// inDecimal reports whether the run start..end is part of a decimal number
// (3.1415…, 1234567890123456.00).
func (sc *numberScanner) inDecimal(start, end int) bool {
	rs := sc.rs
	return start >= 2 && rs[start-1] == '.' && isDigit(rs[start-2]) ||
		end+1 < len(rs) && rs[end] == '.' && isDigit(rs[end+1])
}

// countedAfter reports whether a unit follows the number (15000000000元,
// 13812345678 人次): a quantity, not a phone or a card.
func (sc *numberScanner) countedAfter(end int) bool {
	for end < len(sc.rs) && sc.rs[end] == ' ' {
		end++
	}
	return end < len(sc.rs) && strings.ContainsRune(units, sc.rs[end])
}

// units are the first characters of the units and measure words that make a
// number a quantity.
const units = "元万亿吨次件个户米台人名家项辆份张条起只套座亩斤克升度%‰"

// groups reports whether the tokens from i have the given lengths, all digits
// (the last may end in X or x when lastX), joined by one separator, with no
// group joined before or after them.
func (sc *numberScanner) groups(i int, lastX bool, lens ...int) bool {
	if i+len(lens) > len(sc.ts) || sc.link(i-1) != 0 || sc.link(i+len(lens)-1) != 0 {
		return false
	}
	sep := sc.link(i)
	if sep == 0 {
		return false
	}
	for k, n := range lens {
		tk := sc.ts[i+k]
		if tk.len() != n || k < len(lens)-1 && sc.link(i+k) != sep {
			return false
		}
		if !tk.digits && !(lastX && k == len(lens)-1 && digitsThenX(sc.str(tk))) {
			return false
		}
	}
	return true
}

// digitsThenX reports whether s is digits with an optional final X or x, as
// the tail of a resident ID is.
func digitsThenX(s string) bool {
	for i := range len(s) {
		if c := s[i]; !isDigit(rune(c)) && !(i == len(s)-1 && (c == 'X' || c == 'x')) {
			return false
		}
	}
	return s != ""
}

// grouped tries the grouped forms of a card number at token i and returns
// how many tokens it consumed.
func (sc *numberScanner) grouped(i int) int {
	if sc.link(i) == 0 {
		return 0
	}
	for _, last := range []int{0, 1, 2, 3} {
		lens := []int{4, 4, 4, 4}
		if last > 0 {
			lens = append(lens, last)
		}
		if sc.groups(i, false, lens...) {
			var b strings.Builder
			for k := range lens {
				b.WriteString(sc.str(sc.ts[i+k]))
			}
			start, end := sc.ts[i].start, sc.ts[i+len(lens)-1].end
			if !sc.inDecimal(start, end) {
				sc.card(start, end, b.String())
			}
			return len(lens)
		}
	}
	return 0
}

// prefix86 returns where a country-code prefix before token i starts (+86,
// +86-, 86-, "+86 "), or -1.
func (sc *numberScanner) prefix86(i int) int {
	if i == 0 || sc.ts[i-1].len() != 2 || sc.str(sc.ts[i-1]) != "86" || sc.link(i-2) != 0 {
		return -1
	}
	p := sc.ts[i-1]
	sep := sc.link(i - 1)
	plus := p.start > 0 && sc.rs[p.start-1] == '+'
	switch {
	case sep == 0:
		return -1
	case plus:
		return p.start - 1
	case sep == '-':
		return p.start
	}
	return -1
}

func (sc *numberScanner) single(i int) {
	tk := sc.ts[i]
	n := tk.len()
	if n != 11 && n != 13 && (n < 16 || n > 19) || sc.inDecimal(tk.start, tk.end) {
		return
	}
	s := sc.str(tk)
	switch {
	case n == 18 && idShaped(s):
		if sc.id(tk.start, tk.end, s) || !tk.digits {
			return
		}
		sc.card(tk.start, tk.end, s)
	case tk.digits && n == 11 && isMobile(s):
		if !sc.countedAfter(tk.end) {
			sc.mobile(i, tk.end)
		}
	case tk.digits && n == 13 && s[:2] == "86" && isMobile(s[2:]) &&
		tk.start > 0 && sc.rs[tk.start-1] == '+':
		if !sc.countedAfter(tk.end) {
			sc.mobilePrefixed(tk.start-1, tk.start+2, tk.end)
		}
	case tk.digits && n >= 16 && n <= 19:
		sc.card(tk.start, tk.end, s)
	}
}

func idShaped(s string) bool { return len(s) == 18 && digitsThenX(s) }

// idLike reports whether an ID-shaped s has a province code and a date of
// the last two centuries where a resident ID has its birth date, whatever its
// check character: a mistyped, sample or made-up ID.
func idLike(s string) bool {
	if !idShaped(s) || !provinces[s[:2]] {
		return false
	}
	date, ok := calendarDate(s[6:14])
	return ok && date.Year() >= 1800 && date.Year() < 2100
}

func isMobile(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := range len(s) {
		if !isDigit(rune(s[i])) {
			return false
		}
	}
	return true
}

// id reports a resident ID at start..end and reports whether the run was
// taken (as an ID, a mistyped ID, or an organisation's credit code that is
// let be).
func (sc *numberScanner) id(start, end int, id string) bool {
	if !ValidResidentID(id) {
		if ValidCreditCode(id) {
			return true
		}
		// A number with an ID's province and birth date whose check
		// character is wrong: a mistyped ID is still someone's data.
		if !mistypedID(id) || sc.creditLabelled(start) {
			return false
		}
		sc.found = append(sc.found, domain.Finding{
			Code: codeMistypedID, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Start: start, End: end, Suggestion: MaskResidentID(id),
			MessageZH: "疑似公民身份号码（地区码、出生日期有效，校验码不符，可能是录入错误）。错误的身份证号仍可指向特定个人，公开前请删除或隐去中间部分。",
			MessageEN: "Probable citizen ID number with a wrong check character (valid region and birth date): a mistyped ID still points at a person. Remove it or mask its middle before publication.",
		})
		return true
	}
	if ValidCreditCode(id) && sc.creditRatherThanID(start, id) {
		return true
	}
	sc.found = append(sc.found, domain.Finding{
		Code: codeResidentID, Severity: domain.SeverityBlock, Stage: domain.StageConfidentiality,
		Start: start, End: end, Suggestion: MaskResidentID(id),
		MessageZH: "发现公民身份号码（校验码、出生日期、地区码均有效）。身份证号属于个人信息，公开前须删除或隐去中间部分。",
		MessageEN: "Citizen ID number (valid check character, birth date and region). It is personal data and must be removed or masked before publication.",
	})
	return true
}

// mistypedID reports whether an ID-shaped s has a province code and a birth
// date from 1900 to today where a resident ID has them.
func mistypedID(s string) bool {
	return idShaped(s) && provinces[s[:2]] && validBirthDate(s[6:14], time.Now().In(domain.Beijing))
}

// creditLabelled reports whether the nearest label before start says a
// credit code or an index number.
func (sc *numberScanner) creditLabelled(start int) bool {
	from := max(lineStart(sc.rs, start), start-24)
	window := string(sc.rs[from:start])
	return lastIndexAny(window, creditWords) > lastIndexAny(window, idWords)
}

// Words before a number that say what it is.
var (
	creditWords = []string{"信用代码", "索引号", "机构代码", "纳税人识别号", "税号", "注册号", "统一代码"}
	idWords     = []string{"身份证", "身份号码", "证件号", "公民身份", "居民身份"}
)

// creditRatherThanID decides a string that is both a valid resident ID and a
// valid credit code. The nearer label in the 24 runes before it on its line
// wins; without one, only a code with the full structure of GB 32100 is taken
// for a credit code, since missing an ID costs more than a second look.
func (sc *numberScanner) creditRatherThanID(start int, id string) bool {
	from := max(lineStart(sc.rs, start), start-24)
	window := string(sc.rs[from:start])
	credit, person := lastIndexAny(window, creditWords), lastIndexAny(window, idWords)
	switch {
	case credit > person:
		return true
	case person > credit:
		return false
	}
	return plausibleCreditCode(id)
}

func lastIndexAny(s string, words []string) int {
	last := -1
	for _, w := range words {
		last = max(last, strings.LastIndex(s, w))
	}
	return last
}

// mobile reports a mobile number whose first token is i, with its prefix.
func (sc *numberScanner) mobile(i, end int) {
	start := sc.ts[i].start
	if p := sc.prefix86(i); p >= 0 {
		sc.mobilePrefixed(p, start, end)
		return
	}
	sc.mobilePrefixed(start, start, end)
}

// mobilePrefixed reports a mobile number whose digits run from digits to end,
// after a country-code prefix from start.
func (sc *numberScanner) mobilePrefixed(start, digits, end int) {
	f := domain.Finding{
		Code: codeMobile, Severity: domain.SeverityBlock, Stage: domain.StageConfidentiality,
		Start: start, End: end,
		Suggestion: string(sc.rs[start:digits]) + maskAlnum(sc.rs[digits:end], 3, 4),
		MessageZH:  "发现手机号码。个人手机号码属于个人信息，公开前须删除或隐去中间四位；如系单位对外公布的联系电话，请核实后说明。",
		MessageEN:  "Mobile phone number. A person's mobile number is personal data and must be removed or have its middle four digits masked; if it is the office's published contact number, confirm that.",
	}
	if dutyLine(sc.rs, start) {
		f.Severity = domain.SeverityWarn
		f.MessageZH = "发现工作人员的值班或联系手机号码（网格员、值班电话等）。便民信息可公开工作联系电话，请核实该号码是否为工作号码、本人是否同意公开。"
		f.MessageEN = "A mobile number given as an official's duty line (grid worker, duty phone and the like). A notice to residents may publish it; confirm it is a work number its holder agreed to publish."
	}
	sc.found = append(sc.found, f)
}

// dutyWords say that a number is an official's line for the public: a grid
// worker's, a duty phone, a community worker's.
var dutyWords = []string{"网格员", "网格长", "网格管理员", "网格", "值班电话", "值班手机", "值班室", "值班人员", "值班员",
	"社区工作者", "社区民警", "包片民警", "社区干部", "社工", "楼门长", "服务热线", "便民热线", "便民服务电话"}

// dutyLine reports whether the number at start is given as a duty line: a
// duty word before it on its line, or a heading with one (值班电话如下：) above
// the block of lines it stands in.
func dutyLine(rs []rune, start int) bool {
	ls := lineStart(rs, start)
	if containsAny(string(rs[ls:start]), dutyWords) {
		return true
	}
	for n := 0; n < 8 && ls > 0; n++ {
		prev := lineStart(rs, ls-1)
		line := strings.TrimSpace(string(rs[prev : ls-1]))
		if line == "" {
			return false
		}
		if strings.HasSuffix(line, ":") && containsAny(line, dutyWords) {
			return true
		}
		ls = prev
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// card reports a bank card number if it passes Luhn and is not a resident ID
// or a credit code, which an 18-digit run may also be. An 18-digit run that
// reads like an ID (province and birth date in place) but fails its check is
// taken for a mistyped or sample ID rather than a card: calling it a card
// would mislead, and IDs are only reported when they validate.
func (sc *numberScanner) card(start, end int, digits string) {
	if digits[0] == '0' || !Luhn(digits) || sc.countedAfter(end) {
		return
	}
	if len(digits) == 18 && (idLike(digits) || ValidCreditCode(digits)) {
		return
	}
	sc.found = append(sc.found, domain.Finding{
		Code: codeBankCard, Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
		Start: start, End: end, Suggestion: maskAlnum(sc.rs[start:end], 4, 4),
		MessageZH: "疑似银行卡号（通过Luhn校验）。个人银行账户属于个人信息，请核实并隐去；单位对公账户可以公开。",
		MessageEN: "Probable bank card number (passes the Luhn check). A person's account number is personal data: confirm and mask it. An organisation's account may be published.",
	})
}

// maskAlnum replaces the ASCII letters and digits of rs with asterisks except
// the first head and the last tail of them, keeping separators.
func maskAlnum(rs []rune, head, tail int) string {
	n := 0
	for _, r := range rs {
		if isASCIIAlnum(r) {
			n++
		}
	}
	out := make([]rune, len(rs))
	k := 0
	for i, r := range rs {
		out[i] = r
		if isASCIIAlnum(r) {
			if k >= head && k < n-tail {
				out[i] = '*'
			}
			k++
		}
	}
	return string(out)
}
