package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// verifier passes exactly size bytes of r through, hashing them. It fails
// early when ctx is done or r ends short. After the caller has written what
// it read, check tells whether that was the declared content.
type verifier struct {
	ctx   context.Context
	lr    io.LimitedReader
	h     hash.Hash
	sum   string
	size  int64
	short bool // r ended before size bytes
}

func newVerifier(ctx context.Context, r io.Reader, sum string, size int64) *verifier {
	return &verifier{ctx: ctx, lr: io.LimitedReader{R: r, N: size}, h: sha256.New(), sum: sum, size: size}
}

func (v *verifier) Read(p []byte) (int, error) {
	if err := v.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := v.lr.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && v.lr.N > 0 {
		// Not io.EOF: the writer must not take what it has for the whole.
		v.short = true
		err = v.check()
	}
	return n, err
}

// check returns ErrHashMismatch unless exactly size bytes with the declared
// SHA-256 were read and the body has nothing more.
func (v *verifier) check() error {
	if v.lr.N != 0 {
		return fmt.Errorf("%w: body has %d bytes, declared %d", ErrHashMismatch, v.size-v.lr.N, v.size)
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.sum {
		return fmt.Errorf("%w: body hashes to %s, declared %s", ErrHashMismatch, got, v.sum)
	}
	if n, _ := io.ReadFull(v.lr.R, make([]byte, 1)); n > 0 {
		return fmt.Errorf("%w: body is longer than the declared %d bytes", ErrHashMismatch, v.size)
	}
	return nil
}
