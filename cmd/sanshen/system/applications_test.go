package system_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/notifications"
)

// TestNotificationsApplicationDeadline: a case past its Article 33
// deadline tells its own handlers (承办人), once however often the scan
// runs, not the agency's other case handlers; a case with weeks left
// tells nobody.
func TestNotificationsApplicationDeadline(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	ctx := context.Background()
	op := domain.Actor{Name: "运维", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	handler, _, err := h.sys.Store.AddUser(ctx, op, store.NewUser{Name: "承办人", Roles: []domain.Role{domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := h.sys.Store.AddUser(ctx, op, store.NewUser{Name: "另一位承办人", Roles: []domain.Role{domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, days := range []int{45, 1} {
		if _, err := h.sys.Store.AddApplication(ctx, handler.Actor(), store.NewApplication{Route: domain.RouteLetter, ApplicantType: domain.ApplicantNatural,
			ApplicantName: "王五", Description: "所需信息", ReceivedOn: store.DigestDay(now).AddDate(0, 0, -days)}, now); err != nil {
			t.Fatal(err)
		}
	}
	n := &notifications.Notifier{Store: h.sys.Store, Calendar: h.sys.Calendar, PublicURL: "http://public.test"}
	for range 2 {
		if err := pgx.BeginFunc(ctx, h.sys.Store.Pool, func(tx pgx.Tx) error { return n.Scan(ctx, tx, now) }); err != nil {
			t.Fatal(err)
		}
	}
	ns, err := h.sys.Store.Notifications(ctx, handler.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].Kind != store.KindApplicationDue {
		t.Fatalf("the handler's notifications: %+v", ns)
	}
	if ns, _ := h.sys.Store.Notifications(ctx, other.ID, 100); len(ns) != 0 {
		t.Errorf("a case handler who does not handle the case was told: %+v", ns)
	}
	if admin, _ := h.sys.Store.Notifications(ctx, h.ids["admin"], 100); len(admin) != 0 {
		t.Errorf("the admin was told: %+v", admin)
	}
}
