package password

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// What a new password must be (ASVS 5.0 6.2.1, 6.2.4, 6.2.5, 6.2.9,
// 6.2.11): at least MinRunes characters (any characters: no composition
// rules), at most MaxRunes so a passphrase fits; not a common password,
// nor one with digits or symbols around it, nor a run or a repetition; and
// not built from the context words (ContextWords, the person's name).
const (
	MinRunes = 12
	MaxRunes = 256
)

// Weak is why a new password is refused; Code names it for the pages'
// locale (input.<Code>) and the API's error.
type Weak struct {
	Code    string
	Message string
}

func (w *Weak) Error() string { return w.Message }

// ContextWords are words of this system and of Chinese government offices
// that a password must not be built from (ASVS 6.1.2, 6.2.11), beside the
// person's own name and the agency's (passed to Check).
var ContextWords = []string{"sanshen", "三审", "zhengfu", "政府", "zhengwu", "政务", "xinxigongkai", "信息公开",
	"baomi", "保密", "jiedao", "街道", "guanliyuan", "管理员", "admin", "password", "mima", "密码"}

//go:embed common.txt
var commonText string

// common is the bundled list of common passwords, lower case (common.txt:
// zxcvbn's 30,000 most frequent passwords of the Xato corpus, Openwall's
// password.lst, and Chinese ones; see docs/security.md).
var common = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 32_000)
	for _, w := range strings.Split(commonText, "\n") {
		if w = strings.TrimSpace(w); w != "" && !strings.HasPrefix(w, "#!") {
			m[w] = struct{}{}
		}
	}
	return m
})

// Common reports whether pw, in lower case, is on the bundled list.
func Common(pw string) bool {
	_, ok := common()[strings.ToLower(pw)]
	return ok
}

// sequences are the runs people type: the keyboard's rows, the alphabet,
// the digits, each both ways.
var sequences = func() []string {
	base := []string{"01234567890123456789", "qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
		"qazwsxedcrfvtgbyhnujmikolp", "zxcvbnmasdfghjklqwertyuiop"}
	out := base
	for _, s := range base {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		out = append(out, string(r))
	}
	return out
}()

// padding is what people put around a word to meet a length rule.
func padding(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// Check reports whether pw may be someone's new password; context holds the
// person's name and their agency's, which it must not be built from.
func Check(pw string, context ...string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw) || strings.ContainsRune(pw, 0):
		return &Weak{"password_invalid", "a password is text without NUL characters"}
	case n < MinRunes:
		return &Weak{"password_too_short", fmt.Sprintf("a password needs at least %d characters; a passphrase of several words is easiest", MinRunes)}
	case n > MaxRunes:
		return &Weak{"password_too_long", fmt.Sprintf("a password has at most %d characters", MaxRunes)}
	}
	lower := strings.ToLower(pw)
	core := strings.TrimFunc(lower, padding)
	if Common(lower) || core != lower && utf8.RuneCountInString(core) >= 3 && Common(core) {
		return &Weak{"password_common", "this password is among the most common ones (or one of them with digits or symbols around it)"}
	}
	if distinct(lower) <= 3 || repeated(lower) {
		return &Weak{"password_common", "a password that repeats a few characters is guessed at once"}
	}
	for _, s := range sequences {
		if strings.Contains(s+s, lower) || core != "" && utf8.RuneCountInString(core) >= 6 && strings.Contains(s+s, core) {
			return &Weak{"password_common", "a run of keys or letters is guessed at once"}
		}
	}
	words := append(append([]string{}, ContextWords...), context...)
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if utf8.RuneCountInString(w) < 2 || !strings.Contains(lower, w) {
			continue
		}
		if rest := strings.ReplaceAll(lower, w, ""); strings.TrimFunc(rest, padding) == "" || Common(strings.TrimFunc(rest, padding)) {
			return &Weak{"password_context", fmt.Sprintf("a password is not made of %q with digits or symbols", w)}
		}
	}
	return nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// repeated reports whether s is a shorter string written out again and
// again ("abcabcabcabc", "passwordpassword").
func repeated(s string) bool {
	for k := 1; k <= len(s)/2; k++ {
		if len(s)%k == 0 && strings.Repeat(s[:k], len(s)/k) == s {
			return true
		}
	}
	return false
}
