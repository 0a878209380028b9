package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
)

func sumOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// stream hides bytes.Reader's Seek and ReadAt, as an upload body would.
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

func body(b []byte) io.Reader { return stream{bytes.NewReader(b)} }

// failingReader yields prefix and then fails with err.
type failingReader struct {
	prefix io.Reader
	err    error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if n, err := f.prefix.Read(p); err != io.EOF {
		return n, err
	}
	return 0, f.err
}

var errBoom = errors.New("boom: connection reset by client")

// contents lists what a store holds: the sums stored under their final
// names, and everything else (temporary files or objects, stray sidecars).
func contents(t *testing.T, s Store) (sums, other []string) {
	t.Helper()
	switch s := s.(type) {
	case *FS:
		err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(s.dir, path)
			name := filepath.Base(path)
			switch {
			case ValidSum(name) && rel == filepath.Join("sha256", name[:2], name[2:4], name):
				sums = append(sums, name)
			case strings.HasSuffix(name, ".type") && fileExists(strings.TrimSuffix(path, ".type")):
			default:
				other = append(other, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	case *S3:
		for oi := range s.c.ListObjects(t.Context(), s.bucket, minio.ListObjectsOptions{Recursive: true}) {
			if oi.Err != nil {
				t.Fatal(oi.Err)
			}
			if sum, ok := strings.CutPrefix(oi.Key, s.prefix); ok && ValidSum(sum) {
				sums = append(sums, sum)
			} else {
				other = append(other, oi.Key)
			}
		}
	default:
		t.Fatalf("cannot list a %T", s)
	}
	slices.Sort(sums)
	return sums, other
}

func readAll(t *testing.T, s Store, sum string) ([]byte, Info) {
	t.Helper()
	rc, info, err := s.Open(t.Context(), sum)
	if err != nil {
		t.Fatalf("Open(%s): %v", sum, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", sum, err)
	}
	return b, info
}

// testStore is the conformance suite every backend must pass. Its subtests
// run in order and share the store.
func testStore(t *testing.T, s Store) {
	ctx := t.Context()
	want := map[string]bool{} // sums that must be stored, and nothing else
	requireContents := func(t *testing.T) {
		t.Helper()
		sums, other := contents(t, s)
		if len(other) > 0 {
			t.Errorf("store holds leftovers: %q", other)
		}
		if w := slices.Sorted(maps.Keys(want)); !slices.Equal(sums, w) {
			t.Errorf("stored sums = %q, want %q", sums, w)
		}
	}
	put := func(t *testing.T, b []byte, mediaType string) string {
		t.Helper()
		sum := sumOf(b)
		if err := s.Put(ctx, sum, int64(len(b)), mediaType, body(b)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		want[sum] = true
		return sum
	}
	hello := []byte("审查意见：同意。\n")
	helloSum := sumOf(hello)

	t.Run("RoundTrip", func(t *testing.T) {
		put(t, hello, "text/plain; charset=utf-8")
		wantInfo := Info{Size: int64(len(hello)), MediaType: "text/plain; charset=utf-8"}
		if info, err := s.Stat(ctx, helloSum); err != nil || info != wantInfo {
			t.Errorf("Stat = %+v, %v; want %+v", info, err, wantInfo)
		}
		got, info := readAll(t, s, helloSum)
		if !bytes.Equal(got, hello) || info != wantInfo {
			t.Errorf("Open = %q, %+v; want %q, %+v", got, info, hello, wantInfo)
		}
		requireContents(t)
	})

	t.Run("EmptyFileAndDefaultMediaType", func(t *testing.T) {
		sum := put(t, nil, "")
		got, info := readAll(t, s, sum)
		if len(got) != 0 || info != (Info{Size: 0, MediaType: "application/octet-stream"}) {
			t.Errorf("Open = %q, %+v", got, info)
		}
	})

	t.Run("PutTwiceIsNoOp", func(t *testing.T) {
		// The body is not even read: a reader that fails still succeeds.
		r := &failingReader{strings.NewReader(""), errBoom}
		if err := s.Put(ctx, helloSum, int64(len(hello)), "image/png", r); err != nil {
			t.Fatalf("second Put: %v", err)
		}
		if err := s.Put(ctx, helloSum, int64(len(hello)), "image/png", body(hello)); err != nil {
			t.Fatalf("third Put: %v", err)
		}
		if info, err := s.Stat(ctx, helloSum); err != nil || info.MediaType != "text/plain; charset=utf-8" {
			t.Errorf("Stat = %+v, %v; the first Put's media type must stay", info, err)
		}
		requireContents(t)
	})

	t.Run("HashMismatch", func(t *testing.T) {
		other := []byte("审查意见：不同意。\n")
		for _, c := range []struct {
			name string
			sum  string
			size int64
			body []byte
		}{
			{"other content", sumOf(other), int64(len(other)), hello},
			{"short body", sumOf(other), int64(len(other)), other[:5]},
			{"long body", sumOf(other[:5]), 5, other},
			{"wrong size", sumOf(other), int64(len(other)) + 1, other},
			{"large wrong content", sumOf([]byte("x")), 6 << 20, make([]byte, 6<<20)},
		} {
			err := s.Put(ctx, c.sum, c.size, "text/plain", body(c.body))
			if !errors.Is(err, ErrHashMismatch) {
				t.Errorf("%s: Put = %v, want ErrHashMismatch", c.name, err)
			}
			if _, err := s.Stat(ctx, c.sum); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: Stat after refused Put = %v, want ErrNotFound", c.name, err)
			}
		}
		requireContents(t)
	})

	t.Run("InvalidSum", func(t *testing.T) {
		for _, sum := range []string{
			"../../etc/passwd",
			strings.Repeat("../", 21) + "a", // 64 characters
			strings.ToUpper(helloSum),
			helloSum[:63],
			helloSum + "0",
			helloSum[:63] + "g",
			"",
		} {
			if err := s.Put(ctx, sum, 5, "text/plain", body([]byte("hello"))); !errors.Is(err, ErrInvalidSum) {
				t.Errorf("Put(%q) = %v, want ErrInvalidSum", sum, err)
			}
			if _, _, err := s.Open(ctx, sum); !errors.Is(err, ErrInvalidSum) {
				t.Errorf("Open(%q) = %v, want ErrInvalidSum", sum, err)
			}
			if _, err := s.Stat(ctx, sum); !errors.Is(err, ErrInvalidSum) {
				t.Errorf("Stat(%q) = %v, want ErrInvalidSum", sum, err)
			}
			if err := s.Delete(ctx, sum); !errors.Is(err, ErrInvalidSum) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidSum", sum, err)
			}
		}
		requireContents(t)
	})

	t.Run("Missing", func(t *testing.T) {
		missing := sumOf([]byte("never stored"))
		if _, _, err := s.Open(ctx, missing); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open = %v, want ErrNotFound", err)
		}
		if _, err := s.Stat(ctx, missing); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat = %v, want ErrNotFound", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		b := []byte("to be collected")
		sum := put(t, b, "text/plain")
		if err := s.Delete(ctx, sum); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		delete(want, sum)
		if _, err := s.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
		}
		if _, _, err := s.Open(ctx, sum); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open after Delete = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, sum); err != nil {
			t.Errorf("Delete of a missing file = %v, want nil", err)
		}
		requireContents(t)
		put(t, b, "text/plain") // and it can come back
		if got, _ := readAll(t, s, sum); !bytes.Equal(got, b) {
			t.Errorf("after re-Put, Open = %q", got)
		}
	})

	t.Run("Large", func(t *testing.T) {
		b := randomBytes(5<<20 + 12345)
		sum := put(t, b, "video/mp4")
		got, info := readAll(t, s, sum)
		if !bytes.Equal(got, b) {
			t.Errorf("content differs (%d bytes read, %d written)", len(got), len(b))
		}
		if info != (Info{Size: int64(len(b)), MediaType: "video/mp4"}) {
			t.Errorf("Info = %+v", info)
		}
		requireContents(t)
	})

	t.Run("ConcurrentPut", func(t *testing.T) {
		b := randomBytes(300 << 10)
		sum := sumOf(b)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = s.Put(ctx, sum, int64(len(b)), "application/pdf", body(b)) })
		}
		wg.Wait()
		want[sum] = true
		for i, err := range errs {
			if err != nil {
				t.Errorf("Put %d: %v", i, err)
			}
		}
		if got, info := readAll(t, s, sum); !bytes.Equal(got, b) || info.MediaType != "application/pdf" {
			t.Errorf("content differs or media type %q", info.MediaType)
		}
		requireContents(t)
	})

	t.Run("CanceledContext", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		b := []byte("never written")
		if err := s.Put(ctx, sumOf(b), int64(len(b)), "", body(b)); err == nil {
			t.Error("Put with a canceled context succeeded")
		}
		requireContents(t)
	})

	t.Run("Check", func(t *testing.T) {
		if err := s.Check(ctx); err != nil {
			t.Errorf("Check: %v", err)
		}
		requireContents(t)
	})
}

func TestValidSum(t *testing.T) {
	if !ValidSum(sumOf(nil)) {
		t.Error("ValidSum refuses the SHA-256 of nothing")
	}
	for _, s := range []string{"", "abc", strings.Repeat("A", 64), strings.Repeat("0", 63) + "/"} {
		if ValidSum(s) {
			t.Errorf("ValidSum(%q) = true", s)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{
		"SANSHEN_BLOB_BACKEND":  "s3",
		"SANSHEN_S3_ENDPOINT":   "minio.internal:9000",
		"SANSHEN_S3_BUCKET":     "attachments",
		"SANSHEN_S3_ACCESS_KEY": "ak",
		"SANSHEN_S3_SECRET_KEY": "sk",
		"SANSHEN_S3_SECURE":     "true",
		"SANSHEN_S3_REGION":     "cn-north-1",
		"SANSHEN_S3_PREFIX":     "files/",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, c := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr []string // substrings of the error
		notErr  []string // must not appear in the error
	}{
		{name: "defaults", env: nil, want: Config{Backend: "fs", Dir: "/var/lib/sanshen/blobs",
			S3: S3Options{Bucket: "sanshen", Prefix: "sha256/"}}},
		{name: "fs explicit ignores s3 settings' absence", env: map[string]string{"SANSHEN_BLOB_BACKEND": "fs"},
			want: Config{Backend: "fs", Dir: "/var/lib/sanshen/blobs", S3: S3Options{Bucket: "sanshen", Prefix: "sha256/"}}},
		{name: "s3 full", env: full, want: Config{Backend: "s3", Dir: "/var/lib/sanshen/blobs", S3: S3Options{
			Endpoint: "minio.internal:9000", Bucket: "attachments", AccessKey: "ak", SecretKey: "sk",
			Secure: true, Region: "cn-north-1", Prefix: "files/"}}},
		{name: "s3 defaults", env: with("SANSHEN_S3_BUCKET", "", "SANSHEN_S3_SECURE", "", "SANSHEN_S3_REGION", "", "SANSHEN_S3_PREFIX", ""),
			want: Config{Backend: "s3", Dir: "/var/lib/sanshen/blobs", S3: S3Options{
				Endpoint: "minio.internal:9000", Bucket: "sanshen", AccessKey: "ak", SecretKey: "sk", Prefix: "sha256/"}}},
		{name: "s3 without endpoint", env: with("SANSHEN_S3_ENDPOINT", ""),
			wantErr: []string{"SANSHEN_S3_ENDPOINT"}, notErr: []string{"ACCESS_KEY", "SECRET_KEY"}},
		{name: "s3 without keys", env: with("SANSHEN_S3_ACCESS_KEY", "", "SANSHEN_S3_SECRET_KEY", ""),
			wantErr: []string{"SANSHEN_S3_ACCESS_KEY", "SANSHEN_S3_SECRET_KEY"}, notErr: []string{"ENDPOINT"}},
		{name: "s3 endpoint with scheme", env: with("SANSHEN_S3_ENDPOINT", "https://minio.internal:9000"),
			wantErr: []string{"SANSHEN_S3_ENDPOINT", "SANSHEN_S3_SECURE"}},
		{name: "bad secure", env: with("SANSHEN_S3_SECURE", "yes please"), wantErr: []string{"SANSHEN_S3_SECURE"}},
		{name: "unknown backend", env: map[string]string{"SANSHEN_BLOB_BACKEND": "ftp"}, wantErr: []string{"SANSHEN_BLOB_BACKEND", "ftp"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return c.env[k] }, "/var/lib/sanshen")
			if c.wantErr == nil {
				if err != nil || got != c.want {
					t.Errorf("got %+v, %v; want %+v", got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %+v and no error", got)
			}
			for _, s := range c.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %s", err, s)
				}
			}
			for _, s := range c.notErr {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q names %s, which is set", err, s)
				}
			}
		})
	}
}

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := Open(t.Context(), Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if fs, ok := s.(*FS); !ok || fs.dir != dir {
		t.Errorf("Open(default) = %#v, want an *FS in %s", s, dir)
	}
	if _, err := Open(t.Context(), Config{Backend: "ftp"}); err == nil {
		t.Error("Open accepted backend ftp")
	}
	endpoint, _ := fakeS3(t)
	s, err = Open(t.Context(), Config{Backend: "s3", S3: S3Options{Endpoint: endpoint, Bucket: "drafts", AccessKey: "k", SecretKey: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*S3); !ok {
		t.Errorf("Open(s3) = %T", s)
	}
}
