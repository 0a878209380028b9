package totp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// RFC 6238 Appendix B (SHA-1, 8 digits, secret "12345678901234567890").
func TestRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for unix, want := range map[int64]string{59: "94287082", 1111111109: "07081804", 1111111111: "14050471",
		1234567890: "89005924", 2000000000: "69279037", 20000000000: "65353130"} {
		if got := hotp(secret, uint64(Step(time.Unix(unix, 0))), 8); got != want {
			t.Errorf("T=%d: %s, want %s", unix, got, want)
		}
	}
}

// RFC 4226 Appendix D (6 digits, counters 0-9).
func TestRFC4226Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotp(secret, uint64(i), 6); got != w {
			t.Errorf("counter %d: %s, want %s", i, got, w)
		}
	}
}

func TestVerifyOnceAndWithinSkew(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	code := Code(secret, now)
	step, ok := Verify(secret, code, now, 0)
	if !ok || step != Step(now) {
		t.Fatalf("the current code is refused: %v %d", ok, step)
	}
	if _, ok := Verify(secret, code, now, step); ok {
		t.Fatal("a code works twice")
	}
	if _, ok := Verify(secret, Code(secret, now.Add(-Period)), now, 0); !ok {
		t.Fatal("the previous step's code is refused")
	}
	if _, ok := Verify(secret, Code(secret, now.Add(-2*Period)), now, 0); ok {
		t.Fatal("a code two steps old works")
	}
	if _, ok := Verify(secret, Code(secret, now.Add(2*Period)), now, 0); ok {
		t.Fatal("a code two steps ahead works")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Verify(secret, bad, now, 0); ok {
			t.Fatalf("%q works", bad)
		}
	}
}

func TestURIAndText(t *testing.T) {
	secret := []byte("12345678901234567890")
	if got := Text(secret); got != "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ" {
		t.Fatalf("Text = %q", got)
	}
	u := URI(secret, "三审", "王 信息员")
	if !strings.HasPrefix(u, "otpauth://totp/") || !strings.Contains(u, "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") || strings.Contains(u, " ") {
		t.Fatalf("URI = %q", u)
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, err := NewRecoveryCodes(RecoveryCodes)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 29 || !LooksLikeRecoveryCode(c) || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		if !bytes.Equal(HashRecoveryCode(typed), HashRecoveryCode(c)) {
			t.Fatal("a code typed in capitals with spaces hashes differently")
		}
	}
	if LooksLikeRecoveryCode("123456") {
		t.Fatal("a TOTP code looks like a recovery code")
	}
}

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := NewSecret()
	sealed, err := s.Seal(secret, 42)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed secret holds the secret")
	}
	if got, err := s.Open(sealed, 42); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open: %v", err)
	}
	if _, err := s.Open(sealed, 43); !errors.Is(err, ErrUnsealable) {
		t.Fatal("a secret opens for another user")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, 42); !errors.Is(err, ErrUnsealable) {
		t.Fatal("a secret opens under another key")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("a short key is accepted")
	}
}
