package completeness

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// reDocNumber finds what is meant as a document number (发文字号), well formed
// or not: up to twelve Han characters of issuing-organ abbreviation and type
// (东政发), a year in brackets, an optional 第, the serial number and 号.
// Groups: 1 prefix, 2 opening bracket, 3 year, 4 closing bracket, 5 第, 6 serial.
//
// It needs a bracketed year of two to four digits followed directly by digits
// and 号, so a court case number such as （2023）京0105民初123号 (whose bracket
// is followed by a court code, and whose round brackets are right for courts)
// and an enumeration such as （2）3号楼 are not taken for one.
var reDocNumber = regexp.MustCompile(`(\p{Han}{0,12})([〔\[(（【［〖﹝｛{])` + blankPattern + `([0-9]{2,4})` + blankPattern +
	`([〕\])）】］〗﹞｝}])` + blankPattern + `(第?)` + blankPattern + `([0-9]{1,6})` + blankPattern + `号`)

// sieveDocNumber runs reDocNumber only around a 号 (see runetext.Sieve).
var sieveDocNumber = runetext.NewSieve(reDocNumber, "号")

// prefixStops end the running words before a document number's prefix:
// "根据东政发〔2024〕1号" cites 东政发〔2024〕1号, not 根据东政发〔2024〕1号.
var prefixStops = []string{"根据", "依据", "按照", "参照", "执行", "印发", "转发", "关于", "文号", "字号", "发布",
	"见", "以", "的", "和", "与", "及", "即", "经", "据", "按", "照", "是", "为", "《", "》"}

// DocumentNumbers checks every document number in text against GB/T
// 9704-2012 §7.2.4, which fixes its form: the year in full, in the hexagonal
// brackets 〔〕, the serial number without 第 and without leading zeros,
// followed by 号 — 东政发〔2024〕1号. Each deviation is one finding spanning the
// whole number, with Field empty for the caller to fill; every finding on one
// number suggests the fully corrected number, so applying any one of them
// fixes them all.
//
// Findings are warnings: a wrongly written number still identifies the
// document. Check raises them to blocking in a normative document, whose own
// number is its legal identity (see Check). It is exported so that the editor
// can check a number as it is typed, before a draft exists.
func DocumentNumbers(s string) []domain.Finding {
	return documentNumbers(newText("", s), -1)
}

// documentNumbers checks the first limit numbers of t, all when limit < 0.
func documentNumbers(t *text, limit int) []domain.Finding {
	var fs []domain.Finding
	for _, m := range sieveDocNumber.FindAllStringSubmatchIndex(t.Str, limit) {
		prefix := t.Str[m[2]:m[3]]
		pStart := m[2]
		for _, w := range prefixStops {
			if i := strings.LastIndex(prefix, w); i >= 0 && m[2]+i+len(w) > pStart {
				pStart = m[2] + i + len(w)
			}
		}
		prefix = t.Str[pStart:m[3]]
		open, year, closing, di, serial := t.Str[m[4]:m[5]], t.Str[m[6]:m[7]], t.Str[m[8]:m[9]], t.Str[m[10]:m[11]], t.Str[m[12]:m[13]]
		start, end := t.Span(pStart, m[1])
		written := t.slice(start, end)

		fixedYear := year
		switch len(year) {
		case 2:
			fixedYear = "20" + year
		case 3:
			fixedYear = "" // no safe guess
		}
		fixedSerial := strings.TrimLeft(serial, "0")
		if fixedSerial == "" {
			fixedSerial = "0"
		}
		suggestion := ""
		if fixedYear != "" {
			suggestion = prefix + "〔" + fixedYear + "〕" + fixedSerial + "号"
		}
		add := func(code, zh, en string) {
			fs = append(fs, newFinding(code, domain.SeverityWarn, t.name, start, end,
				fmt.Sprintf("发文字号“%s”%s（GB/T 9704-2012 第7.2.4条）。", written, zh),
				fmt.Sprintf("Document number %q: %s (GB/T 9704-2012 §7.2.4).", written, en), suggestion))
		}
		if open != "〔" || closing != "〕" {
			add("docno_brackets", "的年份应使用六角括号“〔〕”，不用"+open+closing,
				"the year goes in hexagonal brackets 〔〕, not "+open+closing)
		}
		if len(year) != 4 {
			add("docno_year", "的年份应标全称（四位数字）",
				"the year must be written in full, with four digits")
		}
		if di != "" {
			add("docno_serial_di", "的发文顺序号前不加“第”字",
				"the serial number takes no 第 before it")
		}
		if len(serial) > 1 && serial[0] == '0' {
			add("docno_leading_zero", "的发文顺序号不编虚位（1不编为01）",
				"the serial number has no leading zeros (1, not 01)")
		}
		if strings.ContainsFunc(t.Str[m[4]:m[1]], isSpace) {
			add("docno_spacing", "中间不应有空格",
				"it must not contain spaces")
		}
	}
	return fs
}

// docNumbersIn checks a field's document numbers as Check reports them: with
// the field's name, and blocking in a normative document.
func docNumbersIn(t *text, category string) []domain.Finding {
	fs := documentNumbers(t, maxPerRule)
	for i := range fs {
		if category == "normative_document" {
			fs[i].Severity = domain.SeverityBlock
		}
	}
	return fs
}
