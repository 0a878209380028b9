package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultAppRole is the PostgreSQL role the services connect as.
const DefaultAppRole = "sanshen_app"

// appPrivileges is what the services' role may write in each table; it may
// read every one. The audit trail's tables are append-only for it: it can
// neither change nor remove an event, a leaf, a tree hash or a signed head.
// Only the owner (who runs migrations) can, and the transparency log's
// heads held outside catch what the owner might do.
var appPrivileges = map[string]string{
	"address_events":       "INSERT, DELETE", // the public column's rate limits per client address
	"agencies":             "INSERT, UPDATE", // names, localities, review settings
	"api_tokens":           "INSERT, UPDATE", // revoked, last used
	"agency_periods":       "INSERT, UPDATE", // an agency's publication periods of penalty decisions
	"audit_chains":         "INSERT, UPDATE", // each chain's head moves on with every event
	"audit_checkpoints":    "",               // chain-head checkpoints of earlier versions: read only
	"audit_events":         "INSERT",
	"audit_heads":          "INSERT",
	"audit_leaves":         "INSERT",
	"audit_restores":       "", // restore heads: written by the owner (sanshen audit restore), read by verification
	"audit_tree_hashes":    "INSERT",
	"audit_unsequenced":    "INSERT, DELETE",         // the sequencer's queue
	"calendar_years":       "INSERT, UPDATE",         // a year an admin added to the working-day calendar
	"channel_status":       "INSERT, UPDATE",         // the channels' health
	"channel_tokens":       "INSERT, UPDATE, DELETE", // a platform account connected, refreshed, disconnected
	"claims":               "INSERT, UPDATE, DELETE",
	"dead_letters":         "INSERT, UPDATE", // replayed
	"draft_reviews":        "INSERT, UPDATE", // a published item's last review and validity
	"decisions":            "INSERT",
	"departments":          "INSERT, UPDATE",
	"drafts":               "INSERT, UPDATE", // the state machine
	"expression_lists":     "INSERT",
	"file_uploads":         "INSERT",
	"files":                "INSERT",
	"findings":             "INSERT",
	"goose_db_version":     "",                       // the services check the schema's version
	"idempotency_keys":     "INSERT, UPDATE, DELETE", // a client's retried request answered once; kept a day
	"draft_saves":          "INSERT, UPDATE, DELETE", // forms saved before submission (暂存, autosave); their author's
	"kept_forms":           "INSERT, UPDATE, DELETE", // a staff form posted after its session expired, until it is put back (036)
	"outbox":               "INSERT, UPDATE, DELETE",
	"publications":         "INSERT, UPDATE",
	"request_leases":       "INSERT, UPDATE, DELETE", // the api processes' leases on their Idempotency-Key claims
	"recovery_codes":       "INSERT, UPDATE, DELETE", // a second factor's codes: used, replaced
	"revision_attachments": "INSERT",
	"review_policies":      "INSERT, UPDATE", // an agency's review period per category
	"revisions":            "INSERT, UPDATE", // an explanation
	"scheduled_jobs":       "INSERT, UPDATE", // the scheduler's rows: scheduled, claimed, done
	"sessions":             "INSERT, UPDATE, DELETE",
	"signin_failures":      "INSERT, DELETE",
	"users":                "INSERT, UPDATE",
	"webhook_cursor":       "INSERT, UPDATE", // how far the outgoing webhooks have got
	"webhook_deliveries":   "INSERT",         // the webhooks' delivery log
	"word_lists":           "INSERT",

	// The notifications (migration 022).
	"agency_robots":           "INSERT, UPDATE, DELETE", // an agency's WeCom and DingTalk robots, sealed
	"notification_cursor":     "INSERT, UPDATE",         // how far the notifications have read the trail
	"notification_deliveries": "INSERT, UPDATE",         // the notifications' outbox: claimed, sent, failed, unknown
	"notification_prefs":      "INSERT, UPDATE, DELETE",
	"notifications":           "INSERT, UPDATE", // read

	// The officers' assessment (migration 026).
	"assessment_weights": "INSERT, UPDATE", // an agency's weights of the score
	// The applications for disclosure (migration 025).
	"applications":          "INSERT, UPDATE", // a case's state, its clock's records, outcome, reply, delivery, fee
	"application_pauses":    "INSERT, UPDATE", // a pause started, ended
	"application_appeals":   "INSERT, UPDATE", // an appeal recorded, decided
	"application_documents": "INSERT, UPDATE", // an identity document added, deleted after the retention
	"application_handlers":  "INSERT, DELETE", // a case's handlers assigned, taken, removed (migration 035)
	// The public column (migration 027).
	"agency_sites":  "INSERT, UPDATE", // an agency's column settings
	"index_serials": "INSERT, UPDATE", // the 索引号 counters
	"public_items":  "INSERT, UPDATE", // the column's index: published, corrected, withdrawn
}

// AppendOnly lists the tables the services' role can only add to.
var AppendOnly = []string{"audit_events", "audit_leaves", "audit_tree_hashes", "audit_heads"}

// EnsureAppRole creates the services' role if the cluster lacks it (a login
// role: no superuser, no CREATEDB, no CREATEROLE), with password when one
// is given, and grants it exactly appPrivileges on this database. It runs as
// the owner, after the migrations. Roles belong to the whole cluster, so
// databases migrated side by side (the tests) may race to create it: the
// loser finds it made.
func (s *Store) EnsureAppRole(ctx context.Context, role, password string) error {
	if role == "" {
		role = DefaultAppRole
	}
	id := pgx.Identifier{role}.Sanitize()
	create := `CREATE ROLE ` + id + ` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`
	if password != "" {
		create += ` PASSWORD ` + quoteLiteral(password)
	}
	if _, err := s.Pool.Exec(ctx, `DO $$ BEGIN `+create+`; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`); err != nil {
		return fmt.Errorf("error creating the services' role %s (the migrating user needs CREATEROLE, or create it yourself): %w", role, err)
	}
	if password != "" {
		if _, err := s.Pool.Exec(ctx, `ALTER ROLE `+id+` PASSWORD `+quoteLiteral(password)); err != nil {
			return fmt.Errorf("error setting the services' role's password: %w", err)
		}
	}
	var db string
	if err := s.Pool.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return err
	}
	rows, _ := s.Pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("error listing tables: %w", err)
	}
	b := &pgx.Batch{}
	b.Queue(`GRANT CONNECT, TEMPORARY ON DATABASE ` + pgx.Identifier{db}.Sanitize() + ` TO ` + id)
	b.Queue(`GRANT USAGE ON SCHEMA public TO ` + id)
	b.Queue(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ` + id)
	for _, t := range tables {
		privs, ok := appPrivileges[t]
		if !ok {
			return fmt.Errorf("table %s has no privileges for the services' role: add it to appPrivileges (internal/store/role.go)", t)
		}
		tid := pgx.Identifier{t}.Sanitize()
		b.Queue(`REVOKE ALL ON ` + tid + ` FROM ` + id)
		b.Queue(`GRANT SELECT ON ` + tid + ` TO ` + id)
		if privs != "" {
			b.Queue(`GRANT ` + privs + ` ON ` + tid + ` TO ` + id)
		}
	}
	if err := s.Pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("error granting the services' role its privileges: %w", err)
	}
	return nil
}

// quoteLiteral is a SQL string literal (standard_conforming_strings on).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// AppURL is the services' connection: databaseURL as the role, with its
// password when one is given.
func AppURL(databaseURL, role, password string) (string, error) {
	if role == "" {
		role = DefaultAppRole
	}
	if _, err := pgxpool.ParseConfig(databaseURL); err != nil {
		return "", fmt.Errorf("error parsing DATABASE_URL: %w", err)
	}
	u, err := url.Parse(databaseURL)
	if err != nil || u.Scheme == "" {
		return "", errors.New("DATABASE_URL must be a postgres:// URL to derive the services' connection from it; set SANSHEN_APP_DATABASE_URL")
	}
	if password != "" {
		u.User = url.UserPassword(role, password)
	} else {
		u.User = url.User(role)
	}
	return u.String(), nil
}
