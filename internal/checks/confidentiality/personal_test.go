package confidentiality

import (
	"fmt"
	"strings"
	"testing"
)

// Test numbers, each computed from the standards' arithmetic in helpers_test.go.
var (
	idBeijing    = idWith("11010519900307123") // 东城区, born 1990-03-07
	idGuangdong  = idWith("44030619851215432") // 宝安区, born 1985-12-15
	idSample     = "11010519491231002X"        // GB 11643's own example, checked by hand
	creditOffice = creditWith("11110101MB1234567")
	cardUnion    = luhnWith("622202020011223344") // 19 digits
	cardGrouped  = luhnWith("622848001122334")    // 16 digits
)

// bothIDAndCredit returns an 18-digit string that is a valid resident ID and,
// by the 1-in-31 chance of its check, also a valid credit code.
func bothIDAndCredit(t *testing.T) string {
	t.Helper()
	for seq := 100; seq < 1000; seq++ {
		id := idWith("11010519900307" + itoa3(seq))
		if id[17] != 'X' && creditWith(id[:17]) == id {
			return id
		}
	}
	t.Fatal("no ID that is also a credit code in the range")
	return ""
}

// digitCreditLuhn returns an all-digit credit code that passes Luhn too.
func digitCreditLuhn(t *testing.T) string {
	t.Helper()
	for seq := 10000000; seq < 10100000; seq++ {
		c := creditWith(fmt.Sprintf("91110108%09d", seq))
		if !strings.ContainsAny(c[17:], "ABCDEFGHJKLMNPQRTUWXY") && luhnWith(c[:17]) == c {
			return c
		}
	}
	t.Fatal("no all-digit credit code passing Luhn in the range")
	return ""
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

func TestTestNumbers(t *testing.T) {
	// The helpers agree with hand-checked examples: GB 11643's sample ID,
	// a credit code printed in GB 32100 explanations, a well-known test card.
	if got := idWith(idSample[:17]); got != idSample {
		t.Fatalf("idWith(%q) = %q, want %q", idSample[:17], got, idSample)
	}
	if got := creditWith("91350100M000100Y4"); got != "91350100M000100Y43" {
		t.Fatalf("creditWith = %q, want 91350100M000100Y43", got)
	}
	if got := luhnWith("411111111111111"); got != "4111111111111111" {
		t.Fatalf("luhnWith = %q, want 4111111111111111", got)
	}
}

func TestPersonalData(t *testing.T) {
	both := bothIDAndCredit(t)
	digitCredit := digitCreditLuhn(t)
	tests := []struct {
		name string
		text string
		want []hit
	}{
		// 行政处罚决定书 of a natural person.
		{"penalty decision on a person",
			"当事人：张三，男，1990年3月7日出生，公民身份号码：" + idBeijing + "，住址：北京市东城区XX路12号。",
			[]hit{
				{code: codeResidentID, text: idBeijing, sugg: "110105********123" + idBeijing[17:]},
				{code: codeAddress, text: "北京市东城区XX路12号", sugg: "北京市东城区****"},
			}},
		{"sample ID with X", "身份证号" + idSample + "。", []hit{{code: codeResidentID, text: idSample, sugg: "110105********002X"}}},
		{"lower-case x", "身份证号：" + strings.ToLower(idSample), []hit{{code: codeResidentID, text: strings.ToLower(idSample)}}},
		{"full-width ID", "证件号码：" + fullWidth(idGuangdong) + "。",
			[]hit{{code: codeResidentID, text: fullWidth(idGuangdong), sugg: MaskResidentID(idGuangdong)}}},
		{"grouped ID", "身份证 " + idGuangdong[:6] + " " + idGuangdong[6:14] + " " + idGuangdong[14:],
			[]hit{{code: codeResidentID, text: idGuangdong[:6] + " " + idGuangdong[6:14] + " " + idGuangdong[14:],
				sugg: MaskResidentID(idGuangdong)}}}, // the normaliser joined the groups
		{"ID with a wrong check digit warns", "公民身份号码：" + wrongCheck(idBeijing) + "。",
			[]hit{{code: codeMistypedID, text: wrongCheck(idBeijing), sugg: MaskResidentID(wrongCheck(idBeijing))}}},
		{"credit code label, wrong check", "统一社会信用代码：" + wrongCheck(idBeijing), nil},
		{"ID inside a longer run", "编号：" + "7" + idBeijing + "。", nil},
		{"ID born before 1900", "身份证号：440524188001010014", nil},
		{"ID born in the future", "身份证号：" + idWith("11010520990101123"), nil},
		{"ID born on 30 February", "身份证号：" + idWith("11010519900230123"), nil},
		{"ID of no province", "身份证号：" + idWith("99010519900307123"), nil},
		{"ID after letters", "批次AB" + idBeijing, nil},

		// Unified social credit codes and index numbers are public.
		{"index number with the office's credit code", "索引号：" + creditOffice + "/2024-00012\n发布机构：××市××局", nil},
		{"credit code of a company", "统一社会信用代码：91350100M000100Y43", nil},
		{"all-digit credit code passing Luhn", "统一社会信用代码：" + digitCredit + "。", nil},
		{"all-digit credit code passing Luhn, no label", "代码" + digitCredit, nil},
		{"ID-and-credit in an index number", "索引号：" + both + "/2024-00001", nil},
		{"ID-and-credit labelled a credit code", "统一社会信用代码：" + both, nil},
		{"ID-and-credit labelled an ID", "公民身份号码：" + both, []hit{{code: codeResidentID, text: both}}},
		{"ID-and-credit without a label is an ID", "号码 " + both, []hit{{code: codeResidentID, text: both}}},

		// Mobile numbers.
		{"mobile", "联系电话：13812345678。", []hit{{code: codeMobile, text: "13812345678", sugg: "138****5678"}}},
		{"two mobiles", "13812345678 13987654321", []hit{
			{code: codeMobile, text: "13812345678"}, {code: codeMobile, text: "13987654321"}}},
		{"+86 prefix", "电话 +86 13812345678", []hit{{code: codeMobile, text: "+86 13812345678", sugg: "+86 138****5678"}}},
		{"86- prefix", "电话86-13812345678", []hit{{code: codeMobile, text: "86-13812345678"}}},
		{"+86 joined", "(+8613812345678)", []hit{{code: codeMobile, text: "+8613812345678", sugg: "+86138****5678"}}},
		{"grouped mobile", "手机：138-1234-5678", []hit{{code: codeMobile, text: "138-1234-5678", sugg: "138****5678"}}},
		{"spaced mobile with prefix", "+86 138 1234 5678", []hit{{code: codeMobile, text: "+86 138 1234 5678", sugg: "+86 138****5678"}}},
		{"full-width mobile", "手机１３８１２３４５６７８", []hit{{code: codeMobile, text: "１３８１２３４５６７８", sugg: "138****5678"}}},
		{"mobile inside a longer number", "文件编号2024138123456789", nil},
		{"twelve digits", "编号：213812345678", nil},
		{"second digit 2", "12345678901", nil},
		{"an amount", "下达资金15000000000元", nil},
		{"a decimal", "比值3.13812345678", nil},
		{"landline", "咨询电话：010-65123456", nil},
		{"grouped mobile inside a longer grouping", "6222 138 1234 5678", nil},

		// Bank cards.
		{"card", "收款账号：" + cardUnion + "。", []hit{{code: codeBankCard, text: cardUnion, sugg: "6222***********" + cardUnion[15:]}}},
		{"grouped card", "卡号 " + group4(cardGrouped, " "), []hit{{code: codeBankCard, text: group4(cardGrouped, " "), sugg: "6228 **** **** " + cardGrouped[12:]}}},
		{"dashed card", "卡号" + group4(cardUnion, "-"), []hit{{code: codeBankCard, text: group4(cardUnion, "-")}}},
		{"Luhn fails", "账号：" + cardUnion[:18] + string(rune('0'+(int(cardUnion[18]-'0')+1)%10)), nil},
		{"zeros", "流水号0000000000000000", nil},
		{"card-length decimal", "合计" + cardGrouped + ".50", nil},
		{"valid ID is not a card", "身份证号" + luhnID(t), []hit{{code: codeResidentID, text: luhnID(t)}}},
		{"ID with wrong check is not a card", "号码" + luhnWrongID(t), []hit{{code: codeMistypedID, text: luhnWrongID(t)}}},

		// Addresses.
		{"residence next to a person", "当事人：王五\n住所地：上海市浦东新区XX路88弄6号\n", []hit{{code: codeAddress, text: "上海市浦东新区XX路88弄6号"}}},
		{"lives in", "申请人李某某，家住河北省保定市清苑区东街村3组，因……", []hit{{code: codeAddress, text: "河北省保定市清苑区东街村3组", sugg: "河北省保定市清苑区****"}}},
		{"company's seat", "当事人：北京某某科技有限公司\n住所：北京市海淀区XX路1号\n法定代表人：李四", nil},
		{"seat after a representative", "当事人：××商贸有限公司，法定代表人：李四，住所：北京市海淀区XX路1号。", nil},
		{"seat without a person", "住所：北京市海淀区XX路1号", nil},
		{"law on jurisdiction", "由被告住所地人民法院管辖。", nil},
		{"prose about villages", "对家住农村的困难学生给予补助。", nil},
		{"redacted address", "当事人：张某，住址：北京市东城区某某路。", nil},
		{"office address", "办公地址：北京市东城区XX路12号", nil},
		{"unknown address", "当事人：张某，住址不详。", nil},
		{"county only", "当事人：张某，男，住址：北京市东城区。", nil},
		{"lane without digits", "当事人：张某，住址：北京市东城区东四胡同。", []hit{{code: codeAddress, text: "北京市东城区东四胡同"}}},

		{"nothing", "", nil},

		// Masks.
		{"masked ID rebuilt from the birth date", "张三，男，1990年3月7日出生，公民身份号码：110101********1233。",
			[]hit{{code: codeMaskedID, text: "110101********1233", sev: block}}},
		{"birth date after the label", "出生日期：1990年3月7日，身份证号110101********1233",
			[]hit{{code: codeMaskedID, text: "110101********1233", sev: block}}},
		{"another birth date does not rebuild it", "1985年1月1日出生，身份证号110101********1233", nil},
		{"a date that is not a birth date", "2024年3月7日，身份证号110101********1233", nil},
		{"mask leaving the birth date", "身份证号：11010119900307****",
			[]hit{{code: codeMaskedID, text: "11010119900307****", sugg: "110101************", sev: warn}}},
		{"the standard mask", "身份证号：110101********1233", nil},
		// Duty lines.
		{"grid worker's number", "第一网格 网格员张三 13812345678", []hit{{code: codeMobile, text: "13812345678", sev: warn}}},
		{"duty phone", "值班电话：13712345678", []hit{{code: codeMobile, text: "13712345678", sev: warn}}},
		{"under a heading", "各社区网格员联系方式如下：\n张三 13812345678\n李四 13912345678",
			[]hit{{code: codeMobile, text: "13812345678", sev: warn}, {code: codeMobile, text: "13912345678", sev: warn}}},
		{"a resident's number", "居民赵六反映问题，电话13512345678。", []hit{{code: codeMobile, text: "13512345678"}}},
		{"heading ends at a blank line", "值班电话如下：\n\n张三 13812345678", []hit{{code: codeMobile, text: "13812345678"}}},
		// Quantities.
		{"people counted", "累计服务13812345678 人次", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := PersonalData(tc.text)
			expectHits(t, tc.text, got, tc.want)
			for _, f := range got {
				if f.Field != "" {
					t.Errorf("Field = %q, want it left to the caller", f.Field)
				}
			}
		})
	}
}

func group4(s, sep string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), sep)
}

// luhnID returns a valid resident ID that passes Luhn as well.
func luhnID(t *testing.T) string {
	t.Helper()
	for seq := 100; seq < 1000; seq++ {
		id := idWith("11010519900307" + itoa3(seq))
		if id[17] != 'X' && luhnWith(id[:17]) == id {
			return id
		}
	}
	t.Fatal("no ID passing Luhn in the range")
	return ""
}

// luhnWrongID returns an ID-shaped string with a wrong check digit that
// passes Luhn.
func luhnWrongID(t *testing.T) string {
	t.Helper()
	for seq := 100; seq < 1000; seq++ {
		s := luhnWith("11010519900307" + itoa3(seq))
		if idWith(s[:17]) != s {
			return s
		}
	}
	t.Fatal("none in range")
	return ""
}
