package confidentiality

import (
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestValidResidentID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{idSample, true},
		{strings.ToLower(idSample), true},
		{idBeijing, true},
		{idGuangdong, true},
		{idWith("65010220000229123"), true},  // 29 February of a leap year
		{idWith("83000019700101123"), true},  // Taiwan resident's permit
		{idWith("11010519000101123"), true},  // 1900, the first year allowed
		{wrongCheck(idSample), false},        // wrong check character
		{wrongCheck(idBeijing), false},       // wrong check digit
		{idWith("11010519000229123"), false}, // 1900 was not a leap year
		{idWith("11010518991231123"), false}, // before 1900
		{idWith("11010519901301123"), false}, // month 13
		{idWith("11010519900431123"), false}, // 31 April
		{idWith("11010519900100123"), false}, // day 0
		{idWith("20010519900307123"), false}, // 20 is no province
		{idWith("72010519900307123"), false}, // nor is 72
		{"440524188001010014", false},        // GB 11643's 1880 example
		{idBeijing[:17], false},
		{idBeijing + "0", false},
		{"11010519491231002Y", false},
		{"1101051949123100AX", false},
		{"", false},
		{"１１０１０５１９４９１２３１００２Ｘ", false}, // full-width is folded by the detectors, not here
	}
	for _, tc := range tests {
		if got := ValidResidentID(tc.id); got != tc.want {
			t.Errorf("ValidResidentID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestResidentIDNotInFuture(t *testing.T) {
	today := time.Date(2024, 6, 15, 23, 30, 0, 0, domain.Beijing)
	for _, tc := range []struct {
		body string
		want bool
	}{
		{"11010520240615123", true},  // born today
		{"11010520240616123", false}, // born tomorrow
		{"11010520250101123", false},
	} {
		if got := validResidentIDAt(idWith(tc.body), today); got != tc.want {
			t.Errorf("validResidentIDAt(%s, %s) = %v, want %v", idWith(tc.body), today, got, tc.want)
		}
	}
}

func TestMaskResidentID(t *testing.T) {
	for in, want := range map[string]string{
		"11010519491231002X": "110105********002X",
		"110105491231002":    "110105*****1002", // a 15-digit first-generation number
		"１１０１０５１９４９１２３１００２Ｘ": "１１０１０５********００２Ｘ",
		"1234567890":  "**********",
		"12345678901": "123456*8901",
		"":            "",
	} {
		if got := MaskResidentID(in); got != want {
			t.Errorf("MaskResidentID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidCreditCode(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"91350100M000100Y43", true}, // checked by hand against GB 32100's weights
		{creditOffice, true},
		{creditWith("12100000400000624D"[:17]), true},
		{creditWith("Y1110000MA0000000"), true},
		{"91350100M000100Y44", false},
		{"91350100M000100Y4", false},
		{"91350100M000100Y430", false},
		{"91350100m000100y43", false},    // lower case is not the code's set
		{"91350100I000100Y43", false},    // I is not in the set
		{"9135010OM000100Y43", false},    // nor is O
		{creditOffice[:17] + "Z", false}, // Z is never a check character
		{"", false},
	}
	for _, tc := range tests {
		if got := ValidCreditCode(tc.code); got != tc.want {
			t.Errorf("ValidCreditCode(%q) = %v, want %v", tc.code, got, tc.want)
		}
	}
	// Every wrong check character is refused.
	alpha := creditAlphabet()
	for i := range len(alpha) {
		c := creditOffice[:17] + alpha[i:i+1]
		if got, want := ValidCreditCode(c), c == creditOffice; got != want {
			t.Errorf("ValidCreditCode(%q) = %v, want %v", c, got, want)
		}
	}
}

func TestPlausibleCreditCode(t *testing.T) {
	if !plausibleCreditCode("91350100M000100Y43") {
		t.Error("a real code's structure is refused")
	}
	if !validOrgCode("M000100Y4") || validOrgCode("M000100Y5") {
		t.Error("GB 11714 check of M000100Y4 is wrong")
	}
	if !validOrgCode("000000000") {
		t.Error("an organisation code whose check is 11 must end in 0")
	}
	// A resident ID that is a valid credit code by chance has no region there.
	if id := bothIDAndCredit(t); plausibleCreditCode(id) {
		t.Errorf("%s taken for a plausible credit code", id)
	}
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		digits string
		want   bool
	}{
		{"4111111111111111", true},
		{"79927398713", true}, // the textbook example
		{"79927398710", false},
		{cardUnion, true},
		{cardGrouped, true},
		{"00", true},
		{"0", false}, // a check digit alone checks nothing
		{"", false},
		{"4111 1111 1111 1111", false}, // separators are the caller's
		{"411111111111111a", false},
		{"１１", false},
	}
	for _, tc := range tests {
		if got := Luhn(tc.digits); got != tc.want {
			t.Errorf("Luhn(%q) = %v, want %v", tc.digits, got, tc.want)
		}
	}
	// Changing any one digit breaks the check.
	for i := range len(cardUnion) {
		b := []byte(cardUnion)
		b[i] = '0' + (b[i]-'0'+3)%10
		if Luhn(string(b)) {
			t.Errorf("Luhn(%s) passes after changing digit %d", b, i)
		}
	}
}
