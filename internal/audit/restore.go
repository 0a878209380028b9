package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// RestoreHead is what a restored installation declares about its log: the
// database came back from a backup holding From leaves, while Published
// (the last head published before the restore, kept outside) had more.
// Leaves From to Published.Size-1 are lost, and the log goes on from From:
// a fork, declared and signed with the log's key, never a silent one.
type RestoreHead struct {
	Origin    string
	From      int64
	Published TreeHead // its size and root; Origin and Time are not carried
	Time      time.Time
}

// Text is the restore head's note body. Its second line, "restore", is not
// a size, so no reader takes it for a tree head.
func (r RestoreHead) Text() []byte {
	return fmt.Appendf(nil, "%s\nrestore\n%d\n%d\n%s\ntime %d\n", r.Origin, r.From, r.Published.Size, r.Published.RootBase64(), r.Time.Unix())
}

// LostFrom and LostTo are the range of leaves lost, LostTo excluded.
func (r RestoreHead) LostFrom() int64 { return r.From }
func (r RestoreHead) LostTo() int64   { return r.Published.Size }

// SignRestore signs r as a note.
func (k LogKey) SignRestore(r RestoreHead) ([]byte, error) {
	if r.Published.Size <= r.From {
		return nil, fmt.Errorf("nothing was lost: the restored log has %d leaves, the published head %d", r.From, r.Published.Size)
	}
	return note.Sign(&note.Note{Text: string(r.Text())}, k.Signer)
}

// OpenRestore checks a signed restore head against the log's verifier key
// and reads it.
func OpenRestore(msg []byte, verifierKey string) (RestoreHead, error) {
	text, origin, err := openNote(msg, verifierKey, "restore head")
	if err != nil {
		return RestoreHead{}, err
	}
	r, err := parseRestore(text)
	if err == nil && r.Origin != origin {
		err = fmt.Errorf("the restore head is of log %q, not %q", r.Origin, origin)
	}
	return r, err
}

func parseRestore(text string) (RestoreHead, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var r RestoreHead
	if len(lines) < 6 || lines[1] != "restore" {
		return r, errors.New("a restore head has an origin, 'restore', two sizes, a root and a time")
	}
	r.Origin = lines[0]
	var err1, err2 error
	r.From, err1 = strconv.ParseInt(lines[2], 10, 64)
	r.Published.Size, err2 = strconv.ParseInt(lines[3], 10, 64)
	if err1 != nil || err2 != nil || r.From < 0 || r.Published.Size <= r.From {
		return r, fmt.Errorf("restore head sizes %q and %q", lines[2], lines[3])
	}
	root, err := base64.StdEncoding.DecodeString(lines[4])
	if err != nil || len(root) != tlog.HashSize {
		return r, fmt.Errorf("restore head root %q", lines[4])
	}
	copy(r.Published.Root[:], root)
	t, ok := strings.CutPrefix(lines[5], "time ")
	sec, err := strconv.ParseInt(t, 10, 64)
	if !ok || err != nil {
		return r, fmt.Errorf("restore head time %q", lines[5])
	}
	r.Time = time.Unix(sec, 0).UTC()
	return r, nil
}

// Restore is a restore head as verification reports it.
type Restore struct {
	LostFrom      int64     `json:"lost_from"` // the first leaf lost
	LostTo        int64     `json:"lost_to"`   // the first leaf after the range (the last published head's size)
	PublishedRoot string    `json:"published_root"`
	At            time.Time `json:"at"`
}
