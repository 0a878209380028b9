package confidentiality

import (
	"regexp"
	"strings"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Finding codes of the personal-data detector.
const (
	codeResidentID = "resident_id"
	codeMobile     = "mobile_number"
	codeBankCard   = "bank_card"
	codeAddress    = "home_address"
)

// reIndexNumber finds the value of an index number (索引号), which opens with
// the office's own credit code and goes on with a year and a serial number.
// Nothing inside it is anyone's personal data.
var reIndexNumber = regexp.MustCompile(`索引号[ \t]*(?::[ \t]*)?([0-9A-Za-z][0-9A-Za-z/_.-]*)`)

// PersonalData finds personal data of natural persons that a public text must
// not carry, each checked beyond its pattern so that the reviewer is not
// buried in serial numbers: resident ID numbers with a valid check character,
// birth date and province (block); mobile numbers (block); Luhn-valid bank
// card numbers (warn, as a Luhn pass is only a hint); and home addresses next
// to a natural person (warn, heuristic). Organisations' unified social credit
// codes and index numbers are public and never reported. Field is left empty
// for the caller to set.
func PersonalData(s string) []domain.Finding { return personalData(newText(s)) }

func personalData(t *text) []domain.Finding {
	sc := &numberScanner{rs: t.Runes, ts: tokenize(t.Runes)}
	sc.scan()
	fs := append(sc.found, addresses(t)...)

	var exempt [][2]int
	for _, m := range reIndexNumber.FindAllStringSubmatchIndex(t.Str, -1) {
		a, b := t.Span(m[2], m[3])
		exempt = append(exempt, [2]int{a, b})
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

// token is a maximal run of ASCII letters and digits (after folding).
type token struct {
	start, end int
	s          string
	digits     bool // digits only
}

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
		ts = append(ts, token{start: i, end: j, s: string(rs[i:j]), digits: digits})
		i = j
	}
	return ts
}

// numberScanner finds ID, mobile and card numbers among the tokens. A number
// is a whole token, so a number inside a longer run of digits or letters is
// never one; or a group of tokens joined by one and the same separator (a
// space or a hyphen), as people write 138 1234 5678 or 6222 0202 0000 1234,
// and not joined to a further group, which would make it part of a longer
// number.
type numberScanner struct {
	rs    []rune
	ts    []token
	found []domain.Finding
}

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
// 13812345678人次): a quantity, not a phone or a card.
func (sc *numberScanner) countedAfter(end int) bool {
	for end < len(sc.rs) && sc.rs[end] == ' ' {
		end++
	}
	return end < len(sc.rs) && strings.ContainsRune("元万亿吨次件个户米台%‰", sc.rs[end])
}

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
		if len(tk.s) != n || k < len(lens)-1 && sc.link(i+k) != sep {
			return false
		}
		if !tk.digits && !(lastX && k == len(lens)-1 && digitsThenX(tk.s)) {
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

// grouped tries the grouped forms at token i and returns how many tokens it
// consumed.
func (sc *numberScanner) grouped(i int) int {
	join := func(n int) (int, int, string) {
		var b strings.Builder
		for k := range n {
			b.WriteString(sc.ts[i+k].s)
		}
		return sc.ts[i].start, sc.ts[i+n-1].end, b.String()
	}
	switch {
	case sc.groups(i, true, 6, 8, 4):
		start, end, id := join(3)
		if sc.inDecimal(start, end) {
			return 3
		}
		sc.id(start, end, id)
		return 3
	case sc.groups(i, false, 3, 4, 4) || sc.prefix86(i) >= 0 && sc.groupsAfterPrefix(i, 3, 4, 4):
		start, end, digits := join(3)
		if isMobile(digits) && !sc.inDecimal(start, end) && !sc.countedAfter(end) {
			sc.mobile(i, end)
		}
		return 3
	}
	for _, last := range []int{0, 1, 2, 3} {
		lens := []int{4, 4, 4, 4}
		if last > 0 {
			lens = append(lens, last)
		}
		if sc.groups(i, false, lens...) {
			start, end, digits := join(len(lens))
			if !sc.inDecimal(start, end) {
				sc.card(start, end, digits)
			}
			return len(lens)
		}
	}
	return 0
}

// groupsAfterPrefix is groups for a mobile number whose token before is a
// +86 or 86- prefix, which joins it without making it a longer number.
func (sc *numberScanner) groupsAfterPrefix(i int, lens ...int) bool {
	if i+len(lens) > len(sc.ts) || sc.link(i+len(lens)-1) != 0 {
		return false
	}
	sep := sc.link(i)
	if sep == 0 {
		return false
	}
	for k, n := range lens {
		tk := sc.ts[i+k]
		if !tk.digits || len(tk.s) != n || k < len(lens)-1 && sc.link(i+k) != sep {
			return false
		}
	}
	return true
}

// prefix86 returns where a country-code prefix before token i starts (+86,
// +86-, 86-, "+86 "), or -1.
func (sc *numberScanner) prefix86(i int) int {
	if i == 0 || sc.ts[i-1].s != "86" || sc.link(i-2) != 0 {
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
	if sc.inDecimal(tk.start, tk.end) {
		return
	}
	switch n := len(tk.s); {
	case n == 18 && idShaped(tk.s):
		if sc.id(tk.start, tk.end, tk.s) || !tk.digits {
			return
		}
		sc.card(tk.start, tk.end, tk.s)
	case tk.digits && n == 11 && isMobile(tk.s):
		if !sc.countedAfter(tk.end) {
			sc.mobile(i, tk.end)
		}
	case tk.digits && n == 13 && tk.s[:2] == "86" && isMobile(tk.s[2:]) &&
		tk.start > 0 && sc.rs[tk.start-1] == '+':
		if !sc.countedAfter(tk.end) {
			sc.mobilePrefixed(tk.start-1, tk.start+2, tk.end)
		}
	case tk.digits && n >= 16 && n <= 19:
		sc.card(tk.start, tk.end, tk.s)
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
// taken (as an ID, or as an organisation's credit code that is let be).
func (sc *numberScanner) id(start, end int, id string) bool {
	if !ValidResidentID(id) {
		return ValidCreditCode(id)
	}
	if ValidCreditCode(id) && sc.creditRatherThanID(start, id) {
		return true
	}
	raw := string(sc.rs[start:end])
	sugg := MaskResidentID(raw)
	if raw != id {
		sugg = maskAlnum(sc.rs[start:end], 6, 4)
	}
	sc.found = append(sc.found, domain.Finding{
		Code: codeResidentID, Severity: domain.SeverityBlock, Stage: domain.StageConfidentiality,
		Start: start, End: end, Suggestion: sugg,
		MessageZH: "发现公民身份号码（校验码、出生日期、地区码均有效）。身份证号属于个人信息，公开前须删除或隐去中间部分。",
		MessageEN: "Citizen ID number (valid check character, birth date and region). It is personal data and must be removed or masked before publication.",
	})
	return true
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
	sc.found = append(sc.found, domain.Finding{
		Code: codeMobile, Severity: domain.SeverityBlock, Stage: domain.StageConfidentiality,
		Start: start, End: end,
		Suggestion: string(sc.rs[start:digits]) + maskAlnum(sc.rs[digits:end], 3, 4),
		MessageZH:  "发现手机号码。个人手机号码属于个人信息，公开前须删除或隐去中间四位；如系单位对外公布的联系电话，请核实后说明。",
		MessageEN:  "Mobile phone number. A person's mobile number is personal data and must be removed or have its middle four digits masked; if it is the office's published contact number, confirm that.",
	})
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
