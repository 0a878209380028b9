package checks_test

// TestEvasions is the table of evasions of the machine checks: for each
// class, several ways of writing the same thing that a drafter (or an
// attacker) might use to slip it past, each of which must produce the same
// finding as the plain form, spanning the characters as written, invisible
// ones included. An invisible character inside a marking, an ID or a mobile
// number is moreover a blocking finding of its own.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/checks/words"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// evasionClass is one thing written many ways, inside a context.
type evasionClass struct {
	name     string
	context  string // %s stands for the thing
	plain    string
	variants []string
	stage    domain.Stage
	code     string // the finding the plain form makes
	severity domain.Severity
	guarded  bool // an invisible character inside it blocks
}

const (
	zwsp = "\u200b"
	zwj  = "\u200d"
	zwnj = "\u200c"
	wj   = "\u2060"
	shy  = "\u00ad"
	bom  = "\ufeff"
	rlo  = "\u202e"
	lrm  = "\u200e"
	vs16 = "\ufe0f"
)

var evasionClasses = []evasionClass{
	{name: "invisible characters inside 秘密★", context: "%s\n关于开展年度保密自查工作的通知", plain: "秘密★",
		variants: []string{"秘" + zwsp + "密★", "秘密" + zwj + "★", "秘" + wj + "密" + shy + "★", bom + "秘密★", "秘密" + bom + "★", "秘" + rlo + "密★", "秘密" + vs16 + "★", "秘" + zwnj + zwnj + zwnj + "密★"},
		stage:    domain.StageConfidentiality, code: "classified_marking", severity: domain.SeverityBlock, guarded: true},
	{name: "invisible characters inside 机密★10年", context: "附件：%s  会议纪要", plain: "机密★10年",
		variants: []string{"机" + zwsp + "密★10年", "机密★" + zwj + "10年", "机" + shy + "密" + lrm + "★10年", "机密" + vs16 + "★10年"},
		stage:    domain.StageConfidentiality, code: "classified_marking", severity: domain.SeverityBlock, guarded: true},
	{name: "invisible characters inside 绝密★", context: "%s\n2024年度考试试卷", plain: "绝密★启用前",
		variants: []string{"绝" + zwsp + "密★启用前", "绝密" + bom + "★启用前", "绝" + wj + "密★启用前", "绝密★" + shy + "启用前"},
		stage:    domain.StageConfidentiality, code: "classified_marking", severity: domain.SeverityBlock, guarded: true},
	{name: "spaces and line breaks inside a marking", context: "正文如下：\n%s\n关于……的通知", plain: "秘密★5年",
		variants: []string{"秘 密★5年", "秘\n密★5年", "秘密\n★5年", "秘\u3000密\u3000★5年", "秘\r\n密 ★ 5年", "秘  \n  密★5年"},
		stage:    domain.StageConfidentiality, code: "classified_marking", severity: domain.SeverityBlock},
	{name: "traditional characters in a marking", context: "%s\n关于……的通知", plain: "机密★10年",
		variants: []string{"機密★10年", "機密☆10年", "機 密★10年", "機" + zwsp + "密★10年"},
		stage:    domain.StageConfidentiality, code: "classified_marking", severity: domain.SeverityBlock},
	{name: "traditional 秘密 (絕密 and 機密 above and in the golden cases)", context: "附件：%s", plain: "秘密★",
		variants: []string{"祕密★", "祕密☆"},
		stage:    domain.StageConfidentiality, code: "classified_marking", severity: domain.SeverityBlock},
	{name: "traditional internal material", context: "正文……\n%s\n关于……", plain: "内部资料",
		variants: []string{"內部資料", "內部资料", "内 部 资 料", "內 部 資 料"},
		stage:    domain.StageConfidentiality, code: "work_secret_marking", severity: domain.SeverityBlock},
	{name: "star look-alikes", context: "%s 关于印发工作要点的通知", plain: "秘密★",
		variants: []string{"秘密☆", "秘密✩", "秘密✪", "秘密✫", "秘密✬", "秘密✭", "秘密✮", "秘密✯", "秘密✰", "秘密⋆", "秘密⭐", "秘密⭑", "秘密🌟", "秘密⭐" + vs16},
		stage:    domain.StageConfidentiality, code: "classified_marking", severity: domain.SeverityBlock},
	{name: "ID numbers", context: "当事人：张三，公民身份号码：%s，现予公布。", plain: "110105199003071239",
		variants: []string{
			"110105 19900307 1239", "110105 1990 0307 1239", "1101 0519 9003 0712 39", // groupings, spaces
			"110105.19900307.1239", "110105-1990-0307-1239", "1101.0519.9003.0712.39", // dots, hyphens
			"110105" + zwsp + "19900307" + zwsp + "1239", "1101051990" + wj + "03071239", "11010519900307" + shy + "1239", // invisible
			"１１０１０５１９９００３０７１２３９", "１１０１０５ １９９００３０７ １２３９", // full width
			"110105\u300019900307\u30001239", // ideographic spaces
		},
		stage: domain.StageConfidentiality, code: "resident_id", severity: domain.SeverityBlock, guarded: true},
	{name: "ID numbers at stage 1", context: "公民身份号码：%s。", plain: "11010519491231002X",
		variants: []string{"110105 19491231 002X", "110105" + zwsp + "19491231002X", "１１０１０５１９４９１２３１００２Ｘ", "1101 0519 4912 3100 2X"},
		stage:    domain.StageCompleteness, code: "resident_id", severity: domain.SeverityWarn},
	{name: "mobile numbers", context: "联系人：赵六，电话：%s。", plain: "13812345678",
		variants: []string{
			"138 1234 5678", "138-1234-5678", "138.1234.5678", "138\u30001234\u30005678", "138\u00a01234\u00a05678",
			"138" + zwsp + "1234" + zwsp + "5678", "1" + zwnj + "3812345678", "13812" + bom + "345678",
			"１３８１２３４５６７８", "１３８－１２３４－５６７８", "138–1234–5678",
		},
		stage: domain.StageConfidentiality, code: "mobile_number", severity: domain.SeverityBlock, guarded: true},
	{name: "mobile numbers at stage 1", context: "联系电话%s，欢迎来电。", plain: "13912345678",
		variants: []string{"139 1234 5678", "139" + zwsp + "12345678", "１３９１２３４５６７８"},
		stage:    domain.StageCompleteness, code: "mobile_number", severity: domain.SeverityWarn},
	{name: "word-list entries", context: "本次检查发现%s问题，已按规定处理。", plain: "敏感词",
		variants: []string{"敏感詞", "敏\u0301感词", "敏感\u0332词", "敏\u0301感\u0301詞", "敏" + zwsp + "感词", "敏*感*詞", "敏　感　詞"},
		stage:    domain.StageConfidentiality, code: "sensitive_word", severity: domain.SeverityWarn},
	{name: "word-list entries, traditional", context: "查处%s场所3处。", plain: "赌博",
		variants: []string{"賭博", "賭\u0301博", "赌" + wj + "博"},
		stage:    domain.StageConfidentiality, code: "sensitive_word", severity: domain.SeverityWarn},
}

func TestEvasions(t *testing.T) {
	r := goldenRunner(t)
	r.Words = staticWords{words.NewMatcher([]string{"敏感词", "赌博", "中华"}, 1)}
	total := 0
	for _, c := range evasionClasses {
		t.Run(c.name, func(t *testing.T) {
			want := evasionFinding(t, r, c, c.plain)
			if want == nil {
				t.Fatalf("the plain form %q makes no %s finding", c.plain, c.code)
			}
			for _, v := range c.variants {
				total++
				got := evasionFinding(t, r, c, v)
				if got == nil {
					t.Errorf("%+q: no %s finding", v, c.code)
					continue
				}
				if got.Severity != want.Severity {
					t.Errorf("%+q: severity %s, the plain form's %s", v, got.Severity, want.Severity)
				}
			}
		})
	}
	if total < 60 {
		t.Errorf("only %d variants", total)
	}
}

// evasionFinding runs the class's stage on its context with thing in it and
// returns its finding that spans exactly thing, checking the invisible
// characters' findings on the way.
func evasionFinding(t *testing.T, r *checks.Runner, c evasionClass, thing string) *domain.Finding {
	t.Helper()
	before, _, _ := strings.Cut(c.context, "%s")
	body := fmt.Sprintf(c.context, thing)
	// The finding spans the thing, less invisible characters at its edges
	// (a BOM before it, an emoji's variation selector after it).
	lead := utf8.RuneCountInString(thing) - utf8.RuneCountInString(strings.TrimLeftFunc(thing, isInvisible))
	trail := utf8.RuneCountInString(thing) - utf8.RuneCountInString(strings.TrimRightFunc(thing, isInvisible))
	start := utf8.RuneCountInString(before) + lead
	end := utf8.RuneCountInString(before) + utf8.RuneCountInString(thing) - trail
	fs, err := r.Run(context.Background(), c.stage, 1, domain.Content{Title: "关于开展检查的通知", Body: body,
		Department: "东城区市场监督管理局", Category: "news", Channels: []domain.Channel{domain.ChannelWebsite}})
	if err != nil {
		t.Fatal(err)
	}
	var found *domain.Finding
	for i, f := range fs {
		if f.Field == "body" && f.Code == c.code && f.Start == start && f.End == end {
			found = &fs[i]
		}
	}
	if found != nil && found.Severity != c.severity {
		t.Errorf("%+q: %s is %s, want %s", thing, c.code, found.Severity, c.severity)
	}
	// Every invisible character inside is reported at stage 3, blocking
	// inside a marking, an ID or a mobile number.
	if c.stage == domain.StageConfidentiality {
		rs := []rune(body)
		for i := start - lead; i < end+trail; i++ {
			if !isInvisible(rs[i]) || strings.ContainsRune(vs16, rs[i]) && i > 0 && rs[i-1] >= 0x2B00 {
				continue // an emoji's variation selector is part of the picture
			}
			guarded := c.guarded && start <= i && i < end
			if !slices.ContainsFunc(fs, func(f domain.Finding) bool {
				return f.Code == "invisible_character" && f.Start <= i && i < f.End &&
					(!guarded || f.Severity == domain.SeverityBlock)
			}) {
				t.Errorf("%+q: the invisible %U at %d is not reported (guarded: %v): %+v", thing, rs[i], i, guarded, fs)
			}
		}
	}
	if found == nil {
		t.Logf("%+q in %+q: findings %+v", thing, body, fs)
	}
	return found
}

func isInvisible(r rune) bool {
	return strings.ContainsRune(zwsp+zwj+zwnj+wj+shy+bom+rlo+lrm+vs16, r)
}

// TestEvasionBounds: what the normaliser joins, it joins only where the
// issue says; the word list keeps its bound on fillers, and clause
// punctuation and line breaks still separate.
func TestEvasionBounds(t *testing.T) {
	r := goldenRunner(t)
	r.Words = staticWords{words.NewMatcher([]string{"敏感词", "中华"}, 1)}
	for _, body := range []string{
		"发展中，华人社团参加了活动。",               // a clause break is not a filler
		"敏*-*-感词不算，敏、感、词也不算。",          // four fillers; enumeration commas
		"敏\n感词分在两行。",                   // a line break
		"139\n0\n0\n16 1 0 0 0 0 17",   // a table's figures
		"110105\n19900307\n1239",       // an ID's groups on three lines
		"110105 19900307 1239 5",       // a grouping joined to a further group
		"6222 138 1234 5678",           // a mobile grouping inside a longer one
		"13812345678 人次，13812345678元。", // quantities
		"附表：秘密\n\n\n\n\n\n\n\n\n★",     // too far apart to be one marking
		"保 密 ★ 级 景 区",                  // not a level word
		"涉及国家秘密*的事项，见注*。",              // an asterisk is a star only with a period
	} {
		for _, st := range stages {
			fs, err := r.Run(context.Background(), st, 1, domain.Content{Title: "关于开展检查的通知", Body: body,
				Department: "东城区市场监督管理局", Category: "news", Channels: []domain.Channel{domain.ChannelWebsite}})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				switch f.Code {
				case "sensitive_word", "classified_marking", "work_secret_marking", "resident_id", "mobile_number", "bank_card":
					t.Errorf("%q at %s: %s %q", body, st, f.Code, string([]rune(body)[f.Start:f.End]))
				}
			}
		}
	}
}
