package domain

import (
	"crypto/sha256"
	"encoding/json"
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
}

// DateLayout is how dates travel in the API.
const DateLayout = "2006-01-02"

// SHA256 is the hash a decision binds to: the canonical JSON of the content
// (fixed field order, the date as YYYY-MM-DD). Any change to what the
// reader would see changes it.
func (c Content) SHA256() []byte {
	b, err := json.Marshal(struct {
		Title      string    `json:"title"`
		Body       string    `json:"body"`
		Department string    `json:"department"`
		Category   string    `json:"category"`
		Channels   []Channel `json:"channels"`
		FormedOn   string    `json:"formed_on"`
	}{c.Title, c.Body, c.Department, c.Category, c.Channels, c.FormedOn.Format(DateLayout)})
	if err != nil {
		panic(err) // plain strings and slices always marshal
	}
	h := sha256.Sum256(b)
	return h[:]
}
