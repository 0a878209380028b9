package confidentiality

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// seeds are texts in the shape of real drafts, plus the edges: invalid UTF-8,
// full-width forms, lone separators at the ends.
var seeds = []string{
	"",
	"秘密★5年\n关于开展2024年度保密自查工作的通知",
	"000123\n机密★10年\n特急",
	"【内部】关于调整机关内部工作流程的通知",
	"内部资料 注意保存",
	"本材料仅限内部使用，不得外传。",
	"各单位不得泄露国家秘密和工作秘密，严格落实保密审查制度。",
	"当事人：张三，男，公民身份号码：11010519491231002X，住址：北京市东城区XX路12号。",
	"联系电话：+86 138 1234 5678，13812345678 13987654321",
	"索引号：11110101MB1234567X/2024-00012",
	"卡号 6222 0202 0011 2233 445",
	"身份证 110105 19491231 002X",
	"当事人：王五\n住所地：上海市浦东新区XX路88弄6号",
	"１３８１２３４５６７８　秘密＊５年",
	"\xff\xfe秘密★\x80",
	"+86-",
	"住址：",
	"【",
	"86 138 1234",
	"祕\u200b密☆\n機 密\n★10年",
	"1990年3月7日出生，身份证号110101********1233；11010119900307****",
	"各社区网格员联系方式如下：\n张三 138\u200b1234\u200b5678",
	"（此件不得上网）\n密级：秘密\n保密期限：10年\n内部明电\n妥否，请批示。",
}

func addSeeds(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
}

// checkDetector holds for any text: no panic, offsets on rune boundaries of
// the text (rune offsets in [0, rune count], Start <= End), sorted, Field
// left empty.
func checkDetector(t *testing.T, s string, fs []domain.Finding) {
	t.Helper()
	checkOffsets(t, s, fs)
	for _, f := range fs {
		if f.Field != "" {
			t.Fatalf("detector set Field %q", f.Field)
		}
		if f.MessageZH == "" || f.MessageEN == "" {
			t.Fatalf("finding %s without a message", f.Code)
		}
	}
}

func FuzzMarkings(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		fs := Markings(s)
		checkDetector(t, s, fs)
		rs := []rune(s)
		for _, x := range fs {
			// A marking blocks, unless it is a 请示's close, or quoted
			// inside a sentence.
			quoted := x.Start > 0 && x.End < len(rs) && strings.ContainsRune("“「『\"", rs[x.Start-1])
			if x.Severity != domain.SeverityBlock && x.Code != codeRequest && !quoted {
				t.Fatalf("marking %s does not block", x.Code)
			}
		}
	})
}

func FuzzPersonalData(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		fs := PersonalData(s)
		checkDetector(t, s, fs)
		rs := []rune(s)
		for _, x := range fs {
			if x.Code == codeResidentID && !strings.Contains(x.Suggestion, "********") {
				t.Fatalf("ID %q suggested as %q", string(rs[x.Start:x.End]), x.Suggestion)
			}
		}
	})
}

func FuzzCheck(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, s)
	}
	f.Add("秘密★1年 关于……的通知", "联系电话：13912345678")
	f.Fuzz(func(t *testing.T, title, body string) {
		fs := Check(domain.Content{Title: title, Body: body})
		last, lastStart := 0, -1
		for _, x := range fs {
			var text string
			switch x.Field {
			case "title":
				text = title
			case "body":
				text = body
			default:
				t.Fatalf("field %q", x.Field)
			}
			checkOffsets(t, text, []domain.Finding{x})
			rank := fieldRank(x.Field)
			if rank < last || rank == last && x.Start < lastStart {
				t.Fatalf("not sorted by field then Start: %+v", fs)
			}
			if rank > last {
				lastStart = -1
			}
			last, lastStart = rank, x.Start
		}
	})
}

func FuzzValidResidentID(f *testing.F) {
	for _, s := range []string{idSample, idBeijing, "440524188001010014", "", "1101051949123100２X", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidResidentID(s) {
			return
		}
		if len(s) != 18 || !idShaped(s) {
			t.Fatalf("%q accepted", s)
		}
		if ValidResidentID(wrongCheck(s)) {
			t.Fatalf("%q accepted with a wrong check", wrongCheck(s))
		}
	})
}

func FuzzMaskResidentID(f *testing.F) {
	for _, s := range []string{idSample, "", "123", "１１０１０５１９４９１２３１００２Ｘ", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := MaskResidentID(s)
		rs, ms := []rune(s), []rune(m)
		if len(rs) != len(ms) {
			t.Fatalf("MaskResidentID(%q) = %q changes the length", s, m)
		}
		for i := range ms {
			keep := len(rs) > 10 && (i < 6 || i >= len(rs)-4)
			if !keep && ms[i] != '*' || keep && ms[i] != rs[i] {
				t.Fatalf("MaskResidentID(%q) = %q", s, m)
			}
		}
		if !utf8.ValidString(m) {
			t.Fatalf("invalid UTF-8 %q", m)
		}
	})
}

func FuzzValidCreditCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", creditOffice, "", "91350100M000100Y4\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidCreditCode(s) {
			return
		}
		if len(s) != 18 || creditWith(s[:17]) != s {
			t.Fatalf("%q accepted", s)
		}
	})
}

func FuzzLuhn(f *testing.F) {
	for _, s := range []string{"4111111111111111", "79927398713", "", "0", "12a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !Luhn(s) {
			return
		}
		if len(s) < 2 || luhnWith(s[:len(s)-1]) != s {
			t.Fatalf("%q accepted", s)
		}
	})
}
