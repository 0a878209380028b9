// Command sanshen runs the three-review publication pipeline and its
// operations. `sanshen help` lists the subcommands.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/bench"
	"github.com/sanshen-gov/sanshen/cmd/sanshen/queueload"
	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/checks/expressions"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

var usage = `sanshen — 三审: the review pipeline before publication

Run:
  sanshen all                         every service in one process, embedded NATS; creates and migrates the database
  sanshen api                         the HTTP API and public pages
  sanshen worker --stage STAGE        a stage worker (` + stageNames + `)
  sanshen relay                       the outbox relay and sweeper
  sanshen publisher                   the channel publisher

Operate:
  sanshen migrate                     as the owner (DATABASE_URL): create the database if missing, apply migrations,
                                      and create the services' role (SANSHEN_APP_ROLE, SANSHEN_APP_PASSWORD)
  sanshen agencies add --slug S --name N --admin A [--admin-password P]
                                      add an agency (its column: /public/S/) and its first admin; prints the admin's token last
  sanshen agencies list | rename [--slug S] --name N
  sanshen departments add --name N [--agency S]    add a department to an agency
  sanshen departments list [--agency S]
  sanshen users add --name N --role R [--role R] [--department D]... [--password P] [--agency S]
                                      add a user; prints the API token alone on the last line
                                      (--agency may be left out while there is one agency)
  sanshen users passwd --name N --password P
                                      set a user's web password (ends their sessions and revokes their API tokens)
  sanshen users disable | enable --name N
                                      disable a person (ends their sessions and API tokens) or enable them again
  sanshen users reset-second-factor --name N
                                      remove a person's TOTP and recovery codes (a lost phone); they set one up again
  sanshen users unlock --name N [--address A]
                                      clear the sign-in brakes on a name (from one address, or all)
  sanshen audit verify [--checkpoint FILE]... [--witness URL]... [--public-key KEY]
                                      verify the trail: every chain, every draft's chain, the transparency log
                                      recomputed against every signed head, and the heads kept outside
  sanshen audit checkpoint [--out FILE]
                                      the newest signed tree head (signed now if the log has grown), to keep elsewhere
  sanshen audit restore --checkpoint FILE | --witness URL
                                      after restoring a backup, before the relay starts: sign a restore head naming the
                                      last published head and the leaves the restore lost (verify reports that range)
  sanshen audit prove --seq N [--size M] | --from A [--to B]
                                      an inclusion proof of an event, or a consistency proof of two tree sizes
  sanshen policy show [--agency S]    an agency's review settings: the optional stages a person decides
  sanshen policy set [--person STAGE]... [--agency S]
                                      require a person at these optional stages (none: the machine checks decide them)
  sanshen expressions show --kind organ|leader [--agency S | --platform]
  sanshen expressions set --kind organ|leader --file F [--agency S | --platform]
                                      the authoritative-expression tables (organs renamed, leaders' former titles):
                                      one entry a line, fields split by ｜ (see the admin page); each set is a new version
  sanshen agencies locality [--slug S] --locality L
                                      where an agency is (北京市东城区): it picks the dates of organ names
  sanshen deadletters list
  sanshen deadletters replay ID
  sanshen publications list [--agency S]   publications that failed or whose outcome is unknown
  sanshen publications resolve --draft ID --channel C (--delivered --url U | --failed) --note TEXT
                                      record what a person found on the channel (audited)
  sanshen fake-channels [--portal ADDR] [--wechat ADDR] [--douyin ADDR] [--robots ADDR]
                                      local implementations of the district portal (docs/portal.md), the WeChat
                                      official account and Douyin APIs and the WeCom/DingTalk robots, for demos
                                      and tests; prints the SANSHEN_* settings that point sanshen at them
  sanshen channels check              test each configured channel's credentials (WeChat token, Douyin
                                      authorisation, the portal) and say what an admin must fix
  sanshen webhooks log [-n N]         the outgoing webhooks' latest delivery attempts (SANSHEN_WEBHOOK_URL)
  sanshen bench [-n N] [-c C] [-json]   measure the pipeline against this machine's ceilings (docs/performance.md)
  sanshen bench reports [-items N] [-cases N]  time the annual report and the assessment of a year's records
  sanshen bench queue [-drafts N] [-events N] [-c C] [-d DURATION]
                                      a large office's queue: 100,000 waiting drafts, 1,000,000 audit events, 50 reviewers

Configuration is read from the environment; see README.md.
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sanshen:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usage)
		return nil
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "all":
		return serve(ctx, cfg, log, rest, system.Options{Components: system.All, Migrate: true})
	case "api":
		return serve(ctx, cfg, log, rest, system.Options{Components: system.Components{API: true}})
	case "worker":
		fs := flag.NewFlagSet("worker", flag.ContinueOnError)
		stage := fs.String("stage", "", "the stage: "+stageNames)
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if !domain.Stage(*stage).Valid() {
			return fmt.Errorf("worker needs --stage, one of %s (got %q)", stageNames, *stage)
		}
		return serve(ctx, cfg, log, nil, system.Options{Components: system.Components{Stages: []domain.Stage{domain.Stage(*stage)}}})
	case "relay":
		return serve(ctx, cfg, log, rest, system.Options{Components: system.Components{Relay: true}})
	case "publisher":
		return serve(ctx, cfg, log, rest, system.Options{Components: system.Components{Publisher: true}})
	case "migrate":
		_, err := system.MigrateAsOwner(ctx, cfg, log)
		return err
	case "nats-node":
		return natsNode(ctx, rest)
	case "agencies":
		return agencies(ctx, cfg, log, rest, out)
	case "departments":
		return departments(ctx, cfg, log, rest, out)
	case "users":
		return users(ctx, cfg, log, rest, out)
	case "audit":
		return auditCmd(ctx, cfg, log, rest, out)
	case "deadletters":
		return deadletters(ctx, cfg, log, rest, out)
	case "publications":
		return publications(ctx, cfg, log, rest, out)
	case "policy":
		return policyCmd(ctx, cfg, log, rest, out)
	case "expressions":
		return expressionsCmd(ctx, cfg, log, rest, out)
	case "fake-channels":
		return fakeChannels(ctx, cfg, log, rest, out)
	case "channels":
		return channelsCmd(ctx, cfg, log, rest, out)
	case "webhooks":
		return webhooksCmd(ctx, cfg, log, rest, out)
	case "bench":
		if len(rest) > 0 && rest[0] == "queue" {
			return queueload.Main(ctx, cfg, log, rest[1:], out)
		}
		if len(rest) > 0 && rest[0] == "reports" {
			return bench.ReportsMain(ctx, cfg, log, rest[1:], out)
		}
		return bench.Main(ctx, cfg, log, rest, out)
	}
	return fmt.Errorf("unknown command %q; run `sanshen help`", cmd)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, o system.Options) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "HTTP listen address (SANSHEN_HTTP_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (SANSHEN_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sys, err := system.Start(ctx, cfg, log, o)
	if err != nil {
		return err
	}
	defer sys.Stop()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-sys.Errors():
		return err
	}
}

func withStore(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(*store.Store) error) error {
	s, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer s.Close()
	s.TokenTTL = cfg.TokenTTL
	return fn(s)
}

// cliActor is who the audit trail records for operations run from the
// shell: the operator of the installation, acting for agency agencyID.
func cliActor(agencyID int64) domain.Actor {
	return domain.Actor{Name: domain.CLIActorName(os.Getenv("USER")), AgencyID: agencyID, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
}

// newPasswordHash judges a password given at the shell for the person
// (password.Check) and hashes it at the production cost.
func newPasswordHash(ctx context.Context, s *store.Store, name string, agencyID int64, pw string) (string, error) {
	hash, err := api.NewPasswordHash(ctx, s, password.NewHasher(password.Default, 1), store.User{Name: name, AgencyID: agencyID}, pw)
	var ae *api.Error
	if errors.As(err, &ae) {
		return "", fmt.Errorf("the password is refused: %s", ae.Message)
	}
	return hash, err
}

// agencyFlag is the --agency SLUG every command that acts for an agency takes.
func agencyFlag(fs *flag.FlagSet) *string {
	return fs.String("agency", "", "the agency's slug (may be left out while there is one agency)")
}

// resolveAgency finds the agency a command acts for: the one named, or the
// only one there is.
func resolveAgency(ctx context.Context, s *store.Store, slug string) (store.Agency, error) {
	if slug != "" {
		a, err := s.AgencyBySlug(ctx, slug)
		if errors.Is(err, store.ErrNotFound) {
			return a, fmt.Errorf("no agency %q; see sanshen agencies list", slug)
		}
		return a, err
	}
	as, err := s.Agencies(ctx)
	if err != nil {
		return store.Agency{}, err
	}
	if len(as) == 1 {
		return as[0], nil
	}
	slugs := make([]string, len(as))
	for i, a := range as {
		slugs[i] = a.Slug
	}
	return store.Agency{}, fmt.Errorf("there are %d agencies: name one with --agency (%s)", len(as), strings.Join(slugs, ", "))
}

// agencies adds and lists agencies.
func agencies(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("agencies needs a subcommand: add, list, rename or locality")
	}
	fs := flag.NewFlagSet("agencies "+args[0], flag.ContinueOnError)
	slug := fs.String("slug", "", "the agency's slug: its public column is /public/SLUG/ (lowercase ASCII letters, digits, hyphens)")
	name := fs.String("name", "", "the agency's name, e.g. 东城区建国门街道办事处")
	admin := fs.String("admin", "", "add: the name of its first admin, who gets an API token")
	adminPW := fs.String("admin-password", "", "add: a web password for that admin (optional; at least 12 characters)")
	locality := fs.String("locality", "", "locality: where the agency is, e.g. 北京市东城区")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		switch args[0] {
		case "list":
			as, err := s.Agencies(ctx)
			if err != nil {
				return err
			}
			for _, a := range as {
				fmt.Fprintf(out, "%d\t%s\t%s\n", a.ID, a.Slug, a.Name)
			}
			return nil
		case "add":
			if *slug == "" || strings.TrimSpace(*name) == "" || *admin == "" {
				return errors.New("agencies add needs --slug, --name and --admin")
			}
			nu, err := api.ResolveNewUser(ctx, s, 0, *admin, []string{string(domain.RoleAdmin)}, nil)
			if err != nil {
				return err
			}
			if *adminPW != "" {
				if nu.PasswordHash, err = newPasswordHash(ctx, s, nu.Name, 0, *adminPW); err != nil {
					return err
				}
			}
			a, u, token, err := s.AddAgency(ctx, cliActor(0), *slug, strings.TrimSpace(*name), nu)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "agency %d %s %s; its public column is /public/%s/\nadmin %d %s\n%s\n", a.ID, a.Slug, a.Name, a.Slug, u.ID, u.Name, token)
			return nil
		case "locality":
			a, err := resolveAgency(ctx, s, *slug)
			if err != nil {
				return err
			}
			if err := s.SetLocality(ctx, cliActor(a.ID), a.ID, strings.TrimSpace(*locality)); err != nil {
				return err
			}
			fmt.Fprintf(out, "agency %s is in %s\n", a.Slug, strings.TrimSpace(*locality))
			return nil
		case "rename":
			a, err := resolveAgency(ctx, s, *slug)
			if err != nil {
				return err
			}
			if strings.TrimSpace(*name) == "" {
				return errors.New("agencies rename needs --name")
			}
			if err := s.RenameAgency(ctx, cliActor(a.ID), a.ID, strings.TrimSpace(*name)); err != nil {
				return err
			}
			fmt.Fprintf(out, "agency %s is now %s\n", a.Slug, strings.TrimSpace(*name))
			return nil
		}
		return fmt.Errorf("unknown agencies subcommand %q", args[0])
	})
}

// stageNames lists domain.StageTable's stages for help and errors.
var stageNames = func() string {
	var names []string
	for _, st := range domain.Stages() {
		names = append(names, string(st))
	}
	return strings.Join(names, ", ")
}()

// roleNames lists the roles a person can be given.
var roleNames = func() string {
	var names []string
	for _, r := range domain.Roles {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}()

// channelNames lists domain.Channels for help and errors.
var channelNames = func() string {
	var names []string
	for _, c := range domain.Channels {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}()

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func departments(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("departments needs a subcommand: add or list")
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		fs := flag.NewFlagSet("departments "+args[0], flag.ContinueOnError)
		name := fs.String("name", "", "the department's name")
		slug := agencyFlag(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		a, err := resolveAgency(ctx, s, *slug)
		if err != nil {
			return err
		}
		switch args[0] {
		case "add":
			if strings.TrimSpace(*name) == "" {
				return errors.New("departments add needs --name")
			}
			d, err := s.AddDepartment(ctx, cliActor(a.ID), strings.TrimSpace(*name))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "department %d %s\n", d.ID, d.Name)
			return nil
		case "list":
			ds, err := s.Departments(ctx, a.ID)
			if err != nil {
				return err
			}
			for _, d := range ds {
				fmt.Fprintf(out, "%d\t%s\n", d.ID, d.Name)
			}
			return nil
		}
		return fmt.Errorf("unknown departments subcommand %q", args[0])
	})
}

func users(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "passwd" {
		return passwd(ctx, cfg, log, args[1:], out)
	}
	if len(args) > 0 && slices.Contains([]string{"disable", "enable", "reset-second-factor", "unlock"}, args[0]) {
		return account(ctx, cfg, log, args[0], args[1:], out)
	}
	if len(args) == 0 || args[0] != "add" {
		return errors.New("users needs a subcommand: add, passwd, disable, enable, reset-second-factor or unlock")
	}
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	name := fs.String("name", "", "the user's name")
	pw := fs.String("password", "", "a password for the web sign-in (optional; at least 12 characters, not a common one)")
	var roles, depts multi
	fs.Var(&roles, "role", "a role (repeatable): "+roleNames)
	fs.Var(&depts, "department", "a department name of the agency (repeatable)")
	slug := agencyFlag(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		a, err := resolveAgency(ctx, s, *slug)
		if err != nil {
			return err
		}
		nu, err := api.ResolveNewUser(ctx, s, a.ID, *name, roles, depts)
		if err != nil {
			return err
		}
		if *pw != "" {
			if nu.PasswordHash, err = newPasswordHash(ctx, s, nu.Name, a.ID, *pw); err != nil {
				return err
			}
		}
		u, token, err := s.AddUser(ctx, cliActor(a.ID), nu)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "user %d %s roles=%v departments=%v\n%s\n", u.ID, u.Name, u.Roles, []string(depts), token)
		return nil
	})
}

// passwd sets (or resets) a user's web sign-in password, ends their
// sessions and revokes their API tokens.
func passwd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("users passwd", flag.ContinueOnError)
	name := fs.String("name", "", "the user's name")
	pw := fs.String("password", "", "the new password (at least 12 characters, not a common one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		u, err := s.PersonByName(ctx, *name)
		if err != nil {
			return err
		}
		hash, err := newPasswordHash(ctx, s, u.Name, u.AgencyID, *pw)
		if err != nil {
			return err
		}
		if err := s.SetPassword(ctx, cliActor(u.AgencyID), u.ID, hash); err != nil {
			return err
		}
		fmt.Fprintf(out, "password set for %s; their sessions were signed out and their API tokens revoked\n", u.Name)
		return nil
	})
}

// account disables or enables a person, resets their second factor (a lost
// phone, when no other admin can), or clears the sign-in brakes on their
// name; each is audited as the shell's operator.
func account(ctx context.Context, cfg config.Config, log *slog.Logger, cmd string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("users "+cmd, flag.ContinueOnError)
	name := fs.String("name", "", "the user's name")
	address := fs.String("address", "", "unlock: only the failures from this address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		u, err := s.PersonByName(ctx, *name)
		if err != nil {
			return err
		}
		by := cliActor(u.AgencyID)
		switch cmd {
		case "disable", "enable":
			if err := s.SetDisabled(ctx, by, u.ID, cmd == "disable"); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: %sd (a disabled account's sessions and API tokens end)\n", u.Name, cmd)
		case "reset-second-factor":
			if err := s.ResetTOTP(ctx, by, u.ID); err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: second factor reset; they set one up again at their next sign-in\n", u.Name)
		case "unlock":
			n, err := s.ClearSignInLock(ctx, by, u.Name, *address)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: %d failed sign-ins forgotten\n", u.Name, n)
		}
		return nil
	})
}

func auditCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("audit needs a subcommand: verify, checkpoint, prove or restore")
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	var held, witnesses multi
	fs.Var(&held, "checkpoint", "verify: a signed tree head kept outside (a file; repeatable); a checkpoint file of an earlier sanshen is read too")
	fs.Var(&held, "head", "verify: the same as --checkpoint")
	fs.Var(&witnesses, "witness", "verify: a URL serving a signed tree head kept outside, e.g. another copy's /public/transparency/checkpoint (repeatable)")
	outFile := fs.String("out", "", "checkpoint: where to write the newest signed tree head (default stdout)")
	pubKey := fs.String("public-key", "", "verify: the log's verifier key (origin+hash+key, from /public/transparency/); default the configured signing key's")
	seq := fs.Int64("seq", 0, "prove: the audit event whose inclusion to prove")
	size := fs.Int64("size", 0, "prove: the tree size to prove it in (default the newest head's)")
	from := fs.Int64("from", 0, "prove: the older tree size of a consistency proof")
	to := fs.Int64("to", 0, "prove: the newer tree size of a consistency proof (default the newest head's)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	// The log's key: the one given, else the configured signing key's. A
	// head is never checked against a key found inside it.
	vkey := *pubKey
	var signer *audit.LogKey
	if key, err := config.AuditSigningKey(cfg, false); err == nil {
		lk, err := audit.NewLogKey(cfg.LogOrigin, key)
		if err != nil {
			return err
		}
		signer = &lk
		if vkey == "" {
			vkey = lk.VerifierKey
		}
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		switch args[0] {
		case "verify":
			var heads [][]byte
			var legacy []audit.Checkpoint
			for _, f := range held {
				b, err := os.ReadFile(f)
				if err != nil {
					return fmt.Errorf("error reading %s: %w", f, err)
				}
				if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
					var cp audit.Checkpoint
					if err := json.Unmarshal(b, &cp); err != nil {
						return fmt.Errorf("error reading the checkpoint %s: %w", f, err)
					}
					legacy = append(legacy, cp)
					continue
				}
				heads = append(heads, b)
			}
			for _, u := range witnesses {
				b, err := fetchHead(ctx, u)
				if err != nil {
					return err
				}
				heads = append(heads, b)
			}
			if (len(heads) > 0 || len(legacy) > 0) && vkey == "" {
				return errors.New("a head kept outside is checked against the log's key: give --public-key (from /public/transparency/) or configure SANSHEN_AUDIT_KEY")
			}
			res, err := s.Verify(ctx, store.LogCheck{VerifierKey: vkey, Held: heads, Skew: cfg.ClockSkew})
			if err != nil {
				return err
			}
			for _, cp := range legacy {
				pub, err := legacyKey(vkey)
				if err != nil {
					return err
				}
				if err := cp.VerifySignature(pub); err != nil {
					return err
				}
				breaks, err := s.CheckAgainst(ctx, cp)
				if err != nil {
					return err
				}
				res.Breaks = append(res.Breaks, breaks...)
				res.OK = len(res.Breaks) == 0
			}
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			if err := enc.Encode(res); err != nil {
				return err
			}
			if !res.OK {
				return fmt.Errorf("audit trail does not verify: %d break(s), first: %s", len(res.Breaks), res.Breaks[0])
			}
			return nil
		case "restore":
			// After a restore from a backup: declare, signed, what the
			// restored log lost against the last head published.
			if signer == nil {
				return errors.New("audit restore signs with the log's key: set SANSHEN_AUDIT_KEY or SANSHEN_DATA_DIR as for the relay")
			}
			var last []byte
			switch {
			case len(held) == 1 && len(witnesses) == 0:
				b, err := os.ReadFile(held[0])
				if err != nil {
					return fmt.Errorf("error reading %s: %w", held[0], err)
				}
				last = b
			case len(witnesses) == 1 && len(held) == 0:
				b, err := fetchHead(ctx, witnesses[0])
				if err != nil {
					return err
				}
				last = b
			default:
				return errors.New("audit restore needs the last published head: one --checkpoint FILE or one --witness URL")
			}
			r, err := s.RecordRestore(ctx, *signer, last, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "restore head signed: the restored log has %d leaves, the last published head %d; leaves %d to %d are lost and reported by audit verify\n",
				r.From, r.Published.Size, r.LostFrom(), r.LostTo()-1)
			return nil
		case "checkpoint":
			// Sign one now if the log has grown, then hand out the newest.
			if signer != nil {
				if _, err := s.Sequence(ctx, 1<<20); err != nil {
					return err
				}
				if _, _, err := s.SignHead(ctx, *signer, cfg.LogOrigin, 1, 0, time.Now()); err != nil {
					return err
				}
			}
			h, err := s.LatestHead(ctx)
			if err != nil {
				return err
			}
			if *outFile == "" {
				_, err = io.WriteString(out, h.Note)
				return err
			}
			return os.WriteFile(*outFile, []byte(h.Note), 0o644)
		case "prove":
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			if *seq > 0 {
				p, err := s.ProveInclusion(ctx, *seq, *size, 0)
				if err != nil {
					return err
				}
				return enc.Encode(p)
			}
			if *to == 0 {
				h, err := s.LatestHead(ctx)
				if err != nil {
					return err
				}
				*to = h.Size
			}
			fr, tr, proof, err := s.ProveConsistency(ctx, *from, *to)
			if err != nil {
				return err
			}
			return enc.Encode(map[string]any{"from": *from, "to": *to, "from_root": fr.String(), "to_root": tr.String(), "proof": proof})
		}
		return fmt.Errorf("unknown audit subcommand %q", args[0])
	})
}

// fetchHead fetches a signed tree head a witness keeps.
func fetchHead(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", url, err)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("witness %s answered %d: %v", url, res.StatusCode, err)
	}
	return b, nil
}

// legacyKey is the Ed25519 public key inside the log's verifier key, which
// signed the chain-head checkpoints of earlier versions.
func legacyKey(vkey string) (ed25519.PublicKey, error) {
	parts := strings.Split(vkey, "+")
	if len(parts) != 3 {
		return nil, fmt.Errorf("the log's key %q is not origin+hash+key", vkey)
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(b) != 1+ed25519.PublicKeySize || b[0] != 1 {
		return nil, fmt.Errorf("the log's key %q is not an Ed25519 key", vkey)
	}
	return ed25519.PublicKey(b[1:]), nil
}

func deadletters(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("deadletters needs a subcommand: list or replay ID")
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		switch args[0] {
		case "list":
			ds, err := s.DeadLetters(ctx, cliActor(0), 500) // the operator sees every agency's
			if err != nil {
				return err
			}
			for _, d := range ds {
				replayed := ""
				if d.ReplayedAt != nil {
					replayed = " replayed " + d.ReplayedAt.Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(out, "%d\t%s\t%s\tdeliveries=%d\t%s\t%s%s\n", d.ID, d.Consumer, d.Subject, d.Deliveries, d.Payload, d.LastError, replayed)
			}
			return nil
		case "replay":
			if len(args) < 2 {
				return errors.New("deadletters replay needs an ID")
			}
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a dead-letter id", args[1])
			}
			d, err := s.ReplayDeadLetter(ctx, cliActor(0), id)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "replayed dead letter %d to %s\n", d.ID, d.Subject)
			return nil
		}
		return fmt.Errorf("unknown deadletters subcommand %q", args[0])
	})
}

func publications(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("publications needs a subcommand: list or resolve")
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		switch args[0] {
		case "list":
			fs := flag.NewFlagSet("publications list", flag.ContinueOnError)
			slug := agencyFlag(fs)
			if err := fs.Parse(args[1:]); err != nil {
				return err
			}
			a, err := resolveAgency(ctx, s, *slug)
			if err != nil {
				return err
			}
			ps, err := s.OpenPublications(ctx, a.ID)
			if err != nil {
				return err
			}
			for _, p := range ps {
				fmt.Fprintf(out, "draft %d rev %d\t%s\t%s\tattempts=%d\t%s\t%s\n", p.DraftID, p.Revision, p.Channel, p.Status, p.Attempts, p.Title, p.Error)
			}
			return nil
		case "resolve":
			fs := flag.NewFlagSet("publications resolve", flag.ContinueOnError)
			draft := fs.Int64("draft", 0, "the draft's id")
			channel := fs.String("channel", "", "the channel: "+channelNames)
			delivered := fs.Bool("delivered", false, "it did go out")
			failed := fs.Bool("failed", false, "it did not go out")
			url := fs.String("url", "", "where it can be seen, when delivered")
			note := fs.String("note", "", "what was checked, for the audit trail")
			if err := fs.Parse(args[1:]); err != nil {
				return err
			}
			if *delivered == *failed {
				return errors.New("publications resolve needs exactly one of --delivered or --failed")
			}
			if !domain.Channel(*channel).Valid() || *draft <= 0 || strings.TrimSpace(*note) == "" {
				return errors.New("publications resolve needs --draft, --channel (" + channelNames + ") and --note")
			}
			d, err := s.Draft(ctx, *draft)
			if err != nil {
				return fmt.Errorf("draft %d: %w", *draft, err)
			}
			if err := s.ResolvePublication(ctx, cliActor(d.AgencyID), *draft, domain.Channel(*channel), *delivered, *url, *note); err != nil {
				return err
			}
			fmt.Fprintf(out, "draft %d %s resolved\n", *draft, *channel)
			return nil
		}
		return fmt.Errorf("unknown publications subcommand %q", args[0])
	})
}

func policyCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("policy needs a subcommand: show or set")
	}
	var optional []string
	for _, st := range domain.OptionalPeople() {
		optional = append(optional, string(st))
	}
	fs := flag.NewFlagSet("policy "+args[0], flag.ContinueOnError)
	var people multi
	fs.Var(&people, "person", "set: a stage at which a person decides after the machine checks (repeatable): "+strings.Join(optional, ", "))
	slug := agencyFlag(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		a, err := resolveAgency(ctx, s, *slug)
		if err != nil {
			return err
		}
		switch args[0] {
		case "show":
			p, err := s.Policy(ctx, a.ID)
			if err != nil {
				return err
			}
			for _, st := range domain.OptionalPeople() {
				fmt.Fprintf(out, "%s\tperson=%v\n", st, p.Requires(st))
			}
			return nil
		case "set":
			var p domain.Policy
			for _, st := range people {
				p.People = append(p.People, domain.Stage(st))
			}
			if err := s.SetPolicy(ctx, cliActor(a.ID), p); err != nil {
				return err
			}
			fmt.Fprintf(out, "policy of %s set: person at %v\n", a.Slug, []string(people))
			return nil
		}
		return fmt.Errorf("unknown policy subcommand %q", args[0])
	})
}

// expressionsCmd shows and sets the authoritative-expression tables.
func expressionsCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("expressions needs a subcommand: show or set")
	}
	fs := flag.NewFlagSet("expressions "+args[0], flag.ContinueOnError)
	kind := fs.String("kind", "", "organ or leader")
	file := fs.String("file", "", "set: the table as text, one entry a line")
	platform := fs.Bool("platform", false, "the platform's list instead of an agency's additions")
	slug := agencyFlag(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *kind != store.KindOrgan && *kind != store.KindLeader {
		return errors.New("expressions needs --kind organ or --kind leader")
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		list, actor := store.PlatformList, cliActor(0)
		if !*platform {
			a, err := resolveAgency(ctx, s, *slug)
			if err != nil {
				return err
			}
			list, actor = a.ID, cliActor(a.ID)
		}
		switch args[0] {
		case "show":
			l, err := s.CurrentExpressions(ctx, *kind, list)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "# version %d\n", l.Version)
			if *kind == store.KindOrgan {
				fmt.Fprint(out, expressions.FormatOrgans(l.Organs))
			} else {
				fmt.Fprint(out, expressions.FormatLeaders(l.Leaders))
			}
			return nil
		case "set":
			b, err := os.ReadFile(*file)
			if err != nil {
				return fmt.Errorf("expressions set needs --file: %w", err)
			}
			var l store.ExpressionList
			if *kind == store.KindOrgan {
				var es []expressions.Organ
				if es, err = expressions.ParseOrgans(string(b)); err == nil {
					l, err = s.SetOrgans(ctx, actor, list, es)
				}
			} else {
				var es []expressions.Leader
				if es, err = expressions.ParseLeaders(string(b)); err == nil {
					l, err = s.SetLeaders(ctx, actor, list, es)
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s list saved as version %d (%d entries)\n", *kind, l.Version, len(l.Organs)+len(l.Leaders))
			return nil
		}
		return fmt.Errorf("unknown expressions subcommand %q", args[0])
	})
}
