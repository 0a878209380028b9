// Package blob stores the files attached to drafts (images, video, PDFs),
// addressed by the SHA-256 of their content.
//
// Content addressing is used for two reasons. A file shared by two drafts,
// or carried unchanged from one revision to the next, is stored once. And a
// review decision that names a file by its hash binds to exactly those
// bytes: nobody can swap the file under a decision without changing the
// hash, because every Put verifies the hash of what it writes and refuses a
// body that does not match.
//
// Two backends implement [Store]: [FS], a directory on local disk, and [S3],
// any S3-compatible object store. [Open] picks one from a [Config], which
// [ConfigFromEnv] reads from SANSHEN_* environment variables.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Store keeps files by their SHA-256. Implementations are safe for
// concurrent use.
type Store interface {
	// Put stores the bytes read from r under sum (the lowercase hex SHA-256
	// of those bytes) with the given size and media type. It verifies hash
	// and size while writing and refuses a body that does not match with
	// ErrHashMismatch, leaving nothing behind. Putting a sum that is already
	// stored is a successful no-op that does not read r; the media type of
	// the first Put is kept.
	Put(ctx context.Context, sum string, size int64, mediaType string, r io.Reader) error
	// Open returns the file's content, or ErrNotFound. The caller closes it.
	Open(ctx context.Context, sum string) (io.ReadCloser, Info, error)
	// Stat reports whether (and how big) a file is stored; ErrNotFound if not.
	Stat(ctx context.Context, sum string) (Info, error)
	// Delete removes a file. It is meant only for a garbage collector of
	// unreferenced files, which must not race a Put of the same sum.
	// Deleting a missing file is not an error.
	Delete(ctx context.Context, sum string) error
	// Check verifies that the store is reachable and writable, for
	// readiness probes and startup.
	Check(ctx context.Context) error
}

// Info describes a stored file.
type Info struct {
	Size      int64
	MediaType string
}

var (
	// ErrNotFound is returned for a sum that is not stored.
	ErrNotFound = errors.New("blob: not found")
	// ErrInvalidSum is returned for a sum that is not 64 lowercase hex digits.
	ErrInvalidSum = errors.New("blob: invalid sum (want 64 lowercase hex digits of SHA-256)")
	// ErrHashMismatch is returned by Put for a body whose SHA-256 or size
	// differs from the one declared.
	ErrHashMismatch = errors.New("blob: content does not match its declared SHA-256 and size")
)

// defaultMediaType is recorded when Put is given no media type.
const defaultMediaType = "application/octet-stream"

// ValidSum reports whether s is 64 lowercase hex digits. Every Store method
// checks it, which also keeps a sum from ever naming a path or key outside
// the store.
func ValidSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkPut(sum string, size int64) error {
	if !ValidSum(sum) {
		return ErrInvalidSum
	}
	if size < 0 {
		return fmt.Errorf("blob: negative size %d", size)
	}
	return nil
}

// Config selects and configures a backend.
type Config struct {
	Backend string // "fs" (the default when empty) or "s3"
	Dir     string // root directory of the fs backend
	S3      S3Options
}

// Open returns the Store that cfg describes.
func Open(ctx context.Context, cfg Config) (Store, error) {
	switch cfg.Backend {
	case "", "fs":
		return NewFS(cfg.Dir)
	case "s3":
		return NewS3(ctx, cfg.S3)
	}
	return nil, fmt.Errorf("blob: unknown backend %q (want fs or s3)", cfg.Backend)
}

// ConfigFromEnv reads the blob configuration from environment variables
// through getenv (os.Getenv in production):
//
//	SANSHEN_BLOB_BACKEND   fs (default) or s3
//	SANSHEN_S3_ENDPOINT    host:port, without scheme (required for s3)
//	SANSHEN_S3_BUCKET      default "sanshen"
//	SANSHEN_S3_ACCESS_KEY  required for s3
//	SANSHEN_S3_SECRET_KEY  required for s3
//	SANSHEN_S3_SECURE      true for TLS; default false
//	SANSHEN_S3_REGION      optional
//	SANSHEN_S3_PREFIX      key prefix; default "sha256/"
//
// The fs backend keeps its files in dataDir/blobs.
func ConfigFromEnv(getenv func(string) string, dataDir string) (Config, error) {
	cfg := Config{
		Backend: strings.TrimSpace(getenv("SANSHEN_BLOB_BACKEND")),
		Dir:     filepath.Join(dataDir, "blobs"),
		S3: S3Options{
			Endpoint:  getenv("SANSHEN_S3_ENDPOINT"),
			Bucket:    getenv("SANSHEN_S3_BUCKET"),
			AccessKey: getenv("SANSHEN_S3_ACCESS_KEY"),
			SecretKey: getenv("SANSHEN_S3_SECRET_KEY"),
			Region:    getenv("SANSHEN_S3_REGION"),
			Prefix:    getenv("SANSHEN_S3_PREFIX"),
		},
	}
	if cfg.Backend == "" {
		cfg.Backend = "fs"
	}
	if cfg.S3.Bucket == "" {
		cfg.S3.Bucket = "sanshen"
	}
	if cfg.S3.Prefix == "" {
		cfg.S3.Prefix = defaultPrefix
	}
	if v := getenv("SANSHEN_S3_SECURE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("blob: SANSHEN_S3_SECURE=%q is not true or false", v)
		}
		cfg.S3.Secure = b
	}
	switch cfg.Backend {
	case "fs":
		return cfg, nil
	case "s3":
	default:
		return Config{}, fmt.Errorf("blob: SANSHEN_BLOB_BACKEND=%q is not fs or s3", cfg.Backend)
	}
	var missing []string
	for _, v := range []struct{ name, val string }{
		{"SANSHEN_S3_ENDPOINT", cfg.S3.Endpoint},
		{"SANSHEN_S3_ACCESS_KEY", cfg.S3.AccessKey},
		{"SANSHEN_S3_SECRET_KEY", cfg.S3.SecretKey},
	} {
		if v.val == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("blob: SANSHEN_BLOB_BACKEND=s3 needs %s to be set", strings.Join(missing, ", "))
	}
	if strings.Contains(cfg.S3.Endpoint, "://") {
		return Config{}, fmt.Errorf("blob: SANSHEN_S3_ENDPOINT=%q must be host:port without a scheme (set SANSHEN_S3_SECURE=true for TLS)", cfg.S3.Endpoint)
	}
	return cfg, nil
}
