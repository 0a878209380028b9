package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The inspector's workflow at the shell: keep a signed head, verify the
// trail against it, and see a rewrite fail (run returns an error, so the
// command exits 1) with the chain named. A held head without the log's
// key is refused rather than trusted.
func TestAuditVerifyAtTheShell(t *testing.T) {
	db, dir, cli := atTheShell(t, 7)
	head := filepath.Join(dir, "head.txt")
	if _, err := cli("audit", "checkpoint", "--out", head); err != nil {
		t.Fatal(err)
	}
	note, err := os.ReadFile(head)
	if err != nil || !strings.HasPrefix(string(note), "test.example/audit\n2\n") {
		t.Fatalf("the kept head: %q %v", note, err)
	}
	out, err := cli("audit", "verify", "--checkpoint", head)
	if err != nil || !strings.Contains(out, `"ok": true`) {
		t.Fatalf("an untouched trail: %v\n%s", err, out)
	}

	// The database's owner rewrites the first event's actor.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var chain string
	if err := conn.QueryRow(ctx, `UPDATE audit_events SET actor = '别人' WHERE seq = (SELECT min(seq) FROM audit_events) RETURNING chain`).Scan(&chain); err != nil {
		t.Fatal(err)
	}
	out, err = cli("audit", "verify", "--checkpoint", head)
	if err == nil || !strings.Contains(err.Error(), "does not verify") || !strings.Contains(out, chain) {
		t.Fatalf("a rewritten event: %v\n%s", err, out)
	}

	// No key configured, none given: the held head is not trusted.
	t.Setenv("SANSHEN_AUDIT_KEY", "")
	if _, err := cli("audit", "verify", "--checkpoint", head); err == nil || !strings.Contains(err.Error(), "--public-key") {
		t.Fatalf("a held head without the log's key: %v", err)
	}
}

// atTheShell is a fresh database with two departments (two audit events),
// a data dir and the log's key (seed bytes all key), and the CLI to run
// against them.
func atTheShell(t *testing.T, key byte) (db, dir string, cli func(args ...string) (string, error)) {
	t.Helper()
	db, dir = testenv.DatabaseURL(t), t.TempDir()
	t.Setenv("DATABASE_URL", db)
	t.Setenv("SANSHEN_DATA_DIR", dir)
	t.Setenv("SANSHEN_AUDIT_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{key}, 32)))
	t.Setenv("SANSHEN_LOG_ORIGIN", "test.example/audit")
	cli = func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(args, &out)
		return out.String(), err
	}
	for _, d := range []string{"综合办", "执法队"} {
		if _, err := cli("departments", "add", "--name", d); err != nil {
			t.Fatal(err)
		}
	}
	return db, dir, cli
}
