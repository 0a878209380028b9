package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/config"
)

// demoPortalSecret is the fake portal's secret when SANSHEN_PORTAL_SECRET
// is not set: for demos on one machine only.
const demoPortalSecret = "sanshen-fake-portal-demo-secret"

// fakeChannels runs local implementations of the channels' contracts, for
// demos and tests: the district portal (docs/portal.md). It prints the
// settings that point sanshen at them, then serves until interrupted.
func fakeChannels(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fake-channels", flag.ContinueOnError)
	addr := fs.String("portal", "127.0.0.1:8091", "where the fake portal listens (host:port; port 0 picks one)")
	fetch := fs.Bool("fetch-attachments", true, "make the portal fetch every attachment and check its SHA-256, as a careful portal would")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := cfg.PortalSecret
	if secret == "" {
		secret = demoPortalSecret
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("error listening on %s for the fake portal: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "fake portal (区政府门户网站) at %s — its items: %s/\n", base, base)
	fmt.Fprintf(out, "point sanshen at it:\n  SANSHEN_PORTAL_URL=%s SANSHEN_PORTAL_KEY_ID=%s SANSHEN_PORTAL_SECRET=%s\n", base, cfg.PortalKeyID, secret)
	fake := fakeportal.New(fakeportal.Options{KeyID: cfg.PortalKeyID, Secret: []byte(secret), FetchAttachments: *fetch, Log: log})
	return fake.Serve(ctx, ln)
}
