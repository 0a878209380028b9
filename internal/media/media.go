// Package media judges and prepares the bytes of a file an officer attaches
// to a draft (a photo, a video, a PDF, OFD or DOCX document) before anything
// is stored.
//
// Inspect is the one entry point an upload handler needs: it types the file
// by its content (never by its name), refuses what the office does not
// accept or cannot read, enforces the size limits, removes location and
// owner metadata from photos so that nothing carrying GPS coordinates is ever
// stored, and extracts the text of documents for the machine checks (an
// unredacted ID number in an attached PDF is the classic leak).
//
// The package is pure: it works on a byte slice held in memory, does no I/O
// and keeps no state. Every refusal is a *RefusedError whose Code is stable
// and whose MessageZH can be shown to the officer as is.
package media

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
)

// Kind is the broad class of an attachment; limits, roles and processing
// depend on it rather than on the exact media type.
type Kind string

// The kinds of attachment a draft may carry.
const (
	KindImage    Kind = "image"
	KindVideo    Kind = "video"
	KindDocument Kind = "document"
)

// zh names a kind in the officer's messages.
func (k Kind) zh() string {
	switch k {
	case KindImage:
		return "图片"
	case KindVideo:
		return "视频"
	}
	return "文档"
}

// Type is what a file really is, as judged from its bytes. Ext is the
// canonical extension the file is stored under, so that a stored name never
// repeats whatever extension the uploader chose.
type Type struct {
	MediaType string
	Kind      Kind
	Ext       string
}

// MediaTypeOFD is the media type of OFD documents (GB/T 33190), which
// mimetype does not know: to it an OFD file is just a ZIP.
const MediaTypeOFD = "application/ofd"

// accepted lists every type the office takes, in the form mimetype names
// them (OFD excepted, see sniffZip).
var accepted = []Type{
	{"image/jpeg", KindImage, ".jpg"},
	{"image/png", KindImage, ".png"},
	{"image/gif", KindImage, ".gif"},
	{"image/webp", KindImage, ".webp"},
	{"video/mp4", KindVideo, ".mp4"},
	// QuickTime shares MP4's box structure, so it costs nothing extra.
	{"video/quicktime", KindVideo, ".mov"},
	{"application/pdf", KindDocument, ".pdf"},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", KindDocument, ".docx"},
}

var (
	typeOFD  = Type{MediaTypeOFD, KindDocument, ".ofd"}
	typeDOCX = accepted[len(accepted)-1]
)

// The codes of RefusedError. They are stable: callers and the front end
// branch on them.
const (
	CodeEmpty              = "empty"
	CodeTooLarge           = "too_large"
	CodeUnsupportedType    = "unsupported_type"
	CodeUnreadableImage    = "unreadable_image"
	CodeUnreadableVideo    = "unreadable_video"
	CodeUnreadableDocument = "unreadable_document"
	CodeInvalidName        = "invalid_name"
)

// RefusedError says why an attachment is refused: Code for programs,
// Message (English) for logs and MessageZH for the officer who uploaded it.
// Err, when set, is the underlying parse error.
type RefusedError struct {
	Code      string
	Message   string
	MessageZH string
	Err       error
}

// Error returns the English message, the one that belongs in logs.
func (e *RefusedError) Error() string { return e.Message }

// Unwrap gives errors.Is and errors.As access to the underlying error.
func (e *RefusedError) Unwrap() error { return e.Err }

// unreadable builds the refusal for a file of an accepted type whose
// structure cannot be parsed.
func unreadable(k Kind, err error) *RefusedError {
	zh := map[Kind]string{
		KindImage:    "图片文件已损坏或结构不完整，无法读取，请重新导出后上传。",
		KindVideo:    "视频文件不完整或已损坏，无法读取时长和画面尺寸，请重新导出后上传。",
		KindDocument: "文档无法读取：文件已损坏、结构异常或解压后内容过大，请重新导出后上传。",
	}[k]
	return &RefusedError{
		Code:      "unreadable_" + string(k),
		Message:   fmt.Sprintf("error reading %s: %v", k, err),
		MessageZH: zh,
		Err:       err,
	}
}

// Limits caps the size of an upload per kind. A zero field means the
// default for that kind, so the zero Limits is safe.
type Limits struct {
	Image    int64
	Video    int64
	Document int64
}

// MiB is a mebibyte, the unit limits are written in.
const MiB = 1 << 20

// DefaultLimits returns the limits an agency starts with: a phone photo is a
// few MB and a short video clip well under 200 MiB. Documents get 50 MiB
// because a scanned official document (a PDF of page images at 300 dpi) runs
// to tens of MB, while the whole file is held in memory during inspection.
func DefaultLimits() Limits {
	return Limits{Image: 10 * MiB, Video: 200 * MiB, Document: 50 * MiB}
}

// Max returns the largest accepted size for a kind, in bytes.
func (l Limits) Max(k Kind) int64 {
	d := DefaultLimits()
	pick := func(v, def int64) int64 {
		if v > 0 {
			return v
		}
		return def
	}
	switch k {
	case KindImage:
		return pick(l.Image, d.Image)
	case KindVideo:
		return pick(l.Video, d.Video)
	}
	return pick(l.Document, d.Document)
}

// Info is what Inspect learnt of an accepted file and the bytes to store.
type Info struct {
	Type Type
	// Size is len(Data), the size as stored.
	Size int64
	// SHA256 is the hex digest of Data, the bytes as stored (after
	// stripping), so that it matches what the store holds.
	SHA256 string
	// Width and Height in pixels, for images and videos.
	Width, Height int
	// Duration of a video.
	Duration time.Duration
	// Data is the bytes to store: for images, the upload without its
	// metadata; otherwise the upload itself (a video's metadata boxes blanked).
	Data []byte
	// Stripped names, sorted, what was removed: "gps", "owner",
	// "camera_serial", "exif", "xmp", "iptc", "comment", "png_text",
	// "png_time", "mpf", "app1", "video_metadata", "trailing_data".
	Stripped []string
	// HasLocation and HasOwner report that the upload carried location or
	// owner data (now removed), so the caller can tell the officer.
	HasLocation, HasOwner bool
	// Text is a document's text for the machine checks; TextReadable is
	// false when there is none to check (a scanned PDF, an OFD file), and
	// the caller then asks a person to read the document.
	Text         string
	TextReadable bool
	// TextTruncated reports that Text was cut at maxTextRunes.
	TextTruncated bool
}

// note records that something was stripped, once.
func (i *Info) note(what string) {
	if !slices.Contains(i.Stripped, what) {
		i.Stripped = append(i.Stripped, what)
	}
}

// Sniff types a file from its content with mimetype, never from name's
// extension: a PDF named photo.jpg is a PDF, and an executable renamed .jpg
// is refused (code "unsupported_type"). name only appears in the message.
// ZIP-based types (DOCX, OFD) need the whole file, so pass all of it.
func Sniff(head []byte, name string) (Type, error) {
	m := mimetype.Detect(head)
	for _, t := range accepted {
		if m.Is(t.MediaType) {
			return t, nil
		}
	}
	if m.Is("application/zip") {
		if t, ok := sniffZip(head); ok {
			return t, nil
		}
	}
	detected, _, _ := strings.Cut(m.String(), ";")
	return Type{}, &RefusedError{
		Code:      CodeUnsupportedType,
		Message:   fmt.Sprintf("unsupported type %s (file %q)", detected, name),
		MessageZH: fmt.Sprintf("文件类型不支持：检测到的实际类型为 %s，仅支持 JPEG、PNG、GIF、WebP 图片，MP4、MOV 视频，PDF、OFD、DOCX 文档。", detected),
	}
}

// Inspect judges an upload and prepares it for storage: it types data by
// content, refuses empty, over-limit, unsupported or unreadable files with
// a *RefusedError, strips photo metadata, measures images and videos and
// extracts document text. data is not modified; Info.Data holds the bytes
// to store. name (as given by the uploader) is only used in messages; check
// it with ValidName.
func Inspect(data []byte, name string, lim Limits) (Info, error) {
	if len(data) == 0 {
		return Info{}, &RefusedError{
			Code:      CodeEmpty,
			Message:   fmt.Sprintf("file %q is empty", name),
			MessageZH: "文件内容为空，请重新选择文件上传。",
		}
	}
	t, err := Sniff(data, name)
	if err != nil {
		return Info{}, err
	}
	if size, limit := int64(len(data)), lim.Max(t.Kind); size > limit {
		return Info{}, &RefusedError{
			Code:      CodeTooLarge,
			Message:   fmt.Sprintf("%s %q is %s, over the %s limit", t.Kind, name, megabytes(size), megabytes(limit)),
			MessageZH: fmt.Sprintf("文件过大：该%s大小为 %s，超过 %s 的上限，请压缩后重新上传。", t.Kind.zh(), megabytes(size), megabytes(limit)),
		}
	}
	info := Info{Type: t, Data: data}
	switch t.Kind {
	case KindImage:
		err = inspectImage(&info)
	case KindVideo:
		err = inspectVideo(&info)
	default:
		err = inspectDocument(&info)
	}
	if err != nil {
		return Info{}, err
	}
	slices.Sort(info.Stripped)
	info.Size = int64(len(info.Data))
	sum := sha256.Sum256(info.Data)
	info.SHA256 = hex.EncodeToString(sum[:])
	return info, nil
}

// megabytes writes a size for people: "10 MB", "12.5 MB", "0.7 KB".
func megabytes(n int64) string {
	unit, size := "MB", float64(n)/MiB
	if n < MiB {
		unit, size = "KB", float64(n)/1024
	}
	if size == float64(int64(size)) {
		return fmt.Sprintf("%d %s", int64(size), unit)
	}
	return fmt.Sprintf("%.1f %s", size, unit)
}

// maxNameRunes bounds an attachment name: it is shown in lists and written
// in the body's attachment marker lines.
const maxNameRunes = 120

// ValidName checks an attachment's name as written by the officer (shown to
// readers and used in the body's marker lines): 1 to 120 characters, Chinese
// welcome, no path separator, no control or invisible formatting character
// (a right-to-left override can disguise "gpj.exe" as "exe.jpg"), no leading
// dot (hidden files, "." and ".."). Refusals have code "invalid_name".
func ValidName(name string) error {
	refuse := func(why, zh string) error {
		return &RefusedError{
			Code:      CodeInvalidName,
			Message:   fmt.Sprintf("invalid attachment name %q: %s", name, why),
			MessageZH: zh,
		}
	}
	switch {
	case !utf8.ValidString(name):
		return refuse("not valid UTF-8", "附件名称含有无法识别的字符，请重新输入。")
	case strings.TrimSpace(name) == "":
		return refuse("empty", "附件名称不能为空。")
	case utf8.RuneCountInString(name) > maxNameRunes:
		return refuse(fmt.Sprintf("longer than %d characters", maxNameRunes),
			fmt.Sprintf("附件名称不能超过 %d 个字符。", maxNameRunes))
	case strings.ContainsAny(name, `/\`):
		return refuse("contains a path separator", "附件名称不能包含斜杠（/ 或 \\）。")
	case strings.HasPrefix(name, "."):
		return refuse("starts with a dot", "附件名称不能以“.”开头。")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return refuse(fmt.Sprintf("contains the control or format character %U", r),
				"附件名称不能包含控制字符或不可见的格式字符。")
		}
	}
	return nil
}
