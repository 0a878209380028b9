package annualreport

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// A claim is a figure the prose states, and where.
type claim struct {
	value      int
	start, end int
	phrase     string // the sentence's words around it
}

// claims finds pattern's figures (its first group) in the lines of prose
// (not a table's cells).
func (p *Parsed) claims(pattern *regexp.Regexp) []claim {
	var out []claim
	for _, l := range p.lines {
		if l.indented || l.text == "" {
			continue
		}
		for _, m := range pattern.FindAllStringSubmatchIndex(l.text, -1) {
			v, err := strconv.Atoi(l.text[m[2]:m[3]])
			if err != nil {
				continue
			}
			start := l.at + utf8.RuneCountInString(l.text[:m[2]])
			out = append(out, claim{value: v, start: start, end: start + utf8.RuneCountInString(l.text[m[2]:m[3]]),
				phrase: l.text[m[0]:m[1]]})
		}
	}
	return out
}

// gap is what may stand between a subject and its figure: no clause break.
const gap = `[^，。；,;：:0-9]`

// A statement is a kind of figure the prose states, and the table cell it
// must match.
type statement struct {
	pattern *regexp.Regexp
	nameZH  string // the table and cell
	nameEN  string
	value   func(*Parsed) (int, bool)
}

var statements = []statement{
	{regexp.MustCompile(`新收` + gap + `{0,15}?申请` + gap + `{0,4}?([0-9]+)\s*件`), "表三“本年新收政府信息公开申请数量”的总计", "table 三's new applications",
		func(p *Parsed) (int, bool) {
			return caseCell(p, func(c *CaseCells) Cell { return c.New[ar.NumApplicants] })
		}},
	{regexp.MustCompile(`([0-9]+)\s*件` + gap + `{0,8}?自然人`), "表三“本年新收”的“自然人”列", "table 三's new applications by natural persons",
		func(p *Parsed) (int, bool) { return caseCell(p, func(c *CaseCells) Cell { return c.New[ar.Natural] }) }},
	{regexp.MustCompile(`([0-9]+)\s*件` + gap + `{0,8}?(?:法人|其他组织)`), "表三“本年新收”的“法人或其他组织”各列之和", "table 三's new applications by organisations",
		func(p *Parsed) (int, bool) {
			if p.Cases == nil {
				return 0, false
			}
			n := 0
			for i := ar.Business; i < ar.NumApplicants; i++ {
				n += p.Cases.New[i].Value
			}
			return n, true
		}},
	{regexp.MustCompile(`上年结转` + gap + `{0,15}?([0-9]+)\s*件`), "表三“上年结转政府信息公开申请数量”的总计", "table 三's applications carried in",
		func(p *Parsed) (int, bool) {
			return caseCell(p, func(c *CaseCells) Cell { return c.CarriedIn[ar.NumApplicants] })
		}},
	{regexp.MustCompile(`结转(?:至)?下(?:一)?年度?` + gap + `{0,15}?([0-9]+)\s*件`), "表三“结转下年度继续办理”的总计", "table 三's applications carried out",
		func(p *Parsed) (int, bool) {
			return caseCell(p, func(c *CaseCells) Cell { return c.CarriedOut[ar.NumApplicants] })
		}},
	{regexp.MustCompile(`行政复议\s*([0-9]+)\s*[次件起]`), "表四“行政复议”的总计", "table 四's administrative reviews",
		func(p *Parsed) (int, bool) {
			if p.Appeals == nil {
				return 0, false
			}
			return p.Appeals.Review[ar.NumAppealOutcomes].Value, true
		}},
	{regexp.MustCompile(`行政诉讼\s*([0-9]+)\s*[次件起]`), "表四“行政诉讼”两项总计之和", "table 四's lawsuits",
		func(p *Parsed) (int, bool) {
			if p.Appeals == nil {
				return 0, false
			}
			return p.Appeals.LawsuitDirect[ar.NumAppealOutcomes].Value + p.Appeals.LawsuitAfterReview[ar.NumAppealOutcomes].Value, true
		}},
	{regexp.MustCompile(`行政处罚(?:决定)?` + gap + `{0,10}?([0-9]+)\s*[件条项起]`), "表二“行政处罚”的本年处理决定数量", "section 二's penalty decisions",
		func(p *Parsed) (int, bool) {
			if p.Section2 == nil {
				return 0, false
			}
			return p.Section2.Penalties.Value, true
		}},
	{regexp.MustCompile(`行政许可(?:决定)?` + gap + `{0,10}?([0-9]+)\s*[件条项起]`), "表二“行政许可”的本年处理决定数量", "section 二's licensing decisions",
		func(p *Parsed) (int, bool) {
			if p.Section2 == nil {
				return 0, false
			}
			return p.Section2.Licenses.Value, true
		}},
}

func caseCell(p *Parsed, f func(*CaseCells) Cell) (int, bool) {
	if p.Cases == nil {
		return 0, false
	}
	return f(p.Cases).Value, true
}

// prose checks the figures the prose states against the tables.
func (p *Parsed) prose() []domain.Finding {
	var fs []domain.Finding
	for _, s := range statements {
		want, ok := s.value(p)
		if !ok {
			continue
		}
		for _, c := range p.claims(s.pattern) {
			if c.value == want {
				continue
			}
			fs = append(fs, at(CodeProse, domain.SeverityWarn, c.start, c.end, strconv.Itoa(want),
				fmt.Sprintf("正文“%s”中的数字%d与%s（%d）不一致，请核对正文或表格。", c.phrase, c.value, s.nameZH, want),
				fmt.Sprintf("the text %q states %d but %s is %d", c.phrase, c.value, s.nameEN, want)))
		}
	}
	return fs
}

// channelStatements are the prose's counts of items per channel, by the
// channel's name.
var channelStatements = []struct {
	channel domain.Channel
	pattern *regexp.Regexp
}{
	{domain.ChannelWebsite, regexp.MustCompile(`政府网站` + gap + `{0,12}?([0-9]+)\s*[条篇件个]`)},
	{domain.ChannelPortal, regexp.MustCompile(`门户网站` + gap + `{0,12}?([0-9]+)\s*[条篇件个]`)},
	{domain.ChannelWeChat, regexp.MustCompile(`微信` + gap + `{0,12}?([0-9]+)\s*[条篇件个]`)},
	{domain.ChannelDouyin, regexp.MustCompile(`抖音` + gap + `{0,12}?([0-9]+)\s*[条篇件个]`)},
}

// feeNotices is the prose's count of 信息处理费 notices (part 六).
var feeNotices = regexp.MustCompile(`收费通知` + gap + `{0,6}?([0-9]+)\s*件`)

// records compares the report with the agency's own records of its year.
func (p *Parsed) records(f ar.Facts) []domain.Finding {
	var fs []domain.Finding
	differs := func(c Cell, want int, zh, en string) {
		if c.Value == want {
			return
		}
		fs = append(fs, at(CodeRecords, domain.SeverityWarn, c.Start, c.End, strconv.Itoa(want),
			fmt.Sprintf("%s为%d，本系统记录的%d年数字为%d。请核对：若报告无误，可忽略此提示。", zh, c.Value, f.Year, want),
			fmt.Sprintf("%s is %d; sanshen's records of %d say %d", en, c.Value, f.Year, want)))
	}
	if s := p.Section2; s != nil {
		for _, r := range []struct {
			cells  [3]Cell
			issued ar.Issued
			zh, en string
		}{{s.Regulations, f.Section2.Regulations, "规章", "regulations"},
			{s.NormativeDocuments, f.Section2.NormativeDocuments, "行政规范性文件", "normative documents"}} {
			differs(r.cells[0], r.issued.Issued, "表二“"+r.zh+"”的本年制发件数", "section 二, "+r.en+" issued")
			differs(r.cells[1], r.issued.Repealed, "表二“"+r.zh+"”的本年废止件数", "section 二, "+r.en+" repealed")
			differs(r.cells[2], r.issued.Valid, "表二“"+r.zh+"”的现行有效件数", "section 二, "+r.en+" in force")
		}
		differs(s.Licenses, f.Section2.Licenses, "表二“行政许可”的本年处理决定数量", "section 二, licensing decisions")
		differs(s.Penalties, f.Section2.Penalties, "表二“行政处罚”的本年处理决定数量", "section 二, penalty decisions")
		differs(s.Enforcement, f.Section2.Enforcement, "表二“行政强制”的本年处理决定数量", "section 二, enforcement decisions")
	}
	if f.Cases.Recorded {
		if c := p.Cases; c != nil {
			rows := []struct {
				cells  [ar.NumApplicants + 1]Cell
				want   ar.Row
				zh, en string
			}{{c.New, f.Cases.New, "本年新收", "new"}, {c.CarriedIn, f.Cases.CarriedIn, "上年结转", "carried in"},
				{c.CarriedOut, f.Cases.CarriedOut, "结转下年度", "carried out"}}
			for _, o := range ar.Outcomes {
				rows = append(rows, struct {
					cells  [ar.NumApplicants + 1]Cell
					want   ar.Row
					zh, en string
				}{c.Outcomes[o.Code], f.Cases.Outcomes[o.Code], outcomeLabel(o), o.NameEN})
			}
			for _, r := range rows {
				for i := range ar.NumApplicants {
					zh, en := columnName(int(i))
					differs(r.cells[i], r.want[i], "表三“"+r.zh+"”行“"+zh+"”列", "table 三, "+r.en+", "+en)
				}
			}
		}
		if a := p.Appeals; a != nil {
			for _, g := range []struct {
				cells  [ar.NumAppealOutcomes + 1]Cell
				want   ar.AppealRow
				zh, en string
			}{{a.Review, f.Cases.Appeals.Review, "行政复议", "reviews"},
				{a.LawsuitDirect, f.Cases.Appeals.LawsuitDirect, "未经复议直接起诉", "lawsuits without review"},
				{a.LawsuitAfterReview, f.Cases.Appeals.LawsuitAfterReview, "复议后起诉", "lawsuits after review"}} {
				for i := range ar.NumAppealOutcomes {
					differs(g.cells[i], g.want[i], "表四“"+g.zh+"·"+ar.AppealOutcomeNames[i]+"”", "table 四, "+g.en+", "+ar.AppealOutcomeCodes[i])
				}
			}
		}
	}
	if f.Cases.Recorded {
		for _, c := range p.claims(feeNotices) {
			differs(Cell{Value: c.value, Start: c.start, End: c.end}, f.Cases.Fees.Notices,
				"正文“"+c.phrase+"”所述收费通知件数", "the text's count of fee notices")
		}
	}
	for _, s := range channelStatements {
		want := f.Channels[string(s.channel)]
		for _, c := range p.claims(s.pattern) {
			differs(Cell{Value: c.value, Start: c.start, End: c.end}, want,
				"正文“"+c.phrase+"”所述"+s.channel.Info().NameZH+"发布数", "the text's count of items on "+s.channel.Info().NameEN)
		}
	}
	return fs
}
