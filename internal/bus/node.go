package bus

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NodeOptions describe one node of a JetStream cluster run by
// `sanshen nats-node` (the fault suite runs three; a deployment may run
// nats-server itself with the same settings, deploy/nats.conf).
type NodeOptions struct {
	Name    string   // the node's server name, unique in the cluster
	Cluster string   // the cluster's name
	Listen  string   // host:port for clients
	Routes  string   // host:port for the other nodes' routes
	Peers   []string // host:port of the other nodes' route listeners (or proxies in front of them)
	Store   string   // the JetStream store's directory
	// MaxStore bounds the JetStream file store in bytes (max_file_store; 0: the server's default).
	MaxStore int64
}

// StartNode starts a clustered nats-server with JetStream and waits until
// it takes clients. Routes are not advertised: a node reaches the others
// only at the addresses it is given, so a proxy between two nodes sees all
// their traffic.
func StartNode(o NodeOptions) (*Embedded, error) {
	host, port, err := splitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("error reading the client address %q: %w", o.Listen, err)
	}
	chost, cport, err := splitHostPort(o.Routes)
	if err != nil {
		return nil, fmt.Errorf("error reading the route address %q: %w", o.Routes, err)
	}
	opts := &server.Options{
		ServerName: o.Name, Host: host, Port: port,
		JetStream: true, StoreDir: o.Store, JetStreamMaxStore: o.MaxStore,
		NoSigs: true, NoLog: true,
		Cluster: server.ClusterOpts{Name: o.Cluster, Host: chost, Port: cport, NoAdvertise: true},
	}
	for _, p := range o.Peers {
		u, err := url.Parse("nats-route://" + p)
		if err != nil {
			return nil, fmt.Errorf("error reading the peer address %q: %w", p, err)
		}
		opts.Routes = append(opts.Routes, u)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("error creating NATS node %s: %w", o.Name, err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("NATS node " + o.Name + " did not become ready in 30s")
	}
	return &Embedded{Server: ns}, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	return host, p, err
}
