package normal

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNew(t *testing.T) {
	tests := []struct {
		in, want string
		src      []int // original start of each normalised rune; nil: the identity
	}{
		{"", "", nil},
		{"中华人民", "中华人民", nil},
		{"１３８，：（）", "138,:()", nil},
		{"秘\u200b密★", "秘密★", []int{0, 2, 3}},
		{"\ufeff秘密", "秘密", []int{1, 2}},
		{"祕密☆5年", "秘密★5年", nil},
		{"機密⭐️", "机密★", []int{0, 1, 2}},
		{"絕密🌟", "绝密★", nil},
		{"內部資料", "内部资料", nil},
		{"秘 密★", "秘密★", []int{0, 2, 3}},
		{"秘\n密 ★", "秘密★", []int{0, 2, 4}},
		{"工 作 秘 密 ★", "工作秘密★", []int{0, 2, 4, 6, 8}},
		{"秘 密", "秘 密", nil},
		{"保 密 ★", "保 密 ★", nil},
		{"138 1234 5678", "13812345678", []int{0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12}},
		{"+86 138-1234-5678", "+86 13812345678", []int{0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16}},
		{"138 1234 5678 9", "138 1234 5678 9", nil},
		{"128 1234 5678", "128 1234 5678", nil},
		{"138\n1234\n5678", "138\n1234\n5678", nil},
		{"110105.19900307.1239", "110105199003071239", []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19}},
		{"1101 0519 9003 0712 39", "110105199003071239", []int{0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18, 20, 21}},
		{"110105 1990 0307 123X", "11010519900307123X", []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20}},
		{"110105 1990 0307 1239 1", "110105 1990 0307 1239 1", nil},
		{"6228 4800 1122 3341", "6228 4800 1122 3341", nil},
		{"敏\u0301感", "敏感", []int{0, 2}},
		{"cafe\u0301", "café", []int{0, 1, 2, 3}},
		{"……", "......", []int{0, 0, 0, 1, 1, 1}},
		{"东政发〔\u00a02024\u00a0〕", "东政发〔 2024 〕", nil},
		{"﹝2024﹞", "〔2024〕", nil},
		{"a\xffb", "a\ufffdb", nil},
		{"2024–2025", "2024-2025", nil},
	}
	for _, tt := range tests {
		nt := New(tt.in)
		if nt.Str != tt.want || string(nt.Runes) != tt.want {
			t.Errorf("New(%+q) = %+q (runes %+q), want %+q", tt.in, nt.Str, string(nt.Runes), tt.want)
			continue
		}
		var src []int
		for i := range nt.Runes {
			s, _ := nt.Source(i, i+1)
			src = append(src, s)
		}
		want := tt.src
		if want == nil {
			for i := range nt.Runes {
				want = append(want, i)
			}
		}
		if !slices.Equal(src, want) {
			t.Errorf("New(%+q): sources %v, want %v", tt.in, src, want)
		}
	}
}

func TestSourceCoversRemoved(t *testing.T) {
	nt := New("机\u200b\u200c密\u2060★\u00ad10年")
	if nt.Str != "机密★10年" {
		t.Fatalf("got %q", nt.Str)
	}
	if s, e := nt.Source(0, 3); s != 0 || e != 6 {
		t.Errorf("Source(0,3) = %d,%d, want 0,6", s, e)
	}
	if got := nt.Hidden(); !slices.Equal(got, []Range{{1, 3}, {4, 5}, {6, 7}}) {
		t.Errorf("Hidden = %v", got)
	}
	if d := nt.Display(0, 3); d != "机密★" {
		t.Errorf("Display = %q", d)
	}
	// An emoji's variation selector and joiners are removed, not hidden.
	if nt := New("好❤️👨\u200d👩"); len(nt.Hidden()) != 0 {
		t.Errorf("emoji: Hidden = %v", nt.Hidden())
	}
}

func TestFoldAgrees(t *testing.T) {
	for _, r := range "中機祕☆a，\u200b\u0301…" {
		got := string(Fold(r))
		want := New(string(r)).Str
		if got != want {
			t.Errorf("Fold(%+q) = %+q, New = %+q", r, got, want)
		}
	}
}

// TestFastPaths checks the rule New relies on: a lead byte E4-E9
// (U+4000-U+9FFF) and ASCII always start a new NFKC segment.
func TestFastPaths(t *testing.T) {
	loadTables()
	for r := rune(0); r < 0x80; r++ {
		if bmpFlags[r]&fBB == 0 || bmpFlags[r]&fInert == 0 {
			t.Fatalf("ASCII %q combines leftwards or changes", r)
		}
	}
	for r := rune(0x4000); r <= 0x9FFF; r++ {
		if bmpFlags[r]&fBB == 0 {
			t.Fatalf("%U combines leftwards", r)
		}
	}
}

func FuzzNew(f *testing.F) {
	for _, s := range []string{"", "秘\u200b密★", "祕 密\n☆", "138 1234 5678", "1101 0519 9003 0712 39",
		"e\u0301\u0301x", "……㈱", "\xff\xfe", "工 作 秘 密 ★", "+86 138-1234-5678", "❤️\u200d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nt := New(s)
		n := utf8.RuneCountInString(s)
		if nt.OriginalLen() != n {
			t.Fatalf("OriginalLen %d, want %d", nt.OriginalLen(), n)
		}
		if !utf8.ValidString(nt.Str) || string(nt.Runes) != nt.Str {
			t.Fatalf("New(%+q): Str %+q is not its runes %+q", s, nt.Str, string(nt.Runes))
		}
		prevS, prevE := 0, 0
		for i := range nt.Runes {
			s0, e0 := nt.Source(i, i+1)
			if s0 < 0 || s0 >= e0 || e0 > n || s0 < prevS || e0 < prevE {
				t.Fatalf("New(%+q): rune %d from [%d,%d) after [%d,%d), of %d", s, i, s0, e0, prevS, prevE, n)
			}
			prevS, prevE = s0, e0
		}
		for i := 0; i <= len(nt.Runes); i++ {
			for j := i; j <= len(nt.Runes) && j <= i+3; j++ {
				s0, e0 := nt.Source(i, j)
				if s0 < 0 || s0 > e0 || e0 > n {
					t.Fatalf("New(%+q): Source(%d,%d) = [%d,%d) outside %d runes", s, i, j, s0, e0, n)
				}
			}
		}
		last := -1
		for _, h := range nt.Hidden() {
			if h.Start <= last || h.Start >= h.End || h.End > n {
				t.Fatalf("New(%+q): hidden %v", s, nt.Hidden())
			}
			last = h.End
		}
		// A span never starts or ends on a removed character.
		for i := range nt.Runes {
			s0, e0 := nt.Source(i, i+1)
			if nt.hiddenAt(s0) || nt.hiddenAt(e0-1) {
				t.Fatalf("New(%+q): rune %d's source [%d,%d) starts or ends on a hidden character", s, i, s0, e0)
			}
		}
		// Folding twice folds no further, except where NFKC itself is not
		// closed under the removal of marks and invisible characters.
		if again := String(nt.Str); again != nt.Str && !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x300 }) {
			t.Fatalf("New(%+q) = %+q, again %+q", s, nt.Str, again)
		}
	})
}
