package compliance

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

var testFormed = time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// lawQuote quotes the article applied, with the warning and the fine range
// the law allows; neither is what the decision imposes.
const lawQuote = "《中华人民共和国食品安全法》第一百二十六条第一款规定：“……由县级以上人民政府食品安全监督管理部门责令改正，给予警告；拒不改正的，处五千元以上五万元以下罚款；情节严重的，责令停产停业，直至吊销许可证。”依据上述规定"

// decision builds a penalty decision in the usual narrative form around the
// operative part penalty, decided on date.
func decision(penalty, date string) string {
	return `行政处罚决定书
东市监罚〔2024〕16号
当事人：北京某某商贸有限公司
经查，当事人于2024年1月至2月期间销售未标注生产日期的预包装食品，货值金额2000元。
当事人的上述行为违反了《中华人民共和国食品安全法》第六十七条第一款的规定。` + lawQuote + `，本局决定对当事人作出如下行政处罚：
` + penalty + `
当事人应当自收到本决定书之日起十五日内缴纳罚款。当事人如对本处罚决定不服，可以在收到本处罚决定书之日起六十日内依法申请行政复议。
东城区市场监督管理局
` + date
}

func penaltyDraft(body string) domain.Content {
	return domain.Content{Title: "北京某某商贸有限公司行政处罚决定书", Body: body, Department: "东城区市场监督管理局",
		Category: "penalty", Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: testFormed}
}

func codes(fs []domain.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestChannels(t *testing.T) {
	web, wechat, douyin := domain.ChannelWebsite, domain.ChannelWeChat, domain.ChannelDouyin
	tests := []struct {
		category string
		channels []domain.Channel
		code     string
	}{
		{"license", []domain.Channel{web}, ""},
		{"license", []domain.Channel{web, douyin}, ""},
		{"license", []domain.Channel{douyin}, "channel_unsuitable"},
		{"normative_document", []domain.Channel{douyin}, "channel_unsuitable"},
		{"budget", []domain.Channel{wechat, douyin}, "website_missing"},
		{"annual_report", []domain.Channel{wechat}, "website_missing"},
		{"news", []domain.Channel{douyin}, ""},
		{"emergency", []domain.Channel{wechat, douyin}, ""},
		{"procurement", nil, ""}, // no channel at all is stage 1's finding
	}
	for _, tt := range tests {
		c := domain.Content{Title: "标题", Body: "正文", Category: tt.category, Channels: tt.channels, FormedOn: testFormed}
		fs := Check(c)
		var want []string
		if tt.code != "" {
			want = []string{tt.code}
		}
		if got := codes(fs); !slices.Equal(got, want) {
			t.Errorf("%s on %v: got %v, want %v", tt.category, tt.channels, got, want)
		}
		for _, f := range fs {
			if f.Severity != domain.SeverityWarn || f.Stage != domain.StageCompliance || f.Start != -1 || f.End != -1 {
				t.Errorf("got %+v", f)
			}
		}
	}
}

func TestPenaltyExpiry(t *testing.T) {
	tests := []struct {
		name, penalty, date string
		want                time.Time
	}{
		{"small fine in figures", "罚款人民币5000元。", "2024年3月5日", day(2024, 6, 5)},
		{"small fine in financial numerals", "罚款人民币伍仟元整。", "2024年3月5日", day(2024, 6, 5)},
		{"small fine in 万", "罚款0.5万元。", "2024年3月5日", day(2024, 6, 5)},
		{"fine just under the line", "罚款人民币9999.99元。", "2024年3月5日", day(2024, 6, 5)},
		{"fine before 罚款", "处以人民币8000元罚款。", "2024年3月5日", day(2024, 6, 5)},
		{"capital in brackets is not counted twice", "罚款人民币6000元（大写：陆仟元整）。", "2024年3月5日", day(2024, 6, 5)},
		{"public criticism", "通报批评。", "2024年3月5日", day(2024, 6, 5)},
		{"warning and small fine", "1.警告；\n2.罚款人民币3000元。", "2024年3月5日", day(2024, 6, 5)},
		{"fine of 10,000", "罚款人民币10,000元。", "2024年3月5日", day(2027, 3, 5)},
		{"fine of 壹万伍仟", "罚款人民币壹万伍仟元。", "2024年3月5日", day(2027, 3, 5)},
		{"fine of 1.2万", "罚款1.2万元。", "2024年3月5日", day(2027, 3, 5)},
		{"two small fines add up", "1.对违法行为一罚款6000元；\n2.对违法行为二罚款5000元。", "2024年3月5日", day(2027, 3, 5)},
		{"confiscation and small fine", "1.没收违法所得人民币300元；\n2.罚款人民币5000元。", "2024年3月5日", day(2027, 3, 5)},
		{"revocation", "吊销食品经营许可证。", "2024年3月5日", day(2027, 3, 5)},
		{"fine without amount", "罚款。", "2024年3月5日", day(2027, 3, 5)},
		{"end of month", "罚款人民币5000元。", "2023年11月30日", day(2024, 2, 29)},
		{"29 February plus 3 years", "罚款人民币2万元。", "2024年2月29日", day(2027, 2, 28)},
		{"chinese numeral date", "罚款人民币5000元。", "二〇二四年三月五日", day(2024, 6, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := penaltyDraft(decision(tt.penalty, tt.date))
			got, ok := PenaltyExpiry(c)
			if !ok || !got.Equal(tt.want) {
				t.Errorf("PenaltyExpiry = %v, %v; want %v", got.Format(domain.DateLayout), ok, tt.want.Format(domain.DateLayout))
			}
			fs := Check(c)
			var exp []domain.Finding
			for _, f := range fs {
				if f.Code == "penalty_expiry" {
					exp = append(exp, f)
				}
			}
			if len(exp) != 1 || !strings.Contains(exp[0].MessageZH, tt.want.Format(domain.DateLayout)) ||
				!strings.Contains(exp[0].MessageEN, tt.want.Format(domain.DateLayout)) || exp[0].Severity != domain.SeverityWarn {
				t.Errorf("want one penalty_expiry naming %s, got %v", tt.want.Format(domain.DateLayout), fs)
			}
		})
	}
}

func TestPenaltyExpiryFallbacks(t *testing.T) {
	c := penaltyDraft(strings.TrimSuffix(decision("罚款人民币5000元。", ""), "\n"))
	if got, ok := PenaltyExpiry(c); !ok || !got.Equal(day(2024, 6, 5)) {
		t.Errorf("without a decision date formed_on counts: got %v %v", got, ok)
	}
	if fs := Check(c); !strings.Contains(fs[0].MessageZH, "信息形成日期") {
		t.Errorf("the message must say formed_on was used: %v", fs)
	}
	c.FormedOn = time.Time{}
	if _, ok := PenaltyExpiry(c); ok {
		t.Error("no date at all: want ok = false")
	}
	if got := codes(Check(c)); !slices.Equal(got, []string{"penalty_expiry_unknown"}) {
		t.Errorf("no date at all must be reported, got %v", got)
	}
	c = penaltyDraft(decision("罚款人民币5000元。", "2024年3月5日"))
	c.Category = "license"
	if _, ok := PenaltyExpiry(c); ok {
		t.Error("not a penalty: want ok = false")
	}
}

func TestPenaltyFindings(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
		target     string // the text of the finding with a span, if any
	}{
		{"full decision", decision("罚款人民币5000元。", "2024年3月5日"), []string{"penalty_expiry"}, ""},
		{"warning only", decision("警告。", "2024年3月5日"), []string{"penalty_expiry", "penalty_warning_only"}, "警告"},
		{"warning in the quoted law is not the penalty", decision("通报批评。", "2024年3月5日"), []string{"penalty_expiry"}, ""},
		{"law without article", strings.NewReplacer("违反了《中华人民共和国食品安全法》第六十七条第一款的规定", "违反了有关规定",
			lawQuote, "依据《中华人民共和国食品安全法》的有关规定").
			Replace(decision("罚款人民币5000元。", "2024年3月5日")), []string{"penalty_expiry", "penalty_no_legal_basis"}, "依据《中华人民共和国食品安全法》"},
		{"no law at all", "经查，当事人销售过期食品。依据有关规定，本局决定对当事人罚款人民币5000元。\n东城区市场监督管理局\n2024年3月5日",
			[]string{"penalty_no_legal_basis", "penalty_expiry"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := penaltyDraft(tt.body)
			fs := Check(c)
			if got := codes(fs); !slices.Equal(got, tt.want) {
				t.Fatalf("codes %v, want %v (%v)", got, tt.want, fs)
			}
			for _, f := range fs {
				if f.Field == "body" {
					if got := string([]rune(c.Body)[f.Start:f.End]); got != tt.target {
						t.Errorf("%s points at %q, want %q", f.Code, got, tt.target)
					}
				}
				if f.Code == "penalty_no_legal_basis" && f.Severity != domain.SeverityBlock {
					t.Errorf("a missing legal basis must block: %+v", f)
				}
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	for s, want := range map[string]float64{
		"5000": 5000, "5,000.00": 5000, "伍仟": 5000, "五千": 5000, "壹万伍仟": 15000, "一万零五百": 10500,
		"十五": 15, "两千": 2000, "叁拾万": 300000, "壹佰贰拾": 120, "一亿二千万": 120000000,
	} {
		if got, ok := parseNumber(s); !ok || got != want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "元", "五x"} {
		if _, ok := parseNumber(s); ok {
			t.Errorf("parseNumber(%q) should fail", s)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(decision("罚款人民币伍仟元整（¥5000.00）。", "2024年3月5日"), "penalty", uint8(1), 0)
	f.Add("决定：\n1.警告\n2.罚款0.5万元以上", "penalty", uint8(4), 10)
	f.Add("依据《\xff》第条 决定罚款￥ 元 合计罚款一亿二千万元", "penalty", uint8(6), -400)
	f.Add("正文", "license", uint8(4), 1)
	f.Fuzz(func(t *testing.T, body, category string, chans uint8, days int) {
		c := domain.Content{Title: "标题", Body: body, Category: category, FormedOn: testFormed.AddDate(0, 0, days%4000)}
		if days%7 == 0 {
			c.FormedOn = time.Time{}
		}
		for i, ch := range domain.Channels {
			if chans&(1<<i) != 0 {
				c.Channels = append(c.Channels, ch)
			}
		}
		n := utf8.RuneCountInString(body)
		for _, f := range Check(c) {
			if f.Code == "" || f.MessageZH == "" || f.MessageEN == "" || f.Stage != domain.StageCompliance {
				t.Fatalf("malformed finding %+v", f)
			}
			switch f.Field {
			case "":
				if f.Start != -1 || f.End != -1 {
					t.Fatalf("whole-draft finding with offsets %+v", f)
				}
			case "body":
				if f.Start < 0 || f.Start > f.End || f.End > n {
					t.Fatalf("offsets %d..%d outside a body of %d runes", f.Start, f.End, n)
				}
			default:
				t.Fatalf("unexpected field %q", f.Field)
			}
		}
		if exp, ok := PenaltyExpiry(c); ok && category != "penalty" {
			t.Fatalf("expiry %v for a %q", exp, category)
		}
	})
}
