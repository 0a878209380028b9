package store_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// A database restored from a backup holds 6 leaves; the system had
// published a head of 9 before the disaster. Without a restore head that
// is a break (the log is shorter than a head held outside); with one, the
// restored system's log goes on from 6 and verification reports exactly
// leaves 6 to 8 as lost, never a silent fork.
func TestRestoreHeadDeclaresTheLostLeaves(t *testing.T) {
	ctx := context.Background()
	s, _, key, _ := logged(t) // the backup: 6 leaves, a head at 6
	published := audit.TreeHead{Origin: "test.example/audit", Size: 9, Root: sha256.Sum256([]byte("the lost timeline")), Time: time.Now().Add(-time.Minute)}
	last, err := key.SignHead(published)
	if err != nil {
		t.Fatal(err)
	}
	check := store.LogCheck{VerifierKey: key.VerifierKey, Held: [][]byte{last}}
	wantBreak(t, s, check, "it was truncated")

	if _, err := s.RecordRestore(ctx, key, []byte(mustHead(t, s).Note), time.Now()); err == nil || !strings.Contains(err.Error(), "nothing was lost") {
		t.Fatalf("a head the restored log covers: %v", err)
	}
	r, err := s.RecordRestore(ctx, key, last, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.LostFrom() != 6 || r.LostTo() != 9 {
		t.Fatalf("lost %d..%d, want 6..9", r.LostFrom(), r.LostTo())
	}
	// The restored system goes on: new events, new leaves from 6, a new head.
	admin := domain.Actor{Name: "管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	for _, name := range []string{"恢复后一科", "恢复后二科", "恢复后三科", "恢复后四科"} {
		if _, err := s.AddDepartment(ctx, admin, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Sequence(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SignHead(ctx, key, "test.example/audit", 1, time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := s.Verify(ctx, check)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Log == nil || len(res.Log.Restores) != 1 || res.Log.Restores[0].LostFrom != 6 || res.Log.Restores[0].LostTo != 9 || res.Log.Size != 10 {
		t.Fatalf("after the restore head: ok=%v breaks %v log %+v", res.OK, res.Breaks, res.Log)
	}

	t.Run("a head held outside that the restore does not name", func(t *testing.T) {
		other := published
		other.Root = sha256.Sum256([]byte("another"))
		msg, err := key.SignHead(other)
		if err != nil {
			t.Fatal(err)
		}
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey, Held: [][]byte{msg}}, "differs from the last published head the restore")
	})
	t.Run("a restore head not signed by the log's key", func(t *testing.T) {
		forged := logKey(t)
		if _, err := s.RecordRestore(ctx, forged, last, time.Now()); err == nil {
			t.Fatal("a head of another key was taken as the last published one")
		}
		msg, err := forged.SignRestore(audit.RestoreHead{Origin: "test.example/audit", From: 2, Published: published, Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		exec(t, s, `INSERT INTO audit_restores (restored_size, published_size, published_root, at, note) VALUES (2, 9, '\x00', now(), '`+string(msg)+`')`)
		wantBreak(t, s, check, "restore head: the restore head is not signed by the log's key")
	})
}

func mustHead(t *testing.T, s *store.Store) store.StoredHead {
	t.Helper()
	h, err := s.LatestHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}
