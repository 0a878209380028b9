package domain

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Content is what one revision of a draft says: the fields an officer
// submits. The machine checks read it; its SHA-256 binds decisions to it.
type Content struct {
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Department string    `json:"department"` // the department's name
	Category   string    `json:"category"`
	Channels   []Channel `json:"channels"`
	FormedOn   time.Time `json:"formed_on"` // a civil date, at midnight UTC
	// Digest is the optional summary (摘要) channels show under the title.
	Digest string `json:"digest,omitempty"`
	// Attachments are the revision's files, in the order the officer gave.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Options are the author's choices for how the platforms publish it,
	// sorted: part of what the reviewers approve, since a WeChat mass send
	// reaches every follower and cannot be taken back.
	Options []ChannelOption `json:"options,omitempty"`
	// Correction is a correction's note (更正说明): what it corrects. The
	// public page shows it, dated, above the corrected text. Empty for a
	// draft never published.
	Correction string `json:"correction,omitempty"`
	// PublishAt is the time to publish at (定时发布); zero: at once, after
	// the last approval.
	PublishAt time.Time `json:"publish_at,omitzero"`
	// ExpiresOn is the last day the item stays public (有效期至, a civil
	// date at midnight UTC), the author's for a time-limited notice; zero:
	// no limit of the author's. A penalty decision's comes from the
	// publication-period rule at stage 2 instead.
	ExpiresOn time.Time `json:"expires_on,omitzero"`
	// Topics are the item's 专题 (activity tags, such as 老旧小区改造),
	// sorted and without repeats (CleanTopics): the public column gathers
	// the items of one topic from every department on a topic page. They
	// are shown to the public, so they are part of what is reviewed.
	Topics []string `json:"topics,omitempty"`
}

// ChannelOption is an author's choice for how a platform publishes an item.
type ChannelOption string

// The channel options.
const (
	// OptionWeChatMassSend sends the article to every follower (群发)
	// instead of publishing it (发布): it counts against the account's
	// mass-send quota and a person must take it back.
	OptionWeChatMassSend ChannelOption = "wechat_mass_send"
	// OptionWeChatReadMore lets a body over WeChat's length limit go out
	// cut short, its 阅读原文 link leading to the full text on the website.
	OptionWeChatReadMore ChannelOption = "wechat_read_more"
	// OptionWeChatCorrectionNotice is the policy of a correction on
	// WeChat, which cannot edit a published article: publish a correction
	// notice (更正说明) beside the old article instead of deleting it and
	// publishing the corrected one (the default).
	OptionWeChatCorrectionNotice ChannelOption = "wechat_correction_notice"
)

// ChannelOptions lists every option, in the order forms show them.
var ChannelOptions = []ChannelOption{OptionWeChatReadMore, OptionWeChatMassSend, OptionWeChatCorrectionNotice}

// Valid reports whether o is a known option.
func (o ChannelOption) Valid() bool { return slices.Contains(ChannelOptions, o) }

// Channel is the channel the option is about.
func (o ChannelOption) Channel() Channel {
	c, _, _ := strings.Cut(string(o), "_")
	return Channel(c)
}

// Has reports whether the revision chose option o.
func (c Content) Has(o ChannelOption) bool { return slices.Contains(c.Options, o) }

// Beijing is China Standard Time (UTC+8, without a zone database, which a
// server may lack): every civil date of sanshen — forming, decisions,
// deadlines, expiry, "today" — is a date there, and the pages and channels
// show times in it.
var Beijing = time.FixedZone("CST", 8*3600)

// DateLayout is how dates travel in the API.
const DateLayout = "2006-01-02"

// SHA256 is the hash a decision binds to: the canonical JSON of the content
// (fixed field order, the date as YYYY-MM-DD). Any change to what the
// reader would see changes it, a file's bytes, name or role included: the
// attachment manifest carries each file's SHA-256. A revision without a
// digest or attachments hashes exactly as before they existed (both are
// left out of the JSON when empty), so older trails stay valid; so do the
// options, the correction note, the publication time and the expiry.
func (c Content) SHA256() []byte {
	b, err := json.Marshal(struct {
		Title       string          `json:"title"`
		Body        string          `json:"body"`
		Department  string          `json:"department"`
		Category    string          `json:"category"`
		Channels    []Channel       `json:"channels"`
		FormedOn    string          `json:"formed_on"`
		Digest      string          `json:"digest,omitempty"`
		Attachments []manifestEntry `json:"attachments,omitempty"`
		Options     []ChannelOption `json:"options,omitempty"`
		Correction  string          `json:"correction,omitempty"`
		PublishAt   string          `json:"publish_at,omitempty"`
		ExpiresOn   string          `json:"expires_on,omitempty"`
		Topics      []string        `json:"topics,omitempty"`
	}{c.Title, c.Body, c.Department, c.Category, c.Channels, c.FormedOn.Format(DateLayout), c.Digest, manifest(c.Attachments), c.Options,
		c.Correction, formatNonZero(c.PublishAt.UTC(), time.RFC3339), formatNonZero(c.ExpiresOn, DateLayout), c.Topics})
	if err != nil {
		panic(err) // plain strings and slices always marshal
	}
	h := sha256.Sum256(b)
	return h[:]
}

// formatNonZero is t in layout, or "" for the zero time.
func formatNonZero(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(layout)
}

// manifest is the attachments as the content hash covers them (nil for none).
func manifest(as []Attachment) []manifestEntry {
	if len(as) == 0 {
		return nil
	}
	out := make([]manifestEntry, len(as))
	for i, a := range as {
		out[i] = manifestEntry{a.Name, a.SHA256, a.Role}
	}
	return out
}

// MaxTopics bounds an item's topics, MaxTopicRunes a topic's length.
const (
	MaxTopics     = 5
	MaxTopicRunes = 20
)

// CleanTopics is ts trimmed, without empty ones or repeats, sorted (nil
// for none): the form of Content.Topics the hash covers.
func CleanTopics(ts []string) []string {
	var out []string
	for _, t := range ts {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}
