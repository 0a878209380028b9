// Package portal is the channel that pushes an approved item to a district
// portal's content API (channel code "portal"). sanshen defines that API's
// contract (docs/portal.md, the webhooks of services/api/openapi.json) and a portal vendor
// implements it; this package holds the payload types, the request
// signature both sides compute, and the retrying client. Every write
// carries an idempotency key, so a retry after a lost answer returns the
// first receipt instead of publishing the item twice.
package portal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Channel is the channel code under which sanshen records portal publications.
const Channel = "portal"

// The request headers of the contract, named once so the client and the
// fake portal cannot spell them differently.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderKeyID          = "X-Sanshen-Key-Id"
	HeaderTimestamp      = "X-Sanshen-Timestamp"
	HeaderSignature      = "X-Sanshen-Signature"
)

// MaxSkew is how far a request's timestamp may be from the portal's clock
// before the portal refuses it, which bounds how long a captured request
// can be replayed by someone else.
const MaxSkew = 300 * time.Second

// MaxKeyLen is the longest idempotency key the portal must accept.
const MaxKeyLen = 200

// Layouts of the payload's date fields, so both sides format and parse them
// the same way.
const (
	DateLayout = "2006-01-02" // formed_on, expires_on
	TimeLayout = time.RFC3339 // published_at, with the +08:00 offset
)

// Agency names the publishing agency, so one portal can host every
// agency's items and file them under the right one.
type Agency struct {
	Slug string `json:"slug"`
	Name string `json:"name,omitempty"`
}

// Attachment is a file the portal fetches from sanshen's public site; size
// and sha256 let it check that it got the approved bytes.
type Attachment struct {
	Name            string `json:"name"`
	MediaType       string `json:"media_type"`
	Size            int64  `json:"size"`
	SHA256          string `json:"sha256"`
	Role            string `json:"role"` // cover, image, video or document
	URL             string `json:"url"`
	Width           int    `json:"width,omitempty"`
	Height          int    `json:"height,omitempty"`
	DurationSeconds int    `json:"duration_seconds,omitempty"` // video only
}

// Item is the payload of a create or update: everything the portal needs
// to show the approved item without asking sanshen again. Dates are strings
// in DateLayout and TimeLayout, exactly as they travel.
type Item struct {
	Source      string       `json:"source"` // always "sanshen"
	Agency      Agency       `json:"agency"`
	DraftID     int64        `json:"draft_id"`
	Revision    int          `json:"revision"`
	Title       string       `json:"title"`
	Digest      string       `json:"digest,omitempty"`
	Category    string       `json:"category,omitempty"`
	Department  string       `json:"department,omitempty"`
	FormedOn    string       `json:"formed_on,omitempty"`
	PublishedAt string       `json:"published_at,omitempty"`
	ExpiresOn   string       `json:"expires_on,omitempty"` // absent or null: no expiry
	Correction  string       `json:"correction,omitempty"` // a correction's note (更正说明), on an update
	BodyHTML    string       `json:"body_html,omitempty"`
	BodyText    string       `json:"body_text,omitempty"`
	Cover       *Attachment  `json:"cover,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	SourceURL   string       `json:"source_url"`
}

// Receipt is the portal's answer to a create or update: what sanshen
// records so that it can later update, withdraw or link to the item.
type Receipt struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// Stored is the portal's answer to a read: the receipt and the payload it
// holds, for reconciling sanshen's records with the portal's.
type Stored struct {
	Receipt
	Item      Item   `json:"item"`
	UpdatedAt string `json:"updated_at,omitempty"`
	Raw       []byte `json:"-"` // the whole answer, for fields a vendor added
}

// ErrorBody is the JSON body of every error answer of the contract.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"` // the payload field a 422 is about
}

// DeleteReasons are the reasons a withdrawal may give.
var DeleteReasons = []string{"expired", "revoked", "superseded", "error", "other"}

// DeleteBody is the JSON body of a withdrawal.
type DeleteBody struct {
	Reason string `json:"reason"`
	Note   string `json:"note,omitempty"`
}

// StringToSign is what the signature covers: method, path, timestamp, key
// and body hash, so a signed request cannot be replayed against another
// item, another key or another body.
func StringToSign(method, path, timestamp, key string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{strings.ToUpper(method), path, timestamp, key, hex.EncodeToString(sum[:])}, "\n")
}

// Sign returns the X-Sanshen-Signature value ("v1=" and the lowercase hex
// HMAC-SHA256 of StringToSign), the one computation both sides share.
func Sign(secret []byte, method, path, timestamp, key string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(StringToSign(method, path, timestamp, key, body)))
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is the right one for the request, in
// constant time so the comparison leaks nothing about the secret. It does
// not check the timestamp's age: see CheckTimestamp.
func Verify(secret []byte, method, path, timestamp, key string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, method, path, timestamp, key, body)), []byte(signature))
}

// CheckTimestamp parses a X-Sanshen-Timestamp value and checks that it is
// within MaxSkew of now, as the portal must before trusting a signature.
func CheckTimestamp(timestamp string, now time.Time) error {
	var sec int64
	if _, err := fmt.Sscanf(timestamp, "%d", &sec); err != nil || fmt.Sprint(sec) != timestamp {
		return fmt.Errorf("timestamp %q is not Unix seconds", timestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("timestamp is %s from the portal's clock (at most %s)", d.Round(time.Second), MaxSkew)
	}
	return nil
}

// CheckKey reports whether key is a usable idempotency key: 1 to MaxKeyLen
// printable ASCII characters, so it survives every proxy unchanged.
func CheckKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("idempotency key must be 1 to %d characters, is %d", MaxKeyLen, len(key))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return fmt.Errorf("idempotency key holds a character that is not printable ASCII at %d", i)
		}
	}
	return nil
}
