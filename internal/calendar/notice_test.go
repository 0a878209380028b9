package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func dates(ds []time.Time) []string {
	s := make([]string, 0, len(ds))
	for _, d := range ds {
		s = append(s, d.Format(time.DateOnly))
	}
	return s
}

func codes(ps []Problem) []string {
	s := make([]string, 0, len(ps))
	for _, p := range ps {
		s = append(s, p.Code)
	}
	return s
}

func readNotice(t testing.TB, year int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("notice-%d.txt", year)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func embeddedYears(t *testing.T) file {
	t.Helper()
	var f file
	if err := json.Unmarshal(officialData, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// The notices as written in testdata read to exactly the embedded data,
// which was checked date by date against the published notices.
func TestNoticesMatchEmbeddedData(t *testing.T) {
	f := embeddedYears(t)
	cases := []struct {
		year     int
		holidays []string
		problems []string
	}{
		// 元旦 2024 takes in 2023-12-30/31, shown but not stored; 除夕 (2月9日) is only encouraged leave.
		{2024, []string{"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}, []string{ProblemIgnored, ProblemOtherYear}},
		{2025, []string{"元旦", "春节", "清明节", "劳动节", "端午节", "国庆节、中秋节"}, []string{}},
		{2026, []string{"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.year), func(t *testing.T) {
			y, ps, err := ParseNotice(tc.year, readNotice(t, tc.year))
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(tc.problems)
			if got := slices.Sorted(slices.Values(codes(ps))); !slices.Equal(got, tc.problems) {
				t.Fatalf("problems %v, want %v: %+v", got, tc.problems, ps)
			}
			if Blocking(ps) {
				t.Fatal("the notice is blocked")
			}
			want := f.Years[fmt.Sprint(tc.year)]
			if got := dates(y.Off); !slices.Equal(got, want.Off) {
				t.Errorf("off\n got %v\nwant %v", got, want.Off)
			}
			if got := dates(y.Workdays); !slices.Equal(got, want.Workdays) {
				t.Errorf("workdays\n got %v\nwant %v", got, want.Workdays)
			}
			var names []string
			for _, h := range y.Holidays {
				names = append(names, h.Name)
			}
			if !slices.Equal(names, tc.holidays) {
				t.Errorf("holidays %v, want %v", names, tc.holidays)
			}
			got, err := json.Marshal(y)
			if err != nil {
				t.Fatal(err)
			}
			if w, _ := json.Marshal(want); string(got) != string(w) {
				t.Errorf("JSON\n got %s\nwant %s", got, w)
			}
		})
	}
}

func TestNotice2024Holidays(t *testing.T) {
	y, ps, err := ParseNotice(2024, readNotice(t, 2024))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2][]string{
		"元旦":  {{"2023-12-30", "2023-12-31", "2024-01-01"}, {}},
		"春节":  {{"2024-02-10", "2024-02-11", "2024-02-12", "2024-02-13", "2024-02-14", "2024-02-15", "2024-02-16", "2024-02-17"}, {"2024-02-04", "2024-02-18"}},
		"端午节": {{"2024-06-08", "2024-06-09", "2024-06-10"}, {}},
	}
	for _, h := range y.Holidays {
		if w, ok := want[h.Name]; ok && (!slices.Equal(dates(h.Off), w[0]) || !slices.Equal(dates(h.Workdays), w[1])) {
			t.Errorf("%s: off %v workdays %v, want %v", h.Name, dates(h.Off), dates(h.Workdays), w)
		}
	}
	for _, p := range ps {
		switch p.Code {
		case ProblemOtherYear:
			if p.Line != 6 || !strings.Contains(p.MessageZH, "2023年12月30日、2023年12月31日不在2024年") || !strings.Contains(p.MessageZH, "不影响工作日") {
				t.Errorf("other-year: %+v", p)
			}
		case ProblemIgnored:
			if p.Line != 7 || !strings.Contains(p.MessageZH, "除夕(2月9日)休息") {
				t.Errorf("ignored: %+v", p)
			}
		}
	}
}

// notice2025 is the 2025 notice's holiday lines, to be varied.
const notice2025 = `一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。`

func TestNoticeVariants(t *testing.T) {
	type holiday struct {
		name          string
		off, workdays string // dates, space-separated
	}
	cases := []struct {
		name     string
		year     int
		text     string
		want     []holiday
		off      string // Year.Off when it differs from the holidays' days
		problems []string
	}{
		{"ascii brackets, colon and 星期", 2025, "三、清明节:4月4日(星期五)至6日(星期日)放假,共3天。", []holiday{{"清明节", "2025-04-04 2025-04-05 2025-04-06", ""}}, "", nil},
		{"星期天", 2025, "劳动节：5月1日（星期四）至5日（周一）放假调休，共5天。4月27日（星期天）上班。", []holiday{{"劳动节", "2025-05-01 2025-05-02 2025-05-03 2025-05-04 2025-05-05", "2025-04-27"}}, "", nil},
		{"周天", 2025, "劳动节：5月1日至5日放假调休，共5天。4月27日（周天）上班。", []holiday{{"劳动节", "2025-05-01 2025-05-02 2025-05-03 2025-05-04 2025-05-05", "2025-04-27"}}, "", nil},
		{"numbered 1. and （一） and 2、", 2025, "1.元旦：1月1日（周三）放假1天，不调休。\n（一）清明节：4月4日（周五）至6日（周日）放假，共3天。\n2、端午节：5月31日（周六）至6月2日（周一）放假，共3天。",
			[]holiday{{"元旦", "2025-01-01", ""}, {"清明节", "2025-04-04 2025-04-05 2025-04-06", ""}, {"端午节", "2025-05-31 2025-06-01 2025-06-02", ""}}, "", nil},
		{"unnumbered", 2025, "元旦：1月1日（周三）放假1天，不调休。", []holiday{{"元旦", "2025-01-01", ""}}, "", nil},
		{"stray and full-width spaces, full-width digits", 2025, "  四、 劳动节 ：　５ 月 1 日 （ 周四 ） 至 5 日（周一）放假调休 ，共 5 天。 4 月 27 日（周日）上班 。\t",
			[]holiday{{"劳动节", "2025-05-01 2025-05-02 2025-05-03 2025-05-04 2025-05-05", "2025-04-27"}}, "", nil},
		{"dash and tilde ranges", 2025, "一、清明节：4月4日—6日放假，共3天。\n二、端午节：5月31日~6月2日放假，共3天。\n三、劳动节：5月1日-5日放假。",
			[]holiday{{"清明节", "2025-04-04 2025-04-05 2025-04-06", ""}, {"端午节", "2025-05-31 2025-06-01 2025-06-02", ""}, {"劳动节", "2025-05-01 2025-05-02 2025-05-03 2025-05-04 2025-05-05", ""}}, "", nil},
		{"Windows line ends and a BOM", 2025, "\ufeff国务院办公厅关于2025年部分节假日安排的通知\r\n一、元旦：1月1日（周三）放假1天，不调休。\r\n",
			[]holiday{{"元旦", "2025-01-01", ""}}, "", nil},
		{"a range into the next year", 2027, "一、元旦：12月30日（周四）至1月1日（周六）放假，共3天。",
			[]holiday{{"元旦", "2027-12-30 2027-12-31 2028-01-01", ""}}, "2027-12-30 2027-12-31", []string{ProblemOtherYear}},
		{"a range from the year before, years written", 2023, "一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。",
			[]holiday{{"元旦", "2022-12-31 2023-01-01 2023-01-02", ""}}, "2023-01-01 2023-01-02", []string{ProblemOtherYear}},
		{"a make-up day in the year before (2008)", 2008, "一、元旦：2007年12月30日—2008年1月1日放假，共3天。2007年12月29日（星期六）上班。",
			[]holiday{{"元旦", "2007-12-30 2007-12-31 2008-01-01", "2007-12-29"}}, "2008-01-01", []string{ProblemOtherYear}},
		{"与周末连休 after a Friday", 2027, "一、元旦：1月1日（周五）放假，与周末连休。",
			[]holiday{{"元旦", "2027-01-01 2027-01-02 2027-01-03", ""}}, "", nil},
		{"make-up days in one sentence with the block", 2025, "劳动节：5月1日至5日放假调休，共5天，4月27日（周日）上班。",
			[]holiday{{"劳动节", "2025-05-01 2025-05-02 2025-05-03 2025-05-04 2025-05-05", "2025-04-27"}}, "", nil},
		{"preamble and signature with dates are skipped", 2025, "国务院办公厅关于2025年部分节假日安排的通知\n根据2024年11月10日修订的办法，现通知如下：\n一、元旦：1月1日（周三）放假1天，不调休。\n国务院办公厅\n2024年11月12日",
			[]holiday{{"元旦", "2025-01-01", ""}}, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y, ps, err := ParseNotice(tc.year, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(ps); !slices.Equal(got, append([]string{}, tc.problems...)) {
				t.Fatalf("problems %v, want %v: %+v", got, tc.problems, ps)
			}
			if tc.want == nil {
				return
			}
			var got []holiday
			var off []string
			for _, h := range y.Holidays {
				got = append(got, holiday{h.Name, strings.Join(dates(h.Off), " "), strings.Join(dates(h.Workdays), " ")})
				off = append(off, dates(h.Off)...)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("holidays\n got %v\nwant %v", got, tc.want)
			}
			if tc.off == "" {
				slices.Sort(off)
				tc.off = strings.Join(off, " ")
			}
			if got := strings.Join(dates(y.Off), " "); got != tc.off {
				t.Errorf("Year.Off %s, want %s", got, tc.off)
			}
			for _, d := range slices.Concat(y.Off, y.Workdays) {
				if d.Year() != tc.year {
					t.Errorf("%s stored in %d", d.Format(time.DateOnly), tc.year)
				}
			}
		})
	}
}

func TestNoticeProblems(t *testing.T) {
	cases := []struct {
		name    string
		year    int
		text    string
		code    string
		warning bool
		line    int
		zh      string // in MessageZH
	}{
		{"weekday", 2025, "一、元旦：1月1日（周四）放假1天，不调休。", ProblemWeekday, false, 1, "第1行“元旦”：2025年1月1日写作周四，实为周三。"},
		{"weekday of a range's end", 2025, "三、清明节：4月4日（周五）至6日（星期一）放假，共3天。", ProblemWeekday, false, 1, "2025年4月6日写作星期一，实为周日"},
		{"weekday of a make-up day", 2025, "四、劳动节：5月1日至5日放假调休，共5天。4月27日（周六）上班。", ProblemWeekday, false, 1, "2025年4月27日写作周六，实为周日"},
		{"count", 2025, "三、清明节：4月4日（周五）至6日（周日）放假，共4天。", ProblemCount, false, 1, "写明共4天，但2025年4月4日至2025年4月6日是3天"},
		{"count of 放假N天", 2025, "一、元旦：1月1日（周三）放假2天，不调休。", ProblemCount, false, 1, "写明共2天"},
		{"make-up day on a weekday", 2025, "四、劳动节：5月1日至5日放假调休，共5天。4月29日上班。", ProblemWorkdayNotWeekend, false, 1, "上班日2025年4月29日是周二，本来就是工作日"},
		{"off and worked", 2025, "\n六、国庆节：10月1日至8日放假调休，共8天。10月4日（周六）上班。", ProblemOffAndWork, false, 2, "第2行“国庆节”：2025年10月4日既是上班日，又是放假日。"},
		{"off and worked across lines", 2025, "一、国庆节：10月1日至8日放假，共8天。\n二、中秋节：9月27日（周六）放假。10月4日（周六）上班。", ProblemOffAndWork, false, 2, "第2行“中秋节”：2025年10月4日既是上班日，又在第1行“国庆节”中放假。"},
		{"a line with make-up days only", 2025, "一、国庆节：10月1日至8日放假。\n二、补班：10月5日（周日）上班。", ProblemUnreadable, false, 2, "没有放假日期"},
		{"duplicate", 2025, "一、国庆节：10月1日至8日放假，共8天。\n二、中秋节：10月6日放假，共1天。", ProblemDuplicate, true, 2, "2025年10月6日已在第1行“国庆节”中列出"},
		{"no date", 2025, "三、清明节：清明节放假3天。", ProblemUnreadable, false, 1, "第1行像是节假日安排，但无法识别（没有放假日期）：「三、清明节：清明节放假3天。」"},
		{"no colon", 2025, "二、春节 1月28日至2月4日放假", ProblemUnreadable, false, 1, "没有“假期名称：”"},
		{"no colon, not numbered", 2025, "春节1月28日至2月4日放假", ProblemUnreadable, false, 1, "没有“假期名称：”"},
		{"range backwards", 2025, "三、清明节：4月6日至4日放假。", ProblemUnreadable, false, 1, "区间的结束早于开始"},
		{"range too long", 2025, "三、清明节：4月1日至6月6日放假。", ProblemUnreadable, false, 1, "区间长达67天"},
		{"no such day", 2025, "二、春节：2月29日放假。", ProblemUnreadable, false, 1, "2月29日不存在"},
		{"no such end", 2025, "二、春节：2月28日至30日放假。", ProblemUnreadable, false, 1, "区间的结束日期不存在"},
		{"no month", 2025, "二、春节：28日放假。", ProblemUnreadable, false, 1, "日期缺少月份"},
		{"make-up day without month", 2025, "二、春节：1月28日至2月4日放假。8日上班。", ProblemUnreadable, false, 1, "日期缺少月份"},
		{"上班 without a date", 2025, "三、清明节：4月4日至6日放假，上班时间另行通知。", ProblemUnreadable, false, 1, "“上班”前没有日期"},
		{"two blocks", 2025, "一、元旦：1月1日放假，1月3日放假。", ProblemUnreadable, false, 1, "放假日期应写成一段"},
		{"two dates before 放假", 2025, "一、元旦：1月1日、1月3日放假。", ProblemUnreadable, false, 1, "放假日期应写成一段"},
		{"a holiday of another year", 2025, "七、国庆节：2024年10月1日至7日放假。", ProblemWrongYear, false, 1, "2024年10月1日、2024年10月2日、2024年10月3日、2024年10月4日、2024年10月5日、2024年10月6日、2024年10月7日不在2025年"},
		{"a make-up day of another year", 2025, "七、国庆节：10月1日至7日放假。2024年9月29日（周日）上班。", ProblemWrongYear, false, 1, "2024年9月29日不在2025年"},
		{"a weekday off in the year before", 2008, "一、元旦：2007年12月30日至2008年1月1日放假，共3天。2007年12月29日（星期六）上班。", ProblemOtherYear, true, 1, "2007年12月29日、2007年12月30日、2007年12月31日不在2008年。这个假期跨年，这些日期只在预览中显示，不计入2008年的数据；其中有的改变了2007年的工作日，请在2007年的数据中补录。"},
		{"an ignored date", 2024, "二、春节：2月10日至17日放假调休，共8天。安排职工在2月9日休息。", ProblemIgnored, true, 1, "未录入：「安排职工在2月9日休息」"},
		{"title of another year", 2026, "国务院办公厅关于2025年部分节假日安排的通知\n" + notice2025, ProblemTitleYear, false, 1, "标题是2025年的通知，录入的却是2026年"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ps, err := ParseNotice(tc.year, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.Code == tc.code {
					if p.Warning != tc.warning || p.Line != tc.line || !strings.Contains(p.MessageZH, tc.zh) || p.MessageEN == "" {
						t.Errorf("got %+v\nwant warning %v, line %d, message containing %q", p, tc.warning, tc.line, tc.zh)
					}
					if Blocking(ps) == tc.warning && len(ps) == 1 {
						t.Errorf("Blocking = %v", Blocking(ps))
					}
					return
				}
			}
			t.Errorf("no %s problem in %+v", tc.code, ps)
		})
	}
}

// A notice with one wrong weekday reads to the right days with one problem
// that names the line, the date and its real weekday.
func TestNoticeWithAWrongWeekday(t *testing.T) {
	text := strings.Replace(readNotice(t, 2025), "2月4日（农历正月初七、周二）", "2月4日（农历正月初七、周三）", 1)
	y, ps, err := ParseNotice(2025, text)
	if err != nil {
		t.Fatal(err)
	}
	want := Problem{Code: ProblemWeekday, Line: 7,
		MessageZH: "第7行“春节”：2025年2月4日写作周三，实为周二。",
		MessageEN: "line 7 (春节): 2025-02-04 is given as Wednesday, but is a Tuesday."}
	if len(ps) != 1 || ps[0] != want {
		t.Fatalf("problems %+v, want %+v", ps, want)
	}
	if !Blocking(ps) {
		t.Error("a wrong weekday does not block")
	}
	if got, w := dates(y.Off), embeddedYears(t).Years["2025"].Off; !slices.Equal(got, w) {
		t.Errorf("off %v, want %v", got, w)
	}
}

func TestNoticeWithoutHolidayLines(t *testing.T) {
	for _, text := range []string{
		"",
		"国务院办公厅关于2025年部分节假日安排的通知\n经国务院批准，现将2025年元旦、春节放假调休日期的具体安排通知如下。\n国务院办公厅\n2024年11月12日",
		"节假日期间，各地区、各部门要妥善安排好值班。",
	} {
		if _, _, err := ParseNotice(2025, text); err == nil || !strings.HasPrefix(err.Error(), "没有找到节假日安排") {
			t.Errorf("ParseNotice(%q) error = %v", text, err)
		}
	}
	var e *Error
	if _, _, err := ParseNotice(0, notice2025); !errors.As(err, &e) || e.Code != ErrorInvalidYear {
		t.Errorf("year 0: %v", err)
	}
	if _, _, err := ParseNotice(2025, strings.Repeat(notice2025, 200)); !errors.As(err, &e) || e.Code != ErrorTooLong {
		t.Errorf("a 200-fold notice: %v", err)
	}
}

func TestParseDateList(t *testing.T) {
	y, ps, err := ParseDateList(2027, "2027-01-01\n2027/1/2, 1月3日、2027年2月6日（周六）\n\n 2027.2.7 ", "2027-02-20(周六)")
	if err != nil || len(ps) != 0 {
		t.Fatalf("err %v, problems %+v", err, ps)
	}
	if got := strings.Join(dates(y.Off), " "); got != "2027-01-01 2027-01-02 2027-01-03 2027-02-06 2027-02-07" {
		t.Errorf("off %s", got)
	}
	if got := strings.Join(dates(y.Workdays), " "); got != "2027-02-20" || y.Year != 2027 || y.Holidays != nil {
		t.Errorf("workdays %s, year %d, holidays %v", got, y.Year, y.Holidays)
	}

	// The embedded 2025, listed, is the 2025 notice.
	want := embeddedYears(t).Years["2025"]
	y, ps, err = ParseDateList(2025, strings.Join(want.Off, "\n"), strings.Join(want.Workdays, "、"))
	if err != nil || len(ps) != 0 || !slices.Equal(dates(y.Off), want.Off) || !slices.Equal(dates(y.Workdays), want.Workdays) {
		t.Fatalf("2025 listed: %v %+v %v %v", err, ps, dates(y.Off), dates(y.Workdays))
	}

	cases := []struct {
		name, off, work, code string
		warning               bool
		zh                    string
	}{
		{"unreadable", "2027-01-01, hello", "", ProblemUnreadable, false, "放假日期中有无法识别的日期：「hello」"},
		{"glued", "2027-01-01x", "", ProblemUnreadable, false, "「2027-01-01x」"},
		{"no such day", "2027-02-29", "", ProblemUnreadable, false, "2027-02-29不存在"},
		{"other year", "2026-12-31", "", ProblemWrongYear, false, "放假日期：2026年12月31日不在2027年"},
		{"weekday", "2027-01-01（周四）", "", ProblemWeekday, false, "2027年1月1日写作周四，实为周五"},
		{"make-up day on a weekday", "2027-01-01", "2027-01-04", ProblemWorkdayNotWeekend, false, "上班日期：上班日2027年1月4日是周一"},
		{"off and worked", "2027-01-01 2027-01-02", "1月2日", ProblemOffAndWork, false, "2027年1月2日既是上班日，又在放假日期中放假"},
		{"duplicate", "2027-01-01 2027/1/1", "", ProblemDuplicate, true, "放假日期：2027年1月1日重复列出。"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ps, err := ParseDateList(2027, tc.off, tc.work)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 || ps[0].Code != tc.code || ps[0].Warning != tc.warning || !strings.Contains(ps[0].MessageZH, tc.zh) || ps[0].MessageEN == "" {
				t.Errorf("problems %+v, want one %s containing %q", ps, tc.code, tc.zh)
			}
		})
	}
	for _, off := range []string{"", " \n、", ""} {
		if _, _, err := ParseDateList(2027, off, "2027-02-20"); err == nil {
			t.Errorf("no days off (%q) accepted", off)
		}
	}
}

func TestYearJSON(t *testing.T) {
	y, _, err := ParseDateList(2027, "2027-01-01 2027-01-02", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(y)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"off":["2027-01-01","2027-01-02"],"workdays":[]}` {
		t.Fatalf("JSON %s", b)
	}
	back := Year{Year: 2027}
	if err := json.Unmarshal([]byte(`{"off":["2027-01-02","2027-01-01"],"workdays":["2027-02-20"]}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.Year != 2027 || !slices.Equal(dates(back.Off), []string{"2027-01-01", "2027-01-02"}) || !slices.Equal(dates(back.Workdays), []string{"2027-02-20"}) {
		t.Fatalf("decoded %+v", back)
	}
	for _, bad := range []string{`{"off":["2027-02-30"]}`, `{"off":"2027-01-01"}`, `{"off":[],"workdays":["x"]}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("decoded %s", bad)
		}
	}
}

// The three notices, added to an empty calendar, make the official one.
func TestWithYearsRebuildsTheOfficialCalendar(t *testing.T) {
	empty, err := Parse([]byte(`{"years":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	var ys []Year
	for year := 2024; year <= 2026; year++ {
		y, _, err := ParseNotice(year, readNotice(t, year))
		if err != nil {
			t.Fatal(err)
		}
		ys = append(ys, y)
	}
	c, err := empty.WithYears(ys...)
	if err != nil {
		t.Fatal(err)
	}
	o := Official()
	for d := day("2023-06-01"); d.Before(day("2027-06-01")); d = d.AddDate(0, 0, 1) {
		if c.WorkingDay(d) != o.WorkingDay(d) || c.Covers(d) != o.Covers(d) || c.Deadline(d) != o.Deadline(d) {
			t.Fatalf("%s differs from the official calendar", d.Format(time.DateOnly))
		}
	}
}

// notice2027 is made up for the tests: the 2027 notice is not published.
const notice2027 = `国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（周六）至13日（周六）放假调休，共8天。2月20日（周六）上班。
三、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。`

func TestWithYearsAddsAYear(t *testing.T) {
	y, ps, err := ParseNotice(2027, notice2027)
	if err != nil || len(ps) != 0 {
		t.Fatalf("err %v, problems %+v", err, ps)
	}
	c, err := Official().WithYears(y)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covers(day("2027-06-01")) || Official().Covers(day("2027-06-01")) {
		t.Fatal("2027 not covered, or covered by the official calendar too")
	}
	for d, want := range map[string]bool{"2027-02-08": false, "2027-02-20": true, "2027-10-08": true, "2027-10-09": true, "2026-10-01": false, "2026-10-10": true} {
		if got := c.WorkingDay(day(d)); got != want {
			t.Errorf("WorkingDay(%s) = %v", d, got)
		}
	}
	// The counts agree with the days across the new year and its neighbour.
	var ds []time.Time
	for d := day("2026-09-01"); d.Before(day("2028-02-01")); d = d.AddDate(0, 0, 2) {
		ds = append(ds, d)
	}
	for i, from := range ds {
		for _, to := range ds[i:min(len(ds), i+30)] {
			if got, want := c.WorkingDaysBetween(from, to), walkBetween(c, from, to); got != want {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", from.Format(time.DateOnly), to.Format(time.DateOnly), got, want)
			}
		}
		if got, want := c.Deadline(from), walkAdd(c, from, DeadlineWorkingDays); !got.Equal(want) {
			t.Fatalf("Deadline(%s) = %s, want %s", from.Format(time.DateOnly), got.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	}
}

func TestWithYearsReplacesAYear(t *testing.T) {
	y, _, err := ParseDateList(2025, "2025-01-01", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Official().WithYears(y)
	if err != nil {
		t.Fatal(err)
	}
	if !c.WorkingDay(day("2025-10-08")) || c.WorkingDay(day("2025-01-01")) || !c.WorkingDay(day("2025-09-29")) {
		t.Error("2025 not replaced")
	}
	if c.WorkingDay(day("2024-10-07")) || c.WorkingDay(day("2026-10-07")) || Official().WorkingDay(day("2025-10-08")) {
		t.Error("another year, or the official calendar, changed")
	}
	if got, want := c.WorkingDaysBetween(day("2024-12-31"), day("2025-12-31")), walkBetween(c, day("2024-12-31"), day("2025-12-31")); got != want {
		t.Errorf("WorkingDaysBetween = %d, want %d", got, want)
	}
}

func TestWithYearsRefuses(t *testing.T) {
	y2027, _, _ := ParseNotice(2027, notice2027)
	y2028 := Year{Year: 2028, Off: []time.Time{day("2028-01-01")}}
	cases := map[string]struct {
		ys   []Year
		code string
	}{
		"a gap":                {[]Year{y2028}, ErrorYearMissing},
		"a year twice":         {[]Year{y2027, y2027}, ErrorYearTwice},
		"no days off":          {[]Year{{Year: 2027, Workdays: []time.Time{day("2027-02-20")}}}, ErrorNoDaysOff},
		"a date of other year": {[]Year{{Year: 2027, Off: []time.Time{day("2028-01-01")}}}, ErrorOtherYear},
		"year 0":               {[]Year{{Off: []time.Time{day("2027-01-01")}}}, ErrorInvalidYear},
	}
	for name, tc := range cases {
		// Said in both languages, for a page to show its reader's.
		_, err := Official().WithYears(tc.ys...)
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || e.MessageZH == "" || e.MessageEN == "" {
			t.Errorf("%s: %#v, want an *Error %s", name, err, tc.code)
		}
	}
	if _, err := Official().WithYears(y2027, y2028); err != nil {
		t.Errorf("2027 and 2028: %v", err)
	}
}

func checkYear(t *testing.T, year int, y Year, ps []Problem) {
	for _, l := range [][]time.Time{y.Off, y.Workdays} {
		for i, d := range l {
			if d.Year() != year || d.Hour() != 0 || d.Location() != time.UTC || i > 0 && !l[i-1].Before(d) {
				t.Fatalf("days %v not ascending civil dates of %d", dates(l), year)
			}
		}
	}
	for _, p := range ps {
		if p.Code == "" || p.MessageZH == "" || p.MessageEN == "" {
			t.Fatalf("problem %+v", p)
		}
	}
	if len(y.Off) > 0 && !Blocking(ps) {
		empty, _ := Parse([]byte(`{"years":{}}`))
		if _, err := empty.WithYears(y); err != nil {
			t.Fatalf("a year without a blocking problem is refused: %v", err)
		}
	}
}

func FuzzParseNotice(f *testing.F) {
	for year := 2024; year <= 2026; year++ {
		f.Add(year, readNotice(f, year))
	}
	f.Add(2025, notice2025)
	f.Add(2027, notice2027)
	f.Add(2027, "一、元旦：12月30日（周四）至1月1日（周六）放假，共3天。")
	f.Add(2008, "1.元旦:2007年12月30日—2008年1月1日放假,共3天。2007年12月29日(星期六)上班。")
	f.Add(2025, "（一）国庆节：10月1日至8日放假。\n二、中秋节：10月6日放假，10月4日上班。")
	f.Fuzz(func(t *testing.T, year int, text string) {
		y, ps, err := ParseNotice(year, text)
		if err != nil {
			return
		}
		checkYear(t, year, y, ps)
		for _, h := range y.Holidays {
			if h.Name == "" || len(h.Off) == 0 || len(h.Off) > maxBlock+4 {
				t.Fatalf("holiday %+v", h)
			}
		}
	})
}

func FuzzParseDateList(f *testing.F) {
	f.Add(2027, "2027-01-01\n2027/1/2, 1月3日、2027年2月6日（周六）", "2027-02-20")
	f.Add(2027, "2027-01-01x 2026-12-31", "1月4日")
	f.Fuzz(func(t *testing.T, year int, off, work string) {
		y, ps, err := ParseDateList(year, off, work)
		if err == nil {
			checkYear(t, year, y, ps)
		}
	})
}

// TestReplace: a holder of a calendar counts with the years added to it
// once they replace its data, and the official calendar is left alone.
func TestReplace(t *testing.T) {
	held, err := Official().WithYears() // a calendar of one's own, as sanshen builds at start
	if err != nil {
		t.Fatal(err)
	}
	y, ps, err := ParseDateList(2027, "2027-01-01、2027-02-08、2027-02-09", "2027-02-13")
	if err != nil || Blocking(ps) {
		t.Fatalf("%v %v", err, ps)
	}
	next, err := held.WithYears(y)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2027, 2, 13, 0, 0, 0, 0, time.UTC)
	if held.Covers(day) || held.WorkingDay(day) {
		t.Fatal("the held calendar changed before Replace")
	}
	held.Replace(next)
	if !held.Covers(day) || !held.WorkingDay(day) || held.WorkingDay(day.AddDate(0, 0, -5)) {
		t.Errorf("after Replace: covers %v, 02-13 worked %v, 02-08 worked %v", held.Covers(day), held.WorkingDay(day), held.WorkingDay(day.AddDate(0, 0, -5)))
	}
	if first, last := held.Years(); first != 2024 || last != 2027 {
		t.Errorf("years %d-%d", first, last)
	}
	if Official().Covers(day) {
		t.Error("the official calendar changed")
	}
}
