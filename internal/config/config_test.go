package config

import (
	"bytes"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLingers(t *testing.T) {
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.BatchLinger != 10*time.Millisecond || c.GroupLinger != 3*time.Millisecond {
		t.Fatalf("default lingers %v and %v, want 10ms and 3ms", c.BatchLinger, c.GroupLinger)
	}
	for _, name := range []string{"SANSHEN_BATCH_LINGER", "SANSHEN_GROUP_LINGER"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, "0s")
			c, err := FromEnv()
			if err != nil {
				t.Fatalf("0s refused: %v", err)
			}
			got := c.BatchLinger
			if name == "SANSHEN_GROUP_LINGER" {
				got = c.GroupLinger
			}
			if got != 0 {
				t.Fatalf("%s=0s read as %v", name, got)
			}
			for _, bad := range []string{"soon", "-1ms", "2s"} {
				t.Setenv(name, bad)
				if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), name) {
					t.Fatalf("%s=%s: error %v, want one naming the variable", name, bad, err)
				}
			}
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := FromEnv()
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("by default no proxy is trusted: %v %v", c.TrustedProxies, err)
	}
	t.Setenv("SANSHEN_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1 ,192.168.1.7/24")
	c, err = FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "127.0.0.1/32", "::1/128", "192.168.1.0/24"}
	if len(c.TrustedProxies) != len(want) {
		t.Fatalf("read %v", c.TrustedProxies)
	}
	for i, p := range c.TrustedProxies {
		if p.String() != want[i] {
			t.Errorf("proxy %d = %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0"} {
		t.Setenv("SANSHEN_TRUSTED_PROXIES", bad)
		if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "SANSHEN_TRUSTED_PROXIES") {
			t.Errorf("%q: %v, want an error naming the variable", bad, err)
		}
	}
}

func TestTokenTTL(t *testing.T) {
	c, err := FromEnv()
	if err != nil || c.TokenTTL != 90*24*time.Hour {
		t.Fatalf("default token lifetime %v %v, want 90 days", c.TokenTTL, err)
	}
	for v, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "720h": 720 * time.Hour} {
		t.Setenv("SANSHEN_TOKEN_TTL", v)
		if c, err := FromEnv(); err != nil || c.TokenTTL != want {
			t.Errorf("%s read as %v %v", v, c.TokenTTL, err)
		}
	}
	for _, bad := range []string{"soon", "-1d", "1m", "xd"} {
		t.Setenv("SANSHEN_TOKEN_TTL", bad)
		if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "SANSHEN_TOKEN_TTL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPublicURLIsHTTP(t *testing.T) {
	for _, bad := range []string{"javascript:alert(1)", "ftp://example.gov.cn", "example.gov.cn"} {
		t.Setenv("SANSHEN_PUBLIC_URL", bad)
		if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "SANSHEN_PUBLIC_URL") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func TestTOTPKey(t *testing.T) {
	dir := t.TempDir()
	c := Config{DataDir: dir}
	if _, err := TOTPKey(c, false); err == nil {
		t.Fatal("a missing key was made up without create")
	}
	k1, err := TOTPKey(c, true)
	if err != nil || len(k1) != 32 {
		t.Fatalf("created key: %v", err)
	}
	k2, err := TOTPKey(c, false)
	if err != nil || string(k1) != string(k2) {
		t.Fatal("the key file is not read back")
	}
	c.TOTPKey = "bm90IDMyIGJ5dGVz"
	if _, err := TOTPKey(c, false); err == nil {
		t.Fatal("a short SANSHEN_TOTP_KEY is accepted")
	}
}

// Two relays (or api replicas) sharing a data dir start at once: every one
// gets the one key the file ends up holding, never a key of its own.
func TestKeyFileMadeOnceByReplicas(t *testing.T) {
	dir := t.TempDir()
	c := Config{DataDir: dir}
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := AuditSigningKey(c, true)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	again, err := AuditSigningKey(c, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if !bytes.Equal(k, again) {
			t.Fatalf("replica %d signs with a key that is not the file's", i)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.new-*")); len(left) > 0 {
		t.Fatalf("temporary key files left: %v", left)
	}
}
