package annualreport

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// XLSX is the report's tables as a workbook, one sheet per part: the
// cells as the official layout has them, for offices that submit or
// archive the tables as a spreadsheet.
func (r Report) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	put := func(sheet string, row int, values ...any) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return f.SetSheetRow(sheet, cell, &values)
	}
	s2 := "二、主动公开"
	if err := f.SetSheetName("Sheet1", s2); err != nil {
		return nil, err
	}
	row := 1
	if err := put(s2, row, r.Title()); err != nil {
		return nil, err
	}
	row += 2
	for _, t := range r.Section2Rows() {
		head := []any{t.Item + " 信息内容"}
		for _, c := range t.Columns {
			head = append(head, c)
		}
		if err := put(s2, row, head...); err != nil {
			return nil, err
		}
		row++
		for _, rr := range t.Rows {
			vals := []any{rr.Label}
			for _, c := range rr.Cells {
				vals = append(vals, number(c))
			}
			if err := put(s2, row, vals...); err != nil {
				return nil, err
			}
			row++
		}
		row++
	}
	s3 := "三、依申请公开"
	if _, err := f.NewSheet(s3); err != nil {
		return nil, err
	}
	head := []any{"", "", "自然人"}
	for _, a := range ApplicantTable[Business:] {
		head = append(head, "法人或其他组织·"+a.NameZH)
	}
	head = append(head, "总计")
	if err := put(s3, 1, head...); err != nil {
		return nil, err
	}
	for i, cr := range r.CaseRows() {
		vals := []any{cr.Group, cr.Label}
		for _, v := range cr.Cells {
			vals = append(vals, v)
		}
		if err := put(s3, i+2, vals...); err != nil {
			return nil, err
		}
	}
	s4 := "四、复议诉讼"
	if _, err := f.NewSheet(s4); err != nil {
		return nil, err
	}
	head = []any{""}
	for _, n := range AppealOutcomeNames {
		head = append(head, n)
	}
	if err := put(s4, 1, append(head, "总计")...); err != nil {
		return nil, err
	}
	for i, g := range r.AppealGroups() {
		vals := []any{g.Label}
		for _, v := range g.Cells {
			vals = append(vals, v)
		}
		if err := put(s4, i+2, vals...); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("error writing the workbook: %w", err)
	}
	return b.Bytes(), nil
}

// number is a decimal cell as a number where it reads as one.
func number(s string) any {
	var v float64
	if _, err := fmt.Sscan(s, &v); err == nil {
		return v
	}
	return s
}
