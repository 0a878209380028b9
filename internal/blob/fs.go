package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FS is a Store in a local directory, laid out as
//
//	sha256/ab/cd/<sum>       the file (mode 0640), sharded by the sum's first two byte pairs
//	sha256/ab/cd/<sum>.type  its media type as plain text
//	tmp/                     files being written
//
// Directories are 0750. The media type lives in a sidecar file rather than an
// extended attribute so that it survives cp, tar, rsync and filesystems
// without user xattrs; a file whose sidecar is missing reads as
// application/octet-stream.
//
// Put writes to a temporary file in tmp/ (the same filesystem), hashing as
// it writes, fsyncs it, renames the sidecar and then the file into place and
// fsyncs the directory. A file therefore only ever appears under its final
// name complete and verified. Concurrent Puts of one sum each write their own
// temporary file; the atomic renames replace identical content.
type FS struct {
	dir string
}

// staleTemp is the age after which NewFS removes a temporary file, left
// behind by a crash, from tmp/.
const staleTemp = 24 * time.Hour

// NewFS returns a Store rooted at dir, creating the directory if needed.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: no directory for the fs backend")
	}
	s := &FS{dir: dir}
	for _, d := range []string{filepath.Join(dir, "sha256"), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("blob: %w", err)
		}
	}
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(filepath.Join(s.tmpDir(), e.Name()))
		}
	}
	return s, nil
}

func (s *FS) tmpDir() string { return filepath.Join(s.dir, "tmp") }

func (s *FS) path(sum string) string {
	return filepath.Join(s.dir, "sha256", sum[:2], sum[2:4], sum)
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, sum string, size int64, mediaType string, r io.Reader) (err error) {
	if err := checkPut(sum, size); err != nil {
		return err
	}
	final := s.path(sum)
	if _, err := os.Stat(final); !errors.Is(err, os.ErrNotExist) {
		return err // nil: already stored
	}
	if mediaType == "" {
		mediaType = defaultMediaType
	}
	var data, typ string // temporary files, removed unless renamed into place
	defer func() {
		for _, p := range []string{data, typ} {
			if p != "" {
				os.Remove(p)
			}
		}
	}()
	if data, err = s.writeTemp(func(w io.Writer) error {
		v := newVerifier(ctx, r, sum, size)
		if _, err := io.Copy(w, v); err != nil && !v.short {
			return fmt.Errorf("blob: writing %s: %w", sum, err)
		}
		return v.check()
	}); err != nil {
		return err
	}
	if typ, err = s.writeTemp(func(w io.Writer) error {
		_, err := io.WriteString(w, mediaType)
		return err
	}); err != nil {
		return err
	}
	shard := filepath.Dir(final)
	for _, d := range []string{filepath.Dir(shard), shard} {
		err := os.Mkdir(d, 0o750)
		if err == nil {
			err = syncDir(filepath.Dir(d)) // make the new directory entry durable
		}
		if err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	if err := os.Rename(typ, final+".type"); err != nil {
		return err
	}
	typ = ""
	if err := os.Rename(data, final); err != nil {
		return err
	}
	data = ""
	return syncDir(shard)
}

// writeTemp creates a file in tmp/, fills it, and makes it durable. It
// returns the file's path, or an error and no file.
func (s *FS) writeTemp(fill func(io.Writer) error) (_ string, err error) {
	f, err := os.CreateTemp(s.tmpDir(), "put-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return "", err
	}
	if err := f.Chmod(0o640); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open implements Store. The returned reader is an *os.File.
func (s *FS) Open(ctx context.Context, sum string) (io.ReadCloser, Info, error) {
	if !ValidSum(sum) {
		return nil, Info{}, ErrInvalidSum
	}
	f, err := os.Open(s.path(sum))
	if err != nil {
		return nil, Info{}, notFound(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return f, Info{Size: fi.Size(), MediaType: s.mediaType(sum)}, nil
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, sum string) (Info, error) {
	if !ValidSum(sum) {
		return Info{}, ErrInvalidSum
	}
	fi, err := os.Stat(s.path(sum))
	if err != nil {
		return Info{}, notFound(err)
	}
	return Info{Size: fi.Size(), MediaType: s.mediaType(sum)}, nil
}

func notFound(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return ErrNotFound
	}
	return err
}

func (s *FS) mediaType(sum string) string {
	b, err := os.ReadFile(s.path(sum) + ".type")
	if t := strings.TrimSpace(string(b)); err == nil && t != "" {
		return t
	}
	return defaultMediaType
}

// Delete implements Store. It removes the file before its sidecar, so the
// file is gone even if removing the sidecar fails.
func (s *FS) Delete(ctx context.Context, sum string) error {
	if !ValidSum(sum) {
		return ErrInvalidSum
	}
	for _, p := range []string{s.path(sum), s.path(sum) + ".type"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Check implements Store: it writes, fsyncs and removes a file in tmp/.
func (s *FS) Check(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.dir, "sha256")); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	p, err := s.writeTemp(func(w io.Writer) error {
		_, err := io.WriteString(w, "ok")
		return err
	})
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	return os.Remove(p)
}
