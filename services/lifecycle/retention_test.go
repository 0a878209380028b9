package lifecycle_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/lifecycle"
)

// The identity_retention job is registered, and a run deletes a closed
// case's document past the retention and removes its bytes from the file
// store; a second run finds nothing to do.
func TestIdentityRetention(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l := &lifecycle.Lifecycle{Store: st, Blobs: blobs}
	if _, ok := l.Handlers()[lifecycle.KindIdentityRetention]; !ok {
		t.Fatal("the identity_retention job has no handler")
	}
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	u, _, err := st.AddUser(ctx, admin, store.NewUser{Name: "承办人", Roles: []domain.Role{domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	h := u.Actor()
	at := func(s string) time.Time {
		d, err := time.ParseInLocation(domain.DateLayout, s, domain.Beijing)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(12 * time.Hour)
	}
	a, err := st.AddApplication(ctx, h, store.NewApplication{Route: domain.RouteVisit, ApplicantType: domain.ApplicantNatural,
		ApplicantName: "张三", Description: "某项信息", ReceivedOn: time.Date(2025, 9, 15, 0, 0, 0, 0, time.UTC)}, at("2025-09-15"))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("%PDF-1.4 an ID card, scanned")
	h256 := sha256.Sum256(data)
	sum := hex.EncodeToString(h256[:])
	if _, err := st.AddApplicationDocument(ctx, h, a.ID, store.NewApplicationDocument{SHA256: sum, Name: "身份证.pdf", ContentType: "application/pdf",
		Size: int64(len(data))}, func(ctx context.Context) error {
		return blobs.Put(ctx, sum, int64(len(data)), "application/pdf", bytes.NewReader(data))
	}, at("2025-09-15")); err != nil {
		t.Fatal(err)
	}
	cal := calendar.Official()
	for _, act := range []store.CaseAct{{Action: domain.CaseRecordOutcome, Outcome: "other"}, {Action: domain.CaseClose}} {
		if _, err := st.ActOnApplication(ctx, cal, h, a.ID, act, at("2025-09-16")); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetIdentityRetention(ctx, admin, 10); err != nil {
		t.Fatal(err)
	}
	if del, rm, err := l.Retention(ctx, at("2025-09-25")); err != nil || del != 0 || rm != 0 {
		t.Fatalf("a day early: %d %d %v", del, rm, err)
	}
	if del, rm, err := l.Retention(ctx, at("2025-09-26")); err != nil || del != 1 || rm != 1 {
		t.Fatalf("on the day: %d %d %v", del, rm, err)
	}
	if _, err := blobs.Stat(ctx, sum); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the bytes are still stored: %v", err)
	}
	if del, rm, err := l.Retention(ctx, at("2025-09-27")); err != nil || del != 0 || rm != 0 {
		t.Fatalf("again: %d %d %v", del, rm, err)
	}
}
