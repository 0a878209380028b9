package blob

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// fakeS3 serves an in-memory S3 and returns its endpoint and a counter of
// multipart upload requests it has seen.
func fakeS3(t *testing.T) (endpoint string, multipart *atomic.Int64) {
	t.Helper()
	fake := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	multipart = new(atomic.Int64)
	h := fake.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Has("uploads") || q.Has("uploadId") {
			multipart.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), multipart
}

func newS3(t *testing.T, endpoint string, o S3Options) *S3 {
	t.Helper()
	o.Endpoint, o.AccessKey, o.SecretKey = endpoint, "sanshen-test", "sanshen-test-secret"
	if o.Bucket == "" {
		o.Bucket = "sanshen"
	}
	s, err := NewS3(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3(t *testing.T) {
	endpoint, multipart := fakeS3(t)
	s := newS3(t, endpoint, S3Options{})
	s.partSize = 5 << 20 // the smallest S3 allows, so that 5 MiB+ files go multipart
	testStore(t, s)
	if multipart.Load() == 0 {
		t.Error("no multipart upload happened; the large-file case did not test that path")
	}
}

func TestS3CreatesBucket(t *testing.T) {
	endpoint, _ := fakeS3(t)
	c, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4("k", "s", "")})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.BucketExists(t.Context(), "drafts"); err != nil || ok {
		t.Fatalf("before NewS3: BucketExists = %v, %v", ok, err)
	}
	s := newS3(t, endpoint, S3Options{Bucket: "drafts", Region: "us-east-1"})
	if ok, err := c.BucketExists(t.Context(), "drafts"); err != nil || !ok {
		t.Fatalf("after NewS3: BucketExists = %v, %v", ok, err)
	}
	if err := s.Check(t.Context()); err != nil {
		t.Errorf("Check: %v", err)
	}
	newS3(t, endpoint, S3Options{Bucket: "drafts"}) // an existing bucket is fine
}

func TestS3Prefix(t *testing.T) {
	endpoint, _ := fakeS3(t)
	b := []byte("附件")
	sum := sumOf(b)
	for _, c := range []struct{ bucket, prefix, wantKey string }{
		{"default-prefix", "", "sha256/" + sum},
		{"own-prefix", "attachments/v1/", "attachments/v1/" + sum},
	} {
		s := newS3(t, endpoint, S3Options{Bucket: c.bucket, Prefix: c.prefix})
		if err := s.Put(t.Context(), sum, int64(len(b)), "text/plain", body(b)); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for oi := range s.c.ListObjects(t.Context(), s.bucket, minio.ListObjectsOptions{Recursive: true}) {
			if oi.Err != nil {
				t.Fatal(oi.Err)
			}
			keys = append(keys, oi.Key)
		}
		if !slices.Equal(keys, []string{c.wantKey}) {
			t.Errorf("prefix %q: bucket holds %q, want [%q]", c.prefix, keys, c.wantKey)
		}
		if got, _ := readAll(t, s, sum); !bytes.Equal(got, b) {
			t.Errorf("prefix %q: Open = %q", c.prefix, got)
		}
	}
}

func TestS3Unreachable(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	endpoint := strings.TrimPrefix(srv.URL, "http://")
	s := newS3(t, endpoint, S3Options{})
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := s.Check(ctx); err == nil {
		t.Error("Check passed with the server down")
	}
	if _, err := NewS3(ctx, S3Options{Endpoint: endpoint, Bucket: "sanshen", AccessKey: "k", SecretKey: "s"}); err == nil {
		t.Error("NewS3 succeeded with the server down")
	}
}
