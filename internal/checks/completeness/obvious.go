package completeness

import (
	"fmt"
	"strings"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// maxPerRule caps the findings one rule reports on one field: past that the
// officer has seen the pattern, and a pasted table must not bury the rest.
const maxPerRule = 20

// pairs maps each opening bracket or quote to its closer.
var pairs = map[rune]rune{
	'（': '）', '(': ')', '【': '】', '《': '》', '〔': '〕', '〈': '〉', '〖': '〗',
	'「': '」', '『': '』', '“': '”', '‘': '’',
}

// openerOf maps each closer to its opener.
var openerOf = func() map[rune]rune {
	m := map[rune]rune{}
	for o, c := range pairs {
		m[c] = o
	}
	return m
}()

// bracketRunes are the openers and closers of pairs: a rune that is neither,
// as most are, is passed over without the two map lookups.
var bracketRunes = func() *runeSet {
	var b strings.Builder
	for o, c := range pairs {
		b.WriteRune(o)
		b.WriteRune(c)
	}
	return newRuneSet(b.String())
}()

// otherWidth pairs the full-width and ASCII round brackets, which are
// mixed up far more often than any other pair.
var otherWidth = map[rune]rune{'（': '(', '(': '（', '）': ')', ')': '）'}

func isQuote(r rune) bool { return strings.ContainsRune("“”‘’「」『』", r) }

func isASCIILetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

// enumerator reports whether the closing bracket at i ends a list marker that
// has no opener by convention: 1）, 一）, a) at the start of a line or after
// a colon or a semicolon.
func enumerator(rs []rune, i int) bool {
	if rs[i] != ')' && rs[i] != '）' {
		return false
	}
	j := i
	for j > 0 && i-j < 3 && (isDigit(rs[j-1]) || cnDigit(rs[j-1]) > 0 || rs[j-1] == '十' || isASCIILetter(rs[j-1])) {
		j--
	}
	if j == i {
		return false
	}
	return j == 0 || isLineBreak(rs[j-1]) || isSpace(rs[j-1]) || strings.ContainsRune("：:；;，,。、", rs[j-1])
}

// brackets reports brackets and quotes that are not closed or not opened, and
// a full-width bracket closed by an ASCII one or the reverse. A ’ between two
// letters is an apostrophe (don’t), and 1） at the head of a list item is
// an enumerator; neither is a stray closer. Straight quotes " and ' are not
// checked: the same character opens and closes, so they say nothing.
func brackets(t *text) []domain.Finding {
	type open struct {
		r   rune
		pos int
	}
	var fs []domain.Finding
	var stack []open
	count := 0
	report := func(r rune, pos int, zh, en string) {
		if count >= maxPerRule {
			return
		}
		count++
		code, zhKind, enKind := "unbalanced_bracket", "括号", "bracket"
		if isQuote(r) {
			code, zhKind, enKind = "unbalanced_quote", "引号", "quotation mark"
		}
		fs = append(fs, newFinding(code, domain.SeverityWarn, t.name, pos, pos+1,
			fmt.Sprintf(zh, zhKind, string(r)), fmt.Sprintf(en, enKind, string(r)), ""))
	}
	rs := t.Runes
	for i, r := range rs {
		if !bracketRunes.has(r) {
			continue
		}
		if _, ok := pairs[r]; ok {
			stack = append(stack, open{r, i})
			continue
		}
		o, ok := openerOf[r]
		if !ok {
			continue
		}
		if r == '’' && i > 0 && i+1 < len(rs) && isASCIILetter(rs[i-1]) && isASCIILetter(rs[i+1]) {
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].r == o {
			stack = stack[:n-1]
			continue
		}
		if n := len(stack); n > 0 && otherWidth[stack[n-1].r] == o {
			want := pairs[stack[n-1].r]
			if count < maxPerRule {
				count++
				fs = append(fs, newFinding("bracket_width_mismatch", domain.SeverityWarn, t.name, i, i+1,
					fmt.Sprintf("括号全角半角混用：“%s”与“%s”不配对，应为“%s”。", string(stack[n-1].r), string(r), string(want)),
					fmt.Sprintf("Mixed-width brackets: %q does not close %q; use %q.", string(r), string(stack[n-1].r), string(want)),
					string(want)))
			}
			stack = stack[:n-1]
			continue
		}
		// A closer deeper in the stack closes it there; whatever was opened
		// above it was never closed.
		k := -1
		for j := len(stack) - 1; j >= 0; j-- {
			if stack[j].r == o {
				k = j
				break
			}
		}
		if k >= 0 {
			for _, u := range stack[k+1:] {
				report(u.r, u.pos, "%s“%s”没有对应的后半部分。", "The %s %q is opened but never closed.")
			}
			stack = stack[:k]
			continue
		}
		if enumerator(rs, i) {
			continue
		}
		report(r, i, "%s“%s”没有对应的前半部分。", "The %s %q closes nothing that was opened.")
	}
	for _, u := range stack {
		report(u.r, u.pos, "%s“%s”没有对应的后半部分。", "The %s %q is opened but never closed.")
	}
	return fs
}

// repeatable are the marks that are never doubled in Chinese text. The
// ellipsis …… and the dash —— are written doubled and are not among them.
const repeatable = "。，、；：！？,;!?．"

var repeatableRunes = newRuneSet(repeatable)

// repeatedPunctuation reports a mark written twice or more (。。, ，，, ！！！).
// 。。。 and 、、、 are a makeshift ellipsis, so their suggestion is ……; any
// other run's suggestion is the mark once.
func repeatedPunctuation(t *text) []domain.Finding {
	var fs []domain.Finding
	rs := t.Runes
	for i := 0; i < len(rs); {
		j := i + 1
		if repeatableRunes.has(rs[i]) {
			for j < len(rs) && rs[j] == rs[i] {
				j++
			}
		}
		if j-i >= 2 && len(fs) < maxPerRule {
			run := string(rs[i:j])
			sug := string(rs[i])
			if j-i >= 3 && (rs[i] == '。' || rs[i] == '、') {
				sug = "……"
			}
			fs = append(fs, newFinding("repeated_punctuation", domain.SeverityWarn, t.name, i, j,
				fmt.Sprintf("标点符号“%s”重复使用，应为“%s”。", run, sug),
				fmt.Sprintf("The punctuation mark is repeated (%q); write %q.", run, sug), sug))
		}
		i = j
	}
	return fs
}
