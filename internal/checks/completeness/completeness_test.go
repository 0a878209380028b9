package completeness

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

var (
	testToday  = time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	testFormed = time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
)

const testDept = "东城区市场监督管理局"

func draft(category, title, body string) domain.Content {
	return domain.Content{Title: title, Body: body, Department: testDept, Category: category,
		Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: testFormed}
}

func codes(fs []domain.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func withCode(fs []domain.Finding, code string) []domain.Finding {
	var out []domain.Finding
	for _, f := range fs {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// fieldText returns the text a finding's offsets point into.
func fieldText(c domain.Content, f domain.Finding) string {
	if f.Field == fieldTitle {
		return c.Title
	}
	return c.Body
}

// spanText is what a finding points at.
func spanText(c domain.Content, f domain.Finding) string {
	rs := []rune(fieldText(c, f))
	return string(rs[f.Start:f.End])
}

// A labelled penalty decision with every required field, in the layout a
// market-regulation bureau publishes.
const penaltyFull = `东城区市场监督管理局
行政处罚决定书
东市监罚〔2024〕15号

当事人：北京某某餐饮有限公司
统一社会信用代码：91110101MA01ABCD0X
住所：北京市东城区某某街12号
法定代表人：张某

违法行为：销售超过保质期的食品
违法事实：2024年1月8日，本局执法人员对当事人经营场所进行检查，发现其销售的“某某牌”酸奶12盒已超过保质期。
依据：《中华人民共和国食品安全法》第三十四条第（十）项、第一百二十四条第一款第（五）项
处罚内容：1.没收超过保质期的酸奶12盒；2.罚款人民币伍仟元整（¥5000.00）。
处罚机关：东城区市场监督管理局
决定日期：2024年3月5日`

// The same decision written as running text, as most decisions are: no
// labels but 当事人, the facts after 经查, the organ and the date in the signature.
const penaltyNarrative = `行政处罚决定书
东市监罚〔2024〕16号
当事人：北京某某商贸有限公司
经查，当事人于2024年1月至2月期间销售未标注生产日期的预包装食品，违法所得300元。以上事实有现场检查笔录、询问笔录等证据为证。
当事人的上述行为违反了《中华人民共和国食品安全法》第六十七条第一款的规定。依据《中华人民共和国食品安全法》第一百二十五条第一款第（二）项的规定，本局决定对当事人作出如下行政处罚：
1.没收违法所得人民币300元；
2.罚款人民币5000元。
当事人如对本处罚决定不服，可以在收到本处罚决定书之日起六十日内依法申请行政复议，也可以在六个月内依法提起行政诉讼。
东城区市场监督管理局
2024年3月5日`

func TestPenaltyComplete(t *testing.T) {
	for name, body := range map[string]string{"labelled": penaltyFull, "narrative": penaltyNarrative} {
		t.Run(name, func(t *testing.T) {
			c := draft("penalty", "北京某某餐饮有限公司行政处罚决定书", body)
			if fs := Check(c, testToday); len(fs) != 0 {
				t.Errorf("want no findings, got %v", fs)
			}
		})
	}
}

func TestPenaltyMissingParty(t *testing.T) {
	body := strings.Replace(penaltyFull, "当事人：北京某某餐饮有限公司\n", "", 1)
	fs := Check(draft("penalty", "北京某某餐饮有限公司行政处罚决定书", body), testToday)
	if len(fs) != 1 {
		t.Fatalf("want exactly one finding, got %v", fs)
	}
	f := fs[0]
	if f.Code != "required_field_missing" || f.Severity != domain.SeverityBlock || f.Field != "" || f.Start != -1 || f.End != -1 {
		t.Errorf("got %+v", f)
	}
	if !strings.Contains(f.MessageZH, "当事人") || !strings.Contains(f.MessageEN, "party") {
		t.Errorf("the message must name the field in both languages: %q / %q", f.MessageZH, f.MessageEN)
	}
}

func TestPenaltyRequiredFields(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		code     string
		field    string // NameZH expected in the message; "" for none
	}{
		{"party empty", "当事人：北京某某餐饮有限公司", "当事人：", "required_field_empty", "当事人"},
		{"party value on next line counts", "当事人：北京某某餐饮有限公司", "当事人：\n北京某某餐饮有限公司", "", ""},
		{"no decision number", "东市监罚〔2024〕15号\n", "", "required_field_missing", "决定书文号"},
		{"malformed decision number still a number", "东市监罚〔2024〕15号", "东市监罚[2024]15号", "docno_brackets", ""},
		{"no legal basis", "依据：《中华人民共和国食品安全法》第三十四条第（十）项、第一百二十四条第一款第（五）项\n", "", "required_field_missing", "处罚依据"},
		{"no penalty", "处罚内容：1.没收超过保质期的酸奶12盒；2.罚款人民币伍仟元整（¥5000.00）。\n", "", "required_field_missing", "处罚内容"},
		{"no authority", "处罚机关：东城区市场监督管理局\n", "", "", ""}, // the organ still stands alone on the first line
		{"no decision date", "\n决定日期：2024年3月5日", "", "required_field_missing", "决定日期"},
		{"no violation", "违法行为：销售超过保质期的食品\n违法事实：", "", "required_field_missing", "违法行为"},
		{"full-width colon or ASCII colon", "当事人：", "当事人:", "", ""},
		{"label with space before colon", "当事人：", "当事人 ：", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(penaltyFull, tt.from, tt.to, 1)
			if body == penaltyFull {
				t.Fatal("test edit did not apply")
			}
			c := draft("penalty", "北京某某餐饮有限公司行政处罚决定书", body)
			fs := Check(c, testToday)
			if tt.code == "" {
				if len(fs) != 0 {
					t.Errorf("want no findings, got %v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Code != tt.code {
				t.Fatalf("want one %s, got %v", tt.code, fs)
			}
			if tt.field != "" && !strings.Contains(fs[0].MessageZH, tt.field) {
				t.Errorf("message %q does not name %s", fs[0].MessageZH, tt.field)
			}
			if tt.code == "required_field_empty" && spanText(c, fs[0]) != "当事人：" {
				t.Errorf("span %q, want the label", spanText(c, fs[0]))
			}
		})
	}
}

func TestRequiredFieldsOtherCategories(t *testing.T) {
	license := `行政许可决定书
东市监许〔2024〕8号
被许可人：北京某某食品有限公司
许可事项：食品经营许可（新办）
许可内容：预包装食品销售（含冷藏冷冻食品）
有效期：2024年3月5日至2029年3月4日
许可机关：东城区市场监督管理局
许可日期：2024年3月5日`
	procurement := `一、项目基本情况
项目编号：DCCG-2024-015
项目名称：东城区市场监督管理局快检设备采购项目
预算金额（万元）：86.5
二、采购人信息
采购人：东城区市场监督管理局
地址：北京市东城区某某街1号`
	recruit := `根据公务员法和公务员录用有关规定，现将东城区2024年度考试录用公务员有关事项公告如下。
一、报考条件
报考人员应当具备下列资格条件：具有中华人民共和国国籍……
二、报名时间：2024年3月20日9:00至3月26日18:00
三、报名方式：登录北京市人力资源和社会保障局网站进行网上报名。`
	publicity := `根据东城区2024年度考试录用公务员工作安排，经笔试、面试、体检和考察，现将拟录用人员名单予以公示。
公示期：2024年3月11日至3月15日
监督电话：010-12345678`
	normative := `东城区人民政府关于印发《东城区老旧小区综合整治管理办法》的通知
东政发〔2024〕3号
各街道办事处，区政府各委、办、局：
现将《东城区老旧小区综合整治管理办法》印发给你们，请认真贯彻执行。
本办法自2024年4月1日起施行，有效期5年。`
	tests := []struct {
		name, category, title, body string
		missing                     []string // NameZH of the missing fields
	}{
		{"license complete", "license", "北京某某食品有限公司食品经营许可", license, nil},
		{"license without term", "license", "北京某某食品有限公司食品经营许可", strings.Replace(license, "有效期：2024年3月5日至2029年3月4日\n", "", 1), []string{"有效期"}},
		{"procurement complete", "procurement", "快检设备采购项目公开招标公告", procurement, nil},
		{"procurement without budget", "procurement", "快检设备采购项目公开招标公告", strings.Replace(procurement, "预算金额（万元）：86.5\n", "", 1), []string{"预算金额"}},
		{"recruitment complete", "civil_service", "东城区2024年度考试录用公务员公告", recruit, nil},
		{"recruitment without how to apply", "civil_service", "东城区2024年度考试录用公务员公告", strings.Replace(recruit, "三、报名方式：登录北京市人力资源和社会保障局网站进行网上报名。", "", 1), []string{"报名方式"}},
		{"publicity needs no application period", "civil_service", "东城区2024年度考试录用公务员拟录用人员公示", publicity, nil},
		{"publicity without phone", "civil_service", "东城区2024年度考试录用公务员拟录用人员公示", strings.Replace(publicity, "\n监督电话：010-12345678", "", 1), []string{"监督电话"}},
		{"normative complete", "normative_document", "东城区人民政府关于印发《东城区老旧小区综合整治管理办法》的通知", normative, nil},
		{"normative without number", "normative_document", "东城区人民政府关于印发《东城区老旧小区综合整治管理办法》的通知", strings.Replace(normative, "东政发〔2024〕3号\n", "", 1), []string{"文号"}},
		{"normative citing another's number only", "normative_document", "东城区人民政府关于印发《东城区老旧小区综合整治管理办法》的通知", strings.Replace(normative, "东政发〔2024〕3号\n", "根据《国务院办公厅关于全面推进城镇老旧小区改造工作的指导意见》（国办发〔2020〕23号）精神，", 1), []string{"文号"}},
		{"news requires nothing", "news", "东城区开展春季食品安全专项检查", "3月5日，东城区市场监督管理局组织开展春季食品安全专项检查，共检查餐饮单位120家。", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := draft(tt.category, tt.title, tt.body)
			c.Department = "东城区人民政府"
			fs := withCode(Check(c, testToday), "required_field_missing")
			var got []string
			for _, f := range fs {
				for _, fld := range RequiredFields[tt.category] {
					if strings.Contains(f.MessageZH, "“"+fld.NameZH+"”") {
						got = append(got, fld.NameZH)
					}
				}
			}
			if !slices.Equal(got, tt.missing) {
				t.Errorf("missing %v, want %v (findings %v)", got, tt.missing, fs)
			}
		})
	}
}

func TestRequiredFieldsTable(t *testing.T) {
	for cat, fields := range RequiredFields {
		if !domain.ValidCategory(cat) {
			t.Errorf("RequiredFields has unknown category %q", cat)
		}
		keys := map[string]bool{}
		for _, f := range fields {
			if f.Key == "" || f.NameZH == "" || f.NameEN == "" || (len(f.Labels) == 0 && f.Pattern == "") {
				t.Errorf("%s: incomplete field %+v", cat, f)
			}
			if keys[f.Key] {
				t.Errorf("%s: duplicate key %s", cat, f.Key)
			}
			keys[f.Key] = true
			if f.Pattern != "" && patternRE(f.Pattern) == nil {
				t.Errorf("%s.%s: pattern does not compile", cat, f.Key)
			}
			if f.When != "" && compile(f.When) == nil {
				t.Errorf("%s.%s: condition does not compile", cat, f.Key)
			}
			if labelRE(f.Labels) == nil && len(f.Labels) > 0 {
				t.Errorf("%s.%s: labels do not compile", cat, f.Key)
			}
		}
	}
}

func TestBasic(t *testing.T) {
	ok := draft("news", "东城区开展春季食品安全专项检查", "3月5日，东城区市场监督管理局组织开展春季食品安全专项检查，共检查餐饮单位120家。")
	tests := []struct {
		name   string
		edit   func(*domain.Content)
		code   string
		sev    domain.Severity
		field  string
		target string // the text the finding points at, for field findings
	}{
		{"fine", func(*domain.Content) {}, "", "", "", ""},
		{"title empty", func(c *domain.Content) { c.Title = "  " }, "title_missing", domain.SeverityBlock, "title", "  "},
		{"title short", func(c *domain.Content) { c.Title = " 通知 " }, "title_too_short", domain.SeverityWarn, "title", "通知"},
		{"title 5 runes", func(c *domain.Content) { c.Title = "停水的通知" }, "", "", "", ""},
		{"title 80 runes", func(c *domain.Content) { c.Title = strings.Repeat("题", 80) }, "", "", "", ""},
		{"title 81 runes", func(c *domain.Content) { c.Title = strings.Repeat("题", 81) }, "title_too_long", domain.SeverityWarn, "title", strings.Repeat("题", 81)},
		{"title 201 runes", func(c *domain.Content) { c.Title = strings.Repeat("题", 201) }, "title_too_long", domain.SeverityBlock, "title", strings.Repeat("题", 201)},
		{"title line break", func(c *domain.Content) { c.Title = "东城区开展春季\n食品安全专项检查" }, "title_line_break", domain.SeverityWarn, "title", "\n"},
		{"body empty", func(c *domain.Content) { c.Body = "\n\u3000 " }, "body_missing", domain.SeverityBlock, "body", "\n\u3000 "},
		{"body short", func(c *domain.Content) { c.Body = "详见附件。" }, "body_too_short", domain.SeverityWarn, "body", "详见附件。"},
		{"formed_on zero", func(c *domain.Content) { c.FormedOn = time.Time{} }, "formed_on_missing", domain.SeverityBlock, "", ""},
		{"formed_on future", func(c *domain.Content) { c.FormedOn = testToday.AddDate(0, 0, 1) }, "formed_on_future", domain.SeverityBlock, "", ""},
		{"formed_on today", func(c *domain.Content) { c.FormedOn = testToday }, "", "", "", ""},
		{"category empty", func(c *domain.Content) { c.Category = "" }, "category_missing", domain.SeverityBlock, "", ""},
		{"category unknown", func(c *domain.Content) { c.Category = "gossip" }, "category_unknown", domain.SeverityBlock, "", ""},
		{"no channels", func(c *domain.Content) { c.Channels = nil }, "channels_missing", domain.SeverityBlock, "", ""},
		{"unknown channel", func(c *domain.Content) { c.Channels = []domain.Channel{"website", "tiktok"} }, "channel_unknown", domain.SeverityBlock, "", ""},
		{"no department", func(c *domain.Content) { c.Department = "" }, "department_missing", domain.SeverityBlock, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			fs := Check(c, testToday)
			if tt.code == "" {
				if len(fs) != 0 {
					t.Errorf("want no findings, got %v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Code != tt.code || fs[0].Severity != tt.sev || fs[0].Field != tt.field {
				t.Fatalf("want one %s %s on %q, got %v", tt.sev, tt.code, tt.field, fs)
			}
			if tt.field == "" {
				if fs[0].Start != -1 || fs[0].End != -1 {
					t.Errorf("whole-draft finding with offsets %d..%d", fs[0].Start, fs[0].End)
				}
			} else if got := spanText(c, fs[0]); got != tt.target {
				t.Errorf("points at %q, want %q", got, tt.target)
			}
		})
	}
}

func TestTodayIsBeijingDay(t *testing.T) {
	c := draft("news", "东城区开展春季食品安全专项检查", "3月5日，东城区市场监督管理局组织开展春季食品安全专项检查，共检查餐饮单位120家。")
	c.FormedOn = time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)
	// 2024-03-10 17:00 UTC is already 11 March in Beijing.
	if fs := Check(c, time.Date(2024, 3, 10, 17, 0, 0, 0, time.UTC)); len(fs) != 0 {
		t.Errorf("formed_on is today in Beijing, got %v", fs)
	}
	if fs := Check(c, time.Date(2024, 3, 10, 15, 0, 0, 0, time.UTC)); len(withCode(fs, "formed_on_future")) != 1 {
		t.Errorf("formed_on is tomorrow in Beijing, got %v", fs)
	}
}

func TestDecisionDate(t *testing.T) {
	tests := []struct {
		name, body, want string // want: the date's text, "" for none
	}{
		{"label", "决定日期：2024年3月5日", "2024年3月5日"},
		{"label beats signature", "处罚决定日期： 2024年3月4日\n东城区市场监督管理局\n2024年3月5日", "2024年3月4日"},
		{"signature", "经查，……\n东城区市场监督管理局\n  2024年3月5日  ", "2024年3月5日"},
		{"chinese numerals signature", "东城区市场监督管理局\n二〇二四年三月五日", "二〇二四年三月五日"},
		{"made on", "本局于2024年3月5日作出行政处罚决定。", "2024年3月5日"},
		{"notice is not the decision", "本局于2024年2月1日作出行政处罚告知书，当事人未提出陈述申辩。", ""},
		{"made on after comma", "2024年3月5日，本局依法作出处罚决定。", "2024年3月5日"},
		{"none", "经查，当事人于2024年1月8日销售过期食品。", ""},
		{"signature on one line", "经查，……\n东城区市场监督管理局　2024年3月5日", "2024年3月5日"},
		{"signature with a seal", "经查，……\n东城区市场监督管理局建国门市场监督管理所（印章）\n2024年3月5日", "2024年3月5日"},
		{"full-width digits", "决定日期：２０２４年３月５日", "２０２４年３月５日"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s, e, ok := DecisionDate(tt.body)
			if tt.want == "" {
				if ok {
					t.Errorf("want none, got %v", d)
				}
				return
			}
			if !ok {
				t.Fatal("no decision date found")
			}
			if got := string([]rune(tt.body)[s:e]); got != tt.want {
				t.Errorf("found %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPenaltyDecisionDate(t *testing.T) {
	title := "北京某某餐饮有限公司行政处罚决定书"
	tests := []struct {
		name   string
		date   string
		formed time.Time
		code   string
		sev    domain.Severity
	}{
		{"future decision blocks", "2024年3月12日", testFormed, "decision_date_future", domain.SeverityBlock},
		{"after formed_on warns", "2024年3月8日", testFormed, "decision_date_after_formed", domain.SeverityWarn},
		{"before formed_on is fine", "2024年3月1日", testFormed, "", ""},
		{"same day is fine", "2024年3月5日", testFormed, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := draft("penalty", title, strings.Replace(penaltyFull, "决定日期：2024年3月5日", "决定日期："+tt.date, 1))
			c.FormedOn = tt.formed
			fs := Check(c, testToday)
			if tt.code == "" {
				if len(fs) != 0 {
					t.Errorf("want none, got %v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Code != tt.code || fs[0].Severity != tt.sev || spanText(c, fs[0]) != tt.date {
				t.Errorf("want one %s on %q, got %v", tt.code, tt.date, fs)
			}
		})
	}
}

// checkOffsets is what every finding must satisfy, whatever the input.
func checkOffsets(t *testing.T, c domain.Content, fs []domain.Finding, stage domain.Stage) {
	t.Helper()
	for _, f := range fs {
		if f.Code == "" || f.MessageZH == "" || f.MessageEN == "" || f.Stage != stage ||
			(f.Severity != domain.SeverityBlock && f.Severity != domain.SeverityWarn) {
			t.Fatalf("malformed finding %+v", f)
		}
		switch f.Field {
		case "":
			if f.Start != -1 || f.End != -1 {
				t.Fatalf("whole-draft finding with offsets: %+v", f)
			}
		case fieldTitle, fieldBody:
			n := utf8.RuneCountInString(fieldText(c, f))
			if f.Start < 0 || f.Start > f.End || f.End > n {
				t.Fatalf("offsets %d..%d outside %s of %d runes: %+v", f.Start, f.End, f.Field, n, f)
			}
		default:
			t.Fatalf("unknown field %q", f.Field)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("北京某某餐饮有限公司行政处罚决定书", penaltyFull, "penalty", testDept, 0, uint8(1))
	f.Add("关于印发的通知", "东政发[24]第01号（见附件)。。“引号", "normative_document", "", -3, uint8(7))
	f.Add("", "2024年2月30日\xff二〇二四年十三月五日 2024.2.30 朝阳街道办事处 朝阳街道办", "news", "朝阳街道办事处", 400, uint8(0))
	f.Add("\n", "东城区市场监督管理局东城区市场监都管理局1）a’b", "license", testDept, 1, uint8(4))
	f.Fuzz(func(t *testing.T, title, body, category, dept string, days int, chans uint8) {
		c := domain.Content{Title: title, Body: body, Category: category, Department: dept,
			FormedOn: testFormed.AddDate(0, 0, days%4000)}
		for i, ch := range domain.Channels {
			if chans&(1<<i) != 0 {
				c.Channels = append(c.Channels, ch)
			}
		}
		if chans&8 != 0 {
			c.Channels = append(c.Channels, "bogus")
		}
		checkOffsets(t, c, Check(c, testToday), domain.StageCompleteness)
	})
}
