// Package testenv gives tests a real PostgreSQL database of their own and a
// real nats-server, in-process. A missing service fails the test with how
// to start it; nothing is skipped silently.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// DefaultAdminURL is where tests find PostgreSQL unless TEST_DATABASE_URL says otherwise.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const howToStart = `start PostgreSQL (e.g. 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', or run .ci/run which installs and starts it) or point TEST_DATABASE_URL at one`

func adminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// Logger discards below warnings unless SANSHEN_TEST_LOG=1.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("SANSHEN_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// template creates, once per process, a migrated database named after the
// migrations' content, which every test database is copied from.
func template(ctx context.Context) (string, error) {
	templateOnce.Do(func() {
		h := sha256.New()
		// What the template holds besides the migrations: the services'
		// role's grants (store.EnsureAppRole). A change there renames it.
		h.Write([]byte("grants: store.EnsureAppRole v1\n"))
		_ = fs.WalkDir(store.Migrations(), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(store.Migrations(), p)
				h.Write([]byte(p))
				h.Write(b)
			}
			return nil
		})
		templateName = "sanshen_tpl_" + hex.EncodeToString(h.Sum(nil))[:12]
		templateErr = func() error {
			conn, err := pgx.Connect(ctx, adminURL())
			if err != nil {
				return fmt.Errorf("cannot reach PostgreSQL at %s: %w; %s", adminURL(), err, howToStart)
			}
			defer conn.Close(ctx)
			// Test binaries of several packages run at once: one builds the template.
			if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7260012)`); err != nil {
				return err
			}
			defer conn.Exec(ctx, `SELECT pg_advisory_unlock(7260012)`) //nolint:errcheck
			var exists bool
			if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, templateName).Scan(&exists); err != nil {
				return err
			}
			if exists {
				// The role is the cluster's: another cluster (a new CI
				// machine) may have the template's grants but not the role.
				return ensureRole(ctx, conn)
			}
			building := templateName + "_building"
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building)
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
				return err
			}
			s, err := store.Open(ctx, withDatabase(adminURL(), building), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return err
			}
			err = s.Migrate(ctx)
			if err == nil {
				err = s.EnsureAppRole(ctx, store.DefaultAppRole, "")
			}
			s.Close()
			if err != nil {
				return err
			}
			_, err = conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+templateName)
			return err
		}()
	})
	return templateName, templateErr
}

// ensureRole creates the services' role in the cluster if it is missing;
// parallel test binaries may race, and the loser finds it made.
func ensureRole(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `DO $$ BEGIN CREATE ROLE `+pgx.Identifier{store.DefaultAppRole}.Sanitize()+` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
	return err
}

func withDatabase(u, name string) string {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		panic(err)
	}
	pw := ""
	if cfg.Password != "" {
		pw = ":" + cfg.Password
	}
	return fmt.Sprintf("postgres://%s%s@%s:%d/%s?sslmode=disable", cfg.User, pw, cfg.Host, cfg.Port, name)
}

// DatabaseURL creates a fresh, migrated database for the test and drops it
// afterwards. Tests using it can run in parallel.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tpl, err := template(ctx)
	if err != nil {
		t.Fatalf("test database: %v", err)
	}
	return newDatabase(t, ctx, tpl)
}

// EmptyDatabaseURL creates a database with no schema at all for the test
// (a migration's own test builds it step by step) and drops it afterwards.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return newDatabase(t, ctx, "template0")
}

// newDatabase copies template tpl into a database of the test's own.
func newDatabase(t testing.TB, ctx context.Context, tpl string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sanshen_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		t.Fatalf("cannot reach PostgreSQL at %s: %v; %s", adminURL(), err, howToStart)
	}
	defer conn.Close(ctx)
	// CREATE DATABASE ... TEMPLATE fails while another session copies the
	// template, so copies take turns, across test binaries too.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7260013)`); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl)
	_, _ = conn.Exec(ctx, `SELECT pg_advisory_unlock(7260013)`)
	if err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL())
		if err != nil {
			t.Errorf("dropping test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database: %v", err)
		}
	})
	return withDatabase(adminURL(), name)
}

// Store opens a store on a fresh database.
func Store(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), DatabaseURL(t), Logger(t))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// NATS starts a real nats-server in-process with JetStream under a temp dir.
func NATS(t testing.TB) *bus.Embedded {
	t.Helper()
	e, err := bus.StartEmbedded(t.TempDir(), "")
	if err != nil {
		t.Fatalf("starting embedded nats-server: %v", err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// KnownGoroutines are the goleak options every suite shares: pgxpool's health
// checker and a network poller that end shortly after Close are theirs, not
// leaks of ours.
func KnownGoroutines() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	}
}
