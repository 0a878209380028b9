package main

import (
	"context"
	"flag"
	"strings"

	"github.com/sanshen-gov/sanshen/internal/bus"
)

// natsNode runs one node of a JetStream cluster until ctx ends: the fault
// suite (cmd/chaos) runs three as separate processes it can kill. Not in
// the usage: a deployment runs nats-server (deploy/nats.conf).
func natsNode(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("nats-node", flag.ContinueOnError)
	var o bus.NodeOptions
	var peers string
	fs.StringVar(&o.Name, "name", "", "the node's name, unique in the cluster")
	fs.StringVar(&o.Cluster, "cluster", "sanshen", "the cluster's name")
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:4222", "host:port for clients")
	fs.StringVar(&o.Routes, "routes", "127.0.0.1:6222", "host:port for the other nodes")
	fs.StringVar(&peers, "peers", "", "the other nodes' route addresses, comma-separated")
	fs.StringVar(&o.Store, "store", "", "the JetStream store's directory")
	fs.Int64Var(&o.MaxStore, "max-store", 0, "the JetStream file store's bound in bytes (0: the server's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if peers != "" {
		o.Peers = strings.Split(peers, ",")
	}
	n, err := bus.StartNode(o)
	if err != nil {
		return err
	}
	<-ctx.Done()
	n.Shutdown()
	return nil
}
