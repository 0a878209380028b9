package blob

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func newFS(t *testing.T) *FS {
	t.Helper()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFS(t *testing.T) {
	testStore(t, newFS(t))
}

func TestFSLayout(t *testing.T) {
	s := newFS(t)
	b := []byte("%PDF-1.7 ...")
	sum := sumOf(b)
	if err := s.Put(t.Context(), sum, int64(len(b)), "application/pdf", body(b)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.dir, "sha256", sum[:2], sum[2:4], sum)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("file not at %s: %v", path, err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("file mode %v, want 0640", fi.Mode().Perm())
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, b) {
		t.Errorf("file holds %q, %v", got, err)
	}
	if got, err := os.ReadFile(path + ".type"); err != nil || string(got) != "application/pdf" {
		t.Errorf("sidecar holds %q, %v", got, err)
	}
	for d := filepath.Dir(path); d != filepath.Dir(s.dir); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if d != s.dir && fi.Mode().Perm()&^0o750 != 0 {
			t.Errorf("directory %s has mode %v, want at most 0750", d, fi.Mode().Perm())
		}
	}
}

// A body that fails halfway (the client went away, the process is killed
// between writes) must leave nothing under the final name and no temporary
// file behind.
func TestFSFailedWrite(t *testing.T) {
	s := newFS(t)
	b := randomBytes(1 << 20)
	sum := sumOf(b)
	r := &failingReader{bytes.NewReader(b[:len(b)/2]), errBoom}
	err := s.Put(t.Context(), sum, int64(len(b)), "image/jpeg", r)
	if !errors.Is(err, errBoom) {
		t.Fatalf("Put = %v, want the reader's error", err)
	}
	final := filepath.Join(s.dir, "sha256", sum[:2], sum[2:4], sum)
	for _, p := range []string{final, final + ".type"} {
		if fileExists(p) {
			t.Errorf("%s exists after a failed Put", p)
		}
	}
	if entries, err := os.ReadDir(s.tmpDir()); err != nil || len(entries) != 0 {
		t.Errorf("tmp/ holds %v, %v after a failed Put", entries, err)
	}
	if _, err := s.Stat(t.Context(), sum); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat = %v, want ErrNotFound", err)
	}
	// The same upload, retried whole, succeeds.
	if err := s.Put(t.Context(), sum, int64(len(b)), "image/jpeg", body(b)); err != nil {
		t.Fatalf("retried Put: %v", err)
	}
	if got, _ := readAll(t, s, sum); !bytes.Equal(got, b) {
		t.Error("retried Put stored other content")
	}
}

// Temporary files a crash left behind are removed when the store is opened
// again, once they are old enough not to belong to a running Put.
func TestFSRemovesStaleTemps(t *testing.T) {
	s := newFS(t)
	old, fresh := filepath.Join(s.tmpDir(), "put-old"), filepath.Join(s.tmpDir(), "put-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("half a file"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFS(s.dir); err != nil {
		t.Fatal(err)
	}
	if fileExists(old) {
		t.Error("stale temporary file survived NewFS")
	}
	if !fileExists(fresh) {
		t.Error("NewFS removed a fresh temporary file")
	}
}

func TestFSCheckFails(t *testing.T) {
	s := newFS(t)
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := os.RemoveAll(s.dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(t.Context()); err == nil {
		t.Error("Check passed on a removed directory")
	}
	if err := os.WriteFile(s.dir, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFS(s.dir); err == nil {
		t.Error("NewFS accepted a regular file as its directory")
	}
}
