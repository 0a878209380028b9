// Package channels holds what the clients of the publication channels
// (portal, wechat, douyin) share: a wait that a context cuts short, and
// that tests replace so that they assert the waits asked for instead of
// taking them.
package channels

import (
	"context"
	"log/slog"
	"time"
)

// Sleep waits d, or until ctx ends (its error); with custom set, it asks
// custom instead.
func Sleep(ctx context.Context, d time.Duration, custom func(context.Context, time.Duration) error) error {
	if custom != nil {
		return custom(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Logger is l, or a logger that discards everything when l is nil.
func Logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
