// Package difftest holds what the differential tests of the checks share.
// Each check package keeps its original, regexp-only implementation in a
// _test.go file as an oracle and compares its findings with the optimised
// code's on: the string literals of its own tests, the load benchmark's
// drafts (testdata/corpus.jsonl, from cmd/sanshen/bench), those drafts with
// snippets that trigger every rule spliced in, random texts made of the
// snippets, and fuzzed inputs. Only tests import it.
package difftest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Today is the day the corpus was generated for: its drafts were formed a few
// days before.
var Today = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// Corpus reads the load benchmark's drafts from internal/checks/testdata.
func Corpus(tb testing.TB) []domain.Content {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the corpus")
	}
	f, err := os.Open(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "corpus.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []domain.Content
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d struct {
			Title, Body, Department, Category string
			Channels                          []domain.Channel
			FormedOn                          string `json:"formed_on"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			tb.Fatal(err)
		}
		formed, err := time.Parse(domain.DateLayout, d.FormedOn)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, domain.Content{Title: d.Title, Body: d.Body, Department: d.Department,
			Category: d.Category, Channels: d.Channels, FormedOn: formed})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatal("empty corpus")
	}
	return out
}

// Literals returns the string literals of the *_test.go files of the
// current directory, which go test makes the package's: the inputs of the
// package's own tests, as far as they are written out.
func Literals(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		tb.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			tb.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}

// The helpers below compute check characters from the standards' definitions,
// not from the package's tables, so that a wrong table makes a test fail.

// IDWith appends the GB 11643 check character to 17 digits: ISO 7064
// MOD 11-2, position i from the right (the check is i = 1) weighs 2^(i-1) mod
// 11, and the check is (12 - sum mod 11) mod 11, with X for 10.
func IDWith(body string) string {
	if len(body) != 17 {
		panic("IDWith needs 17 digits: " + body)
	}
	sum, w := 0, 2
	for k := 16; k >= 0; k-- {
		sum += int(body[k]-'0') * w
		w = w * 2 % 11
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		return body + "X"
	}
	return body + string(rune('0'+c))
}

// CreditAlphabet is 0-9 and A-Z without I, O, Z, S and V.
func CreditAlphabet() string {
	var b strings.Builder
	for c := '0'; c <= '9'; c++ {
		b.WriteRune(c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		if !strings.ContainsRune("IOZSV", c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// CreditWith appends the GB 32100 check character to 17 characters: weights
// 3^(i-1) mod 31, check 31 - sum mod 31, with 31 meaning 0.
func CreditWith(body string) string {
	if len(body) != 17 {
		panic("CreditWith needs 17 characters: " + body)
	}
	alpha := CreditAlphabet()
	sum, w := 0, 1
	for i := range 17 {
		v := strings.IndexByte(alpha, body[i])
		if v < 0 {
			panic("not a credit code character: " + body)
		}
		sum += v * w
		w = w * 3 % 31
	}
	return body + string(alpha[(31-sum%31)%31])
}

// LuhnWith appends the Luhn check digit: from the right of the payload every
// other digit, starting with the last, is doubled and its digits summed.
func LuhnWith(body string) string {
	sum := 0
	for p := 0; p < len(body); p++ {
		d := int(body[len(body)-1-p] - '0')
		if p%2 == 0 {
			d *= 2
			d = d/10 + d%10
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

// FullWidth writes ASCII as its full-width forms, as some drafts do.
func FullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0x20 && r < 0x7F {
			return r + 0xFEE0
		}
		return r
	}, s)
}

// group writes s in groups of the given sizes joined by sep.
func group(s, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		n = min(n, len(s))
		parts = append(parts, s[:n])
		s = s[n:]
	}
	if s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, sep)
}

// Snippets are pieces of text that trigger, or nearly trigger, each rule of
// the three stages: numbers of every kind and their look-alikes, document
// numbers, dates, labels, addresses, markings, organs' names, brackets and
// punctuation, blanks and invalid UTF-8.
var Snippets = func() []string {
	id := IDWith("11010519491231002")
	idX := IDWith("11010119900307001") // a valid one ending in whatever it ends in
	card := LuhnWith("622202020011223344")
	card16 := LuhnWith("622848001234567")
	credit := CreditWith("91110000600037341")
	out := []string{
		// Numbers.
		id, idX, strings.ToLower(IDWith("44030419851111232")), FullWidth(id), group(id, " ", 6, 8, 4), group(id, "-", 6, 8, 4),
		id[:17] + "0", "1" + id, id + "5", "3.14" + id, id + ".00", IDWith("99010519491231002"), IDWith("11010520991231002"),
		"13812345678", "13987654321", "+86 138 1234 5678", "86-13812345678", "+8613812345678", "138 1234 5678",
		"138-1234-5678", "12812345678", "1381234567", "13812345678元", "13812345678 人次", FullWidth("13812345678"),
		card, card16, group(card16, " ", 4, 4, 4, 4), group(card, " ", 4, 4, 4, 4), group(card, "-", 4, 4, 4, 4),
		"0" + card16[1:], card16 + "元", credit, "统一社会信用代码：" + credit, "身份证号：" + credit,
		"索引号：11110101MB1234567X/2024-00012", "索引号: " + id, "Tel13812345678", "86 138 1234",
		// Document numbers.
		"东政发〔2024〕12号", "东政发[2024]12号", "京政办发（2023）第05号", "国办发〔2023〕 12 号", "〔24〕1号",
		"东政发〔202〕3号", "（2023）京0105民初123号", "（2）3号楼", "根据东政发〔2024〕1号", "街执罚字〔2026〕121号",
		"决定书文号：街执罚字〔2026〕12号", "文号：街发〔2026〕3号\n", "【2024】7号", "﹝2024﹞007号", "｛2024｝1号",
		"东城区人民政府办公室关于印发的通知东政办发〔2024〕1号", "第12号", "令第3号", "第十二号令",
		// Dates.
		"2024年3月5日", "2024 年 3 月 5 日", "2024年2月30日", "2023年2月29日", "2024年13月1日", "12024年3月5日",
		"2024-03-05", "2024.2.30", "2024/13/01", "2024-3.5", "v2024.3.5.1", "2024.3.5.", "1.2024.3.5",
		"二〇二四年三月五日", "二〇二六年十一月二十一日", "二〇二四年二月三十日", "二〇二四年十三月一日",
		"3月5日", "2月30日", "十二月三十一日", "二月三十日", "一十二月", "2030年1月1日", "2030年1月1日起施行",
		"截止2030年1月1日", "于2030年1月1日作出", FullWidth("2024") + "年３月５日", "2026年11月20日",
		"决定日期：2026年11月20日", "处罚决定日期: 2024年3月5日", "作出处罚决定的日期：2024年3月5日",
		"\n2024年3月5日\n", "于2024年3月5日作出行政处罚决定，", "于2024年3月5日作出告知书，",
		// Labels and the required fields.
		"当事人：", "当事人：张三，男，", "当事人：某某有限公司，", "法定代表人：李四，", "被处罚人 王五", "名称：某某商店",
		"违法行为：", "经查，", "经查明：", "上述行为违反了", "违反了《", "处罚依据：依据《中华人民共和国食品安全法》第一百二十四条",
		"依据《食品安全法》", "依据《北京市生活垃圾管理条例》第七十二条", "处罚内容：罚款人民币5000元", "处罚内容：\n",
		"本局决定给予警告", "本局决定给予警告、罚款人民币3000元", "处罚如下：\n1. 罚款5000元\n2. 没收违法所得\n",
		"作出如下处罚：", "处以五千元以上五万元以下罚款", "合计罚款壹万伍仟元", "罚款0.5万元", "¥5000罚款", "缴纳罚款",
		"责令停产停业", "吊销许可证", "行政拘留", "通报批评", "处罚机关：", "处罚机关：街道综合行政执法队",
		"\n北京市东城区市场监督管理局\n", "\n东城区人民政府\n", "决定书文号：\n", "许可决定文号：", "被许可人：某某公司",
		"许可内容：设置户外招牌", "许可机关：", "许可日期：2024年3月5日", "有效期：自许可之日起六个月", "有效期至2025年",
		"项目名称：", "采购人：街道办事处", "采购人信息\n名 称：", "预算金额：30.4万元", "预算为人民币120万元",
		"报名时间：", "报名方式：登录网站报名", "报考条件：", "公示期：", "公示时间", "监督电话：010-12345678",
		"自2024年3月1日起施行", "自印发之日起施行", "令号：", "收费项目：", "收费标准：20元/小时", "收费依据：",
		"施行日期：", "文号：", "项目名称（全称）：", "预算金额（万元）：",
		// Addresses and parties.
		"住址：北京市东城区XX路12号", "住址:北京市东城区某某小区3号楼2单元", "家住东城区某某小区3号楼", "家住在农村的学生",
		"住所地：上海市浦东新区XX路88弄6号", "住所：北京市朝阳区建国路1号", "户籍地址：河北省XX县XX村", "户籍所在地：",
		"现住址：北京市朝阳区***", "现住址：北京市朝阳区某某街", "暂住地：北京市海淀区中关村大街1号", "居住地址：",
		"当事人：张三\n住址：北京市东城区XX路12号", "当事人：某某有限公司\n住所：北京市东城区XX路12号",
		"性别：男，出生：1980年1月1日，", "，男，", "汉族", "注册资本", "有限公司",
		// Markings.
		"机密★", "秘密★6个月", "绝密★长期", "机密★2030年12月31日前", "绝密★启用前", "秘密 ★ 5 年", "机密★10年",
		"秘密☆5年", "机密*10年", "秘密＊５年", "绝密✩3个月", "国家秘密*", "工作秘密★", "工作秘密☆", "商业秘密★",
		"内部资料 注意保存", "内部使用，不得外传", "仅限内部使用，不得外传", "内部资料·注意保密", "内部，不得外传",
		"【内部】", "内部\n", "内部资料\n", "（工作秘密）", "【内部资料】关于", "不得泄露国家秘密和工作秘密", "内部事务",
		"秘密", "机密", "绝密", "000123\n", "特急",
		// Organs.
		"北京市东城区教育局", "北京市东城区教肓局", "北京市东城区体育局", "东城区人民政府", "东城区政府", "东城区政府的",
		"和平街道办事处", "和平街道办", "和平街道办公室", "城市管理办公室", "城市管理办公室", "街道综合行政执法队",
		"市场监督管理局", "市场监督管里局", "东城区发展和改革委员会", "东城区发展和改革委员金",
		// Brackets and punctuation.
		"（", "）", "(", ")", "“", "”", "‘", "’", "《", "》", "【", "】", "「", "」", "（说明)", "(说明）",
		"。。", "，，", "！！！", "、、、", "。。。", "1）", "一）", "a)", "don’t", "……", "——",
		// Blanks, breaks, width, invalid UTF-8.
		" ", "\t", "\u3000", "\n", "\r\n", "\u2028", "：", ":", "，", "。", "\xff", "\xe5\x85", "\ufffd", "\u00a0",
		"－", "０", "９", "Ａ",
	}
	return out
}()

// prose is filler in the corpus's style.
var prose = []string{"根据上级有关工作安排，", "结合辖区实际，", "街道工委围绕就业帮扶组织开展了应急演练，",
	"召开协调会853次，", "工作机制进一步健全。", "下一步，街道将继续坚持以人民为中心的发展思想，", "各网格工作人员",
	"本机关依法予以立案调查，并已告知当事人依法享有的陈述、申辩权利。", "当事人如不服本决定，", "年度重点工作", "的", "和", "在"}

// Text is n random pieces: snippets, prose and single runes.
func Text(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		switch k := r.IntN(10); {
		case k < 6:
			b.WriteString(Snippets[r.IntN(len(Snippets))])
		case k < 9:
			b.WriteString(prose[r.IntN(len(prose))])
		default:
			s := Snippets[r.IntN(len(Snippets))]
			if rs := []rune(s); len(rs) > 0 {
				b.WriteRune(rs[r.IntN(len(rs))])
			}
		}
	}
	return b.String()
}

// Compose reads s as a list of pieces, one a rune (a snippet, prose or a
// line break), so that a fuzzer mutating s recombines whole snippets.
func Compose(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch k := int(r) % (len(Snippets) + len(prose) + 1); {
		case k < len(Snippets):
			b.WriteString(Snippets[k])
		case k-len(Snippets) < len(prose):
			b.WriteString(prose[k-len(Snippets)])
		default:
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Spice splices n random snippets into s at random rune offsets.
func Spice(r *rand.Rand, s string, n int) string {
	rs := []rune(s)
	if !utf8.ValidString(s) {
		return s + Text(r, n)
	}
	for range n {
		i := r.IntN(len(rs) + 1)
		rs = append(rs[:i], append([]rune(Snippets[r.IntN(len(Snippets))]), rs[i:]...)...)
	}
	return string(rs)
}

// Content makes a draft of random texts, category and department.
func Content(r *rand.Rand) domain.Content {
	c := domain.Content{
		Title:      Text(r, r.IntN(4)),
		Body:       Text(r, r.IntN(40)),
		Department: []string{"", "东城区教育局", "北京市东城区教育局", "城市管理办公室", "和平街道办事处"}[r.IntN(5)],
		Category:   Category(r.IntN(64)),
		Channels:   []domain.Channel{domain.ChannelWebsite},
		FormedOn:   Today.AddDate(0, 0, r.IntN(40)-30).Truncate(24 * time.Hour),
	}
	if r.IntN(8) == 0 {
		c.FormedOn = time.Time{}
	}
	if r.IntN(4) == 0 { // a title that states its kind
		c.Title += []string{"招聘公告", "公示", "行政处罚决定书", "招考简章"}[r.IntN(4)]
	}
	return c
}

// Category maps any number to a category, a few of them to none or an unknown one.
func Category(i int) string {
	cs := append([]string{"", "unknown", "penalty", "license", "procurement", "civil_service", "normative_document",
		"regulation", "fee"}, domain.Categories...)
	return cs[i%len(cs)]
}

// Diff describes the first difference between two lists of findings, or
// returns "" when they are identical.
func Diff(got, want []domain.Finding) string {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Sprintf("missing finding %d: %+v", i, want[i])
		case i >= len(want):
			return fmt.Sprintf("extra finding %d: %+v", i, got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("finding %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	return ""
}
