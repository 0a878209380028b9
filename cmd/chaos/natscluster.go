package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsCluster is three `sanshen nats-node` processes. Every route from
// one node to another goes through a TCP proxy of its own (links[i][j]:
// node i's route to node j), so a node is cut off by cutting its links.
type natsCluster struct {
	nodes []*proc
	names []string
	urls  []string
	links [][]*link
	nc    *nats.Conn
	js    jetstream.JetStream
}

func newNATSCluster(bin, root string, log io.Writer, maxStore int64) (*natsCluster, error) {
	const n = 3
	c := &natsCluster{links: make([][]*link, n)}
	client, route := make([]int, n), make([]int, n)
	for i := range n {
		client[i], route[i] = freePort(), freePort()
		c.urls = append(c.urls, "nats://"+addr(client[i]))
		c.names = append(c.names, fmt.Sprintf("n%d", i+1))
	}
	for i := range n {
		c.links[i] = make([]*link, n)
		for j := range n {
			if i == j {
				continue
			}
			l, err := newLink(addr(route[j]))
			if err != nil {
				return nil, err
			}
			c.links[i][j] = l
		}
	}
	for i := range n {
		var peers []string
		for j := range n {
			if i != j {
				peers = append(peers, c.links[i][j].addr())
			}
		}
		args := []string{"nats-node", "-name", c.names[i], "-listen", addr(client[i]), "-routes", addr(route[i]),
			"-peers", strings.Join(peers, ","), "-store", filepath.Join(root, c.names[i])}
		if maxStore > 0 {
			args = append(args, "-max-store", fmt.Sprint(maxStore))
		}
		c.nodes = append(c.nodes, &proc{name: "nats-" + c.names[i], kind: "nats", bin: bin, args: args, log: log, supervised: true})
	}
	for _, p := range c.nodes {
		if err := p.start(); err != nil {
			return nil, err
		}
	}
	var err error
	c.nc, err = nats.Connect(c.url(), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true), nats.ReconnectWait(200*time.Millisecond))
	if err != nil {
		return nil, err
	}
	c.js, err = jetstream.New(c.nc)
	return c, err
}

// waitJetStream waits until the cluster has elected its meta leader and
// answers JetStream requests.
func (c *natsCluster) waitJetStream(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	var err error
	for time.Now().Before(deadline) {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = c.js.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the JetStream cluster did not become ready: %w", err)
}

// url is the servers' list, as NATS_URL.
func (c *natsCluster) url() string { return strings.Join(c.urls, ",") }

// leader is the index of the node that leads the work stream (-1: none now).
func (c *natsCluster) leader(ctx context.Context, stream string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return -1, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1, err
	}
	if info.Cluster == nil {
		return -1, fmt.Errorf("the stream %s has no cluster information", stream)
	}
	for i, n := range c.names {
		if n == info.Cluster.Leader {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no leader of %s now", stream)
}

// healthy says whether the stream has a leader and every replica current.
func (c *natsCluster) healthy(ctx context.Context, stream string, replicas int) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return fmt.Errorf("no leader")
	}
	current := 1
	for _, r := range info.Cluster.Replicas {
		if r.Current && !r.Offline {
			current++
		}
	}
	if current < replicas {
		return fmt.Errorf("%d of %d replicas current", current, replicas)
	}
	return nil
}

// partition cuts node i off from the others, both ways.
func (c *natsCluster) partition(i int, cut bool) {
	for j := range c.nodes {
		if i == j {
			continue
		}
		c.links[i][j].set(cut)
		c.links[j][i].set(cut)
	}
}

func (c *natsCluster) close() {
	if c.nc != nil {
		c.nc.Close()
	}
	for _, p := range c.nodes {
		p.stop()
	}
	for _, row := range c.links {
		for _, l := range row {
			if l != nil {
				l.close()
			}
		}
	}
}

// link is a TCP proxy that can be cut (its connections closed, new ones
// refused) and healed.
type link struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newLink(target string) (*link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &link{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go l.serve()
	return l, nil
}

func (l *link) addr() string { return l.ln.Addr().String() }

func (l *link) serve() {
	for {
		in, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		cut := l.cut
		l.mu.Unlock()
		if cut {
			in.Close()
			continue
		}
		out, err := net.DialTimeout("tcp", l.target, 2*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		l.mu.Lock()
		l.conns[in], l.conns[out] = true, true
		l.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
			l.mu.Lock()
			delete(l.conns, dst)
			delete(l.conns, src)
			l.mu.Unlock()
		}
		go pipe(in, out)
		go pipe(out, in)
	}
}

func (l *link) set(cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = cut
	if cut {
		for c := range l.conns {
			c.Close()
		}
	}
}

func (l *link) close() {
	l.ln.Close()
	l.set(true)
}

// insufficientResources is JetStream's error code for a full store.
const insufficientResources = 10023

// fillerStream is the other user of the JetStream store that fills it.
const fillerStream = "CHAOS_FILLER"

// fill publishes to a stream of its own, at R3, until the nodes' stores
// are full (the server answers that it lacks the resources).
func (c *natsCluster) fill(ctx context.Context) error {
	// A node back from an earlier fault (a partition healed, a kill) may not
	// count as a peer yet: placement of an R3 stream waits for it a while.
	deadline := time.Now().Add(time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.js.CreateOrUpdateStream(cctx, jetstream.StreamConfig{Name: fillerStream, Subjects: []string{"chaos.filler"},
			Storage: jetstream.FileStorage, Replicas: 3})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("creating the filler stream: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	chunk := make([]byte, 32<<10)
	for i := 0; i < 100000; i++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.js.Publish(pctx, "chaos.filler", chunk)
		cancel()
		if err != nil {
			var api *jetstream.APIError
			if errors.As(err, &api) && api.ErrorCode == insufficientResources {
				return nil // full
			}
			return fmt.Errorf("filling the store: %w", err)
		}
	}
	return errors.New("the store never filled: is max_file_store set?")
}

// free deletes the filler stream.
func (c *natsCluster) free(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.js.DeleteStream(dctx, fillerStream)
		cancel()
		if err == nil || errors.Is(err, jetstream.ErrStreamNotFound) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
}
