package annualreport

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The findings' codes.
const (
	CodeLayout    = "annual_report_layout" // none of the six parts found
	CodeMissing   = "annual_report_part_missing"
	CodeUnread    = "annual_report_table_unread" // a table whose rows could not be read
	CodeTotal     = "annual_report_total"        // a 总计 or 小计 that is not the sum of its cells
	CodeBalance   = "annual_report_balance"      // table 三's 勾稽 relation broken
	CodeProse     = "annual_report_prose"        // a figure in the prose that the tables contradict
	CodeNumbering = "annual_report_numbering"    // a heading numbered out of step
	CodeRecords   = "annual_report_records"      // the report against the agency's own records
)

var yearPattern = regexp.MustCompile(`(20[0-9]{2})\s*年`)

// Year is the year a report is about: the first year its title names, else
// the first its body names; 0 for none.
func Year(c domain.Content) int {
	for _, s := range []string{c.Title, c.Body} {
		if m := yearPattern.FindStringSubmatch(s); m != nil {
			y, _ := strconv.Atoi(m[1])
			return y
		}
	}
	return 0
}

// Check returns the findings of a report's body. facts are the agency's
// own records of the report's year (nil: none to compare with).
func Check(c domain.Content, facts *ar.Facts) []domain.Finding {
	p := Parse(c.Body)
	var fs []domain.Finding
	found := 0
	for _, f := range p.found {
		if f {
			found++
		}
	}
	if found == 0 {
		return []domain.Finding{whole(CodeLayout, domain.SeverityWarn,
			"未按国办公开办函〔2021〕30号规定的格式编写：未找到“一、总体情况”至“六、其他需要报告的事项”各部分的标题，无法核对表格。请按规定格式编写，或使用系统生成的年度报告。",
			"the report does not follow the layout of 国办公开办函〔2021〕30号: none of its six parts' headings was found, so its tables could not be checked")}
	}
	for i, f := range p.found {
		if !f {
			fs = append(fs, whole(CodeMissing, domain.SeverityWarn,
				fmt.Sprintf("缺少第%s部分“%s”（按国办公开办函〔2021〕30号规定的格式，年度报告共六个部分）。", chineseNumeral(i+1), sections[i].NameZH),
				fmt.Sprintf("part %d (%s) is missing: the official layout has six parts", i+1, sections[i].NameZH)))
		}
	}
	fs = append(fs, p.numbering()...)
	if p.found[1] && p.Section2 == nil {
		fs = append(fs, unread("二", "主动公开政府信息情况", "规章、行政规范性文件、行政许可、行政处罚、行政强制、行政事业性收费"))
	}
	if p.found[2] && p.Cases == nil {
		fs = append(fs, unread("三", "收到和处理政府信息公开申请情况", "“"+p.CasesMissing+"”"))
	}
	if p.found[3] && p.Appeals == nil {
		fs = append(fs, unread("四", "政府信息公开行政复议、行政诉讼情况", "15个数字"))
	}
	if p.Cases != nil {
		fs = append(fs, p.Cases.totals()...)
		fs = append(fs, p.Cases.balance()...)
	}
	if p.Appeals != nil {
		fs = append(fs, p.Appeals.totals()...)
	}
	fs = append(fs, p.prose()...)
	if facts != nil {
		fs = append(fs, p.records(*facts)...)
	}
	return fs
}

// whole is a finding about the report as a whole.
func whole(code string, sev domain.Severity, zh, en string) domain.Finding {
	return domain.Finding{Code: code, Severity: sev, Start: -1, End: -1, MessageZH: zh, MessageEN: en}
}

// at is a finding on a span of the body, with the text that would mend it.
func at(code string, sev domain.Severity, start, end int, suggestion, zh, en string) domain.Finding {
	return domain.Finding{Code: code, Severity: sev, Field: "body", Start: start, End: end,
		MessageZH: zh, MessageEN: en, Suggestion: suggestion}
}

func unread(part, name, rows string) domain.Finding {
	return whole(CodeUnread, domain.SeverityWarn,
		fmt.Sprintf("未能读取第%s部分“%s”的表格（未找到%s及其后的数字），无法核对。请按规定格式填写表格，每个单元格一行。", part, name, rows),
		fmt.Sprintf("the table of part %s (%s) could not be read, so it was not checked: write it in the official layout, one cell per line", part, name))
}

// columnName is table 三's column i (the total after the six).
func columnName(i int) (zh, en string) {
	if i == int(ar.NumApplicants) {
		return "总计", "total"
	}
	a := ar.ApplicantTable[i]
	if i == int(ar.Natural) {
		return a.NameZH, a.NameEN
	}
	return "法人或其他组织·" + a.NameZH, a.NameEN
}

// rowTotal checks that the last cell of a row is the sum of the others.
func rowTotal(cells []Cell, rowZH, rowEN string) []domain.Finding {
	last := cells[len(cells)-1]
	sum := 0
	for _, c := range cells[:len(cells)-1] {
		sum += c.Value
	}
	if sum == last.Value {
		return nil
	}
	return []domain.Finding{at(CodeTotal, domain.SeverityBlock, last.Start, last.End, strconv.Itoa(sum),
		fmt.Sprintf("%s的“总计”为%d，但各列之和为%d，二者应相等。", rowZH, last.Value, sum),
		fmt.Sprintf("%s: the total is %d but its cells add up to %d", rowEN, last.Value, sum))}
}

// totals checks every row's 总计 and the row 三（七）总计 against the
// outcome rows, column by column.
func (c *CaseCells) totals() []domain.Finding {
	var fs []domain.Finding
	fs = append(fs, rowTotal(c.New[:], "表三“一、本年新收政府信息公开申请数量”", "table 三, new applications")...)
	fs = append(fs, rowTotal(c.CarriedIn[:], "表三“二、上年结转政府信息公开申请数量”", "table 三, carried in")...)
	for _, o := range ar.Outcomes {
		r := c.Outcomes[o.Code]
		fs = append(fs, rowTotal(r[:], "表三“"+outcomeLabel(o)+"”", "table 三, "+o.NameEN)...)
	}
	fs = append(fs, rowTotal(c.Concluded[:], "表三“（七）总计”", "table 三, concluded in all")...)
	fs = append(fs, rowTotal(c.CarriedOut[:], "表三“四、结转下年度继续办理”", "table 三, carried out")...)
	for i := range c.Concluded {
		sum := 0
		for _, o := range ar.Outcomes {
			sum += c.Outcomes[o.Code][i].Value
		}
		if got := c.Concluded[i]; got.Value != sum {
			zh, en := columnName(i)
			fs = append(fs, at(CodeTotal, domain.SeverityBlock, got.Start, got.End, strconv.Itoa(sum),
				fmt.Sprintf("表三“%s”列的“（七）总计”为%d，但该列（一）至（六）各项办理结果之和为%d，二者应相等。", zh, got.Value, sum),
				fmt.Sprintf("table 三, column %s: the concluded total is %d but the outcomes (一) to (六) add up to %d", en, got.Value, sum)))
		}
	}
	return fs
}

// outcomeLabel is an outcome row's label as the table writes it.
func outcomeLabel(o ar.OutcomeInfo) string {
	if o.Label == "" {
		return o.Group
	}
	return o.Group + o.Label
}

// balance checks the 勾稽 relation of table 三 in every column: 第一项 +
// 第二项 = 第三项 + 第四项. The carried-out row is the one suggested,
// being what the others leave.
func (c *CaseCells) balance() []domain.Finding {
	var fs []domain.Finding
	for i := range c.New {
		n, in, done, out := c.New[i].Value, c.CarriedIn[i].Value, c.Concluded[i].Value, c.CarriedOut[i]
		if n+in == done+out.Value {
			continue
		}
		zh, en := columnName(i)
		suggestion := ""
		if n+in-done >= 0 {
			suggestion = strconv.Itoa(n + in - done)
		}
		fs = append(fs, at(CodeBalance, domain.SeverityBlock, out.Start, out.End, suggestion,
			fmt.Sprintf("表三“%s”列的勾稽关系不成立：第一项（本年新收%d）加第二项（上年结转%d）应等于第三项（本年度办理结果总计%d）加第四项（结转下年度%d），现在是%d ≠ %d。请核对这一列的数字。",
				zh, n, in, done, out.Value, n+in, done+out.Value),
			fmt.Sprintf("table 三, column %s: new (%d) + carried in (%d) must equal concluded (%d) + carried out (%d); %d ≠ %d",
				en, n, in, done, out.Value, n+in, done+out.Value)))
	}
	return fs
}

// totals checks the total of each kind of appeal in table 四.
func (a *AppealCells) totals() []domain.Finding {
	var fs []domain.Finding
	fs = append(fs, rowTotal(a.Review[:], "表四“行政复议”", "table 四, administrative reviews")...)
	fs = append(fs, rowTotal(a.LawsuitDirect[:], "表四“行政诉讼·未经复议直接起诉”", "table 四, lawsuits without a review")...)
	fs = append(fs, rowTotal(a.LawsuitAfterReview[:], "表四“行政诉讼·复议后起诉”", "table 四, lawsuits after a review")...)
	return fs
}

// numbering checks the headings: a part is numbered 一、 to 六、 in the
// official order, and the second-level headings of a part （一）, （二）, …
// in sequence (GB/T 9704's 一、 （一） 1. （1）).
func (p *Parsed) numbering() []domain.Finding {
	var fs []domain.Finding
	sub := 0
	for _, h := range p.headings {
		var want, levelZH, levelEN string
		var n int
		if h.topLevel {
			sub = 0
			n = h.section + 1
			want = chineseNumeral(n) + "、"
			levelZH, levelEN = "一级标题（各部分）用“一、”“二、”……，且按规定顺序：此处为第"+chineseNumeral(n)+"部分", "a part is numbered 一、 二、 … in the official order"
		} else {
			sub++
			n = sub
			want = "（" + chineseNumeral(n) + "）"
			levelZH, levelEN = "二级标题用“（一）”“（二）”……，按顺序编号：此处为本部分第"+chineseNumeral(n)+"个二级标题", "a second-level heading is numbered （一） （二） … in sequence"
		}
		if h.marker == want {
			continue
		}
		what, whatEN := "序号格式与同级标题不一致", "numbered in a different style from its level"
		if h.number != n {
			what, whatEN = "序号不连续", "out of sequence"
		}
		end := h.at + utf8.RuneCountInString(h.marker)
		fs = append(fs, at(CodeNumbering, domain.SeverityWarn, h.at, end, want,
			fmt.Sprintf("标题“%s%s”%s：%s，应为“%s”。", h.marker, h.title, what, levelZH, want),
			fmt.Sprintf("the heading %q is %s: %s; it should be %q", h.marker+h.title, whatEN, levelEN, want)))
	}
	return fs
}
