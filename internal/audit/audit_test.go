package audit

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

func chain(n int) []*Event {
	var evs []*Event
	var prev []byte
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for i := range n {
		e := &Event{Seq: int64(i + 1), Chain: DraftChain(7), DraftID: 7, Actor: "李科长", Role: "dept_head",
			Stage: "compliance", Action: "approve", Revision: 1, At: at.Add(time.Duration(i) * time.Second)}
		Seal(e, int64(i), prev)
		prev = e.Hash
		evs = append(evs, e)
	}
	return evs
}

func verify(evs []*Event, heads []Head) Result {
	v := NewVerifier()
	for _, e := range evs {
		v.Add(e)
	}
	v.CheckHeads(heads)
	return v.Result()
}

func headOf(evs []*Event) []Head {
	last := evs[len(evs)-1]
	return []Head{{Chain: last.Chain, Length: last.Index, Hash: last.Hash}}
}

func TestVerifyIntact(t *testing.T) {
	evs := chain(5)
	if r := verify(evs, headOf(evs)); !r.OK || r.Events != 5 {
		t.Fatalf("intact chain: %+v", r)
	}
}

func TestVerifyDetects(t *testing.T) {
	cases := map[string]func([]*Event) []*Event{
		"changed":   func(e []*Event) []*Event { e[2].Comment = "改过"; return e },
		"deleted":   func(e []*Event) []*Event { return append(e[:2:2], e[3:]...) },
		"reordered": func(e []*Event) []*Event { e[1].Seq, e[2].Seq = e[2].Seq, e[1].Seq; e[1], e[2] = e[2], e[1]; return e },
		"inserted": func(e []*Event) []*Event {
			x := *e[1]
			x.Seq = 100
			return append(e[:2:2], append([]*Event{&x}, e[2:]...)...)
		},
	}
	for name, tamper := range cases {
		evs := chain(5)
		heads := headOf(evs)
		if r := verify(tamper(evs), heads); r.OK {
			t.Errorf("%s: not detected", name)
		}
	}
}

func TestCheckpointSignature(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	evs := chain(3)
	cp := Checkpoint{Heads: headOf(evs), At: time.Now()}
	cp.Sign(key)
	if err := cp.VerifySignature(key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatalf("valid checkpoint: %v", err)
	}
	cp.Heads[0].Length = 2
	if err := cp.VerifySignature(key.Public().(ed25519.PublicKey)); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("altered checkpoint accepted: %v", err)
	}
}
