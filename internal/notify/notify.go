// Package notify sends sanshen's notifications outside the system (issue 18
// point 8): mail over SMTP (Mailer), the WeCom group robot (WeCom) and the
// DingTalk custom robot (DingTalk); the robots' contracts are in
// /work/shared/brief/CHANNELS.md §4.
//
// Every sender does one delivery attempt per Send and reports a failure as
// an *Error that says whether to try again. Delivery is made exactly once
// differently per channel: a mail carries a Message-ID derived from
// Message.ID, so a resend is the same mail to the receiver; the robots take
// no idempotency key, so after an Ambiguous robot error the caller records
// the outcome as unknown instead of sending again.
package notify

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The channel names that an *Error carries, for logs and metrics labels.
const (
	ChannelMail     = "mail"
	ChannelWeCom    = "wecom"
	ChannelDingTalk = "dingtalk"
)

// Robot errcodes the senders act on, named once so the senders and
// fakerobot cannot disagree. [C] = community sources only.
const (
	CodeBusy              = -1     // both robots: system busy, retry
	CodeWeComThrottled    = 45009  // WeCom: api freq out of limit (about 20 a minute) [C]
	CodeWeComBadKey       = 93000  // WeCom: invalid webhook URL, i.e. a wrong or deleted key [C]
	CodeWeComBadContent   = 40058  // WeCom: content missing or over its length limit [C]
	CodeDingTalkThrottled = 130101 // DingTalk: sent too fast, over 20 a minute [C]
	CodeDingTalkLimited   = 410100 // DingTalk: the same, as newer documents number it [C]
	CodeDingTalkSecurity  = 310000 // DingTalk: signature, keyword or IP allow-list refused [C]
	CodeDingTalkBadToken  = 300001 // DingTalk: unknown access_token [C]
)

// MaxMarkdownBytes bounds a robot message's markdown. It is WeCom's limit
// (4,096 bytes [C]); CHANNELS.md gives none for DingTalk, so DingTalk gets
// the same one, which is ample for a notification.
const MaxMarkdownBytes = 4096

// Message is one notification, built once by the caller and handed to any
// number of senders.
type Message struct {
	// ID is the stable id of the event being announced, e.g.
	// "sanshen:notif:123". A mail's Message-ID derives from it, so two
	// sends of the same ID are one mail to a receiver that deduplicates.
	ID string
	// Subject is the mail subject and the robots' heading.
	Subject string
	// Text is the body: Chinese first; a second, English line is allowed.
	Text string
	// Link is an optional absolute URL to the page concerned.
	Link string
	// At is when the event happened; it dates the message (mail Date
	// header, robot footer) so that a repeated post reads as a repeat.
	// Zero means the time of sending.
	At time.Time
}

// when is m.At, or now when m.At is zero.
func (m Message) when() time.Time {
	if m.At.IsZero() {
		return time.Now()
	}
	return m.At
}

// Error is every failure of a Send, so that one errors.As tells the caller
// whether to try again (Retryable), to give up and tell a person
// (Permanent, MessageZH), or to record the outcome as unknown (Ambiguous).
// Permanent and Ambiguous are never both set.
type Error struct {
	Channel string // ChannelMail, ChannelWeCom or ChannelDingTalk
	// Permanent: retrying cannot help; the configuration, the address or
	// the message must change first.
	Permanent bool
	// Ambiguous: the failure came after the message was handed over, so it
	// may have been delivered. A mail may be resent (its Message-ID makes
	// it the same mail); a robot message should not be.
	Ambiguous  bool
	Code       int    // the SMTP reply code or the robot's errcode; 0 when none came
	HTTPStatus int    // a robot's HTTP status when it was not 200
	Message    string // English, for logs; never holds a credential
	MessageZH  string // Chinese, for the operator's screen
	Err        error  // the transport or context error, if any (robot URLs redacted)
}

// Error gives the English account for logs, then the Chinese one.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "notify %s: %s", e.Channel, e.Message)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	switch {
	case e.Ambiguous:
		b.WriteString(" (ambiguous: may have been delivered)")
	case e.Permanent:
		b.WriteString(" (permanent)")
	default:
		b.WriteString(" (retryable)")
	}
	if e.MessageZH != "" {
		fmt.Fprintf(&b, " / %s", e.MessageZH)
	}
	return b.String()
}

// Unwrap exposes the transport or context error to errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the message was refused or never handed over,
// so that a later attempt may succeed without duplicating it.
func (e *Error) Retryable() bool { return !e.Permanent && !e.Ambiguous }

// secretParams are the query parameters that carry a robot's credential
// (key, access_token) or a value derived from it (sign).
var secretParams = []string{"key", "access_token", "sign"}

// RedactURL returns raw with the robots' credentials replaced by
// "REDACTED", for logging a configured endpoint. An unparseable URL is
// replaced whole, since it cannot be checked.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User = nil
	q := u.Query()
	changed := false
	for _, p := range secretParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
