// Package totp is the second factor: time-based one-time passwords (RFC
// 6238: HMAC-SHA1, 6 digits, 30-second steps, as every authenticator app
// reads them), recovery codes for when the phone is lost, and the sealing
// of secrets at rest.
//
// RFC 6238 and RFC 4226 are a few dozen lines over crypto/hmac, tested
// here against the RFCs' own vectors; a library would add code we would
// still have to read (and its QR and barcode dependencies) for no gain.
package totp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The parameters every authenticator app assumes when a URI leaves them out.
const (
	Digits     = 6
	Period     = 30 * time.Second
	SecretSize = 20 // bytes: RFC 4226 asks for at least 128 bits, 160 recommended
	// Skew is how many steps before and after the current one are
	// accepted: a phone's clock a little off, a code typed as it turns.
	Skew = 1
)

// NewSecret makes a random secret from crypto/rand (ASVS 6.5.3).
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("error making a TOTP secret: %w", err)
	}
	return b, nil
}

// hotp is RFC 4226's HOTP value of counter, in digits digits.
func hotp(secret []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Step is the time step t falls in (RFC 6238's T, from the Unix epoch).
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code is the code for time t.
func Code(secret []byte, t time.Time) string { return hotp(secret, uint64(Step(t)), Digits) }

// Verify checks code against the steps around now and answers the step it
// matched. A step at or before last (the last one used) is refused: a code
// works once (ASVS 6.5.1), and a code seen over a shoulder is worth nothing
// once used. The server's clock decides (ASVS 6.5.8).
func Verify(secret []byte, code string, now time.Time, last int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	for s := cur - Skew; s <= cur+Skew; s++ {
		if s <= last || s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(secret, uint64(s), Digits)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Text is the secret as a person types it into an app: base32 in groups of four.
func Text(secret []byte) string {
	s := b32.EncodeToString(secret)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// URI is the otpauth:// URI an app reads from the QR code.
func URI(secret []byte, issuer, account string) string {
	v := url.Values{}
	v.Set("secret", b32.EncodeToString(secret))
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", strconv.Itoa(Digits))
	v.Set("period", strconv.Itoa(int(Period/time.Second)))
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + v.Encode()
}

// Recovery codes stand in for the app, once each. Each holds 120 random
// bits, so a plain SHA-256 is a sound way to keep it (ASVS 6.5.2 asks at
// least 112 bits for that).
const (
	RecoveryCodes    = 10
	recoveryCodeSize = 15 // bytes: 24 base32 characters
)

// NewRecoveryCodes makes n codes, as shown: six groups of four characters.
func NewRecoveryCodes(n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		b := make([]byte, recoveryCodeSize)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("error making recovery codes: %w", err)
		}
		s := strings.ToLower(b32.EncodeToString(b))
		out[i] = strings.Join([]string{s[0:4], s[4:8], s[8:12], s[12:16], s[16:20], s[20:24]}, "-")
	}
	return out, nil
}

// LooksLikeRecoveryCode tells a recovery code from a TOTP code as typed.
func LooksLikeRecoveryCode(s string) bool { return len(normalizeRecovery(s)) == 24 }

func normalizeRecovery(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// HashRecoveryCode is how a recovery code is stored and looked up: the
// SHA-256 of the code without separators, in lower case.
func HashRecoveryCode(code string) []byte {
	h := sha256.Sum256([]byte(normalizeRecovery(code)))
	return h[:]
}

// Sealer encrypts TOTP secrets at rest with AES-256-GCM under the
// installation's key (SANSHEN_TOTP_KEY), each bound to its user's id: a
// database administrator reads neither the secrets nor can move one from
// one person to another.
type Sealer struct{ aead cipher.AEAD }

// NewSealer makes a Sealer with a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("a TOTP key is 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

func additional(userID int64) []byte {
	return []byte("sanshen totp secret of user " + strconv.FormatInt(userID, 10))
}

// Seal encrypts secret for userID: a random nonce, then the ciphertext.
func (s *Sealer) Seal(secret []byte, userID int64) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("error sealing a TOTP secret: %w", err)
	}
	return s.aead.Seal(nonce, nonce, secret, additional(userID)), nil
}

// ErrUnsealable means a sealed secret was made with another key or for
// another user, or was changed.
var ErrUnsealable = errors.New("the TOTP secret cannot be opened with this installation's key (SANSHEN_TOTP_KEY) for this user")

// Open decrypts what Seal made for userID.
func (s *Sealer) Open(sealed []byte, userID int64) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrUnsealable
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], additional(userID))
	if err != nil {
		return nil, ErrUnsealable
	}
	return out, nil
}
