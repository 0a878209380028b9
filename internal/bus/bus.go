// Package bus is sanshen's NATS JetStream side: the one place that declares
// the stream, its subjects and the durable consumers, the embedded server of
// `sanshen all`, and the consume loop every worker shares.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options tune the stream and the consumers. Zero values take the defaults.
type Options struct {
	MaxDeliver int             // deliveries before a message is dead-lettered (default 5)
	AckWait    time.Duration   // how long a delivery may take before it is redelivered (default 30s)
	BackOff    []time.Duration // delays before the 2nd, 3rd, ... delivery after an error
	Replicas   int             // stream replicas on a JetStream cluster (default 1)
	// Linger is how long a busy batch consumer waits for more messages
	// before it starts a batch (0: it never waits); see batcher.
	Linger time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = 5
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.BackOff == nil {
		o.BackOff = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second}
	}
	if len(o.BackOff) >= o.MaxDeliver {
		o.BackOff = o.BackOff[:o.MaxDeliver-1]
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	return o
}

// ConsumerName is the durable consumer of a subject: one per stage, one for the publisher.
func ConsumerName(subject string) string {
	if subject == work.SubjectPublish {
		return "publisher"
	}
	st, _ := work.StateOf(subject)
	return "stage-" + string(st)
}

// Declare creates or updates the stream and every consumer. Every service
// calls it at start, so whichever starts first sets things up. On a
// JetStream cluster that is still electing its leaders (every service
// starting at once, or a node just restarted) each call is retried while
// the error is a passing one (transient), for up to a minute.
func Declare(ctx context.Context, js jetstream.JetStream, o Options) error {
	o = o.withDefaults()
	err := retryTransient(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        StreamName,
			Description: "sanshen: work between the review stages and the publisher; Postgres is the truth",
			Subjects:    []string{work.SubjectPrefix + ">"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Duplicates:  2 * time.Minute, // Nats-Msg-Id = outbox id: a relay retry inside this window is dropped
			MaxAge:      7 * 24 * time.Hour,
			Replicas:    o.Replicas,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("error declaring stream %s: %w", StreamName, err)
	}
	for _, subject := range work.Subjects() {
		err := retryTransient(ctx, func(ctx context.Context) error {
			_, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
				Durable:       ConsumerName(subject),
				FilterSubject: subject,
				AckPolicy:     jetstream.AckExplicitPolicy,
				// No BackOff here: JetStream would then redeliver a message still
				// being handled after the first backoff step. AckWait bounds a
				// silent handler (the loop sends InProgress while it works); retry
				// delays come from the loop's NakWithDelay.
				AckWait:       o.AckWait,
				MaxDeliver:    o.MaxDeliver,
				MaxAckPending: 1000,
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("error declaring consumer for %s: %w", subject, err)
		}
	}
	return nil
}

// transientFor bounds how long a JetStream call is retried while its
// error is a passing one.
const transientFor = time.Minute

// retryTransient calls fn, with a 5 s timeout per call, until it succeeds,
// fails for good, or transientFor has passed.
func retryTransient(ctx context.Context, fn func(context.Context) error) error {
	deadline := time.Now().Add(transientFor)
	wait := 250 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := fn(cctx)
		cancel()
		if err == nil || !Transient(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// Transient says whether a JetStream error passes by itself: a request
// that timed out or found no responder, or a 503 (the cluster has no
// leader for the stream or the consumer yet).
func Transient(err error) bool {
	var api *jetstream.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrNoStreamResponse):
		return true
	case errors.As(err, &api):
		return api.Code == 503
	}
	return false
}

// Connect connects to an external NATS server.
func Connect(url string, log *slog.Logger) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name("sanshen"), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrl()) }))
	if err != nil {
		return nil, fmt.Errorf("error connecting to NATS at %s: %w (is it running with JetStream? see README: Configuration)", url, err)
	}
	return nc, nil
}

// Embedded is an in-process nats-server with JetStream on disk. It listens
// on no port unless asked (listen = "host:port"), so it never collides with
// a NATS already on 4222; clients connect in-process.
type Embedded struct {
	Server *server.Server
}

// StartEmbedded starts the server with its store under dataDir/jetstream.
func StartEmbedded(dataDir, listen string) (*Embedded, error) {
	opts := &server.Options{
		ServerName: "sanshen-embedded",
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "jetstream"),
		NoSigs:     true,
		NoLog:      true,
		DontListen: listen == "",
	}
	if listen != "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("error reading SANSHEN_NATS_LISTEN %q: %w", listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("error reading SANSHEN_NATS_LISTEN port %q: %w", port, err)
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("error creating embedded NATS server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded NATS server did not become ready in 30s")
	}
	return &Embedded{Server: ns}, nil
}

// Connect opens an in-process client connection.
func (e *Embedded) Connect() (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.Name("sanshen"), nats.InProcessServer(e.Server), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("error connecting to embedded NATS: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}
