// Package audit defines the tamper-evident audit trail: how an event is
// hashed into its chain, how a stored trail is verified, and how checkpoints
// of every chain head are signed. It does no I/O; the store feeds it rows.
//
// Each draft has its own chain ("draft/ID"), other events go to "system".
// A per-draft chain means an append only contends with the draft's own row
// lock, which the transition holds anyway, so the trail never serialises the
// whole office through one lock. seq, a plain sequence, gives the global
// order; signed checkpoints over all chain heads detect a cut-off tail.
package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Hex is bytes that JSON shows as hex, as hashes are written everywhere else.
type Hex []byte

// MarshalJSON writes the bytes as a hex string.
func (h Hex) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("null"), nil
	}
	return []byte(`"` + hex.EncodeToString(h) + `"`), nil
}

// UnmarshalJSON reads a hex string.
func (h *Hex) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*h = nil
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("want a hex string, got %s", b)
	}
	v, err := hex.DecodeString(string(b[1 : len(b)-1]))
	*h = v
	return err
}

// SystemChain holds the platform's events, which belong to no draft and no
// agency: agencies created, the platform-wide word list, failed sign-ins of
// unknown names. (Before agencies it held every agency-level event; those
// stay where they were.)
const SystemChain = "system"

// DraftChain names a draft's chain.
func DraftChain(draftID int64) string { return "draft/" + strconv.FormatInt(draftID, 10) }

// AgencyChain names the chain of an agency's events that belong to no
// draft: its people, departments, settings, word-list additions, sign-ins.
func AgencyChain(agencyID int64) string { return "agency/" + strconv.FormatInt(agencyID, 10) }

// ApplicationChain names an application's chain (依申请公开): its intake,
// its clock's records, outcome, reply, delivery, and each access to and
// deletion of its identity documents.
func ApplicationChain(id int64) string { return "application/" + strconv.FormatInt(id, 10) }

// Event is one audited act.
type Event struct {
	Seq     int64  `json:"seq"`
	Chain   string `json:"chain"`
	Index   int64  `json:"index"` // 1-based position in its chain
	DraftID int64  `json:"draft_id,omitempty"`
	// AgencyID is the agency the event belongs to (0: the platform's). It
	// is stored beside the event, not sealed in its hash: chains and
	// hashes sealed before agencies existed stay valid.
	AgencyID      int64     `json:"agency_id,omitempty"`
	ActorID       int64     `json:"actor_id,omitempty"`
	Actor         string    `json:"actor"`
	Role          string    `json:"role"`
	Stage         string    `json:"stage,omitempty"`
	Action        string    `json:"action"`
	Revision      int       `json:"revision,omitempty"`
	ContentSHA256 Hex       `json:"content_sha256,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	Comment       string    `json:"comment,omitempty"`
	At            time.Time `json:"at"`
	PrevHash      Hex       `json:"prev_hash,omitempty"`
	Hash          Hex       `json:"hash"`
}

// Hash computes the event's hash over every field but Seq and Hash itself,
// each length-prefixed so no two different events encode alike. Times are
// hashed at microsecond precision, what PostgreSQL keeps.
func Hash(e *Event) []byte {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	field([]byte("sanshen-audit-v1"))
	field([]byte(e.Chain))
	num(e.Index)
	num(e.DraftID)
	num(e.ActorID)
	field([]byte(e.Actor))
	field([]byte(e.Role))
	field([]byte(e.Stage))
	field([]byte(e.Action))
	num(int64(e.Revision))
	field(e.ContentSHA256)
	field([]byte(e.Reason))
	field([]byte(e.Comment))
	num(e.At.UTC().Truncate(time.Microsecond).UnixMicro())
	field(e.PrevHash)
	return h.Sum(nil)
}

// Seal sets the event's position after head and computes its hash.
func Seal(e *Event, prevIndex int64, prevHash []byte) {
	e.Index = prevIndex + 1
	e.PrevHash = prevHash
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = Hash(e)
}

// Break is where verification found the trail tampered with.
type Break struct {
	Seq     int64  `json:"seq,omitempty"`
	Chain   string `json:"chain"`
	Index   int64  `json:"index,omitempty"`
	Problem string `json:"problem"`
}

func (b Break) String() string {
	return fmt.Sprintf("chain %s index %d (seq %d): %s", b.Chain, b.Index, b.Seq, b.Problem)
}

type chainState struct {
	index int64
	hash  []byte
	seq   int64
	at    time.Time
}

// Verifier checks a trail fed to it in global (seq) order, one event at a
// time, so a million events need memory only for the chain heads.
type Verifier struct {
	chains map[string]*chainState
	events int64
	breaks []Break
	maxSeq int64
	// Skew is how much older than the event before it in its chain an
	// event may be: several hosts write events, and their clocks differ.
	Skew time.Duration
}

// DefaultSkew is the clock-skew tolerance unless configured.
const DefaultSkew = 2 * time.Minute

// NewVerifier starts a verification.
func NewVerifier() *Verifier { return &Verifier{chains: map[string]*chainState{}, Skew: DefaultSkew} }

// Fail records a break found outside the chains (the log, the drafts).
func (v *Verifier) Fail(b Break) { v.fail(b) }

// maxBreaks bounds the report: the first breaks locate the tampering.
const maxBreaks = 100

func (v *Verifier) fail(b Break) {
	if len(v.breaks) < maxBreaks {
		v.breaks = append(v.breaks, b)
	}
}

// Add checks the next event.
func (v *Verifier) Add(e *Event) {
	v.events++
	if e.Seq <= v.maxSeq {
		v.fail(Break{Seq: e.Seq, Chain: e.Chain, Index: e.Index, Problem: "events out of global order"})
	}
	v.maxSeq = max(v.maxSeq, e.Seq)
	c := v.chains[e.Chain]
	if c == nil {
		c = &chainState{}
		v.chains[e.Chain] = c
	}
	if !bytes.Equal(Hash(e), e.Hash) {
		v.fail(Break{Seq: e.Seq, Chain: e.Chain, Index: e.Index, Problem: "event changed: its hash does not match its content"})
	}
	switch {
	case e.Index != c.index+1:
		v.fail(Break{Seq: e.Seq, Chain: e.Chain, Index: e.Index,
			Problem: fmt.Sprintf("expected index %d after %d: an event was deleted, inserted or reordered", c.index+1, c.index)})
	case !bytes.Equal(e.PrevHash, c.hash):
		v.fail(Break{Seq: e.Seq, Chain: e.Chain, Index: e.Index,
			Problem: "previous-hash link broken: an event before it was deleted, inserted or changed"})
	}
	if !c.at.IsZero() && e.At.Before(c.at.Add(-v.Skew)) {
		v.fail(Break{Seq: e.Seq, Chain: e.Chain, Index: e.Index,
			Problem: fmt.Sprintf("time goes back %s from the event before it, more than the clock-skew tolerance of %s: back-dated", c.at.Sub(e.At).Round(time.Second), v.Skew)})
	}
	c.index, c.hash, c.seq, c.at = e.Index, e.Hash, e.Seq, e.At
}

// Head is a chain's recorded end, as the store keeps it.
type Head struct {
	Chain  string `json:"chain"`
	Length int64  `json:"length"`
	Hash   Hex    `json:"hash"`
}

// CheckHeads compares the chains seen with the recorded heads, which catches
// a tail cut off a chain (the events are gone but the head remembers them).
func (v *Verifier) CheckHeads(heads []Head) {
	seen := map[string]bool{}
	for _, h := range heads {
		seen[h.Chain] = true
		c := v.chains[h.Chain]
		if c == nil {
			c = &chainState{}
		}
		if c.index != h.Length || !bytes.Equal(c.hash, h.Hash) {
			v.fail(Break{Chain: h.Chain, Index: c.index,
				Problem: fmt.Sprintf("chain ends at index %d but its head records %d: events were deleted or appended outside sanshen", c.index, h.Length)})
		}
	}
	for name, c := range v.chains {
		if !seen[name] {
			v.fail(Break{Chain: name, Index: c.index, Problem: "chain has no recorded head: inserted outside sanshen"})
		}
	}
}

// Result is the outcome of a verification.
type Result struct {
	OK     bool    `json:"ok"`
	Events int64   `json:"events"`
	Chains int     `json:"chains"`
	Head   string  `json:"head"` // digest over every chain head, hex
	Breaks []Break `json:"breaks,omitempty"`
	// Log is the transparency log's size as recomputed, and the signed heads
	// checked against it, when the whole log was verified.
	Log *LogResult `json:"log,omitempty"`
}

// LogResult is what a verification found of the transparency log.
type LogResult struct {
	Size  int64  `json:"size"`
	Root  string `json:"root"` // base64, as heads write it
	Heads int    `json:"heads_checked"`
	// Restores are the restore heads: the ranges of leaves a restore from
	// a backup lost, each declared and signed (RestoreHead).
	Restores []Restore `json:"restores,omitempty"`
}

// Result finishes the verification.
func (v *Verifier) Result() Result {
	heads := make([]Head, 0, len(v.chains))
	for name, c := range v.chains {
		heads = append(heads, Head{Chain: name, Length: c.index, Hash: c.hash})
	}
	return Result{OK: len(v.breaks) == 0, Events: v.events, Chains: len(v.chains),
		Head: hex.EncodeToString(Digest(heads)), Breaks: v.breaks}
}

// Digest is one hash over a set of chain heads, in chain-name order: the
// state of the whole trail at a point in time.
func Digest(heads []Head) []byte {
	hs := append([]Head(nil), heads...)
	sort.Slice(hs, func(i, j int) bool { return hs[i].Chain < hs[j].Chain })
	h := sha256.New()
	var n [8]byte
	for _, x := range hs {
		binary.BigEndian.PutUint64(n[:], uint64(len(x.Chain)))
		h.Write(n[:])
		h.Write([]byte(x.Chain))
		binary.BigEndian.PutUint64(n[:], uint64(x.Length))
		h.Write(n[:])
		h.Write(x.Hash)
	}
	return h.Sum(nil)
}

// Checkpoint records the trail's state so it can be proved later that no
// event up to it was removed. It is exported as JSON and kept off the database.
type Checkpoint struct {
	UptoSeq   int64     `json:"upto_seq"`
	Chains    int64     `json:"chains"`
	Events    int64     `json:"events"`
	Heads     []Head    `json:"heads"`
	Digest    Hex       `json:"digest"`
	At        time.Time `json:"at"`
	PublicKey Hex       `json:"public_key"`
	Signature Hex       `json:"signature"`
}

func (c *Checkpoint) signed() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "sanshen-checkpoint-v1\n%d\n%d\n%d\n%x\n%d\n", c.UptoSeq, c.Chains, c.Events, c.Digest, c.At.UTC().UnixMicro())
	return b.Bytes()
}

// Sign computes the digest and signs the checkpoint with key.
func (c *Checkpoint) Sign(key ed25519.PrivateKey) {
	c.Digest = Digest(c.Heads)
	c.PublicKey = Hex(key.Public().(ed25519.PublicKey))
	c.Signature = ed25519.Sign(key, c.signed())
}

// VerifySignature reports whether the checkpoint is intact and signed by pub.
func (c *Checkpoint) VerifySignature(pub ed25519.PublicKey) error {
	if !bytes.Equal(Digest(c.Heads), c.Digest) {
		return fmt.Errorf("checkpoint heads do not match its digest")
	}
	if !ed25519.Verify(pub, c.signed(), c.Signature) {
		return fmt.Errorf("checkpoint signature is not valid for this key")
	}
	return nil
}
