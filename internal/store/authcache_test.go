package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// people makes a department and an officer in it, returning the token.
func people(t *testing.T, s *store.Store) (store.Department, store.User, string) {
	t.Helper()
	ctx := context.Background()
	dep, err := s.AddDepartment(ctx, admin, "执法队")
	if err != nil {
		t.Fatal(err)
	}
	u, token, err := s.AddUser(ctx, admin, store.NewUser{Name: "王信息员", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{dep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return dep, u, token
}

// watch runs WatchAuth until the test ends and waits for its LISTEN. It
// returns a cancel that stops it early and a channel closed when it ended.
func watch(t *testing.T, s *store.Store) (context.CancelFunc, <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchAuth(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done }) // before the store closes
	testenv.Eventually(t, "WatchAuth to be listening", func() bool { return store.AuthCacheOn(s) })
	return cancel, done
}

// quietly runs sql with triggers off, so no notification is sent: only a
// lookup that really goes to the database sees the change.
func quietly(t *testing.T, s *store.Store, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func tokenGone(s *store.Store, token string) func() bool {
	return func() bool {
		_, err := s.UserByToken(context.Background(), token)
		return errors.Is(err, store.ErrNotFound)
	}
}

func TestAuthCacheServesRepeatLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	dep, u, token := people(t, s) // before the LISTEN: no notification to come
	watch(t, s)

	got, err := s.UserByToken(ctx, token)
	if err != nil || got.ID != u.ID {
		t.Fatalf("UserByToken = %+v, %v; want user %d", got, err, u.ID)
	}
	got.Roles[0] = domain.RoleAdmin // a caller editing its copy
	if _, err := s.DepartmentByName(ctx, 1, dep.Name); err != nil {
		t.Fatal(err)
	}

	// Changed without a notification: only the database knows.
	quietly(t, s, `UPDATE users SET disabled = true WHERE id = $1`, u.ID)
	quietly(t, s, `UPDATE departments SET name = '城管局' WHERE id = $1`, dep.ID)
	got, err = s.UserByToken(ctx, token)
	if err != nil {
		t.Fatalf("second lookup went to the database (%v): not cached", err)
	}
	if !slices.Equal(got.Roles, []domain.Role{domain.RoleOfficer}) {
		t.Fatalf("cached roles = %v: a caller's edit reached the cache", got.Roles)
	}
	if d, err := s.DepartmentByName(ctx, 1, dep.Name); err != nil || d.ID != dep.ID {
		t.Fatalf("second department lookup = %+v, %v: not cached", d, err)
	}

	// Any notification on the channel clears the cache.
	exec(t, s, `SELECT pg_notify('sanshen_auth', '')`) // = store.AuthChannel
	testenv.Eventually(t, "the disabled user's token to be refused", tokenGone(s, token))
	testenv.Eventually(t, "the old department name to be unknown", func() bool {
		_, err := s.DepartmentByName(ctx, 1, dep.Name)
		return errors.Is(err, store.ErrNotFound)
	})
}

// Changes made in psql, with plain SQL, reach the cache by the triggers.
func TestAuthCacheSeesChangesByHand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change string
		seen   func(s *store.Store, dep store.Department, token string) func() bool
	}{
		{"revoked token", `UPDATE api_tokens SET revoked_at = now()`,
			func(s *store.Store, _ store.Department, token string) func() bool { return tokenGone(s, token) }},
		{"disabled user", `UPDATE users SET disabled = true`,
			func(s *store.Store, _ store.Department, token string) func() bool { return tokenGone(s, token) }},
		{"new roles and departments", `UPDATE users SET roles = '{dept_head,auditor}', departments = '{}'`,
			func(s *store.Store, _ store.Department, token string) func() bool {
				return func() bool {
					u, err := s.UserByToken(context.Background(), token)
					return err == nil && slices.Equal(u.Roles, []domain.Role{domain.RoleDeptHead, domain.RoleAuditor}) &&
						u.Departments != nil && len(u.Departments) == 0
				}
			}},
		{"renamed department", `UPDATE departments SET name = '城管局'`,
			func(s *store.Store, dep store.Department, _ string) func() bool {
				return func() bool {
					_, err := s.DepartmentByName(context.Background(), 1, dep.Name)
					d, err2 := s.DepartmentByName(context.Background(), 1, "城管局")
					return errors.Is(err, store.ErrNotFound) && err2 == nil && d.ID == dep.ID
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := testenv.Store(t)
			dep, _, token := people(t, s)
			watch(t, s)
			if _, err := s.UserByToken(ctx, token); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DepartmentByName(ctx, 1, dep.Name); err != nil {
				t.Fatal(err)
			}
			exec(t, s, tc.change)
			testenv.Eventually(t, tc.name+" to be seen", tc.seen(s, dep, token))
		})
	}
}

// Unknown tokens are not cached: one issued meanwhile works at once.
func TestAuthCacheNewTokenWorksAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	_, u, _ := people(t, s)
	watch(t, s)
	const fresh = "ss_issued-after-the-first-try"
	if _, err := s.UserByToken(ctx, fresh); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	quietly(t, s, `INSERT INTO api_tokens (token_sha256, user_id) VALUES ($1, $2)`, store.TokenHash(fresh), u.ID)
	if got, err := s.UserByToken(ctx, fresh); err != nil || got.ID != u.ID {
		t.Fatalf("new token = %+v, %v: the miss was cached", got, err)
	}
}

func TestAuthCacheOffWithoutWatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	_, u, token := people(t, s)
	if _, err := s.UserByToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	quietly(t, s, `UPDATE users SET disabled = true WHERE id = $1`, u.ID)
	if _, err := s.UserByToken(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("without WatchAuth a lookup was cached: %v", err)
	}
}

// While the LISTEN connection is down nothing is served from the cache; it
// comes back on once WatchAuth has reconnected.
func TestAuthCacheOffWhileListenIsLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	_, u, token := people(t, s)
	watch(t, s)
	if _, err := s.UserByToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	quietly(t, s, `UPDATE users SET disabled = true WHERE id = $1`, u.ID)
	exec(t, s, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN "sanshen_auth"'`)
	testenv.Eventually(t, "the cache to be dropped with its connection", tokenGone(s, token))
	testenv.Eventually(t, "WatchAuth to listen again", func() bool { return store.AuthCacheOn(s) })
}

func TestWatchAuthEndsWithContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	_, u, token := people(t, s)
	cancel, done := watch(t, s)
	if _, err := s.UserByToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("WatchAuth did not return after its context ended")
	}
	if store.AuthCacheOn(s) {
		t.Fatal("the cache is still on after WatchAuth returned")
	}
	quietly(t, s, `UPDATE users SET disabled = true WHERE id = $1`, u.ID)
	if _, err := s.UserByToken(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after WatchAuth ended a lookup was cached: %v", err)
	}
}
