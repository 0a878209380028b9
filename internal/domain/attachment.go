package domain

import (
	"net/url"
	"regexp"
	"strings"
)

// AttachmentRole is what an attached file is for in a draft.
type AttachmentRole string

// The roles. A cover and body images are images; a video is what a Douyin
// item is; documents (PDF, OFD, DOCX) are attached as they are, such as the
// signed PDF of a decision.
const (
	RoleCover    AttachmentRole = "cover"
	RoleImage    AttachmentRole = "image"
	RoleVideo    AttachmentRole = "video"
	RoleDocument AttachmentRole = "document"
)

// AttachmentRoles lists every role, in the order pages show them.
var AttachmentRoles = []AttachmentRole{RoleCover, RoleImage, RoleVideo, RoleDocument}

// Kind is the kind of file a role takes: a cover is an image.
func (r AttachmentRole) Kind() string {
	switch r {
	case RoleCover, RoleImage:
		return "image"
	case RoleVideo:
		return "video"
	case RoleDocument:
		return "document"
	}
	return ""
}

// Attachment is one file of a revision. The revision's content hash covers
// its manifest entry: the name the officer gave it (unique in the revision,
// used by marker lines), the SHA-256 of the stored bytes, and its role. The
// rest is what was learned of the file at upload, for the checks, the
// pages and the channels.
type Attachment struct {
	Name   string         `json:"name"`
	SHA256 string         `json:"sha256"`
	Role   AttachmentRole `json:"role"`

	// Kind is the file's kind as sniffed at upload: image, video or
	// document (its role must take that kind, AttachmentRole.Kind).
	Kind       string `json:"-"`
	MediaType  string `json:"media_type,omitempty"`
	Size       int64  `json:"size,omitempty"`
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	// Stripped names the metadata removed at upload ("gps", "owner", …).
	Stripped []string `json:"stripped,omitempty"`
	// TextReadable: the document's text was extracted and is checked like
	// the body; false for an OFD or a scan, which a person must read.
	TextReadable bool   `json:"text_readable"`
	Text         string `json:"-"`
}

// PublicPath is where the public, and channels such as the portal, fetch
// the file of a published item: under the name the item gives it.
func (a Attachment) PublicPath() string {
	return "/public/files/" + a.SHA256 + "/" + url.PathEscape(a.Name)
}

// manifestEntry is what of an attachment the content hash covers.
type manifestEntry struct {
	Name   string         `json:"name"`
	SHA256 string         `json:"sha256"`
	Role   AttachmentRole `json:"role"`
}

// markerLine is a line of the body that places an image: 【图片：现场.jpg】,
// or [图片: 现场.jpg] / [image: site.jpg] typed on an English keyboard.
var markerLine = regexp.MustCompile(`^\s*(?:【|\[)\s*(?:图片|image)\s*[:：]\s*([^】\]]+?)\s*(?:】|\])\s*$`)

// Marker is a body line that places a named image.
type Marker struct {
	Line int    // 0-based line of the body
	Name string // the attachment's name
}

// Markers returns the body's image marker lines, in order.
func Markers(body string) []Marker {
	if !strings.Contains(body, "图片") && !strings.Contains(strings.ToLower(body), "image") {
		return nil
	}
	var out []Marker
	for i, line := range strings.Split(body, "\n") {
		if m := markerLine.FindStringSubmatch(line); m != nil {
			out = append(out, Marker{Line: i, Name: m[1]})
		}
	}
	return out
}

// MarkerName returns the image a body line places, if it is a marker line.
func MarkerName(line string) (string, bool) {
	if m := markerLine.FindStringSubmatch(line); m != nil {
		return m[1], true
	}
	return "", false
}

// Cover is the revision's cover, if it has one.
func (c Content) Cover() (Attachment, bool) {
	for _, a := range c.Attachments {
		if a.Role == RoleCover {
			return a, true
		}
	}
	return Attachment{}, false
}

// Attachment is the revision's file of that name.
func (c Content) Attachment(name string) (Attachment, bool) {
	for _, a := range c.Attachments {
		if a.Name == name {
			return a, true
		}
	}
	return Attachment{}, false
}

// PlacedImages are the images the body's marker lines place, each once, in
// the order they first appear: what a channel uploads for the body.
func (c Content) PlacedImages() []Attachment {
	var out []Attachment
	seen := map[string]bool{}
	for _, m := range Markers(c.Body) {
		if a, ok := c.Attachment(m.Name); ok && a.Role.Kind() == "image" && !seen[a.SHA256] {
			seen[a.SHA256] = true
			out = append(out, a)
		}
	}
	return out
}
