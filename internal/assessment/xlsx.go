package assessment

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Columns are the ranking's columns, as the page and the workbook show
// them (the channels follow).
var Columns = []string{"名次", "姓名/部门", "所属部门", "得分", "提交", "发布", "一次通过率", "被退回", "退回原因", "按时公开（第二十六条）", "按时公开（双公示）", "复审平均用时（小时）", "终审平均用时（小时）"}

// Row is a line's cells in the order of Columns and the channels.
func Row(l Line) []any {
	out := []any{l.Rank, l.Name, l.Department, l.Score, l.Submitted, l.Published,
		fmt.Sprintf("%.0f%%", l.FirstPassRate()*100), l.ReturnedTotal(), l.ReturnReasonsText(),
		fmt.Sprintf("%d/%d", l.Article26.OnTime, l.Article26.Published), fmt.Sprintf("%d/%d", l.DoublePub.OnTime, l.DoublePub.Published),
		l.StageHours[string(domain.StageCompliance)].Mean, l.StageHours[string(domain.StageConfidentiality)].Mean}
	for _, c := range domain.ChannelTable {
		out = append(out, l.Channels[string(c.Code)])
	}
	return out
}

// XLSX is the assessment as a workbook: the officers' ranking and the
// departments', with the formula and its weights.
func (a Assessment) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	head := []any{}
	for _, c := range Columns {
		head = append(head, c)
	}
	for _, c := range domain.ChannelTable {
		head = append(head, c.NameZH)
	}
	for i, sheet := range []struct {
		name  string
		lines []Line
	}{{"信息员", a.Officers}, {"部门", a.Departments}} {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet.name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(sheet.name); err != nil {
			return nil, err
		}
		rows := [][]any{{"考核期间", a.Period.Label}, {FormulaZH},
			{fmt.Sprintf("权重：发布 %g，一次通过 %g，按时 %g，退回 %g", a.Weights.Published, a.Weights.FirstPass, a.Weights.OnTime, a.Weights.Returned)}, {}, head}
		for _, l := range sheet.lines {
			rows = append(rows, Row(l))
		}
		for r, vals := range rows {
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return nil, err
			}
			if err := f.SetSheetRow(sheet.name, cell, &vals); err != nil {
				return nil, err
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("error writing the workbook: %w", err)
	}
	return b.Bytes(), nil
}
