package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBin is where Debian keeps the server programs: the newest
// PostgreSQL installed (15 on bookworm).
var pgBin = func() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	if len(dirs) == 0 {
		return "/usr/lib/postgresql/15/bin"
	}
	return dirs[len(dirs)-1]
}()

// pgNode is one PostgreSQL server of the suite's private cluster: the
// primary or a streaming standby, in a data directory of its own, run as
// the postgres user on a free loopback port.
type pgNode struct {
	*proc
	dir  string
	port int
}

type pgCluster struct {
	root  string // owned by postgres
	cred  *syscall.Credential
	log   io.Writer
	sync  bool // synchronous replication to the standby
	nodes []*pgNode
	next  int // the number of the next node's directory
	runAs string
	uid   int
	gid   int
	sockd string
	prime *pgNode // the node that takes writes
	stand *pgNode // its standby (nil when none)
	ports [2]int  // the two servers' ports, fixed: the services' DATABASE_URL names both
}

func newPGCluster(root string, log io.Writer, sync bool) (*pgCluster, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("the suite runs PostgreSQL as the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	c := &pgCluster{root: root, log: log, sync: sync, uid: uid, gid: gid,
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	c.ports = [2]int{freePort(), freePort()}
	c.sockd = filepath.Join(root, "sock")
	for _, d := range []string{root, c.sockd, c.archive()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// as runs a PostgreSQL program as the postgres user.
func (c *pgCluster) as(ctx context.Context, prog string, args ...string) error {
	if !filepath.IsAbs(prog) {
		prog = filepath.Join(pgBin, prog)
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	cmd.Dir = c.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, out)
	}
	return nil
}

// newNode is a server on the port the primary does not use.
func (c *pgCluster) newNode() *pgNode {
	c.next++
	port := c.ports[0]
	if c.prime != nil && c.prime.port == port {
		port = c.ports[1]
	}
	n := &pgNode{dir: filepath.Join(c.root, fmt.Sprintf("pg%d", c.next)), port: port}
	n.proc = &proc{name: fmt.Sprintf("postgres-%d", c.next), kind: "postgres", bin: filepath.Join(pgBin, "postgres"),
		args: []string{"-D", n.dir, "-p", strconv.Itoa(n.port), "-k", c.sockd, "-c", "listen_addresses=127.0.0.1"},
		cred: c.cred, log: c.log}
	n.ready = func(ctx context.Context) error { return pgPing(ctx, n.url("postgres")) }
	c.nodes = append(c.nodes, n)
	return n
}

func (n *pgNode) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", n.port, db)
}

func pgPing(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// initPrimary makes and starts the first server.
func (c *pgCluster) initPrimary(ctx context.Context) error {
	n := c.newNode()
	if err := c.as(ctx, "initdb", "-D", n.dir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return err
	}
	conf := `
max_connections = 300
shared_buffers = 64MB
wal_level = replica
max_wal_senders = 8
wal_keep_size = 256MB
hot_standby = on
wal_log_hints = on
fsync = on
synchronous_commit = on
archive_mode = on
archive_timeout = 10s
`
	// WAL archiving, for the restore of a base backup to the last
	// archived segment (point-in-time recovery); a promoted standby
	// archives to the same place.
	conf += fmt.Sprintf("archive_command = 'cp %%p %s/%%f'\n", c.archive())
	if err := appendFile(filepath.Join(n.dir, "postgresql.conf"), conf, c.uid, c.gid); err != nil {
		return err
	}
	if err := appendFile(filepath.Join(n.dir, "pg_hba.conf"), "host replication all 127.0.0.1/32 trust\n", c.uid, c.gid); err != nil {
		return err
	}
	c.prime = n
	if err := n.start(); err != nil {
		return err
	}
	return n.waitReady(ctx, 60*time.Second)
}

// addStandby makes a streaming standby of the primary with pg_basebackup
// and starts it; with synchronous replication the primary then waits for
// it at every commit.
func (c *pgCluster) addStandby(ctx context.Context) error {
	n := c.newNode()
	p := c.prime
	if err := c.as(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", "postgres",
		"-D", n.dir, "-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		return err
	}
	// The standby's own settings: its name for synchronous_standby_names.
	if err := appendFile(filepath.Join(n.dir, "postgresql.auto.conf"),
		fmt.Sprintf("primary_conninfo = 'host=127.0.0.1 port=%d user=postgres application_name=standby'\nsynchronous_standby_names = ''\n", p.port), c.uid, c.gid); err != nil {
		return err
	}
	if err := n.start(); err != nil {
		return err
	}
	if err := n.waitReady(ctx, 60*time.Second); err != nil {
		return err
	}
	c.stand = n
	if c.sync {
		return c.sql(ctx, p, `ALTER SYSTEM SET synchronous_standby_names = 'standby'`, `SELECT pg_reload_conf()`)
	}
	return nil
}

// sql runs statements on a server as the superuser, trying again for a
// minute while the loaded machine lets connections time out.
func (c *pgCluster) sql(ctx context.Context, n *pgNode, stmts ...string) error {
	try := func() error {
		conn, err := pgx.Connect(ctx, n.url("postgres"))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		for _, s := range stmts {
			if _, err := conn.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	}
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(500 * time.Millisecond) {
		if err = try(); err == nil {
			return nil
		}
	}
	return err
}

// crash kills the primary with SIGKILL (its whole process group) and
// starts it again: crash recovery.
func (c *pgCluster) crash(ctx context.Context, down time.Duration) error {
	p := c.prime
	p.kill9()
	time.Sleep(down)
	if err := p.start(); err != nil {
		return err
	}
	return p.waitReady(ctx, 120*time.Second)
}

// failover kills the primary and promotes the standby; the old primary's
// directory is dropped and a new standby is made from the new primary.
func (c *pgCluster) failover(ctx context.Context) error {
	if c.stand == nil {
		return fmt.Errorf("no standby to fail over to")
	}
	old, s := c.prime, c.stand
	old.hold()
	if err := c.as(ctx, "pg_ctl", "promote", "-w", "-t", "60", "-D", s.dir); err != nil {
		return err
	}
	c.prime, c.stand = s, nil
	// A synchronous standby named by the old primary is gone: the new
	// primary waits for no one until its own standby is there.
	if err := c.sql(ctx, s, `ALTER SYSTEM SET synchronous_standby_names = ''`, `SELECT pg_reload_conf()`); err != nil {
		return err
	}
	c.drop(old)
	return nil
}

func (c *pgCluster) drop(n *pgNode) {
	for i, m := range c.nodes {
		if m == n {
			c.nodes = append(c.nodes[:i], c.nodes[i+1:]...)
			break
		}
	}
	_ = os.RemoveAll(n.dir)
}

// hosts is the multi-host address list the services connect with: both
// servers' ports, whichever takes writes.
func (c *pgCluster) hosts() string {
	return fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", c.ports[0], c.ports[1])
}

func (c *pgCluster) stopAll() {
	for _, n := range c.nodes {
		n.stop()
	}
}

func appendFile(path, text string, uid, gid int) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chown(path, uid, gid)
}

// archive is where the servers archive their WAL.
func (c *pgCluster) archive() string { return filepath.Join(c.root, "archive") }

// baseBackup takes a base backup of the primary (pg_basebackup, the WAL
// it needs streamed with it) into dir.
func (c *pgCluster) baseBackup(ctx context.Context, dir string) error {
	return c.as(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.prime.port), "-U", "postgres",
		"-D", dir, "-X", "stream", "-c", "fast", "--no-sync")
}

// lose kills every server: the disaster a backup is for.
func (c *pgCluster) lose() {
	for _, n := range c.nodes {
		n.hold()
	}
}

// restore makes a new primary from a base backup and, with replay, replays
// the archived WAL to its end (recovery_target_timeline latest, then
// promotion); without, it starts from the backup alone.
func (c *pgCluster) restore(ctx context.Context, backup string, replay bool) error {
	for _, n := range slices.Clone(c.nodes) {
		c.drop(n)
	}
	c.prime, c.stand = nil, nil
	n := c.newNode()
	if err := c.as(ctx, "/bin/cp", "-a", backup, n.dir); err != nil {
		return err
	}
	conf := "synchronous_standby_names = ''\n"
	if replay {
		conf += fmt.Sprintf("restore_command = 'cp %s/%%f %%p'\nrecovery_target_timeline = 'latest'\n", c.archive())
		if err := appendFile(filepath.Join(n.dir, "recovery.signal"), "", c.uid, c.gid); err != nil {
			return err
		}
	}
	if err := appendFile(filepath.Join(n.dir, "postgresql.auto.conf"), conf, c.uid, c.gid); err != nil {
		return err
	}
	c.prime = n
	if err := n.start(); err != nil {
		return err
	}
	// Ready once recovery has ended and it takes writes.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var err error
		if err = n.waitReady(ctx, time.Minute); err == nil {
			var conn *pgx.Conn
			if conn, err = pgx.Connect(ctx, n.url("postgres")); err == nil {
				var rec bool
				err = conn.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&rec)
				conn.Close(ctx)
				if err == nil && !rec {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the restored server did not finish recovery: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
