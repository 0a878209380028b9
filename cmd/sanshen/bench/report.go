package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// stageOrder is the order the machine steps are printed in.
var stageOrder = []string{"completeness", "compliance", "confidentiality", "publishing"}

// WriteTable prints a run for people: the figures, the ceilings, the
// ratios and the end checks.
func WriteTable(w io.Writer, r Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	p("command\t%s", r.Command)
	p("date, commit\t%s  %s", r.Date, orDash(r.Commit))
	p("machine\t%d CPUs (GOMAXPROCS %d), PostgreSQL %s, sanshen pool %d connections, batch linger %s, group linger %s", r.CPUs, r.GOMAXPROCS, r.PostgresVersion, r.PoolMaxConns, r.BatchLinger, r.GroupLinger)
	rate := "as fast as possible"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%.0f/s", r.Rate)
	}
	p("run\t%d drafts, %d clients, return share %.2f, submissions %s, seed %d, database %s",
		r.Drafts, r.Clients, r.ReturnShare, rate, r.Seed, r.Database)
	p("start\t%.2f s (system.Start on a fresh database, migrations included)", r.StartSeconds)
	p("")
	p("THROUGHPUT\t")
	p("wall time\t%.2f s (first submit → last published)", r.WallSeconds)
	p("drafts/s end to end\t%.1f", r.DraftsPerSecond)
	p("transitions/s\t%.1f (%d state changes)", r.TransitionsPerSecond, r.Transitions)
	p("audited writes\t%d (every draft audit event, one transaction each)", r.AuditedWrites)
	p("messages/s\t%.1f (%d outbox rows relayed)", r.MessagesPerSecond, r.MessagesRelayed)
	p("Postgres commits/s\t%.1f (%d commits in the bench database, reads included)", r.CommitsPerSecond, r.PostgresCommits)
	p("")
	p("LATENCY (ms)\tcount\tp50\tp95\tp99\tmax")
	for _, s := range stageOrder {
		if pc, ok := r.StageLatency[s]; ok {
			row(tw, "machine step "+s, pc)
		}
	}
	row(tw, "end to end (submit → published)", r.EndToEnd)
	row(tw, "submit API (client)", r.SubmitLatency)
	row(tw, "decision API (client)", r.DecisionLatency)
	p("")
	p("RESOURCES\t")
	p("CPU seconds, this process\t%.1f (sanshen and the bench's clients, pipeline phase; %.2f cores)", r.CPUSeconds, perWall(r.CPUSeconds, r.CPUWindowSeconds))
	p("CPU seconds, Postgres backends\t%.1f (%.2f cores)", r.PostgresCPUSeconds, perWall(r.PostgresCPUSeconds, r.CPUWindowSeconds))
	p("machine CPU busy\t%.0f%% of %d cores (every process on the machine)", 100*r.MachineCPUBusy, r.CPUs)
	p("CPU seconds, everything else\t%.1f (%.2f cores: Postgres background work and other processes)", r.OtherCPUSeconds, perWall(r.OtherCPUSeconds, r.CPUWindowSeconds))
	p("peak RSS\t%.0f MB", r.PeakRSSMB)
	p("")
	p("PEOPLE AND MESSAGES\t")
	p("decisions\t%d (%d returns, %d overrides of blocking findings, %d conflicts)", r.Decisions, r.HumanReturns, r.Overrides, r.Conflicts)
	p("revisions\t%d (%d after stage 1 blocked%s)", r.Revisions, r.MachineReturns, blockedBy(r.MachineBlockedBy))
	p("queue polls\t%d", r.QueuePolls)
	p("messages\t%d redelivered, %d no-op, %d retried, %d swept", r.Redeliveries, r.NoopMessages, r.RetryMessages, r.Swept)
	p("body size\t%d bytes on average", r.BodyBytesMean)
	p("")
	if len(r.Tables) > 0 {
		p("TABLES\tseq scans\trows read by seq scans\tindex scans\tinserted\tupdated (HOT)\tdead\tMB")
		for _, t := range r.Tables {
			p("%s\t%d\t%d\t%d\t%d\t%d (%d)\t%d\t%.1f", t.Table, t.SeqScans, t.SeqRead, t.IdxScans, t.Inserted, t.Updated, t.HOTUpdated, t.Dead, t.SizeMB)
		}
		p("")
	}
	p("CEILINGS\t")
	switch {
	case r.Pgbench.Skipped != "":
		p("pgbench -N\tskipped: %s", r.Pgbench.Skipped)
	case r.Pgbench.TPS > 0:
		p("pgbench -N\t%.0f TPS (%s, scale %d, latency %.1f ms)", r.Pgbench.TPS, r.Pgbench.Command, r.Pgbench.Scale, r.Pgbench.LatencyAverageMS)
	default:
		p("pgbench -N\tnot measured (-ceilings=false)")
	}
	switch {
	case r.JetStream.Skipped != "":
		p("JetStream\tskipped: %s", r.JetStream.Skipped)
	case r.JetStream.PublishPerSecond > 0:
		p("JetStream\t%.0f sync publishes/s, %.0f async (batches of %d), %.0f consumed+acked/s (%d messages each)",
			r.JetStream.PublishPerSecond, r.JetStream.AsyncPublishPerSecond, relayBatch, r.JetStream.ConsumePerSecond, r.JetStream.Messages)
	default:
		p("JetStream\tnot measured (-ceilings=false)")
	}
	if r.Ratios.TransitionsPerPgbenchTPS > 0 {
		p("transitions/s ÷ pgbench TPS\t%.2f", r.Ratios.TransitionsPerPgbenchTPS)
	}
	if r.Ratios.MessagesPerJetStream > 0 {
		p("messages/s ÷ JetStream publishes/s\t%.3f", r.Ratios.MessagesPerJetStream)
	}
	p("")
	c := r.Checks
	p("CHECKS\t")
	p("published exactly once\t%s (%d drafts published, %d published events, %d website deliveries, %d duplicates, %d open)",
		okText(c.Published == r.Drafts && c.PublishedEvents == r.Drafts && c.WebsiteDelivered == r.Drafts && c.DuplicatePublications == 0 && c.OpenPublications == 0),
		c.Published, c.PublishedEvents, c.WebsiteDelivered, c.DuplicatePublications, c.OpenPublications)
	if c.PortalBound > 0 {
		p("portal exactly once\t%s (%d drafts bound for it, %d delivered, %d items on the portal, %d writes)",
			okText(c.PortalDelivered == c.PortalBound && c.PortalItems == c.PortalDelivered && c.PortalWrites == c.PortalItems),
			c.PortalBound, c.PortalDelivered, c.PortalItems, c.PortalWrites)
	}
	if c.WeChatBound > 0 {
		p("wechat exactly once\t%s (%d drafts bound for it, %d delivered, %d articles published, %d submits)",
			okText(c.WeChatDelivered == c.WeChatBound && c.WeChatArticles == c.WeChatDelivered && c.WeChatSubmits == c.WeChatArticles),
			c.WeChatBound, c.WeChatDelivered, c.WeChatArticles, c.WeChatSubmits)
	}
	p("audit verify\t%s (%d events, %d chains)", okText(c.AuditOK), c.AuditEvents, c.AuditChains)
	p("dead letters\t%d", c.DeadLetters)
	if len(c.Problems) > 0 {
		p("problems\t%s", strings.Join(c.Problems, "; "))
	}
	return tw.Flush()
}

func row(w io.Writer, name string, pc Percentiles) {
	fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\n", name, pc.Count, pc.P50, pc.P95, pc.P99, pc.Max)
}

func perWall(cpu, wall float64) float64 {
	if wall <= 0 {
		return 0
	}
	return cpu / wall
}

func okText(ok bool) string {
	if ok {
		return "OK"
	}
	return "FAILED"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func blockedBy(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return ": " + strings.Join(parts, ", ")
}

// WriteJSON prints a run as one indented JSON object, for scripts and for
// keeping results next to the doc.
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("error writing the results as JSON: %w", err)
	}
	return nil
}
