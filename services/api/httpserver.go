package api

import (
	"net/http"
	"time"
)

// Timeouts bound each part of a connection's life, so a client that sends
// slowly, reads slowly or keeps a connection idle cannot hold a goroutine
// and a file descriptor for ever.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers (slowloris)
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the headers to the end of the answer; the event stream sets its own
	Idle       time.Duration // a kept-alive connection between requests
}

// DefaultTimeouts: a draft's largest body (SANSHEN_MAX_BODY_BYTES) arrives
// in far less than 30 s on any line an office has; 2 minutes of writing
// covers the slowest page (an agency's whole trail verified). The live
// event stream (/web/events) clears the read and write deadlines and
// bounds each of its writes instead (web.streamWrite). There is no upload
// route; one would set its own deadlines the same way.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 2 * time.Minute, Idle: 2 * time.Minute}

// NewHTTPServer is the http.Server for h with timeouts t (zero fields: DefaultTimeouts').
func NewHTTPServer(h http.Handler, t Timeouts) *http.Server {
	d := DefaultTimeouts
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return &http.Server{Handler: h, MaxHeaderBytes: 64 << 10,
		ReadHeaderTimeout: pick(t.ReadHeader, d.ReadHeader), ReadTimeout: pick(t.Read, d.Read),
		WriteTimeout: pick(t.Write, d.Write), IdleTimeout: pick(t.Idle, d.Idle)}
}
