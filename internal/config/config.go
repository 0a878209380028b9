// Package config reads sanshen's settings from the environment. Every
// variable is listed in the README; flags of the subcommands may override.
package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/sanshen-gov/sanshen/internal/blob"
	"io/fs"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting. It is passed explicitly, never global.
type Config struct {
	DatabaseURL string        // DATABASE_URL
	NATSURL     string        // NATS_URL; empty in `all` means the embedded server
	HTTPAddr    string        // SANSHEN_HTTP_ADDR
	MetricsAddr string        // SANSHEN_METRICS_ADDR: /metrics of split services that do not serve the API
	DataDir     string        // SANSHEN_DATA_DIR: embedded JetStream store, audit signing key
	NATSListen  string        // SANSHEN_NATS_LISTEN: also let the embedded server listen here (host:port), e.g. for `nats` tools
	SweepAfter  time.Duration // SANSHEN_SWEEP_AFTER: re-send a draft's work when its machine step has not finished in this long
	// NotifyLease is how long a notification's send may take before another
	// dispatcher takes it over (SANSHEN_NOTIFY_LEASE, default 2m): a mail is
	// sent again, with the same Message-ID; a robot post becomes unknown.
	NotifyLease time.Duration
	MaxDeliver  int // SANSHEN_MAX_DELIVER: deliveries of one message before it is dead-lettered
	// StreamReplicas is the work stream's replicas on a JetStream cluster
	// (SANSHEN_STREAM_REPLICAS, default 1; 3 on a 3-node cluster).
	StreamReplicas int
	BatchLinger    time.Duration // SANSHEN_BATCH_LINGER: how long a busy stage waits to fill a batch (0 = never)
	GroupLinger    time.Duration // SANSHEN_GROUP_LINGER: how long busy decisions and submissions wait to share a commit (0 = never)
	MaxBodySize    int64         // SANSHEN_MAX_BODY_BYTES: largest accepted request body
	PublicURL      string        // SANSHEN_PUBLIC_URL: the address the public pages are reached at, for links in the feed
	LogLevel       string        // SANSHEN_LOG_LEVEL: debug, info, warn, error
	AuditKey       string        // SANSHEN_AUDIT_KEY: base64 Ed25519 seed for signing checkpoints; else a key file in the data dir
	// CheckpointEvery is the longest a new audit event waits for a signed
	// tree head of the transparency log (SANSHEN_CHECKPOINT_EVERY, 0 = no
	// heads); CheckpointLeaves signs one as soon as that many events have
	// joined the log (SANSHEN_CHECKPOINT_LEAVES).
	CheckpointEvery  time.Duration
	CheckpointLeaves int64
	// LogOrigin names the transparency log in its signed heads
	// (SANSHEN_LOG_ORIGIN; default the public site's host + "/audit").
	LogOrigin string
	// ClockSkew is how far apart the hosts' clocks may be: an audit event may
	// be that much older than the one before it in its chain, or than a
	// signed head before its leaf (SANSHEN_CLOCK_SKEW).
	ClockSkew time.Duration
	// AppRole is the PostgreSQL role the services connect as, which
	// `sanshen migrate` (as the owner, DATABASE_URL) creates and grants
	// (SANSHEN_APP_ROLE, with SANSHEN_APP_PASSWORD); AppDatabaseURL is how
	// `sanshen all` connects as it (SANSHEN_APP_DATABASE_URL; default
	// DATABASE_URL with the role and its password).
	AppRole        string
	AppPassword    string
	AppDatabaseURL string
	// TrustedProxies are the addresses (CIDRs) of the reverse proxies whose
	// X-Forwarded-For and X-Forwarded-Proto are believed
	// (SANSHEN_TRUSTED_PROXIES); from anyone else the socket's address is
	// the client and the headers are ignored.
	TrustedProxies []netip.Prefix
	// Blob is where attached files are kept: the filesystem under
	// SANSHEN_DATA_DIR/blobs, or S3 (SANSHEN_BLOB_BACKEND=s3 and the
	// SANSHEN_S3_* variables).
	Blob blob.Config
	// Portal is the district portal's content API (SANSHEN_PORTAL_URL,
	// SANSHEN_PORTAL_KEY_ID, SANSHEN_PORTAL_SECRET); an empty URL leaves
	// the portal channel not configured.
	PortalURL, PortalKeyID, PortalSecret string
	// WeChat is the official account's API credentials
	// (SANSHEN_WECHAT_APPID, SANSHEN_WECHAT_SECRET) and base URL
	// (SANSHEN_WECHAT_URL, default WeChat's own; a contract server in
	// tests); no AppID leaves the channel not configured.
	WeChatAppID, WeChatSecret, WeChatURL string
	// WeChatCallbackToken is the Token of the account's server
	// configuration (SANSHEN_WECHAT_CALLBACK_TOKEN): set, sanshen takes
	// WeChat's PUBLISHJOBFINISH events at /channels/wechat/events and polls
	// for outcomes only as a fallback, rarely.
	WeChatCallbackToken string
	// WeChatMassPerDay is the account's mass sends a day
	// (SANSHEN_WECHAT_MASS_PER_DAY, default 1: a verified subscription
	// account's).
	WeChatMassPerDay int
	// Douyin is the app's client key and secret (SANSHEN_DOUYIN_CLIENT_KEY,
	// SANSHEN_DOUYIN_CLIENT_SECRET) and base URL (SANSHEN_DOUYIN_URL);
	// the account itself is connected by an admin (OAuth).
	DouyinClientKey, DouyinClientSecret, DouyinURL string
	// DouyinDelete: the account granted scope video.delete, so a
	// withdrawal deletes the post (SANSHEN_DOUYIN_DELETE=true); otherwise
	// it is a person's task.
	DouyinDelete bool
	// WebhookURL receives the drafts' state changes, signed with
	// WebhookSecret (SANSHEN_WEBHOOK_URL, SANSHEN_WEBHOOK_SECRET, at least
	// 16 characters); empty: no outgoing webhooks.
	WebhookURL, WebhookSecret string
	// SMTP is the mail submission server the notifications are sent
	// through (SANSHEN_SMTP_HOST, SANSHEN_SMTP_PORT default 587,
	// SANSHEN_SMTP_FROM, SANSHEN_SMTP_USER, SANSHEN_SMTP_PASSWORD,
	// SANSHEN_SMTP_TLS: starttls (when offered; the default), required or
	// none). No host: no mail is sent, and mail deliveries fail saying so.
	SMTPHost, SMTPPort, SMTPFrom, SMTPUser, SMTPPassword, SMTPTLS string
	// TokenTTL is how long a new API token lasts (SANSHEN_TOKEN_TTL, 90d).
	TokenTTL time.Duration
	// TOTPKey is the base64 32-byte key that seals the second factors'
	// secrets (SANSHEN_TOTP_KEY); else a key file in the data dir.
	TOTPKey string
}

// DefaultDatabaseURL is a local PostgreSQL, as a fresh install has it.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/sanshen?sslmode=disable"

// FromEnv reads the configuration, with the documented defaults.
func FromEnv() (Config, error) {
	c := Config{
		DatabaseURL: env("DATABASE_URL", DefaultDatabaseURL),
		NATSURL:     os.Getenv("NATS_URL"),
		HTTPAddr:    env("SANSHEN_HTTP_ADDR", ":8080"),
		MetricsAddr: env("SANSHEN_METRICS_ADDR", ":9090"),
		DataDir:     env("SANSHEN_DATA_DIR", "./data"),
		NATSListen:  os.Getenv("SANSHEN_NATS_LISTEN"),
		PublicURL:   env("SANSHEN_PUBLIC_URL", "http://localhost:8080"),
		LogLevel:    env("SANSHEN_LOG_LEVEL", "info"),
		AuditKey:    os.Getenv("SANSHEN_AUDIT_KEY"),
	}
	var err error
	if c.SweepAfter, err = time.ParseDuration(env("SANSHEN_SWEEP_AFTER", "30s")); err != nil {
		return c, fmt.Errorf("error reading SANSHEN_SWEEP_AFTER: %w", err)
	}
	if c.NotifyLease, err = time.ParseDuration(env("SANSHEN_NOTIFY_LEASE", "2m")); err != nil || c.NotifyLease < 10*time.Second {
		return c, fmt.Errorf("error reading SANSHEN_NOTIFY_LEASE: want a duration of at least 10s, got %q", os.Getenv("SANSHEN_NOTIFY_LEASE"))
	}
	if c.CheckpointEvery, err = time.ParseDuration(env("SANSHEN_CHECKPOINT_EVERY", "1m")); err != nil || c.CheckpointEvery < 0 {
		return c, fmt.Errorf("error reading SANSHEN_CHECKPOINT_EVERY: want a duration, got %q", os.Getenv("SANSHEN_CHECKPOINT_EVERY"))
	}
	if c.CheckpointLeaves, err = strconv.ParseInt(env("SANSHEN_CHECKPOINT_LEAVES", "10000"), 10, 64); err != nil || c.CheckpointLeaves < 1 {
		return c, fmt.Errorf("error reading SANSHEN_CHECKPOINT_LEAVES: want a positive number, got %q", os.Getenv("SANSHEN_CHECKPOINT_LEAVES"))
	}
	if c.ClockSkew, err = time.ParseDuration(env("SANSHEN_CLOCK_SKEW", "2m")); err != nil || c.ClockSkew < 0 {
		return c, fmt.Errorf("error reading SANSHEN_CLOCK_SKEW: want a duration, got %q", os.Getenv("SANSHEN_CLOCK_SKEW"))
	}
	c.AppRole = env("SANSHEN_APP_ROLE", "sanshen_app")
	c.AppPassword = os.Getenv("SANSHEN_APP_PASSWORD")
	c.AppDatabaseURL = os.Getenv("SANSHEN_APP_DATABASE_URL")
	c.LogOrigin = os.Getenv("SANSHEN_LOG_ORIGIN")
	if c.LogOrigin == "" {
		c.LogOrigin = DefaultLogOrigin(c.PublicURL)
	}
	if strings.ContainsAny(c.LogOrigin, " +\t\n") {
		return c, fmt.Errorf("error reading SANSHEN_LOG_ORIGIN: a log's name has no spaces or '+', got %q", c.LogOrigin)
	}
	if c.MaxDeliver, err = strconv.Atoi(env("SANSHEN_MAX_DELIVER", "5")); err != nil || c.MaxDeliver < 1 {
		return c, fmt.Errorf("error reading SANSHEN_MAX_DELIVER: want a positive number, got %q", os.Getenv("SANSHEN_MAX_DELIVER"))
	}
	if c.StreamReplicas, err = strconv.Atoi(env("SANSHEN_STREAM_REPLICAS", "1")); err != nil || c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		return c, fmt.Errorf("error reading SANSHEN_STREAM_REPLICAS: want 1 to 5 (the nodes of the JetStream cluster that keep the work stream), got %q", os.Getenv("SANSHEN_STREAM_REPLICAS"))
	}
	if c.BatchLinger, err = time.ParseDuration(env("SANSHEN_BATCH_LINGER", "10ms")); err != nil || c.BatchLinger < 0 || c.BatchLinger > time.Second {
		return c, fmt.Errorf("error reading SANSHEN_BATCH_LINGER: want a duration from 0s to 1s, got %q", os.Getenv("SANSHEN_BATCH_LINGER"))
	}
	if c.GroupLinger, err = time.ParseDuration(env("SANSHEN_GROUP_LINGER", "3ms")); err != nil || c.GroupLinger < 0 || c.GroupLinger > time.Second {
		return c, fmt.Errorf("error reading SANSHEN_GROUP_LINGER: want a duration from 0s to 1s, got %q", os.Getenv("SANSHEN_GROUP_LINGER"))
	}
	if c.TrustedProxies, err = ParseProxies(os.Getenv("SANSHEN_TRUSTED_PROXIES")); err != nil {
		return c, fmt.Errorf("error reading SANSHEN_TRUSTED_PROXIES: %w", err)
	}
	if c.TokenTTL, err = ParseDays(env("SANSHEN_TOKEN_TTL", "90d")); err != nil || c.TokenTTL < time.Hour {
		return c, fmt.Errorf("error reading SANSHEN_TOKEN_TTL: want a duration of at least 1h (e.g. 90d, 720h), got %q", os.Getenv("SANSHEN_TOKEN_TTL"))
	}
	c.TOTPKey = os.Getenv("SANSHEN_TOTP_KEY")
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("error reading SANSHEN_PUBLIC_URL: want an http or https URL, got %q", c.PublicURL)
	}
	if c.MaxBodySize, err = strconv.ParseInt(env("SANSHEN_MAX_BODY_BYTES", "262144"), 10, 64); err != nil || c.MaxBodySize < 1024 {
		return c, fmt.Errorf("error reading SANSHEN_MAX_BODY_BYTES: want a number of bytes >= 1024, got %q", os.Getenv("SANSHEN_MAX_BODY_BYTES"))
	}
	if c.Blob, err = blob.ConfigFromEnv(os.Getenv, c.DataDir); err != nil {
		return c, err
	}
	c.PortalURL, c.PortalKeyID, c.PortalSecret = os.Getenv("SANSHEN_PORTAL_URL"), env("SANSHEN_PORTAL_KEY_ID", "sanshen"), os.Getenv("SANSHEN_PORTAL_SECRET")
	if c.PortalURL != "" {
		if u, err := url.Parse(c.PortalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("error reading SANSHEN_PORTAL_URL: want an http or https URL, got %q", c.PortalURL)
		}
		if len(c.PortalSecret) < 16 {
			return c, errors.New("error reading SANSHEN_PORTAL_SECRET: the portal's shared secret (at least 16 characters) is needed with SANSHEN_PORTAL_URL")
		}
	}
	c.WeChatAppID, c.WeChatSecret, c.WeChatURL = os.Getenv("SANSHEN_WECHAT_APPID"), os.Getenv("SANSHEN_WECHAT_SECRET"), os.Getenv("SANSHEN_WECHAT_URL")
	c.WeChatCallbackToken = os.Getenv("SANSHEN_WECHAT_CALLBACK_TOKEN")
	if c.WeChatMassPerDay, err = strconv.Atoi(env("SANSHEN_WECHAT_MASS_PER_DAY", "1")); err != nil || c.WeChatMassPerDay < 1 {
		return c, fmt.Errorf("error reading SANSHEN_WECHAT_MASS_PER_DAY: want a number of mass sends a day >= 1, got %q", os.Getenv("SANSHEN_WECHAT_MASS_PER_DAY"))
	}
	if c.WeChatAppID != "" && c.WeChatSecret == "" {
		return c, errors.New("error reading SANSHEN_WECHAT_SECRET: the official account's AppSecret is needed with SANSHEN_WECHAT_APPID")
	}
	c.DouyinClientKey, c.DouyinClientSecret, c.DouyinURL = os.Getenv("SANSHEN_DOUYIN_CLIENT_KEY"), os.Getenv("SANSHEN_DOUYIN_CLIENT_SECRET"), os.Getenv("SANSHEN_DOUYIN_URL")
	if c.DouyinClientKey != "" && c.DouyinClientSecret == "" {
		return c, errors.New("error reading SANSHEN_DOUYIN_CLIENT_SECRET: the Douyin app's client secret is needed with SANSHEN_DOUYIN_CLIENT_KEY")
	}
	c.DouyinDelete = os.Getenv("SANSHEN_DOUYIN_DELETE") == "true"
	c.WebhookURL, c.WebhookSecret = os.Getenv("SANSHEN_WEBHOOK_URL"), os.Getenv("SANSHEN_WEBHOOK_SECRET")
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("error reading SANSHEN_WEBHOOK_URL: want an http or https URL, got %q", c.WebhookURL)
		}
		if len(c.WebhookSecret) < 16 {
			return c, errors.New("error reading SANSHEN_WEBHOOK_SECRET: the secret (at least 16 characters) that signs each webhook is needed with SANSHEN_WEBHOOK_URL")
		}
	}
	c.SMTPHost, c.SMTPPort, c.SMTPFrom = os.Getenv("SANSHEN_SMTP_HOST"), env("SANSHEN_SMTP_PORT", "587"), os.Getenv("SANSHEN_SMTP_FROM")
	c.SMTPUser, c.SMTPPassword, c.SMTPTLS = os.Getenv("SANSHEN_SMTP_USER"), os.Getenv("SANSHEN_SMTP_PASSWORD"), env("SANSHEN_SMTP_TLS", "starttls")
	if c.SMTPHost != "" {
		if p, err := strconv.Atoi(c.SMTPPort); err != nil || p < 1 || p > 65535 {
			return c, fmt.Errorf("error reading SANSHEN_SMTP_PORT: want a port number, got %q", c.SMTPPort)
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			return c, fmt.Errorf("error reading SANSHEN_SMTP_FROM: want the sender's address (e.g. 三审系统 <sanshen@example.gov.cn>) with SANSHEN_SMTP_HOST, got %q", c.SMTPFrom)
		}
	}
	if c.SMTPTLS != "starttls" && c.SMTPTLS != "required" && c.SMTPTLS != "none" {
		return c, fmt.Errorf("error reading SANSHEN_SMTP_TLS: want starttls, required or none, got %q", c.SMTPTLS)
	}
	for name, u := range map[string]string{"SANSHEN_WECHAT_URL": c.WeChatURL, "SANSHEN_DOUYIN_URL": c.DouyinURL} {
		if u == "" {
			continue
		}
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return c, fmt.Errorf("error reading %s: want an http or https URL, got %q", name, u)
		}
	}
	return c, nil
}

// DefaultLogOrigin names the transparency log after the public site: its
// host, then /audit.
func DefaultLogOrigin(publicURL string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		return u.Host + "/audit"
	}
	return "sanshen/audit"
}

// ParseProxies reads a comma-separated list of CIDRs or single addresses.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// ParseDays reads a Go duration, or a whole number of days written Nd.
func ParseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// AuditSigningKey is the Ed25519 key that signs audit checkpoints: from
// SANSHEN_AUDIT_KEY (a base64 32-byte seed) or, failing that, the file
// audit-signing.key in the data dir. create makes that file when missing
// (the relay does); an operator's command must not sign with a stray new key.
func AuditSigningKey(c Config, create bool) (ed25519.PrivateKey, error) {
	if c.AuditKey != "" {
		seed, err := base64.StdEncoding.DecodeString(c.AuditKey)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("SANSHEN_AUDIT_KEY must be a base64 32-byte seed")
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	seed, err := keyFile(c.DataDir, "audit-signing.key", ed25519.SeedSize, create,
		"no audit signing key: set SANSHEN_AUDIT_KEY or SANSHEN_DATA_DIR to where the relay keeps audit-signing.key")
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// TOTPKey is the 32-byte key that seals TOTP secrets: from SANSHEN_TOTP_KEY
// (base64) or, failing that, the file totp.key in the data dir, which
// create makes when missing (`sanshen all` and a single API process do;
// several API replicas must share SANSHEN_TOTP_KEY). Losing the key loses
// every enrolled second factor: each person then enrols again after an
// admin resets theirs.
func TOTPKey(c Config, create bool) ([]byte, error) {
	if c.TOTPKey != "" {
		key, err := base64.StdEncoding.DecodeString(c.TOTPKey)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("SANSHEN_TOTP_KEY must be a base64 32-byte key")
		}
		return key, nil
	}
	if c.DataDir == "" && create {
		// No data dir (a benchmark, a test): a key for this process only.
		key := make([]byte, 32)
		_, err := rand.Read(key)
		return key, err
	}
	key, err := keyFile(c.DataDir, "totp.key", 32, create,
		"no TOTP key: set SANSHEN_TOTP_KEY or SANSHEN_DATA_DIR to where totp.key is")
	if err != nil {
		return nil, err
	}
	return key, nil
}

// keyFile reads the base64 key of size bytes kept in dir/name or, when it
// is missing and create is set, makes one. Replicas sharing the data dir
// may start together: the new key is written to a file of this process's
// own and linked into place only if no other process linked one first,
// so every process ends up with the one key in the file (a plain write
// let the last of two writers replace a key the first already used).
func keyFile(dir, name string, size int, create bool, missing string) ([]byte, error) {
	path := filepath.Join(dir, name)
	read := func() ([]byte, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != size {
			return nil, fmt.Errorf("error reading %s: not a base64 %d-byte key", path, size)
		}
		return key, nil
	}
	key, err := read()
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if !create {
		return nil, fmt.Errorf("%s (%s does not exist)", missing, path)
	}
	key = make([]byte, size)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("error making %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("error creating data dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, name+".new-*")
	if err != nil {
		return nil, fmt.Errorf("error writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
			err = nil // another process made it first: its key is the key
		}
	}
	if err != nil {
		return nil, fmt.Errorf("error writing %s: %w", path, err)
	}
	return read()
}
