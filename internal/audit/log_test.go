package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// memHashes is a tlog.HashReader over hashes kept in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

// The streaming root is tlog's tree hash at every size.
func TestTreeBuilderMatchesTlog(t *testing.T) {
	var stored memHashes
	var b TreeBuilder
	for n := int64(0); n < 300; n++ {
		sum := sha256.Sum256([]byte{byte(n), byte(n >> 8)})
		leaf := LeafHash(sum[:])
		hs, err := tlog.StoredHashesForRecordHash(n, leaf, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		b.Add(leaf)
		want, err := tlog.TreeHash(n+1, stored)
		if err != nil {
			t.Fatal(err)
		}
		if b.Root() != want || b.Size() != n+1 {
			t.Fatalf("size %d: root %x, tlog %x", n+1, b.Root(), want)
		}
	}
}

func TestSignedHeads(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	k, err := NewLogKey("public.example.gov.cn/audit", key)
	if err != nil {
		t.Fatal(err)
	}
	h := TreeHead{Origin: "public.example.gov.cn/audit", Size: 42, Root: tlog.RecordHash([]byte("x")), Time: time.Unix(1764633600, 0).UTC()}
	msg, err := k.SignHead(h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenHead(msg, k.VerifierKey)
	if err != nil || got != h {
		t.Fatalf("opened %+v, %v; want %+v", got, err, h)
	}
	// Changed after signing, or signed by another key: refused.
	if _, err := OpenHead([]byte(strings.Replace(string(msg), "\n42\n", "\n43\n", 1)), k.VerifierKey); err == nil {
		t.Error("a changed head opened")
	}
	_, other, _ := ed25519.GenerateKey(nil)
	k2, _ := NewLogKey("public.example.gov.cn/audit", other)
	forged, _ := k2.SignHead(h)
	if _, err := OpenHead(forged, k.VerifierKey); err == nil {
		t.Error("a head signed with another key opened")
	}
}
