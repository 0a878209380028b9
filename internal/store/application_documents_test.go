package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// memBlobs is a blob store in memory, for the sweep's removals.
type memBlobs struct {
	mu      sync.Mutex
	m       map[string][]byte
	deletes int
}

func (b *memBlobs) put(sum string, data []byte) store.BlobPutter {
	return func(context.Context) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.m[sum] = data
		return nil
	}
}

func (b *memBlobs) Delete(_ context.Context, sum string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, sum)
	b.deletes++
	return nil
}

func (b *memBlobs) has(sum string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.m[sum]
	return ok
}

func sumOf(data string) string {
	h := sha256.Sum256([]byte(data))
	return hex.EncodeToString(h[:])
}

// chainActions are the actions of a chain's events, in order.
func chainActions(t *testing.T, s *store.Store, chain string) []string {
	t.Helper()
	evs, err := s.ChainEvents(context.Background(), chain)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func countOf(list []string, what string) int {
	n := 0
	for _, v := range list {
		if v == what {
			n++
		}
	}
	return n
}

// Identity documents: only case handlers add and read them, each read is
// an event in the case's chain; the retention sweep deletes the documents
// of a case closed at least the agency's retention ago (not of an open
// case, nor while an appeal is pending), audits each deletion once, and
// removes the bytes no live document or draft file still uses; a second
// sweep changes nothing, and the trail verifies.
func TestIdentityDocumentsRetention(t *testing.T) {
	ctx := context.Background()
	s := testenv.Store(t)
	h := newHandler(t, s)
	cal := calendar.Official()
	blobs := &memBlobs{m: map[string][]byte{}}
	newCase := func(name string) store.Application {
		a, err := s.AddApplication(ctx, h, store.NewApplication{Route: domain.RouteLetter, ApplicantType: domain.ApplicantNatural,
			ApplicantName: name, Description: "本街道2025年预算执行情况", ReceivedOn: day(t, "2025-09-15")}, noonOn(t, "2025-09-15"))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	add := func(a store.Application, data string) store.ApplicationDocument {
		t.Helper()
		sum := sumOf(data)
		d, err := s.AddApplicationDocument(ctx, h, a.ID, store.NewApplicationDocument{SHA256: sum, Name: "身份证.jpg", ContentType: "image/jpeg",
			Size: int64(len(data))}, blobs.put(sum, []byte(data)), noonOn(t, "2025-09-15"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	closeCase := func(a store.Application, on string) {
		t.Helper()
		for _, act := range []store.CaseAct{{Action: domain.CaseRecordOutcome, Outcome: "other"}, {Action: domain.CaseClose}} {
			if _, err := s.ActOnApplication(ctx, cal, h, a.ID, act, noonOn(t, on)); err != nil {
				t.Fatal(err)
			}
		}
	}
	closed, open, appealed := newCase("张三"), newCase("李四"), newCase("王五")
	shared := add(closed, "the same ID card, twice")
	own := add(closed, "张三's own licence")
	add(open, "the same ID card, twice")
	ap := add(appealed, "王五's ID card")
	closeCase(closed, "2025-09-20")
	closeCase(appealed, "2025-09-20")
	if _, err := s.ActOnApplication(ctx, cal, h, appealed.ID, store.CaseAct{Action: domain.CaseRecordAppeal, AppealKind: domain.AppealReview,
		AppealResult: domain.AppealPending}, noonOn(t, "2025-09-25")); err != nil {
		t.Fatal(err)
	}

	// Who adds and reads.
	officer := domain.Actor{ID: 99, Name: "信息员", AgencyID: 1, Roles: []domain.Role{domain.RoleOfficer}}
	for _, by := range []domain.Actor{officer, admin} {
		if _, err := s.ReadApplicationDocument(ctx, by, closed.ID, own.ID); err == nil {
			t.Fatalf("%v read an identity document", by.Roles)
		} else {
			refusedAs(t, err, domain.RuleRole)
		}
		_, err := s.AddApplicationDocument(ctx, by, closed.ID, store.NewApplicationDocument{SHA256: sumOf("x"), Name: "x.png", ContentType: "image/png", Size: 1},
			nil, noonOn(t, "2025-09-16"))
		refusedAs(t, err, domain.RuleRole)
	}
	other := domain.Actor{ID: 1000, Name: "外单位承办人", AgencyID: 2, Roles: []domain.Role{domain.RoleCaseHandler}}
	if _, err := s.ReadApplicationDocument(ctx, other, closed.ID, own.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another agency's handler: %v", err)
	}
	if _, err := s.ReadApplicationDocument(ctx, h, open.ID, own.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a document under another case: %v", err)
	}
	// A failed store of the bytes leaves no record and no event.
	_, err := s.AddApplicationDocument(ctx, h, open.ID, store.NewApplicationDocument{SHA256: sumOf("y"), Name: "y.png", ContentType: "image/png", Size: 1},
		func(context.Context) error { return errors.New("disk full") }, noonOn(t, "2025-09-16"))
	if err == nil {
		t.Fatal("a failed store was recorded")
	}
	if got, err := s.Application(ctx, h, open.ID); err != nil || len(got.Documents) != 1 {
		t.Fatalf("after a failed store: %+v %v", got.Documents, err)
	}
	d, err := s.ReadApplicationDocument(ctx, h, closed.ID, own.ID)
	if err != nil || d.SHA256 != own.SHA256 {
		t.Fatalf("the handler's read: %+v %v", d, err)
	}
	evs, err := s.ChainEvents(ctx, audit.ApplicationChain(closed.ID))
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Action != "application_document_read" || last.ActorID != h.ID || last.Role != string(domain.RoleCaseHandler) ||
		!strings.Contains(last.Comment, "document=") || strings.Contains(last.Comment, "身份证") || strings.Contains(last.Comment, own.SHA256) {
		t.Fatalf("the read's event: %+v", last)
	}

	// The retention: 180 days after 2025-09-20 is 2026-03-19.
	if got, err := s.ExpireIdentityDocuments(ctx, noonOn(t, "2026-03-18")); err != nil || len(got) != 0 {
		t.Fatalf("a day early: %+v %v", got, err)
	}
	got, err := s.ExpireIdentityDocuments(ctx, noonOn(t, "2026-03-19"))
	if err != nil || len(got) != 2 || got[0].ID != shared.ID || got[1].ID != own.ID {
		t.Fatalf("on the day: %+v %v", got, err)
	}
	if again, err := s.ExpireIdentityDocuments(ctx, noonOn(t, "2026-03-20")); err != nil || len(again) != 0 {
		t.Fatalf("a second sweep: %+v %v", again, err)
	}
	if acts := chainActions(t, s, audit.ApplicationChain(closed.ID)); countOf(acts, "application_document_deleted") != 2 {
		t.Fatalf("closed case's events: %v", acts)
	}
	for _, a := range []store.Application{open, appealed} {
		if acts := chainActions(t, s, audit.ApplicationChain(a.ID)); countOf(acts, "application_document_deleted") != 0 {
			t.Fatalf("case %d lost a document: %v", a.ID, acts)
		}
	}
	evs, _ = s.ChainEvents(ctx, audit.ApplicationChain(closed.ID))
	if e := evs[len(evs)-1]; e.Role != string(domain.RoleSystem) || e.ActorID != 0 {
		t.Fatalf("the deletion's actor: %+v", e)
	}
	if _, err := s.ReadApplicationDocument(ctx, h, closed.ID, own.ID); !errors.Is(err, store.ErrDocumentDeleted) {
		t.Fatalf("reading a deleted document: %v", err)
	}
	a, _ := s.Application(ctx, h, closed.ID)
	for _, d := range a.Documents {
		if d.DeletedAt.IsZero() {
			t.Fatalf("not marked deleted: %+v", d)
		}
	}

	// The bytes: the shared content stays (the open case still has it).
	if n, err := s.RemoveDeletedDocumentBlobs(ctx, blobs); err != nil || n != 2 {
		t.Fatalf("removing: %d %v", n, err)
	}
	if blobs.has(own.SHA256) || !blobs.has(shared.SHA256) || !blobs.has(ap.SHA256) {
		t.Fatalf("after removal: own %v shared %v appealed %v", blobs.has(own.SHA256), blobs.has(shared.SHA256), blobs.has(ap.SHA256))
	}
	deletes := blobs.deletes
	if n, err := s.RemoveDeletedDocumentBlobs(ctx, blobs); err != nil || n != 0 || blobs.deletes != deletes {
		t.Fatalf("removing again: %d %v, %d deletes", n, err, blobs.deletes-deletes)
	}

	// The appeal decided, that case's document goes too.
	if _, err := s.ActOnApplication(ctx, cal, h, appealed.ID, store.CaseAct{Action: domain.CaseRecordAppeal, AppealID: firstAppeal(t, s, h, appealed.ID),
		AppealResult: domain.AppealUpheld}, noonOn(t, "2025-12-01")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ExpireIdentityDocuments(ctx, noonOn(t, "2026-03-20")); err != nil || len(got) != 1 || got[0].ID != ap.ID {
		t.Fatalf("after the appeal: %+v %v", got, err)
	}
	if n, err := s.RemoveDeletedDocumentBlobs(ctx, blobs); err != nil || n != 1 || blobs.has(ap.SHA256) {
		t.Fatalf("removing the appealed case's: %d %v", n, err)
	}

	// The retention is the admins' to set, in bounds, audited.
	refusedAs(t, s.SetIdentityRetention(ctx, h, 30), domain.RuleRole)
	refusedAs(t, s.SetIdentityRetention(ctx, admin, 0), domain.RuleCaseInput)
	if err := s.SetIdentityRetention(ctx, admin, 30); err != nil {
		t.Fatal(err)
	}
	if days, err := s.IdentityRetention(ctx, 1); err != nil || days != 30 {
		t.Fatalf("retention: %d %v", days, err)
	}
	if acts := chainActions(t, s, audit.AgencyChain(1)); countOf(acts, "application_retention_set") != 1 {
		t.Fatalf("agency events: %v", acts)
	}
	res, err := s.VerifyAgency(ctx, 1)
	if err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

// firstAppeal is the id of a case's first appeal.
func firstAppeal(t *testing.T, s *store.Store, h domain.Actor, id int64) int64 {
	t.Helper()
	a, err := s.Application(context.Background(), h, id)
	if err != nil || len(a.Appeals) == 0 {
		t.Fatalf("appeals of %d: %v", id, err)
	}
	return a.Appeals[0].ID
}
