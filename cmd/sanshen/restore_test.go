package main

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The restore procedure at the shell (docs/operations.md): a backup holds
// the log at 2 leaves, the system went on to 3 and published that head;
// restored, the head is a break until `audit restore` signs the restore
// head, and then verify reports leaf 2 lost.
func TestAuditRestoreAtTheShell(t *testing.T) {
	ctx := context.Background()
	db, dir, cli := atTheShell(t, 9)
	if _, err := cli("audit", "checkpoint"); err != nil { // sequences the 2 events
		t.Fatal(err)
	}
	// The backup: a copy of the database as it is now.
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	backup := name + "_backup"
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+backup+" TEMPLATE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+backup+" WITH (FORCE)") })

	// The system goes on and publishes a head of 3; then it is lost.
	if _, err := cli("departments", "add", "--name", "办公室"); err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(dir, "last.txt")
	if _, err := cli("audit", "checkpoint", "--out", last); err != nil {
		t.Fatal(err)
	}

	restored := *u
	restored.Path = "/" + backup
	t.Setenv("DATABASE_URL", restored.String())
	if _, err := cli("audit", "verify", "--checkpoint", last); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("the restored log held to the last published head, without a restore head: %v", err)
	}
	out, err := cli("audit", "restore", "--checkpoint", last)
	if err != nil || !strings.Contains(out, "leaves 2 to 2 are lost") {
		t.Fatalf("audit restore: %v\n%s", err, out)
	}
	if _, err := cli("departments", "add", "--name", "恢复后新设"); err != nil {
		t.Fatal(err)
	}
	out, err = cli("audit", "verify", "--checkpoint", last)
	if err != nil || !strings.Contains(out, `"lost_from": 2`) || !strings.Contains(out, `"lost_to": 3`) {
		t.Fatalf("verify after the restore head: %v\n%s", err, out)
	}
	if _, err := cli("audit", "restore", "--checkpoint", last); err == nil || !strings.Contains(err.Error(), "already names") {
		t.Fatalf("a second restore head against the same head: %v", err)
	}
}
