// Package annualreport checks a draft of category annual_report, the
// 政府信息公开工作年度报告: it reads the report's tables from its text
// (one cell per line, the layout of real reports copied from their pages),
// checks the 勾稽 relation of table 三 and every 总计, the figures the prose
// states against the tables, the numbering of the headings, and, where the
// agency's own records exist, the tables against them.
package annualreport

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
)

// line is one line of the body: its text without the surrounding blanks,
// the rune offset of that text in the body, and whether it was indented
// (a table's cells are, in the copied layout).
type line struct {
	text     string
	at       int
	indented bool
}

// lines splits body into lines with their rune offsets.
func lines(body string) []line {
	var out []line
	at := 0
	for raw := range strings.SplitSeq(body, "\n") {
		n := utf8.RuneCountInString(raw)
		trimmed := strings.TrimLeftFunc(raw, unicode.IsSpace)
		lead := n - utf8.RuneCountInString(trimmed)
		out = append(out, line{text: strings.TrimRightFunc(trimmed, unicode.IsSpace), at: at + lead,
			indented: strings.HasPrefix(raw, "\t")})
		at += n + 1
	}
	return out
}

// Cell is a figure of a table as the report gives it, and where.
type Cell struct {
	Value      int
	Text       string
	Start, End int // rune offsets in the body
}

// section is one of the report's six parts, as the official layout names
// them: the key that identifies its heading.
type section struct {
	Key    string
	NameZH string
}

// numParts is the number of the report's parts.
const numParts = 6

// sections are the six parts in the official order (一 to 六).
var sections = [numParts]section{
	{"总体情况", "总体情况"},
	{"主动公开政府信息情况", "主动公开政府信息情况"},
	{"收到和处理政府信息公开申请情况", "收到和处理政府信息公开申请情况"},
	{"行政复议、行政诉讼情况", "政府信息公开行政复议、行政诉讼情况"},
	{"存在的主要问题", "存在的主要问题及改进情况"},
	{"其他需要报告的事项", "其他需要报告的事项"},
}

// heading is a numbered heading of the report.
type heading struct {
	line     int    // its line
	marker   string // the numbering as written, e.g. "5、" or "（三）"
	at       int    // the marker's rune offset
	number   int    // the number it states
	section  int    // for a top-level heading, its part (0-based); else -1
	title    string // the text after the marker
	chinese  bool   // numbered in Chinese numerals
	topLevel bool
}

var (
	topMarker = regexp.MustCompile(`^([一二三四五六七八九十]+|[0-9]+)\s*([、.．])\s*`)
	// A second-level heading is （一）; （1）, 一、 and 1、 on a short line
	// of a part of prose are read as one numbered in the wrong style (1.
	// is the third level, and is left alone).
	subMarker = regexp.MustCompile(`^(?:[（(]\s*([一二三四五六七八九十]+|[0-9]+)\s*[）)]|([一二三四五六七八九十]+|[0-9]+)\s*、)\s*`)
	number    = regexp.MustCompile(`^[0-9]+$`)
	decimal   = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
)

// chineseNumeral is n (1 to 99) in Chinese numerals, as headings write it.
func chineseNumeral(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 10:
		return digits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digits[n-10]
	default:
		s := digits[n/10] + "十"
		if n%10 != 0 {
			s += digits[n%10]
		}
		return s
	}
}

// numeral reads a heading's number, in Chinese or Arabic numerals.
func numeral(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, false
	}
	for n := 1; n < 100; n++ {
		if chineseNumeral(n) == s {
			return n, true
		}
	}
	return 0, true
}

// topHeading reads l as a top-level heading: a numbered line naming one
// of the six parts.
func topHeading(i int, l line) (heading, bool) {
	m := topMarker.FindStringSubmatchIndex(l.text)
	if m == nil || l.indented {
		return heading{}, false
	}
	rest := l.text[m[1]:]
	for s, sec := range sections {
		if strings.Contains(rest, sec.Key) && utf8.RuneCountInString(rest) <= 40 && !strings.Contains(rest, "。") {
			n, zh := numeral(l.text[m[2]:m[3]])
			marker := l.text[:m[1]]
			return heading{line: i, marker: strings.TrimRightFunc(marker, unicode.IsSpace), at: l.at, number: n, section: s,
				title: rest, chinese: zh, topLevel: true}, true
		}
	}
	return heading{}, false
}

// subHeading reads l as a second-level heading: （N） and a short title.
func subHeading(i int, l line) (heading, bool) {
	m := subMarker.FindStringSubmatchIndex(l.text)
	if m == nil || l.indented {
		return heading{}, false
	}
	rest := l.text[m[1]:]
	if rest == "" || utf8.RuneCountInString(rest) > 40 || strings.ContainsAny(rest, "。；") {
		return heading{}, false
	}
	g := m[2:4]
	if g[0] < 0 {
		g = m[4:6]
	}
	n, zh := numeral(l.text[g[0]:g[1]])
	marker := strings.TrimRightFunc(l.text[:m[1]], unicode.IsSpace)
	return heading{line: i, marker: marker, at: l.at, number: n, section: -1, title: rest, chinese: zh}, true
}

// Parsed is what the validator read of a report.
type Parsed struct {
	lines    []line
	headings []heading // top-level and second-level, in order
	// parts are the line ranges [start, end) of the parts found, by part.
	parts [numParts][2]int
	found [numParts]bool

	// Section2 is section 二's tables, nil where not read.
	Section2 *Section2Cells
	// Cases is table 三, nil where not read; CasesMissing names the rows
	// not found.
	Cases        *CaseCells
	CasesMissing string
	// Appeals is table 四, nil where not read.
	Appeals *AppealCells
}

// Section2Cells are section 二's figures.
type Section2Cells struct {
	Regulations, NormativeDocuments  [3]Cell // 制发, 废止, 现行有效
	Licenses, Penalties, Enforcement Cell
	Fees                             Cell // its Text is the amount in 万元
}

// CaseCells are table 三's rows, each with its seven cells (the six
// applicant columns and the total).
type CaseCells struct {
	New, CarriedIn, Concluded, CarriedOut [ar.NumApplicants + 1]Cell
	Outcomes                              map[ar.Outcome][ar.NumApplicants + 1]Cell
}

// AppealCells is table 四: each kind with its four outcomes and total.
type AppealCells struct {
	Review, LawsuitDirect, LawsuitAfterReview [ar.NumAppealOutcomes + 1]Cell
}

// Parse reads a report's headings and tables from its body.
func Parse(body string) *Parsed {
	p := &Parsed{lines: lines(body)}
	current := -1
	for i, l := range p.lines {
		if h, ok := topHeading(i, l); ok {
			if current >= 0 {
				p.parts[current][1] = i
			}
			current = h.section
			if !p.found[current] {
				p.found[current] = true
				p.parts[current] = [2]int{i + 1, len(p.lines)}
			}
			p.headings = append(p.headings, h)
			continue
		}
		// Second-level headings are read in the parts of prose; the
		// tables' row labels (（一）予以公开) are not headings.
		if current == 1 || current == 2 || current == 3 {
			continue
		}
		if h, ok := subHeading(i, l); ok {
			p.headings = append(p.headings, h)
		}
	}
	if p.found[1] {
		p.Section2 = p.section2()
	}
	if p.found[2] {
		p.Cases, p.CasesMissing = p.cases()
	}
	if p.found[3] {
		p.Appeals = p.appeals()
	}
	return p
}

// cell is line l as a figure.
func cell(l line, v int) Cell {
	return Cell{Value: v, Text: l.text, Start: l.at, End: l.at + utf8.RuneCountInString(l.text)}
}

// figures reads the n figures after line from (exclusive) up to end,
// stopping at the first line that is neither blank nor a figure; ok is
// false when fewer than n were found. next is the line after the last.
func (p *Parsed) figures(from, end, n int, decimals bool) (cs []Cell, next int, ok bool) {
	i := from + 1
	for ; i < end && len(cs) < n; i++ {
		l := p.lines[i]
		switch {
		case l.text == "":
		case number.MatchString(l.text):
			v, _ := strconv.Atoi(l.text)
			cs = append(cs, cell(l, v))
		case decimals && decimal.MatchString(l.text):
			cs = append(cs, cell(l, 0))
		default:
			return cs, i, false
		}
	}
	return cs, i, len(cs) == n
}

// labelled finds the first line from start to end whose text satisfies
// match, and the n figures after it.
func (p *Parsed) labelled(start, end, n int, decimals bool, match func(string) bool) (cs []Cell, next int, ok bool) {
	for i := start; i < end; i++ {
		t := p.lines[i].text
		if t == "" || number.MatchString(t) || !match(t) {
			continue
		}
		return p.figures(i, end, n, decimals)
	}
	return nil, start, false
}

func equals(s string) func(string) bool { return func(t string) bool { return t == s } }
func contains(s string) func(string) bool {
	return func(t string) bool { return strings.Contains(t, s) }
}

// section2 reads section 二's four tables.
func (p *Parsed) section2() *Section2Cells {
	start, end := p.parts[1][0], p.parts[1][1]
	var s Section2Cells
	rows := []struct {
		label    string
		n        int
		decimals bool
		put      func([]Cell)
	}{
		{"规章", 3, false, func(cs []Cell) { copy(s.Regulations[:], cs) }},
		{"行政规范性文件", 3, false, func(cs []Cell) { copy(s.NormativeDocuments[:], cs) }},
		{"行政许可", 1, false, func(cs []Cell) { s.Licenses = cs[0] }},
		{"行政处罚", 1, false, func(cs []Cell) { s.Penalties = cs[0] }},
		{"行政强制", 1, false, func(cs []Cell) { s.Enforcement = cs[0] }},
		{"行政事业性收费", 1, true, func(cs []Cell) { s.Fees = cs[0] }},
	}
	at := start
	for _, r := range rows {
		cs, next, ok := p.labelled(at, end, r.n, r.decimals, equals(r.label))
		if !ok {
			return nil
		}
		r.put(cs)
		at = next
	}
	return &s
}

// caseRow is a row of table 三 as the parser looks for it.
type caseRow struct {
	key string
	put func(*CaseCells, [ar.NumApplicants + 1]Cell)
}

// caseRows are table 三's rows in the official order.
var caseRows = func() []caseRow {
	rows := []caseRow{
		{"本年新收", func(c *CaseCells, r [ar.NumApplicants + 1]Cell) { c.New = r }},
		{"上年结转", func(c *CaseCells, r [ar.NumApplicants + 1]Cell) { c.CarriedIn = r }},
	}
	for _, o := range ar.Outcomes {
		rows = append(rows, caseRow{o.Key, func(c *CaseCells, r [ar.NumApplicants + 1]Cell) { c.Outcomes[o.Code] = r }})
	}
	return append(rows,
		caseRow{"总计", func(c *CaseCells, r [ar.NumApplicants + 1]Cell) { c.Concluded = r }},
		caseRow{"结转下年度", func(c *CaseCells, r [ar.NumApplicants + 1]Cell) { c.CarriedOut = r }})
}()

// cases reads table 三, row by row in the official order; it names the
// first row it could not read.
func (p *Parsed) cases() (*CaseCells, string) {
	start, end := p.parts[2][0], p.parts[2][1]
	c := &CaseCells{Outcomes: map[ar.Outcome][ar.NumApplicants + 1]Cell{}}
	at := start
	for _, r := range caseRows {
		cs, next, ok := p.labelled(at, end, int(ar.NumApplicants)+1, false, contains(r.key))
		if !ok {
			return nil, r.key
		}
		r.put(c, [ar.NumApplicants + 1]Cell(cs))
		at = next
	}
	return c, ""
}

// appeals reads table 四: its first fifteen figures, the 行政复议 group and
// the two 行政诉讼 groups in the order the header names them.
func (p *Parsed) appeals() *AppealCells {
	start, end := p.parts[3][0], p.parts[3][1]
	direct, after := -1, -1
	var cs []Cell
	for i := start; i < end && len(cs) < 15; i++ {
		l := p.lines[i]
		switch {
		case l.text == "未经复议直接起诉" && direct < 0:
			direct = i
		case l.text == "复议后起诉" && after < 0:
			after = i
		case number.MatchString(l.text):
			v, _ := strconv.Atoi(l.text)
			cs = append(cs, cell(l, v))
		}
	}
	if len(cs) < 15 {
		return nil
	}
	var a AppealCells
	copy(a.Review[:], cs[0:5])
	first, second := &a.LawsuitDirect, &a.LawsuitAfterReview
	if after >= 0 && direct >= 0 && after < direct {
		first, second = second, first
	}
	copy(first[:], cs[5:10])
	copy(second[:], cs[10:15])
	return &a
}
