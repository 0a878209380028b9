package audit

// The platform-wide transparency log (after Certificate Transparency, RFC
// 9162, and Trillian): a Merkle tree whose leaves are the audit events in
// the order the sequencer gave them after commit. Its signed tree heads are
// published where outsiders keep copies; with a head in hand, anyone can
// demand proof that an event is in the log (inclusion) and that today's log
// extends the one the head signed (consistency), so a rewrite of the
// database, however consistent, is caught by the first head kept outside.
//
// The tree and proofs are golang.org/x/mod/sumdb/tlog's (SHA-256, RFC 6962
// hashing), the heads signed notes (golang.org/x/mod/sumdb/note, Ed25519) in
// the C2SP checkpoint format. Neither is pluggable today: an office that
// needs SM3/SM2 (密评) would need a tree and note format of its own.

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// LeafHash is an event's leaf in the log: the record hash of its sealed
// hash, so a leaf stands for everything the event's hash covers.
func LeafHash(eventHash []byte) tlog.Hash { return tlog.RecordHash(eventHash) }

// TreeHead is the state of the log at a size: what a signed head asserts.
type TreeHead struct {
	Origin string    `json:"origin"`
	Size   int64     `json:"size"`
	Root   tlog.Hash `json:"-"`
	Time   time.Time `json:"time"`
}

// RootBase64 is the root as a checkpoint writes it.
func (h TreeHead) RootBase64() string { return base64.StdEncoding.EncodeToString(h.Root[:]) }

// Text is the head as a C2SP checkpoint body: the origin, the size, the
// root, then the time as an extension line.
func (h TreeHead) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\ntime %d\n", h.Origin, h.Size, h.RootBase64(), h.Time.Unix())
}

// ParseHead reads a checkpoint body as Text writes it.
func ParseHead(text string) (TreeHead, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return TreeHead{}, errors.New("a tree head has an origin, a size and a root")
	}
	var h TreeHead
	h.Origin = lines[0]
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return h, fmt.Errorf("tree head size %q", lines[1])
	}
	h.Size = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return h, fmt.Errorf("tree head root %q", lines[2])
	}
	copy(h.Root[:], root)
	for _, l := range lines[3:] {
		if t, ok := strings.CutPrefix(l, "time "); ok {
			sec, err := strconv.ParseInt(t, 10, 64)
			if err != nil {
				return h, fmt.Errorf("tree head time %q", t)
			}
			h.Time = time.Unix(sec, 0).UTC()
		}
	}
	return h, nil
}

// LogKey signs and verifies the log's heads: the Ed25519 key that signed
// audit checkpoints, named by the log's origin.
type LogKey struct {
	Signer note.Signer
	// VerifierKey is the public verifier key in note form
	// (origin+hash+key), which the transparency page publishes and an
	// inspector configures.
	VerifierKey string
}

// NewLogKey makes the log's key from an Ed25519 key and the log's origin
// (a name without spaces or '+', e.g. the public site's host + "/audit").
func NewLogKey(origin string, key ed25519.PrivateKey) (LogKey, error) {
	vkey, err := note.NewEd25519VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return LogKey{}, fmt.Errorf("error making the log's verifier key: %w", err)
	}
	parts := strings.Split(vkey, "+") // origin+hash+key
	skey := "PRIVATE+KEY+" + origin + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...))
	s, err := note.NewSigner(skey)
	if err != nil {
		return LogKey{}, fmt.Errorf("error making the log's signer: %w", err)
	}
	return LogKey{Signer: s, VerifierKey: vkey}, nil
}

// SignHead signs h as a note.
func (k LogKey) SignHead(h TreeHead) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(h.Text())}, k.Signer)
}

// OpenHead checks a signed head against a verifier key and reads it. A head
// signed by another key, or changed after signing, is refused.
func OpenHead(msg []byte, verifierKey string) (TreeHead, error) {
	text, origin, err := openNote(msg, verifierKey, "head")
	if err != nil {
		return TreeHead{}, err
	}
	h, err := ParseHead(text)
	if err != nil {
		return h, err
	}
	if h.Origin != origin {
		return h, fmt.Errorf("the head is of log %q, not %q", h.Origin, origin)
	}
	return h, nil
}

// openNote checks a note (a head, a restore head) against the log's
// verifier key and returns its text and the key's name, the log's origin.
func openNote(msg []byte, verifierKey, what string) (text, origin string, err error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return "", "", fmt.Errorf("the log's verifier key %q: %w", verifierKey, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return "", "", fmt.Errorf("the %s is not signed by the log's key %s: %w", what, v.Name(), err)
	}
	return n.Text, v.Name(), nil
}

// TreeBuilder computes the root of the log as its leaves stream by, in
// O(log n) memory: a full recomputation, needing nothing stored.
type TreeBuilder struct {
	n     int64
	stack []tlog.Hash // roots of complete subtrees, largest first
}

// Add appends the next leaf.
func (b *TreeBuilder) Add(leaf tlog.Hash) {
	b.stack = append(b.stack, leaf)
	for n := b.n; n&1 == 1; n >>= 1 {
		top := len(b.stack)
		b.stack = append(b.stack[:top-2], tlog.NodeHash(b.stack[top-2], b.stack[top-1]))
	}
	b.n++
}

// Size is how many leaves were added.
func (b *TreeBuilder) Size() int64 { return b.n }

// Root is the Merkle tree hash of the leaves added so far (RFC 6962).
func (b *TreeBuilder) Root() tlog.Hash {
	if len(b.stack) == 0 {
		return tlog.Hash{} // tlog's hash of the empty tree
	}
	h := b.stack[len(b.stack)-1]
	for i := len(b.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(b.stack[i], h)
	}
	return h
}

// SameHash reports whether a stored hash is the given one.
func SameHash(stored []byte, h tlog.Hash) bool { return bytes.Equal(stored, h[:]) }
