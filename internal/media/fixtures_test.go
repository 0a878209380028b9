package media

// Fixtures are built here, in code, so that no binary file is committed;
// the only literal is a 34-byte WebP (there is no WebP encoder in Go).

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"github.com/go-pdf/fpdf"
)

// testImage is a small picture with some structure, so encoders have work.
func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := range 16 {
		for x := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 15), 128, 255})
		}
	}
	return img
}

func jpegFile(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngFile(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifFile(t testing.TB) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webpFile is a 1×1 lossless WebP (RIFF, VP8L chunk), the smallest there is.
func webpFile(t testing.TB) []byte {
	b, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exifTIFF builds a TIFF structure in byte order bo: IFD0 holding Artist
// and a GPS IFD pointer; the GPS IFD holding GPSLatitudeRef and
// GPSLatitude (39° 54′ 0″ N, Beijing).
func exifTIFF(bo binary.AppendByteOrder, artist string) []byte {
	const ifd0, gpsIFD, data = 8, 8 + 30, 8 + 30 + 30
	artistZ := append([]byte(artist), 0)
	b := []byte("II*\x00")
	if bo.String() == binary.BigEndian.String() {
		b = []byte("MM\x00*")
	}
	b = bo.AppendUint32(b, ifd0)
	entry := func(tag, typ uint16, count uint32, value []byte) {
		b = bo.AppendUint16(b, tag)
		b = bo.AppendUint16(b, typ)
		b = bo.AppendUint32(b, count)
		b = append(b, value...)
	}
	u32 := func(v uint32) []byte { return bo.AppendUint32(nil, v) }
	b = bo.AppendUint16(b, 2)
	entry(0x013B, 2, uint32(len(artistZ)), u32(data))
	entry(0x8825, 4, 1, u32(gpsIFD))
	b = bo.AppendUint32(b, 0)
	b = bo.AppendUint16(b, 2)
	entry(0x0001, 2, 2, []byte("N\x00\x00\x00"))
	entry(0x0002, 5, 3, u32(data+uint32(len(artistZ))))
	b = bo.AppendUint32(b, 0)
	b = append(b, artistZ...)
	for _, v := range []uint32{39, 1, 54, 1, 0, 1} {
		b = bo.AppendUint32(b, v)
	}
	return b
}

// jpegSegment builds a JPEG marker segment.
func jpegSegment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)+2))
	return append(b, payload...)
}

// insertAfter returns b with extra inserted at offset at.
func insertAfter(b []byte, at int, extra ...[]byte) []byte {
	out := append([]byte{}, b[:at]...)
	for _, e := range extra {
		out = append(out, e...)
	}
	return append(out, b[at:]...)
}

// pngChunk builds a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// riffChunk builds a RIFF chunk, padded to an even length.
func riffChunk(fourCC string, data []byte) []byte {
	b := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// webpWithMetadata wraps the 1×1 VP8L bitstream in an extended (VP8X) file
// announcing and carrying an EXIF chunk (with GPS) and an XMP chunk.
func webpWithMetadata(t testing.TB) []byte {
	vp8l := webpFile(t)[12:]
	vp8x := riffChunk("VP8X", []byte{webpFlagsMetadata, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	body := append([]byte("WEBP"), vp8x...)
	body = append(body, vp8l...)
	body = append(body, riffChunk("EXIF", exifTIFF(binary.LittleEndian, "张三"))...)
	body = append(body, riffChunk("XMP ", []byte(`<x:xmpmeta><rdf:Description exif:GPSLatitude="39,54N"/></x:xmpmeta>`))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// mp4Box builds an ISO-BMFF box.
func mp4Box(typ string, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)+8))
	return append(append(b, typ...), body...)
}

// be builds big-endian fields: uint32 and uint64 values in order.
func be(values ...any) []byte {
	var b []byte
	for _, v := range values {
		switch v := v.(type) {
		case uint32:
			b = binary.BigEndian.AppendUint32(b, v)
		case uint64:
			b = binary.BigEndian.AppendUint64(b, v)
		}
	}
	return b
}

// tkhd builds a track header of the given version and picture size.
func tkhd(version byte, w, h uint32) []byte {
	b := []byte{version, 0, 0, 7}
	if version == 1 {
		b = append(b, be(uint64(0), uint64(0), uint32(1), uint32(0), uint64(15500))...)
	} else {
		b = append(b, be(uint32(0), uint32(0), uint32(1), uint32(0), uint32(15500))...)
	}
	b = append(b, make([]byte, 16+36)...) // reserved, layer, group, volume, matrix
	return mp4Box("tkhd", b, be(w<<16, h<<16))
}

// trak builds a track with a header and a handler of the given type.
func trak(version byte, handler string, w, h uint32) []byte {
	hdlr := mp4Box("hdlr", make([]byte, 8), []byte(handler), make([]byte, 13))
	return mp4Box("trak", tkhd(version, w, h), mp4Box("mdia", hdlr))
}

// mp4File builds ftyp, moov (mvhd of the given version lasting 15.5 s, an
// audio track, then a 1080×1920 video track, then extra moov children) and
// mdat.
func mp4File(version byte, moovExtra ...[]byte) []byte {
	var mvhd []byte
	if version == 1 {
		mvhd = append([]byte{1, 0, 0, 0}, be(uint64(0), uint64(0), uint32(90000), uint64(1395000))...)
	} else {
		mvhd = append([]byte{0, 0, 0, 0}, be(uint32(0), uint32(0), uint32(1000), uint32(15500))...)
	}
	mvhd = append(mvhd, make([]byte, 80)...)
	moov := [][]byte{mp4Box("mvhd", mvhd), trak(version, "soun", 0, 0), trak(version, "vide", 1080, 1920)}
	return bytes.Join([][]byte{
		mp4Box("ftyp", []byte("isom"), be(uint32(0x200)), []byte("isomiso2mp41")),
		mp4Box("moov", append(moov, moovExtra...)...),
		mp4Box("mdat", bytes.Repeat([]byte{0xAB}, 64)),
	}, nil)
}

// pdfFile builds a PDF with one page per text, in a core font.
func pdfFile(t testing.TB, pages ...string) []byte {
	doc := fpdf.New("P", "mm", "A4", "")
	doc.SetFont("Helvetica", "", 14)
	for _, p := range pages {
		doc.AddPage()
		doc.Cell(0, 10, p)
	}
	var b bytes.Buffer
	if err := doc.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// scannedPDF builds a PDF whose only page shows a picture, as a scan does.
func scannedPDF(t testing.TB) []byte {
	doc := fpdf.New("P", "mm", "A4", "")
	doc.AddPage()
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	doc.RegisterImageOptionsReader("scan", opts, bytes.NewReader(pngFile(t)))
	doc.ImageOptions("scan", 10, 10, 120, 80, false, opts, 0, "")
	var b bytes.Buffer
	if err := doc.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipEntry is one file of a test archive.
type zipEntry struct {
	name string
	data []byte
	raw  bool // stored uncompressed
}

// zipFile builds an archive of entries, in order.
func zipFile(t testing.TB, entries ...zipEntry) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	w.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.raw {
			h.Method = zip.Store
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	contentTypesXML = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`
	documentXML     = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>关于开展</w:t></w:r><w:r><w:t xml:space="preserve">安全检查的通知</w:t></w:r></w:p>
<w:p><w:r><w:t>联系人：</w:t><w:tab/><w:t>张三</w:t><w:br/><w:t>电话：12345</w:t></w:r></w:p>
</w:body></w:document>`
	headerXML = `<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>某某市人民政府办公室</w:t></w:r></w:p></w:hdr>`
)

// docxFile builds a DOCX with two paragraphs and a header.
func docxFile(t testing.TB) []byte {
	return zipFile(t,
		zipEntry{name: "[Content_Types].xml", data: []byte(contentTypesXML)},
		zipEntry{name: "word/document.xml", data: []byte(documentXML)},
		zipEntry{name: "word/header1.xml", data: []byte(headerXML)},
	)
}

// ofdFile builds the skeleton of an OFD package.
func ofdFile(t testing.TB) []byte {
	return zipFile(t,
		zipEntry{name: "OFD.xml", data: []byte(`<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>`)},
		zipEntry{name: "Doc_0/Document.xml", data: []byte(`<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>`)},
	)
}

// rawPDF builds a PDF from object bodies (object i+1 is objs[i]; object 1
// is the catalog) with a correct xref table, for structures fpdf would
// never write.
func rawPDF(objs ...string) []byte {
	b := []byte("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = len(b)
		b = fmt.Appendf(b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := len(b)
	b = fmt.Appendf(b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		b = fmt.Appendf(b, "%010d 00000 n \n", off)
	}
	return fmt.Appendf(b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
}
