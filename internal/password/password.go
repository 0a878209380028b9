// Package password hashes and checks passwords with argon2id, and holds
// what a new password must be (OWASP ASVS 5.0, V6.2).
//
// Checking a password costs one argon2id run, 64 MiB of memory, whatever
// the outcome: a name nobody has and a person without a password are
// checked against a dummy hash, so neither the work nor its time tells
// which names exist (ASVS 6.3.8). Runs are capped (Hasher's slots) because
// sign-in needs no authentication: without a cap, a burst of attempts
// would be a burst of 64 MiB allocations.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
}

// Default is RFC 9106's second recommended option (memory-constrained):
// 64 MiB, 3 passes, 4 lanes. Production never uses less.
var Default = Params{Time: 3, Memory: 64 * 1024, Threads: 4, KeyLen: 32}

// Test is a cheap cost for tests that sign in many times; only tests pass
// it (system.Options.PasswordParams), never the configuration.
var Test = Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32}

// DefaultSlots is how many argon2id runs a process does at once: 4 × 64 MiB.
const DefaultSlots = 4

// DefaultWait is how long a check waits for a free slot before ErrBusy.
const DefaultWait = 10 * time.Second

// ErrBusy means every slot stayed taken for the whole wait: the caller
// answers "try again shortly" (503) instead of queueing without end.
var ErrBusy = errors.New("too many password checks at once; try again shortly")

// Hasher hashes and checks passwords, at most Slots at a time.
type Hasher struct {
	params Params
	slots  chan struct{}
	wait   time.Duration
	runs   atomic.Int64
	dummy  func() string // made once, when first needed
}

// NewHasher makes a Hasher with the given cost and cap (slots < 1: DefaultSlots).
func NewHasher(p Params, slots int) *Hasher {
	if slots < 1 {
		slots = DefaultSlots
	}
	h := &Hasher{params: p, slots: make(chan struct{}, slots), wait: DefaultWait}
	// A hash of random bytes nobody knows, made with the same cost: checking
	// a password against it takes what checking a real one does.
	h.dummy = sync.OnceValue(func() string {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			panic(err) // crypto/rand does not fail on the systems Go supports
		}
		return encode(p, secret[:16], argon2.IDKey(secret, secret[16:], p.Time, p.Memory, p.Threads, p.KeyLen))
	})
	return h
}

// Runs counts the argon2id runs so far (hashes and checks): tests assert
// one per sign-in attempt without timing anything.
func (h *Hasher) Runs() int64 { return h.runs.Load() }

func (h *Hasher) acquire(ctx context.Context) error {
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash hashes pw into the PHC string format. It does not judge pw; see Check.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("error making salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	h.runs.Add(1)
	p := h.params
	return encode(p, salt, argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)), nil
}

// Verify reports whether pw matches hash, with exactly one argon2id run:
// an empty or unreadable hash (no such person, no password) runs against
// the dummy and answers false.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	p, salt, want, ok := decode(hash)
	if !ok {
		p, salt, want, _ = decode(h.dummy())
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	h.runs.Add(1)
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return ok && subtle.ConstantTimeCompare(got, want) == 1, nil
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// decode reads a hash made by encode. A hash asking for more than Default's
// memory is refused too: a row written by hand must not make sign-in
// allocate what it likes.
func decode(hash string) (p Params, salt, key []byte, ok bool) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) < 16 || p.Time < 1 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) ||
		p.Memory > Default.Memory || p.Time > 10*Default.Time {
		return p, nil, nil, false
	}
	p.KeyLen = uint32(len(key))
	return p, salt, key, true
}
