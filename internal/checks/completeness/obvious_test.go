package completeness

import (
	"slices"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// finding is the part of a finding a table test states.
type finding struct {
	code, target, suggestion string
	sev                      domain.Severity
}

// runBody checks a news item whose body is body, and compares the findings
// on the body with want.
func runBody(t *testing.T, body string, want []finding) {
	t.Helper()
	c := draft("news", "东城区开展春季食品安全专项检查", body)
	var got []finding
	for _, f := range Check(c, testToday) {
		if f.Field != fieldBody {
			t.Errorf("unexpected finding %+v", f)
			continue
		}
		got = append(got, finding{f.Code, spanText(c, f), f.Suggestion, f.Severity})
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %v\nwant %v", got, want)
	}
}

func TestDates(t *testing.T) {
	warn, block := domain.SeverityWarn, domain.SeverityBlock
	tests := []struct {
		name, body string
		want       []finding
	}{
		{"valid dates in every form", "会议于2024年3月5日、2024-03-06、2024.3.7、2024/3/8和二〇二四年三月九日分别召开，共同研究部署春季食品安全工作。", nil},
		{"30 February", "经查，当事人于2024年2月30日销售过期食品，违法所得共计300元。", []finding{{"date_invalid", "2024年2月30日", "", block}}},
		{"30 February without year", "经查，当事人于2月30日销售过期食品，违法所得共计300元，已全部退还。", []finding{{"date_invalid", "2月30日", "", block}}},
		{"29 February in a leap year", "经查，当事人于2024年2月29日销售过期食品，违法所得共计300元。", nil},
		{"29 February in a common year", "经查，当事人于2023年2月29日销售过期食品，违法所得共计300元。", []finding{{"date_invalid", "2023年2月29日", "", block}}},
		{"31 April", "本次检查从2024年4月31日开始持续两周，覆盖全区各街道餐饮单位。", []finding{{"date_invalid", "2024年4月31日", "", block}}},
		{"month 13", "经查，当事人于2023年13月5日销售过期食品，违法所得共计300元。", []finding{{"date_invalid", "2023年13月5日", "", block}}},
		{"chinese numerals, impossible", "经查，当事人于二〇二三年二月三十日销售过期食品，违法所得共计300元。", []finding{{"date_invalid", "二〇二三年二月三十日", "", block}}},
		{"dotted, impossible", "经查，当事人于2023.2.30销售过期食品，违法所得共计300元，已全部退还。", []finding{{"date_invalid", "2023.2.30", "", block}}},
		{"version number is not a date", "系统已升级至2024.13.1版本，新增食品安全快检数据上报功能。", nil},
		{"future date is a typo", "3月5日，东城区市场监督管理局于2042年3月5日组织开展春季食品安全专项检查。", []finding{{"date_future", "2042年3月5日", "", warn}}},
		{"future deadline", "请各单位于2024年3月20日前报送自查情况，报名截止时间为2024年4月1日。", nil},
		{"future effective date", "本办法自2024年4月1日起施行，请各街道认真贯彻执行。", nil},
		{"phone number is not a date", "咨询电话：010-6512-3456，工作日上午9时至下午5时。", nil},
		{"a number before 月 above 12 is not a month", "编号32月30日的记录有误，请核对后重新上报，谢谢配合。", nil},
		{"lunar dates", "农历二月三十日举办庙会，2024年农历2月30日另有活动，请居民周知并合理安排。", nil},
		{"lunar month 13", "农历十三月一日举办庙会，请居民周知并合理安排出行时间。", []finding{{"date_invalid", "十三月一日", "", block}}},
		{"weekday contradicts the date", "会议定于2024年3月5日（星期三）召开，2024年3月6日（星期三）报到。",
			[]finding{{"date_weekday_mismatch", "星期三", "星期二", warn}}},
		{"weekday forms", "2024年3月7日周四返程，2024年3月8日(周日)结束，2024年3月10日星期天休息。",
			[]finding{{"date_weekday_mismatch", "周日", "周五", warn}}},
		{"leading zeros", "本通知自2024年03月05日起施行，请于03月01日前报送材料。",
			[]finding{{"date_leading_zero", "2024年03月05日", "2024年3月5日", warn}, {"date_leading_zero", "03月01日", "3月1日", warn}}},
		{"full-width and invisible", "会议于２０２４年３月５日召开，2024年2\u200b月30日有误，共同研究部署春季食品安全工作。",
			[]finding{{"date_invalid", "2024年2\u200b月30日", "", block}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runBody(t, tt.body, tt.want) })
	}
}

func TestBracketsAndQuotes(t *testing.T) {
	warn := domain.SeverityWarn
	tests := []struct {
		name, body string
		want       []finding
	}{
		{"balanced", "根据《中华人民共和国食品安全法》（2021年修正）第一百二十四条【重点】“四个最严”要求「特别提示」开展检查。", nil},
		{"nested", "依据《关于印发〈食品安全抽样检验管理办法〉的通知》（“双随机”抽查）开展检查工作。", nil},
		{"unclosed round bracket", "本次共检查餐饮单位120家（其中学校食堂15家，发现问题隐患32处。", []finding{{"unbalanced_bracket", "（", "", warn}}},
		{"unopened book title mark", "依据中华人民共和国食品安全法》有关规定开展检查，共检查餐饮单位120家。", []finding{{"unbalanced_bracket", "》", "", warn}}},
		{"unclosed quote", "检查组强调：“要落实主体责任。检查共发现问题隐患32处，已全部整改。", []finding{{"unbalanced_quote", "“", "", warn}}},
		{"unclosed inside closed", "依据《食品安全法（2021年修正》开展检查，共检查餐饮单位120家。", []finding{{"unbalanced_bracket", "（", "", warn}}},
		{"mixed widths", "本次共检查餐饮单位120家（其中学校食堂15家)，发现问题隐患32处。", []finding{{"bracket_width_mismatch", ")", "）", warn}}},
		{"list markers are not stray closers", "检查内容包括：1）证照公示情况；2）从业人员健康证明；\n3）食品贮存条件。\n一）后厨卫生。", nil},
		{"apostrophe", "外宾表示“Shanghai’s and Beijing’s food safety work is impressive”，检查组表示感谢。", nil},
		{"straight quotes are not checked", "检查组强调\"要落实主体责任，共检查餐饮单位120家，发现问题32处。", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runBody(t, tt.body, tt.want) })
	}
}

func TestRepeatedPunctuation(t *testing.T) {
	warn := domain.SeverityWarn
	tests := []struct {
		name, body string
		want       []finding
	}{
		{"full stops", "本次共检查餐饮单位120家。。发现问题隐患32处，已全部整改到位。", []finding{{"repeated_punctuation", "。。", "。", warn}}},
		{"commas", "本次共检查餐饮单位120家，，发现问题隐患32处，已全部整改到位。", []finding{{"repeated_punctuation", "，，", "，", warn}}},
		{"exclamation marks", "食品安全无小事！！！请各单位切实落实主体责任，确保群众吃得放心。", []finding{{"repeated_punctuation", "！！！", "！", warn}}},
		{"makeshift ellipsis", "检查内容包括证照公示、从业人员健康证明、食品贮存条件。。。等方面。", []finding{{"repeated_punctuation", "。。。", "……", warn}}},
		{"ellipsis is right", "检查内容包括证照公示、从业人员健康证明、食品贮存条件……等方面内容。", nil},
		{"dash is right", "春季食品安全专项检查——东城区在行动，共检查餐饮单位120家。", nil},
		{"question and exclamation", "食品安全你做到了吗？！请各单位切实落实主体责任，确保群众吃得放心。", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runBody(t, tt.body, tt.want) })
	}
}

func TestOrgNames(t *testing.T) {
	warn := domain.SeverityWarn
	tests := []struct {
		name, body string
		want       []finding
	}{
		{"one character off", "东城区市场监督管理局联合区卫健委开展检查。东城区市场监督管理局共出动执法人员80人次。东城区市场监都管理局将持续开展监督检查。",
			[]finding{{"org_name_inconsistent", "东城区市场监都管理局", "东城区市场监督管理局", warn}}},
		{"short form of a sub-district office", "朝阳门街道办事处组织辖区餐饮单位召开培训会。会上，朝阳门街道办负责同志就食品安全工作提出要求。",
			[]finding{{"org_name_inconsistent", "朝阳门街道办", "朝阳门街道办事处", warn}}},
		{"short form of a government", "经东城区人民政府同意，现开展专项检查。东城区政府的有关部门要密切配合，共同做好检查工作。",
			[]finding{{"org_name_inconsistent", "东城区政府", "东城区人民政府", warn}}},
		{"government procurement is not a name", "经东城区人民政府同意，东城区政府采购中心负责组织快检设备采购，共检查餐饮单位120家。", nil},
		{"neighbouring districts", "东城区人民政府与西城区人民政府联合开展检查，共检查餐饮单位120家，发现问题32处。", nil},
		{"different bureaus", "东城区教育局和东城区体育局联合开展校园食品安全检查，东城区民政局、东城区财政局配合。", nil},
		{"city and district", "北京市东城区教育委员会与北京市西城区教育委员会联合开展检查，共检查学校食堂30家。", nil},
		{"an inserted character is not seen (limit)", "近日，东城区市场监督管理里局开展春季专项检查，共检查餐饮单位120家，发现问题32处。", nil},
		{"near miss of the department", "近日，东城区市场监督管里局开展春季专项检查，共检查餐饮单位120家，发现问题32处。",
			[]finding{{"org_name_inconsistent", "东城区市场监督管里局", testDept, warn}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runBody(t, tt.body, tt.want) })
	}
}
