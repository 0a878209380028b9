// Package store is sanshen's PostgreSQL layer, the source of truth. Every
// transition of a draft is one transaction here: the compare-and-set of
// (state, revision), its audit event and its outbox row commit together.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/groupcommit"
)

//go:embed migrations/*.sql
var migrations embed.FS

// OutboxChannel is the LISTEN/NOTIFY channel a committed outbox row wakes.
const OutboxChannel = "sanshen_outbox"

// EventsChannel is notified when a draft changes state, for live pages.
const EventsChannel = "sanshen_events"

// Announcer is told what a transaction committed, after the commit. Its
// methods are called on the committing goroutine and must not block.
type Announcer interface {
	// Outbox hands over committed outbox rows to publish now. A row it
	// does not publish is relayed later from the table.
	Outbox(rows []OutboxRow)
	// Events hands over the live pages' news, one JSON object per
	// transition (News).
	Events(notes []string)
}

// DefaultPoolSize is the connection pool's size unless DATABASE_URL sets
// pool_max_conns: enough for every service of `sanshen all` at once.
const DefaultPoolSize = 16

// ErrNotFound is returned when the thing asked for does not exist.
var ErrNotFound = errors.New("not found")

// Store wraps the connection pool. Its methods take ctx first.
type Store struct {
	Pool *pgxpool.Pool
	log  *slog.Logger
	// OnTransition, when set, hears every committed transition: the state
	// left, the state entered and how long the draft was in the old one.
	// Metrics hang here, so every path that moves a draft is counted alike.
	OnTransition func(from, to domain.State, inState time.Duration)
	// Announce, when set, hears what each transaction committed, right
	// after the commit: the outbox rows, for the process to relay at once,
	// and the live pages' news of each transition. Without it the commit
	// announces both by NOTIFY (OutboxChannel, EventsChannel). Set it
	// before the store is used.
	Announce Announcer
	// Log is what VerifyAll holds the transparency log to: its public key
	// and the clock-skew tolerance. Set it before the store is used.
	Log LogCheck

	// TokenTTL is how long a new API token lasts (0: DefaultTokenTTL).
	TokenTTL time.Duration

	decisions   *groupcommit.Group[*decideJob] // group commit of people's decisions (people.go)
	submissions *groupcommit.Group[*submitJob]
	auth        atomic.Pointer[authCache] // while WatchAuth runs (authcache.go)
	tokenUse    sync.Map                  // token id -> when this process last wrote its last_used_at (tokens.go)
	lease       atomic.Int64              // this process's request lease while HoldRequests runs (idempotency.go)
}

// Open connects to the database.
func Open(ctx context.Context, databaseURL string, log *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("error parsing DATABASE_URL: %w", err)
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgx's default (max(4, CPUs)) starves a process that runs every
		// service; measured in docs/performance.md. The URL can still set it.
		cfg.MaxConns = DefaultPoolSize
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("error connecting to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("error connecting to PostgreSQL at %s: %w (is it running? see README: Configuration)", redact(databaseURL), err)
	}
	s := &Store{Pool: pool, log: log}
	s.decisions = groupcommit.New(s.decideGroup, peopleGroups, maxGroup)
	s.submissions = groupcommit.New(s.submitGroup, peopleGroups, maxGroup)
	return s, nil
}

// Close releases the pool.
func (s *Store) Close() { s.Pool.Close() }

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// EnsureDatabase creates the database DATABASE_URL names if it is missing,
// so `sanshen all` works on a fresh PostgreSQL.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	pcfg, err := pgxpool.ParseConfig(databaseURL) // accepts and drops the pool_* settings
	if err != nil {
		return fmt.Errorf("error parsing DATABASE_URL: %w", err)
	}
	cfg := pcfg.ConnConfig
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("error connecting to PostgreSQL at %s: %w (is it running?)", redact(databaseURL), err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("error looking for database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another replica
		return nil
	}
	if err != nil {
		return fmt.Errorf("error creating database %q: %w", name, err)
	}
	return nil
}

func (s *Store) goose() (*goose.Provider, *sql.DB, error) {
	db := stdlib.OpenDBFromPool(s.Pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(migrations, "migrations"))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("error loading migrations: %w", err)
	}
	return p, db, nil
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	p, db, err := s.goose()
	if err != nil {
		return err
	}
	defer db.Close()
	// Replicas may start together: one migrates, the others wait on the lock.
	if _, err := s.Pool.Exec(ctx, `SELECT pg_advisory_lock(7260011)`); err != nil {
		return fmt.Errorf("error taking the migration lock: %w", err)
	}
	defer s.Pool.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7260011)`) //nolint:errcheck
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("error applying migrations: %w", err)
	}
	for _, r := range res {
		s.log.Info("migration applied", "version", r.Source.Version, "path", r.Source.Path)
	}
	return s.fillSearchTerms(ctx)
}

// MigrateTo applies the pending migrations up to version and no further:
// a test of a migration's data step builds the schema before it, writes
// rows as an older sanshen would, then migrates the rest.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, db, err := s.goose()
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("error applying migrations up to %d: %w", version, err)
	}
	return nil
}

// CheckSchema refuses to run on a database whose schema is older than this
// binary expects: a service must never write with the wrong columns.
func (s *Store) CheckSchema(ctx context.Context) error {
	p, db, err := s.goose()
	if err != nil {
		return err
	}
	defer db.Close()
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("error reading the schema version: %w", err)
	}
	if current < target {
		return fmt.Errorf("database schema is at version %d but this sanshen needs %d: run `sanshen migrate` first", current, target)
	}
	return nil
}

// uniqueViolation reports whether err is a unique-constraint violation.
func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// Migrations is the embedded migrations folder, for tools and tests.
func Migrations() fs.FS { return mustSub(migrations, "migrations") }

// moved is a transition committed by a transaction, reported after commit.
type moved struct {
	from, to domain.State
	since    time.Time
}

// Listen holds one connection in LISTEN on channel and calls on for every
// notification until ctx ends, reconnecting after errors. ready, if set, is
// called once the first LISTEN is in place, so a caller can rely on not
// missing what commits after it.
func (s *Store) Listen(ctx context.Context, channel string, ready func(), on func(payload string)) {
	s.listen(ctx, channel, ready, nil, on)
}

// listen is Listen with link, if set, called with true each time a LISTEN is
// in place and with false as soon as that connection is lost or ctx ends:
// between the two, nothing committed goes unannounced.
func (s *Store) listen(ctx context.Context, channel string, ready func(), link func(up bool), on func(payload string)) {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, channel, &ready, link, on)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("LISTEN connection lost, reconnecting", "channel", channel, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, channel string, ready *func(), link func(bool), on func(string)) error {
	// A connection of its own, outside the pool: it is held for ever.
	conn, err := pgx.ConnectConfig(ctx, s.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+pgx.Identifier{channel}.Sanitize()) //nolint:errcheck
	if link != nil {
		link(true)
		defer link(false) // runs first: before the teardown, which may be slow
	}
	if *ready != nil {
		(*ready)()
		*ready = nil
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		on(n.Payload)
	}
}
