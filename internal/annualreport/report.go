package annualreport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Report is an agency's annual report for a year, generated from its
// records: the tables filled, the prose left as skeletons for the office
// to write.
type Report struct {
	Agency string // the agency's name, as the title gives it
	Year   int
	Facts  Facts
}

// New makes the report of agency for facts.Year, refusing facts whose
// table 三 breaks the 勾稽 relation (第一项 + 第二项 = 第三项 + 第四项 in
// every column): the totals are sums by construction, but the balance
// is the cases' own, and a report must not be built on a broken one.
func New(agency string, facts Facts) (Report, error) {
	if facts.Cases.Outcomes == nil {
		facts.Cases.Outcomes = map[Outcome]Row{}
	}
	if facts.Channels == nil {
		facts.Channels = map[string]int{}
	}
	if facts.Section2.Fees == "" {
		facts.Section2.Fees = "0"
	}
	if ok, col := facts.Cases.Balanced(); !ok {
		c := facts.Cases
		return Report{}, fmt.Errorf("%w: column %s: new %d + carried in %d ≠ concluded %d + carried out %d", ErrUnbalanced,
			ApplicantTable[col].Code, c.New[col], c.CarriedIn[col], c.Concluded()[col], c.CarriedOut[col])
	}
	return Report{Agency: agency, Year: facts.Year, Facts: facts}, nil
}

// ErrUnbalanced is a case source whose counts break table 三's 勾稽 relation.
var ErrUnbalanced = fmt.Errorf("the applications' counts break the balance of table 三")

// Title is the report's title.
func (r Report) Title() string {
	return fmt.Sprintf("%s%d年政府信息公开工作年度报告", r.Agency, r.Year)
}

// TableRow is a row of a table as pages and sheets show it: its labels
// and its cells, the total last.
type TableRow struct {
	Code  string `json:"code"`            // new, carried_in, an outcome's code, concluded, carried_out; or an appeal's kind
	Group string `json:"group,omitempty"` // the group's label where the row belongs to one (（三）不予公开)
	Label string `json:"label"`
	Cells []int  `json:"cells"`
}

// CaseRows are table 三's rows, each with its six columns and its total.
func (r Report) CaseRows() []TableRow {
	c := r.Facts.Cases
	row := func(code, group, label string, v Row) TableRow {
		return TableRow{Code: code, Group: group, Label: label, Cells: append(v[:], v.Total())}
	}
	out := []TableRow{row("new", "", "一、本年新收政府信息公开申请数量", c.New), row("carried_in", "", "二、上年结转政府信息公开申请数量", c.CarriedIn)}
	for _, o := range Outcomes {
		label, group := o.Label, o.Group
		if label == "" {
			label, group = o.Group, ""
		}
		out = append(out, row(string(o.Code), group, label, c.Outcomes[o.Code]))
	}
	return append(out, row("concluded", "", "（七）总计", c.Concluded()), row("carried_out", "", "四、结转下年度继续办理", c.CarriedOut))
}

// AppealGroups are table 四's three groups in the official order, each
// with its four outcomes and its total.
func (r Report) AppealGroups() []TableRow {
	a := r.Facts.Cases.Appeals
	g := func(code, label string, v AppealRow) TableRow {
		return TableRow{Code: code, Label: label, Cells: append(v[:], v.Total())}
	}
	return []TableRow{g("review", "行政复议", a.Review), g("lawsuit_direct", "行政诉讼·未经复议直接起诉", a.LawsuitDirect),
		g("lawsuit_after_review", "行政诉讼·复议后起诉", a.LawsuitAfterReview)}
}

// Section2Rows are section 二's four tables: the article's item, the
// column labels and the rows.
func (r Report) Section2Rows() []Section2Table {
	s := r.Facts.Section2
	return []Section2Table{
		{"第二十条第（一）项", []string{"本年制发件数", "本年废止件数", "现行有效件数"}, []Section2Row{
			{"规章", []string{itoa(s.Regulations.Issued), itoa(s.Regulations.Repealed), itoa(s.Regulations.Valid)}},
			{"行政规范性文件", []string{itoa(s.NormativeDocuments.Issued), itoa(s.NormativeDocuments.Repealed), itoa(s.NormativeDocuments.Valid)}}}},
		{"第二十条第（五）项", []string{"本年处理决定数量"}, []Section2Row{{"行政许可", []string{itoa(s.Licenses)}}}},
		{"第二十条第（六）项", []string{"本年处理决定数量"}, []Section2Row{{"行政处罚", []string{itoa(s.Penalties)}}, {"行政强制", []string{itoa(s.Enforcement)}}}},
		{"第二十条第（八）项", []string{"本年收费金额（单位：万元）"}, []Section2Row{{"行政事业性收费", []string{s.Fees}}}},
	}
}

// Section2Table is one of section 二's tables.
type Section2Table struct {
	Item    string
	Columns []string
	Rows    []Section2Row
}

// Width is the table's number of columns, its label's included.
func (t Section2Table) Width() int { return len(t.Columns) + 1 }

// Section2Row is a row of a section 二 table; the fee is a decimal, so
// cells are text.
type Section2Row struct {
	Label string
	Cells []string
}

func itoa(n int) string { return strconv.Itoa(n) }

// Placeholder marks what the office writes.
const Placeholder = "【请填写："

// Parts are the report's six parts with their prose: each part's
// paragraphs, second-level headings included, for the office to complete
// (the tables of parts 二 to 四 come from the Section2Rows, CaseRows and
// AppealGroups).
func (r Report) Parts() []Part {
	f := r.Facts
	var ch []string
	for _, info := range domain.ChannelTable {
		if info.Private {
			continue // a reply delivered to its applicant is not 主动公开
		}
		verb := "公开信息"
		unit := "条"
		if info.VideoRequired {
			verb = "发布视频"
		}
		ch = append(ch, fmt.Sprintf("在%s%s%d%s", info.NameZH, verb, f.Channels[string(info.Code)], unit))
	}
	c := f.Cases
	cases := fmt.Sprintf("全年新收政府信息公开申请%d件，其中%d件申请人为自然人，%d件申请人为法人或其他组织；上年结转%d件，结转下年度继续办理%d件。产生关于信息公开的行政复议%d件，行政诉讼%d件。",
		c.New.Total(), c.New[Natural], c.New.Organisations(), c.CarriedIn.Total(), c.CarriedOut.Total(),
		c.Appeals.Review.Total(), c.Appeals.LawsuitDirect.Total()+c.Appeals.LawsuitAfterReview.Total())
	fees := fmt.Sprintf("依据《政府信息公开信息处理费管理办法》，全年发出收费通知%d件，总金额%s元，实际收取%s元。",
		c.Fees.Notices, Yuan(c.Fees.NoticedFen), Yuan(c.Fees.CollectedFen))
	if !c.Recorded {
		cases += "（" + NoCasesNote + "，以上数字为0，请据实填写并同时修改表三、表四。）"
		fees = Placeholder + "依据《政府信息公开信息处理费管理办法》发出收费通知的件数和总金额以及实际收取的总金额】"
	}
	return []Part{
		{"一、总体情况", []string{
			fmt.Sprintf("本报告所列数据的统计期限自%d年1月1日起至%d年12月31日止。", r.Year, r.Year),
			"（一）主动公开",
			"全年" + strings.Join(ch, "，") + "。" + Placeholder + "主动公开工作的重点和做法】",
			"（二）依申请公开",
			cases + Placeholder + "办理依申请公开的做法】",
			"（三）政府信息管理",
			Placeholder + "信息发布审核、定期梳理和更新的情况】",
			"（四）政府信息公开平台建设",
			Placeholder + "网站、政务新媒体等平台建设情况】",
			"（五）监督保障",
			Placeholder + "教育培训、考核、监督情况】",
		}},
		{"二、主动公开政府信息情况", nil},
		{"三、收到和处理政府信息公开申请情况", nil},
		{"四、政府信息公开行政复议、行政诉讼情况", nil},
		{"五、存在的主要问题及改进情况", []string{Placeholder + "存在的主要问题及改进措施】"}},
		{"六、其他需要报告的事项", []string{fees + Placeholder + "其他需要报告的事项】"}},
	}
}

// Part is one of the report's six parts: its heading and its prose.
type Part struct {
	Heading    string
	Paragraphs []string
}

// Text is the report as a draft's body: the layout of real reports
// copied from their pages, a table's cells one per line, indented.
func (r Report) Text() string {
	var b strings.Builder
	cell := func(s string) { b.WriteString("\t" + s + "\n") }
	b.WriteString("依据《中华人民共和国政府信息公开条例》（以下简称《政府信息公开条例》）第五十条规定，编制本报告。\n")
	for i, p := range r.Parts() {
		b.WriteString(p.Heading + "\n")
		for _, para := range p.Paragraphs {
			b.WriteString(para + "\n")
		}
		switch i {
		case 1:
			for _, t := range r.Section2Rows() {
				b.WriteString("\n")
				cell(t.Item)
				b.WriteString("\n")
				cell("信息内容")
				for _, c := range t.Columns {
					cell(c)
				}
				for _, row := range t.Rows {
					b.WriteString("\n")
					cell(row.Label)
					for _, c := range row.Cells {
						cell(c)
					}
				}
			}
			b.WriteString("\n")
		case 2:
			b.WriteString("\n")
			cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
			cell("申请人情况")
			cell("自然人")
			cell("法人或其他组织")
			cell("总计")
			for _, a := range ApplicantTable[Business:] {
				cell(a.NameZH)
			}
			group := ""
			for _, row := range r.CaseRows() {
				b.WriteString("\n")
				if row.Group != "" && row.Group != group {
					cell(row.Group)
				}
				group = row.Group
				if row.Label == Outcomes[0].Group { // the outcomes start

					cell("三、本年度办理结果")
				}
				cell(row.Label)
				for _, v := range row.Cells {
					cell(itoa(v))
				}
			}
			b.WriteString("\n")
		case 3:
			b.WriteString("\n")
			cell("行政复议")
			cell("行政诉讼")
			for _, h := range []string{"未经复议直接起诉", "复议后起诉"} {
				cell(h)
			}
			for range 3 {
				for _, h := range AppealOutcomeNames {
					cell(h)
				}
				cell("总计")
			}
			b.WriteString("\n")
			for _, g := range r.AppealGroups() {
				for _, v := range g.Cells {
					cell(itoa(v))
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
