package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // registers GIF for image.DecodeConfig
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG

	_ "golang.org/x/image/webp" // registers WebP
)

// inspectImage strips the metadata of a photo at upload, so that nothing
// carrying GPS coordinates or the owner's name is ever stored, and measures
// the stripped result, which must still decode.
func inspectImage(info *Info) error {
	var (
		out []byte
		err error
	)
	switch info.Type.MediaType {
	case "image/jpeg":
		out, err = stripJPEG(info.Data, info)
	case "image/png":
		out, err = stripPNG(info.Data, info)
	case "image/webp":
		out, err = stripWebP(info.Data, info)
	default:
		// GIF is stored as is: the format has no standard field for a
		// location or a camera owner, only free comments and application
		// extensions that cameras and phones do not write.
		out = info.Data
	}
	if err != nil {
		return unreadable(KindImage, fmt.Errorf("error stripping metadata: %w", err))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil {
		return unreadable(KindImage, fmt.Errorf("error decoding image header: %w", err))
	}
	info.Data, info.Width, info.Height = out, cfg.Width, cfg.Height
	return nil
}

// errTruncated reports a structure that runs past the end of the file.
var errTruncated = errors.New("truncated structure")

// stripJPEG removes the APP1 (Exif, XMP), APP13 (Photoshop IPTC), COM and
// APP2 MPF segments and anything after EOI (phones append further pictures
// or a "motion photo" video there), copying every other byte as it is: APP0
// JFIF, APP2 ICC profiles, tables, frame and scan headers and the
// entropy-coded data. The Exif orientation goes with the Exif segment: a
// simple, safe rule, at the price of a sideways photo now and then, which
// the officer sees in the preview and can rotate before uploading again.
func stripJPEG(data []byte, info *Info) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, errors.New("missing SOI marker")
	}
	out := append(make([]byte, 0, len(data)), data[:2]...)
	pos, scanning := 2, false
	for {
		if scanning { // entropy-coded data runs to the next marker
			end := entropyEnd(data, pos)
			out, pos = append(out, data[pos:end]...), end
		}
		if pos+2 > len(data) {
			return nil, fmt.Errorf("error finding EOI: %w", errTruncated)
		}
		if data[pos] != 0xFF {
			return nil, fmt.Errorf("no marker at offset %d", pos)
		}
		m := data[pos+1]
		switch {
		case m == 0xFF: // fill byte
			out, pos = append(out, 0xFF), pos+1
			continue
		case m == 0xD9: // EOI
			if pos+2 < len(data) {
				info.note("trailing_data")
			}
			return append(out, 0xFF, 0xD9), nil
		case m == 0x01 || m == 0xD8 || m >= 0xD0 && m <= 0xD7: // no length
			out, pos = append(out, data[pos:pos+2]...), pos+2
			continue
		}
		if pos+4 > len(data) {
			return nil, fmt.Errorf("error reading segment length: %w", errTruncated)
		}
		end := pos + 2 + int(binary.BigEndian.Uint16(data[pos+2:]))
		if end < pos+4 || end > len(data) {
			return nil, fmt.Errorf("error reading segment %#x at offset %d: %w", m, pos, errTruncated)
		}
		if what := jpegMetadata(m, data[pos+4:end], info); what != "" {
			info.note(what)
		} else {
			out = append(out, data[pos:end]...)
		}
		pos, scanning = end, m == 0xDA || scanning
	}
}

// entropyEnd returns the offset of the first marker at or after from,
// stepping over stuffed bytes (FF 00) and restart markers, which belong to
// the entropy-coded data.
func entropyEnd(data []byte, from int) int {
	for i := from; i+1 < len(data); i++ {
		if data[i] != 0xFF {
			continue
		}
		if n := data[i+1]; n == 0x00 || n >= 0xD0 && n <= 0xD7 {
			i++
			continue
		}
		return i
	}
	return len(data)
}

// jpegMetadata names the metadata a segment with marker m carries, reading
// it for location and owner first, or returns "" for a segment to keep.
func jpegMetadata(m byte, seg []byte, info *Info) string {
	switch {
	case m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
		readExif(seg[6:], info)
		return "exif"
	case m == 0xE1 && bytes.HasPrefix(seg, []byte("http://ns.adobe.com/")):
		readXMP(seg, info)
		return "xmp"
	case m == 0xE1:
		return "app1"
	case m == 0xE2 && bytes.HasPrefix(seg, []byte("MPF\x00")):
		return "mpf" // the index of the pictures after EOI, dropped with them
	case m == 0xED:
		return "iptc"
	case m == 0xFE:
		return "comment"
	}
	return ""
}

// The Exif (TIFF) tags that identify a place, a person or a camera.
const (
	tagArtist       = 0x013B
	tagCopyright    = 0x8298
	tagXPAuthor     = 0x9C9D
	tagExifIFD      = 0x8769
	tagGPSIFD       = 0x8825
	tagGPSVersionID = 0x0000
	tagOwnerName    = 0xA430 // CameraOwnerName
	tagBodySerial   = 0xA431 // BodySerialNumber
)

// readExif reads a TIFF structure (as in a JPEG APP1 after "Exif\0\0", a
// PNG eXIf or a WebP EXIF chunk), in either byte order, for what it says of
// the place and the people: a GPS IFD holding more than its version, an
// artist, copyright or author, the camera owner's name and the camera's
// serial number. It only reports; malformed parts are ignored because the
// whole structure is dropped anyway.
func readExif(tiff []byte, info *Info) {
	tiff = bytes.TrimPrefix(tiff, []byte("Exif\x00\x00"))
	var bo binary.ByteOrder
	switch {
	case bytes.HasPrefix(tiff, []byte("II*\x00")):
		bo = binary.LittleEndian
	case bytes.HasPrefix(tiff, []byte("MM\x00*")):
		bo = binary.BigEndian
	default:
		return
	}
	if len(tiff) < 8 {
		return
	}
	for _, e := range ifdEntries(tiff, bo, bo.Uint32(tiff[4:])) {
		switch e.tag {
		case tagGPSIFD:
			for _, g := range ifdEntries(tiff, bo, e.value(bo)) {
				if g.tag != tagGPSVersionID {
					info.HasLocation = true
					info.note("gps")
				}
			}
		case tagArtist, tagCopyright, tagXPAuthor:
			if e.filled(tiff, bo) {
				info.HasOwner = true
				info.note("owner")
			}
		case tagExifIFD:
			for _, s := range ifdEntries(tiff, bo, e.value(bo)) {
				switch {
				case s.tag == tagOwnerName && s.filled(tiff, bo):
					info.HasOwner = true
					info.note("owner")
				case s.tag == tagBodySerial && s.filled(tiff, bo):
					info.note("camera_serial")
				}
			}
		}
	}
}

// ifdEntry is one 12-byte entry of a TIFF image file directory.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	raw      []byte // the 4-byte value or offset field
}

// ifdEntries returns the entries of the IFD at off, as many as fit in tiff.
func ifdEntries(tiff []byte, bo binary.ByteOrder, off uint32) []ifdEntry {
	if uint64(off)+2 > uint64(len(tiff)) {
		return nil
	}
	n := int(bo.Uint16(tiff[off:]))
	entries := make([]ifdEntry, 0, min(n, (len(tiff)-int(off))/12))
	for i, p := 0, int(off)+2; i < n && p+12 <= len(tiff); i, p = i+1, p+12 {
		entries = append(entries, ifdEntry{bo.Uint16(tiff[p:]), bo.Uint16(tiff[p+2:]), bo.Uint32(tiff[p+4:]), tiff[p+8 : p+12]})
	}
	return entries
}

// value reads the entry's value field as a LONG (an offset, for pointers).
func (e ifdEntry) value(bo binary.ByteOrder) uint32 { return bo.Uint32(e.raw) }

// filled reports whether a byte-sized entry (ASCII, BYTE, UNDEFINED) holds
// something other than NULs and spaces.
func (e ifdEntry) filled(tiff []byte, bo binary.ByteOrder) bool {
	if e.typ != 1 && e.typ != 2 && e.typ != 7 {
		return e.count > 0
	}
	v := e.raw
	if e.count > 4 {
		off := uint64(e.value(bo))
		if off+uint64(e.count) > uint64(len(tiff)) {
			return false
		}
		v = tiff[off : off+uint64(e.count)]
	} else {
		v = v[:e.count]
	}
	return len(bytes.Trim(v, "\x00 ")) > 0
}

// xmpClues maps XMP property names to what they reveal. XMP is RDF/XML
// with several equivalent spellings; a substring test is enough here since
// it only feeds the report: the packet is removed either way.
var xmpClues = []struct{ property, what string }{
	{"GPSLatitude", "gps"}, {"GPSLongitude", "gps"},
	{"dc:creator", "owner"}, {"dc:rights", "owner"}, {"tiff:Artist", "owner"},
	{"OwnerName", "owner"}, {"SerialNumber", "camera_serial"},
}

// readXMP reports the location and owner properties of an XMP packet.
func readXMP(packet []byte, info *Info) {
	for _, c := range xmpClues {
		if bytes.Contains(packet, []byte(c.property)) {
			info.note(c.what)
			info.HasLocation = info.HasLocation || c.what == "gps"
			info.HasOwner = info.HasOwner || c.what == "owner"
		}
	}
}

// pngSignature opens every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// stripPNG removes the eXIf, tEXt, iTXt, zTXt and tIME chunks and anything
// after IEND, copying the other chunks (with their CRCs) as they are.
func stripPNG(data []byte, info *Info) ([]byte, error) {
	if !bytes.HasPrefix(data, pngSignature) {
		return nil, errors.New("missing PNG signature")
	}
	out := append(make([]byte, 0, len(data)), pngSignature...)
	for pos := len(pngSignature); ; {
		if pos+12 > len(data) {
			return nil, fmt.Errorf("error finding IEND: %w", errTruncated)
		}
		n := uint64(binary.BigEndian.Uint32(data[pos:]))
		if uint64(pos)+12+n > uint64(len(data)) {
			return nil, fmt.Errorf("error reading chunk at offset %d: %w", pos, errTruncated)
		}
		typ, body, end := string(data[pos+4:pos+8]), data[pos+8:pos+8+int(n)], pos+12+int(n)
		switch typ {
		case "eXIf":
			readExif(body, info)
			info.note("exif")
		case "tEXt", "iTXt", "zTXt":
			readPNGText(body, info)
			info.note("png_text")
		case "tIME":
			info.note("png_time")
		default:
			out = append(out, data[pos:end]...)
		}
		if pos = end; typ == "IEND" {
			if pos < len(data) {
				info.note("trailing_data")
			}
			return out, nil
		}
	}
}

// readPNGText reports a text chunk naming an author, carrying XMP, or
// holding the "exif:GPS…" properties ImageMagick writes when converting.
func readPNGText(body []byte, info *Info) {
	keyword, _, _ := bytes.Cut(body, []byte{0})
	switch k := string(keyword); {
	case k == "Author" || k == "Copyright" || k == "Artist":
		info.HasOwner = true
		info.note("owner")
	case k == "XML:com.adobe.xmp":
		readXMP(body, info)
	case bytes.HasPrefix(keyword, []byte("exif:GPS")):
		info.HasLocation = true
		info.note("gps")
	}
}

// VP8X flags that announce EXIF and XMP chunks.
const webpFlagsMetadata = 0x08 | 0x04

// stripWebP removes the EXIF and XMP chunks (allowed in an extended, VP8X,
// file), clears their VP8X flags, drops anything beyond the RIFF size and
// rewrites that size.
func stripWebP(data []byte, info *Info) ([]byte, error) {
	if len(data) < 12 {
		return nil, fmt.Errorf("error reading RIFF header: %w", errTruncated)
	}
	end := 8 + uint64(binary.LittleEndian.Uint32(data[4:]))
	if end > uint64(len(data)) {
		return nil, fmt.Errorf("error reading RIFF body: %w", errTruncated)
	}
	if end < uint64(len(data)) {
		info.note("trailing_data")
	}
	out := append(make([]byte, 0, end), data[:12]...)
	vp8x := -1
	for pos := uint64(12); pos < end; {
		if pos+8 > end {
			return nil, fmt.Errorf("error reading chunk header: %w", errTruncated)
		}
		fourCC, n := string(data[pos:pos+4]), uint64(binary.LittleEndian.Uint32(data[pos+4:]))
		next := min(pos+8+n+(n&1), end) // the pad byte of a final odd chunk may be missing
		if pos+8+n > end {
			return nil, fmt.Errorf("error reading chunk %q: %w", fourCC, errTruncated)
		}
		switch fourCC {
		case "EXIF":
			readExif(data[pos+8:pos+8+n], info)
			info.note("exif")
		case "XMP ":
			readXMP(data[pos+8:pos+8+n], info)
			info.note("xmp")
		case "VP8X":
			vp8x = len(out)
			fallthrough
		default:
			out = append(out, data[pos:next]...)
		}
		pos = next
	}
	if vp8x >= 0 && vp8x+8 < len(out) {
		out[vp8x+8] &^= webpFlagsMetadata
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}
