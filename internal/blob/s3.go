package blob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// defaultPrefix is the key prefix of the s3 backend when none is configured.
const defaultPrefix = "sha256/"

// maxCopy is the largest object one server-side CopyObject may copy; larger
// ones are copied part by part (ComposeObject).
const maxCopy = 5 << 30

// S3Options configures the s3 backend.
type S3Options struct {
	Endpoint  string // host:port, without scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Secure    bool   // use TLS
	Region    string // optional
	Prefix    string // key prefix; "sha256/" when empty
}

// S3 is a Store in a bucket of an S3-compatible object store (AWS S3, MinIO,
// Ceph RGW, ...), laid out as
//
//	<prefix><sum>          the file, its media type as Content-Type
//	<prefix>tmp/<random>   uploads in progress
//
// An upload cannot be taken back once S3 has accepted it, and the hash of a
// streamed body is known only at its end. So Put streams the body to a
// temporary key while hashing it, checks hash and size, and only then copies
// the object server-side to its final key; it removes the temporary object
// whether or not the check passed. A crash between upload and removal can
// leave an object under <prefix>tmp/ (an expiry lifecycle rule on that prefix
// cleans those up), never a wrong one under a final key.
type S3 struct {
	c              *minio.Client
	bucket, prefix string
	partSize       uint64 // multipart part size for uploads; 0 is minio's default (16 MiB)
}

// NewS3 connects to an S3-compatible store and creates the bucket (in
// o.Region) if it does not exist yet.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	if o.Endpoint == "" || o.Bucket == "" {
		return nil, errors.New("blob: the s3 backend needs an endpoint and a bucket")
	}
	if o.Prefix == "" {
		o.Prefix = defaultPrefix
	}
	c, err := minio.New(o.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: o.Secure,
		Region: o.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3 endpoint %q: %w", o.Endpoint, err)
	}
	ok, err := c.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: s3 bucket %q at %s: %w", o.Bucket, o.Endpoint, err)
	}
	if !ok {
		err := c.MakeBucket(ctx, o.Bucket, minio.MakeBucketOptions{Region: o.Region})
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return nil, fmt.Errorf("blob: creating s3 bucket %q at %s: %w", o.Bucket, o.Endpoint, err)
		}
	}
	return &S3{c: c, bucket: o.Bucket, prefix: o.Prefix}, nil
}

func (s *S3) key(sum string) string { return s.prefix + sum }

func (s *S3) tmpKey(kind string) string { return s.prefix + "tmp/" + kind + "-" + rand.Text() }

// s3Err maps a missing object to ErrNotFound.
func s3Err(op, sum string, err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return ErrNotFound
	}
	return fmt.Errorf("blob: s3 %s %s: %w", op, sum, err)
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, sum string, size int64, mediaType string, r io.Reader) error {
	if err := checkPut(sum, size); err != nil {
		return err
	}
	if _, err := s.Stat(ctx, sum); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if mediaType == "" {
		mediaType = defaultMediaType
	}
	tmp := s.tmpKey("put")
	defer s.removeTemp(ctx, tmp)
	v := newVerifier(ctx, r, sum, size)
	_, err := s.c.PutObject(ctx, s.bucket, tmp, v, size, s.putOptions(mediaType))
	if err != nil {
		if v.short {
			return v.check()
		}
		return s3Err("upload", sum, err)
	}
	if err := v.check(); err != nil {
		return err
	}
	dst := minio.CopyDestOptions{Bucket: s.bucket, Object: s.key(sum), ReplaceMetadata: true, ContentType: mediaType}
	src := minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}
	if size > maxCopy {
		_, err = s.c.ComposeObject(ctx, dst, src)
	} else {
		_, err = s.c.CopyObject(ctx, dst, src)
	}
	if err != nil {
		return fmt.Errorf("blob: s3 copy %s: %w", sum, err)
	}
	return nil
}

// putOptions sends Content-MD5 with every request (each part, for a
// multipart upload), so that the server rejects a body damaged on the way,
// and signs requests with UNSIGNED-PAYLOAD, as minio does anyway over TLS,
// instead of its default on plain HTTP, the aws-chunked streaming signature,
// which some S3-compatible servers (gofakes3 among them) store verbatim in
// multipart parts.
func (s *S3) putOptions(mediaType string) minio.PutObjectOptions {
	return minio.PutObjectOptions{ContentType: mediaType, PartSize: s.partSize, SendContentMd5: true, DisableContentSha256: true}
}

// removeTemp removes a temporary object, even when ctx is already done.
func (s *S3) removeTemp(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// Open implements Store. The returned reader is a *minio.Object.
func (s *S3) Open(ctx context.Context, sum string) (io.ReadCloser, Info, error) {
	if !ValidSum(sum) {
		return nil, Info{}, ErrInvalidSum
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.key(sum), minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s3Err("open", sum, err)
	}
	// GetObject is lazy; Stat makes the request and surfaces a missing key.
	oi, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, s3Err("open", sum, err)
	}
	return obj, Info{Size: oi.Size, MediaType: oi.ContentType}, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, sum string) (Info, error) {
	if !ValidSum(sum) {
		return Info{}, ErrInvalidSum
	}
	oi, err := s.c.StatObject(ctx, s.bucket, s.key(sum), minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s3Err("stat", sum, err)
	}
	return Info{Size: oi.Size, MediaType: oi.ContentType}, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, sum string) error {
	if !ValidSum(sum) {
		return ErrInvalidSum
	}
	err := s.c.RemoveObject(ctx, s.bucket, s.key(sum), minio.RemoveObjectOptions{})
	if err != nil {
		if err := s3Err("delete", sum, err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// Check implements Store: the bucket must exist and take a small object
// under <prefix>tmp/, which it then removes.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob: s3 bucket %q: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob: s3 bucket %q does not exist", s.bucket)
	}
	key := s.tmpKey("check")
	if _, err := s.c.PutObject(ctx, s.bucket, key, strings.NewReader("ok"), 2, s.putOptions("text/plain")); err != nil {
		return fmt.Errorf("blob: s3 write to bucket %q: %w", s.bucket, err)
	}
	if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("blob: s3 remove from bucket %q: %w", s.bucket, err)
	}
	return nil
}
