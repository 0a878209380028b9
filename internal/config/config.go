// Package config reads sanshen's settings from the environment. Every
// variable is listed in the README; flags of the subcommands may override.
package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
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
	MaxDeliver  int           // SANSHEN_MAX_DELIVER: deliveries of one message before it is dead-lettered
	BatchLinger time.Duration // SANSHEN_BATCH_LINGER: how long a busy stage waits to fill a batch (0 = never)
	GroupLinger time.Duration // SANSHEN_GROUP_LINGER: how long busy decisions and submissions wait to share a commit (0 = never)
	MaxBodySize int64         // SANSHEN_MAX_BODY_BYTES: largest accepted request body
	PublicURL   string        // SANSHEN_PUBLIC_URL: the address the public pages are reached at, for links in the feed
	LogLevel    string        // SANSHEN_LOG_LEVEL: debug, info, warn, error
	AuditKey    string        // SANSHEN_AUDIT_KEY: base64 Ed25519 seed for signing checkpoints; else a key file in the data dir
	// CheckpointEvery is how often the relay signs an audit checkpoint (SANSHEN_CHECKPOINT_EVERY, 0 = never).
	CheckpointEvery time.Duration
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
	if c.CheckpointEvery, err = time.ParseDuration(env("SANSHEN_CHECKPOINT_EVERY", "1h")); err != nil {
		return c, fmt.Errorf("error reading SANSHEN_CHECKPOINT_EVERY: %w", err)
	}
	if c.MaxDeliver, err = strconv.Atoi(env("SANSHEN_MAX_DELIVER", "5")); err != nil || c.MaxDeliver < 1 {
		return c, fmt.Errorf("error reading SANSHEN_MAX_DELIVER: want a positive number, got %q", os.Getenv("SANSHEN_MAX_DELIVER"))
	}
	if c.BatchLinger, err = time.ParseDuration(env("SANSHEN_BATCH_LINGER", "10ms")); err != nil || c.BatchLinger < 0 || c.BatchLinger > time.Second {
		return c, fmt.Errorf("error reading SANSHEN_BATCH_LINGER: want a duration from 0s to 1s, got %q", os.Getenv("SANSHEN_BATCH_LINGER"))
	}
	if c.GroupLinger, err = time.ParseDuration(env("SANSHEN_GROUP_LINGER", "3ms")); err != nil || c.GroupLinger < 0 || c.GroupLinger > time.Second {
		return c, fmt.Errorf("error reading SANSHEN_GROUP_LINGER: want a duration from 0s to 1s, got %q", os.Getenv("SANSHEN_GROUP_LINGER"))
	}
	if c.MaxBodySize, err = strconv.ParseInt(env("SANSHEN_MAX_BODY_BYTES", "262144"), 10, 64); err != nil || c.MaxBodySize < 1024 {
		return c, fmt.Errorf("error reading SANSHEN_MAX_BODY_BYTES: want a number of bytes >= 1024, got %q", os.Getenv("SANSHEN_MAX_BODY_BYTES"))
	}
	return c, nil
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
	path := filepath.Join(c.DataDir, "audit-signing.key")
	if b, err := os.ReadFile(path); err == nil {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("error reading %s: not a base64 32-byte seed", path)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if !create {
		return nil, fmt.Errorf("no audit signing key: set SANSHEN_AUDIT_KEY or SANSHEN_DATA_DIR to where the relay keeps audit-signing.key (%s does not exist)", path)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("error making audit signing key: %w", err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("error creating data dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(seed)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("error writing %s: %w", path, err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
