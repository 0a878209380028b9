package media

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// maxTextRunes caps the text extracted from a document: 2 Mi characters
// is about a thousand pages of Chinese, more than any attachment the checks
// need to read, and it bounds the memory a crafted file can make us use.
const maxTextRunes = 2 << 20

// Bounds on reading a ZIP (DOCX, OFD), whose entries can decompress a
// thousandfold: a "zip bomb" is refused instead of exhausting memory.
const (
	maxZipBytes   = 64 * MiB // uncompressed size of the parts read, together
	maxZipEntries = 10_000   // a DOCX has tens of entries, an OFD a few per page
	maxXMLDepth   = 256      // element nesting; a DOCX rarely goes past 20
)

// errZipBudget reports a ZIP whose contents exceed maxZipBytes.
var errZipBudget = fmt.Errorf("zip contents exceed %d MiB uncompressed", maxZipBytes/MiB)

// Bounds on walking a PDF's page tree, whose references may form cycles
// that would make the reader loop forever.
const (
	maxPDFPages = 20_000 // page-tree nodes visited
	maxPDFDepth = 64     // page-tree depth and Parent chain length
)

// sniffZip recognises the ZIP-based documents by their entries: an OFD
// file holds OFD.xml at its root, and a DOCX holds [Content_Types].xml and
// word/document.xml (mimetype only looks at the first 3 KB, which a DOCX
// written with unusual entry order can miss).
func sniffZip(data []byte) (Type, bool) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Type{}, false
	}
	var contentTypes, document bool
	for _, f := range zr.File {
		switch {
		case strings.EqualFold(f.Name, "OFD.xml"):
			return typeOFD, true
		case f.Name == "[Content_Types].xml":
			contentTypes = true
		case f.Name == "word/document.xml":
			document = true
		}
	}
	if contentTypes && document {
		return typeDOCX, true
	}
	return Type{}, false
}

// inspectDocument extracts a document's text for the machine checks.
func inspectDocument(info *Info) error {
	if info.Type.MediaType == "application/pdf" {
		info.Text, info.TextTruncated, info.TextReadable = pdfText(info.Data)
		return nil
	}
	zr, err := openZip(info.Data)
	if err != nil {
		return unreadable(KindDocument, err)
	}
	if info.Type.MediaType == MediaTypeOFD {
		// OFD text is not extracted, so TextReadable stays false and the
		// caller asks a person to read the file. An OFD page is a set of
		// absolutely positioned text objects, often one per character,
		// spread over per-page Content.xml files, and some producers store
		// glyph indices of embedded fonts (CGTransform) instead of
		// characters: a partial extraction would let an ID number slip
		// through the checks unnoticed, which is worse than no extraction.
		return nil
	}
	text, truncated, err := docxText(zr)
	if err != nil {
		return unreadable(KindDocument, fmt.Errorf("error reading DOCX: %w", err))
	}
	info.Text, info.TextTruncated, info.TextReadable = text, truncated, true
	return nil
}

// openZip opens a ZIP held in memory and refuses one with too many entries.
func openZip(data []byte) (*zip.Reader, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("error opening zip: %w", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("error opening zip: %d entries, over the %d allowed", len(zr.File), maxZipEntries)
	}
	return zr, nil
}

// textBuffer accumulates extracted text up to maxTextRunes.
type textBuffer struct {
	b         strings.Builder
	runes     int
	truncated bool
}

// write appends s, or as much of it as the cap allows.
func (t *textBuffer) write(s string) {
	if t.truncated {
		return
	}
	n := utf8.RuneCountInString(s)
	if left := maxTextRunes - t.runes; n > left {
		cut := 0
		for range left {
			_, size := utf8.DecodeRuneInString(s[cut:])
			cut += size
		}
		s, n, t.truncated = s[:cut], left, true
	}
	t.b.WriteString(s)
	t.runes += n
}

// pdfText extracts the text of every page of a PDF, pages joined by "\n".
// readable is false when the reader fails on the file or on any page (the
// checks must not pass a document they read only in part) or when there is
// no text at all, as in a scan without a text layer.
func pdfText(data []byte) (text string, truncated, readable bool) {
	// The reader reports malformed input by panicking; a PDF it cannot
	// read is one a person has to read.
	defer func() {
		if recover() != nil {
			text, truncated, readable = "", false, false
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", false, false
	}
	pages, ok := pdfPages(r.Trailer().Key("Root").Key("Pages"))
	if !ok {
		return "", false, false
	}
	var t textBuffer
	for i, p := range pages {
		if !parentsEnd(p.V) {
			return "", false, false
		}
		s, err := p.GetPlainText(nil)
		if err != nil {
			return "", false, false
		}
		if i > 0 {
			t.write("\n")
		}
		if t.write(strings.TrimSpace(s)); t.truncated {
			break
		}
	}
	text = t.b.String()
	return text, t.truncated, strings.TrimSpace(text) != ""
}

// pdfPages walks the page tree itself, rather than through Reader.Page,
// which loops forever on a tree whose Kids refer back to an ancestor. ok is
// false when the tree is deeper or larger than the bounds allow.
func pdfPages(root pdf.Value) (pages []pdf.Page, ok bool) {
	visits := 0
	var walk func(v pdf.Value, depth int) bool
	walk = func(v pdf.Value, depth int) bool {
		if visits++; visits > maxPDFPages || depth > maxPDFDepth {
			return false
		}
		switch v.Key("Type").Name() {
		case "Page":
			pages = append(pages, pdf.Page{V: v})
		case "Pages":
			kids := v.Key("Kids")
			for i := range kids.Len() {
				if !walk(kids.Index(i), depth+1) {
					return false
				}
			}
		}
		return true
	}
	return pages, walk(root, 0)
}

// parentsEnd reports whether the Parent chain the reader follows to find a
// page's inherited resources ends (or holds Resources) within the bounds: a
// cyclic chain would make it loop forever.
func parentsEnd(v pdf.Value) bool {
	for range maxPDFDepth {
		if v.IsNull() || !v.Key("Resources").IsNull() {
			return true
		}
		v = v.Key("Parent")
	}
	return false
}

// docxPart matches the parts of a DOCX whose text the checks read besides
// word/document.xml: headers, footers, notes and comments, all of which a
// reader of the file can see.
func docxPart(name string) bool {
	for _, pattern := range []string{"word/header*.xml", "word/footer*.xml", "word/footnotes.xml", "word/endnotes.xml", "word/comments.xml"} {
		if ok, _ := path.Match(pattern, name); ok {
			return true
		}
	}
	return false
}

// docxText extracts the text of word/document.xml, then of the other parts
// in name order, refusing to decompress more than maxZipBytes in all.
func docxText(zr *zip.Reader) (string, bool, error) {
	var document *zip.File
	var parts []*zip.File
	for _, f := range zr.File {
		switch {
		case f.Name == "word/document.xml" && document == nil:
			document = f
		case docxPart(f.Name):
			parts = append(parts, f)
		}
	}
	if document == nil {
		return "", false, errors.New("no word/document.xml")
	}
	slices.SortFunc(parts, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	// archive/zip fails a read past an entry's declared size, so the
	// declared sizes bound what is decompressed.
	left := uint64(maxZipBytes)
	var t textBuffer
	for _, f := range append([]*zip.File{document}, parts...) {
		if f.UncompressedSize64 > left {
			return "", false, fmt.Errorf("error reading %s: %w", f.Name, errZipBudget)
		}
		left -= f.UncompressedSize64
		if err := readWordXML(f, &t); err != nil {
			return "", false, fmt.Errorf("error reading %s: %w", f.Name, err)
		}
		if t.truncated {
			break
		}
	}
	return t.b.String(), t.truncated, nil
}

// readWordXML streams the tokens of a WordprocessingML part into t: the
// text of w:t (and of w:delText: deleted revisions stay in the file, where
// anyone can show them), "\t" for w:tab outside tab-stop definitions, "\n"
// for w:br and w:cr and at the end of each paragraph. Elements are matched
// by local name, so DrawingML text boxes (a:t, a:p) are read too.
func readWordXML(f *zip.File, t *textBuffer) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("error opening entry: %w", err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	depth, tabStops, inText := 0, 0, false
	for !t.truncated {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error parsing XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxXMLDepth {
				return fmt.Errorf("error parsing XML: elements nested over %d deep", maxXMLDepth)
			}
			switch tok.Name.Local {
			case "t", "delText":
				inText = true
			case "tabs":
				tabStops++
			case "tab":
				if tabStops == 0 {
					t.write("\t")
				}
			case "br", "cr":
				t.write("\n")
			}
		case xml.EndElement:
			depth--
			switch tok.Name.Local {
			case "t", "delText":
				inText = false
			case "tabs":
				tabStops--
			case "p":
				t.write("\n")
			}
		case xml.CharData:
			if inText {
				t.write(string(tok))
			}
		}
	}
	return nil
}
