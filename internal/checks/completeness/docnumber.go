package completeness

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks/normal"
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
// The number of an enforcement document (执法文书: a 行政处罚决定书, say) is
// not a 公文's: 京东建国罚字〔2024〕第0012号 is its normal form, so 第 and
// leading zeros are not reported in a number whose prefix has 罚 (罚字,
// 罚决字), nor in one ending in 字 in a penalty, licence or enforcement item.
//
// Findings are warnings: a wrongly written number still identifies the
// document. Check raises them to blocking in a normative document, whose own
// number is its legal identity (see Check); Check also warns of a year after
// the draft's formed_on or after today. It is exported so that the editor
// can check a number as it is typed, before a draft exists.
func DocumentNumbers(s string) []domain.Finding {
	return documentNumbers(newNText("", normal.New(s)), -1, docContext{})
}

// docContext is what Check knows of the draft around its numbers.
type docContext struct {
	category      string
	formed, today time.Time // zero when not known
}

// enforcementCategories are the categories whose items are 执法文书.
var enforcementCategories = []string{"penalty", "license", "enforcement"}

// documentNumbers checks the first limit numbers of t, all when limit < 0.
// It reads the number on the normalised text (so 東政發〔２０２４〕１號 and
// a no-break space inside the brackets are seen) and judges the brackets and
// quotes the number as the drafter wrote them.
func documentNumbers(t *ntext, limit int, ctx docContext) []domain.Finding {
	var fs []domain.Finding
	for _, m := range sieveDocNumber.FindAllStringSubmatchIndex(t.Str, limit) {
		orig := t.OriginalRunes() // built once, when there is a number
		prefix := t.Str[m[2]:m[3]]
		pStart := m[2]
		for _, w := range prefixStops {
			if i := strings.LastIndex(prefix, w); i >= 0 && m[2]+i+len(w) > pStart {
				pStart = m[2] + i + len(w)
			}
		}
		prefix = t.Str[pStart:m[3]]
		year, di, serial := t.Str[m[6]:m[7]], t.Str[m[10]:m[11]], t.Str[m[12]:m[13]]
		start, end := t.Span(pStart, m[1])
		// The brackets as written: ﹝﹞ and （） are not 〔〕 for GB/T 9704, even
		// though NFKC reads the first as 〔〕 and the second as ().
		oi, _ := t.Source(t.Rune(m[4]), t.Rune(m[5]))
		ci, _ := t.Source(t.Rune(m[8]), t.Rune(m[9]))
		open, closing := string(orig[oi]), string(orig[ci])
		written := foldDigits(t.Display(start, end))
		writtenPrefix := t.Display(t.Rune(pStart), t.Rune(m[3]))

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
		enforcement := strings.Contains(prefix, "罚") ||
			strings.HasSuffix(prefix, "字") && slices.Contains(enforcementCategories, ctx.category)
		suggestion := ""
		if fixedYear != "" {
			if enforcement {
				suggestion = writtenPrefix + "〔" + fixedYear + "〕" + di + serial + "号"
			} else {
				suggestion = writtenPrefix + "〔" + fixedYear + "〕" + fixedSerial + "号"
			}
		}
		add := func(code, zh, en, sugg string) {
			fs = append(fs, t.finding(code, domain.SeverityWarn, start, end,
				fmt.Sprintf("发文字号“%s”%s（GB/T 9704-2012 第7.2.4条）。", written, zh),
				fmt.Sprintf("Document number %q: %s (GB/T 9704-2012 §7.2.4).", written, en), sugg))
		}
		if open != "〔" || closing != "〕" {
			add("docno_brackets", "的年份应使用六角括号“〔〕”，不用"+open+closing,
				"the year goes in hexagonal brackets 〔〕, not "+open+closing, suggestion)
		}
		if len(year) != 4 {
			add("docno_year", "的年份应标全称（四位数字）",
				"the year must be written in full, with four digits", suggestion)
		}
		if di != "" && !enforcement {
			add("docno_serial_di", "的发文顺序号前不加“第”字",
				"the serial number takes no 第 before it", suggestion)
		}
		if len(serial) > 1 && serial[0] == '0' && !enforcement {
			add("docno_leading_zero", "的发文顺序号不编虚位（1不编为01）",
				"the serial number has no leading zeros (1, not 01)", suggestion)
		}
		if strings.ContainsFunc(t.Str[m[4]:m[1]], isSpace) {
			add("docno_spacing", "中间不应有空格",
				"it must not contain spaces", suggestion)
		}
		if y, err := strconv.Atoi(fixedYear); err == nil && !ctx.today.IsZero() {
			switch {
			case y > ctx.today.Year():
				fs = append(fs, t.finding("docno_year_future", domain.SeverityWarn, start, end,
					fmt.Sprintf("发文字号“%s”的年份%d晚于今年，请核对。", written, y),
					fmt.Sprintf("Document number %q is of the year %d, which is still to come; check it.", written, y), ""))
			case !ctx.formed.IsZero() && y > ctx.formed.Year():
				fs = append(fs, t.finding("docno_year_after_formed", domain.SeverityWarn, start, end,
					fmt.Sprintf("发文字号“%s”的年份%d晚于信息形成日期（%s）的年份，请核对。", written, y, ctx.formed.Format(domain.DateLayout)),
					fmt.Sprintf("Document number %q is of the year %d, after the draft's formed_on (%s); check it.", written, y, ctx.formed.Format(domain.DateLayout)), ""))
			}
		}
	}
	return fs
}

// foldDigits makes full-width digits ASCII, as the messages quote numbers.
func foldDigits(s string) string { return strings.Map(runetext.FoldDigits, s) }

// docNumbersIn checks a field's document numbers as Check reports them: with
// the field's name, and blocking in a normative document.
func docNumbersIn(t *ntext, ctx docContext) []domain.Finding {
	fs := documentNumbers(t, maxPerRule, ctx)
	for i := range fs {
		if ctx.category == "normative_document" && strings.HasPrefix(fs[i].Code, "docno_") &&
			fs[i].Code != "docno_year_future" && fs[i].Code != "docno_year_after_formed" {
			fs[i].Severity = domain.SeverityBlock
		}
	}
	return fs
}
