package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// box is an ISO-BMFF (MP4, QuickTime) box: its type, its payload, and the
// offsets in the file of the box and of its payload.
type box struct {
	typ       string
	body      []byte
	start, at int
}

// boxes splits data, found at offset at in the file, into boxes. It stops
// at the first box that does not fit, so that a file cut inside its last
// box (usually mdat) still yields the boxes before it.
func boxes(data []byte, at int) []box {
	var out []box
	for pos := 0; len(data)-pos >= 8; {
		size, hdr := uint64(binary.BigEndian.Uint32(data[pos:])), 8
		switch size {
		case 0: // runs to the end of the enclosing box
			size = uint64(len(data) - pos)
		case 1: // a 64-bit size follows the type
			if len(data)-pos < 16 {
				return out
			}
			size, hdr = binary.BigEndian.Uint64(data[pos+8:]), 16
		}
		if size < uint64(hdr) || size > uint64(len(data)-pos) {
			return out
		}
		end := pos + int(size)
		out = append(out, box{string(data[pos+4 : pos+8]), data[pos+hdr : end], at + pos, at + pos + hdr})
		pos = end
	}
	return out
}

// find returns the first box of type typ.
func find(bs []box, typ string) (box, bool) {
	for _, b := range bs {
		if b.typ == typ {
			return b, true
		}
	}
	return box{}, false
}

// inspectVideo reads a video's duration (moov/mvhd) and picture size (the
// video track's moov/trak/tkhd), and blanks the movie-level metadata boxes
// (moov/udta, moov/meta), where phones write the place of shooting (©xyz,
// com.apple.quicktime.location.ISO6709), the device and its software. They
// are turned into "free" boxes of the same size, which players skip, so
// that no offset into mdat moves.
func inspectVideo(info *Info) error {
	moov, ok := find(boxes(info.Data, 0), "moov")
	if !ok {
		return unreadable(KindVideo, errors.New("error finding the moov box: none at the top level"))
	}
	kids := boxes(moov.body, moov.at)
	mvhd, ok := find(kids, "mvhd")
	if !ok {
		return unreadable(KindVideo, errors.New("error finding moov/mvhd: none"))
	}
	d, err := movieDuration(mvhd.body)
	if err != nil {
		return unreadable(KindVideo, fmt.Errorf("error reading moov/mvhd: %w", err))
	}
	info.Duration = d
	info.Width, info.Height = videoSize(kids)

	var out []byte
	for _, b := range kids {
		if b.typ != "udta" && b.typ != "meta" {
			continue
		}
		if bytes.Contains(b.body, []byte("\xa9xyz")) || bytes.Contains(b.body, []byte("location.ISO6709")) {
			info.HasLocation = true
			info.note("gps")
		}
		if out == nil {
			out = bytes.Clone(info.Data) // the caller's bytes stay untouched
		}
		copy(out[b.start+4:], "free")
		clear(out[b.at : b.at+len(b.body)])
		info.note("video_metadata")
	}
	if out != nil {
		info.Data = out
	}
	return nil
}

// movieDuration reads an mvhd payload (version 0 or 1). A duration of all
// ones means "unknown" and gives 0.
func movieDuration(mvhd []byte) (time.Duration, error) {
	var scale, dur uint64
	switch {
	case len(mvhd) >= 20 && mvhd[0] == 0:
		scale, dur = uint64(binary.BigEndian.Uint32(mvhd[12:])), uint64(binary.BigEndian.Uint32(mvhd[16:]))
		if dur == math.MaxUint32 {
			dur = 0
		}
	case len(mvhd) >= 32 && mvhd[0] == 1:
		scale, dur = uint64(binary.BigEndian.Uint32(mvhd[20:])), binary.BigEndian.Uint64(mvhd[24:])
		if dur == math.MaxUint64 {
			dur = 0
		}
	default:
		return 0, fmt.Errorf("unknown version or short box (%d bytes)", len(mvhd))
	}
	if scale == 0 {
		return 0, errors.New("timescale is 0")
	}
	secs := dur / scale
	if secs > uint64(math.MaxInt64/int64(time.Second)) {
		return 0, fmt.Errorf("implausible duration of %d s", secs)
	}
	// dur%scale < 2^32, so the product stays below 2^62.
	return time.Duration(secs)*time.Second + time.Duration(dur%scale*uint64(time.Second)/scale), nil
}

// videoSize returns the width and height (16.16 fixed point in tkhd) of the
// first track whose handler is "vide", or else of the first track with a
// picture size (an audio track has none).
func videoSize(moovKids []box) (w, h int) {
	for _, b := range moovKids {
		if b.typ != "trak" {
			continue
		}
		trak := boxes(b.body, b.at)
		tkhd, _ := find(trak, "tkhd")
		tw, th := trackSize(tkhd.body)
		mdia, _ := find(trak, "mdia")
		hdlr, _ := find(boxes(mdia.body, mdia.at), "hdlr")
		if len(hdlr.body) >= 12 && string(hdlr.body[8:12]) == "vide" {
			return tw, th
		}
		if w == 0 && h == 0 {
			w, h = tw, th
		}
	}
	return w, h
}

// trackSize reads the width and height of a tkhd payload (version 0 or 1).
func trackSize(tkhd []byte) (w, h int) {
	at := 76 // flags, times, track ID, duration, layer…, matrix
	if len(tkhd) > 0 && tkhd[0] == 1 {
		at = 88 // 64-bit times and duration
	}
	if len(tkhd) < at+8 {
		return 0, 0
	}
	return int(binary.BigEndian.Uint32(tkhd[at:]) >> 16), int(binary.BigEndian.Uint32(tkhd[at+4:]) >> 16)
}
