package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// The services' role cannot rewrite the trail: no UPDATE, DELETE or
// TRUNCATE of an event, a leaf, a tree hash or a signed head; nor is it a
// superuser who could grant itself more. It can still do its work.
func TestServicesRoleCannotRewriteTheTrail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, _, _, _ := logged(t)
	u := owner.Pool.Config().ConnConfig.ConnString()
	appURL, err := store.AppURL(u, store.DefaultAppRole, "")
	if err != nil {
		t.Fatal(err)
	}
	app, err := store.Open(ctx, appURL, testenv.Logger(t))
	if err != nil {
		t.Fatalf("connecting as %s: %v", store.DefaultAppRole, err)
	}
	t.Cleanup(app.Close)
	var super bool
	if err := app.Pool.QueryRow(ctx, `SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Fatalf("the services' role is a superuser or may create roles (%v)", err)
	}
	for _, table := range store.AppendOnly {
		for _, attack := range []string{`UPDATE ` + table + ` SET seq = seq WHERE false`, `DELETE FROM ` + table, `TRUNCATE ` + table} {
			if strings.HasPrefix(attack, "UPDATE") && table != "audit_events" && table != "audit_leaves" {
				attack = `UPDATE ` + table + ` SET hash = hash WHERE false`
				if table == "audit_heads" {
					attack = `UPDATE audit_heads SET note = note WHERE false`
				}
			}
			_, err := app.Pool.Exec(ctx, attack)
			if err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s as the services' role: %v", attack, err)
			}
		}
	}
	// Its own work goes on: events are appended, the queue is taken.
	if _, err := app.AddDepartment(ctx, admin, "新科室"); err != nil {
		t.Fatalf("the services' role cannot add a department: %v", err)
	}
	if _, err := app.Sequence(ctx, 100); err != nil {
		t.Fatalf("the services' role cannot sequence: %v", err)
	}
	if res, err := app.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("verify as the services' role: %+v %v", res, err)
	}
}
