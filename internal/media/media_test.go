package media

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// refusedCode returns the code of a *RefusedError, or fails.
func refusedCode(t *testing.T, err error) string {
	t.Helper()
	var r *RefusedError
	if !errors.As(err, &r) {
		t.Fatalf("error %v (%T) is not a *RefusedError", err, err)
	}
	if r.Code == "" || r.Message == "" || r.MessageZH == "" || r.Error() != r.Message {
		t.Fatalf("incomplete refusal %+v", r)
	}
	return r.Code
}

func mustInspect(t *testing.T, data []byte, name string) Info {
	t.Helper()
	before := bytes.Clone(data)
	info, err := Inspect(data, name, DefaultLimits())
	if err != nil {
		t.Fatalf("Inspect(%s): %v", name, err)
	}
	if !bytes.Equal(data, before) {
		t.Fatalf("Inspect(%s) modified its input", name)
	}
	sum := sha256.Sum256(info.Data)
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != int64(len(info.Data)) {
		t.Fatalf("SHA256/Size do not describe Data: %s, %d", info.SHA256, info.Size)
	}
	return info
}

func TestSniffTypesByContentNotName(t *testing.T) {
	// A DOCX whose first entry is a 4 KB stored thumbnail: word/ lies past
	// the 3 KB mimetype reads, so only the ZIP directory tells.
	thumb := make([]byte, 4096)
	rand.Read(thumb)
	lateDOCX := zipFile(t,
		zipEntry{name: "docProps/thumbnail.jpeg", data: thumb, raw: true},
		zipEntry{name: "[Content_Types].xml", data: []byte(contentTypesXML)},
		zipEntry{name: "word/document.xml", data: []byte(documentXML)},
	)
	accepted := []struct {
		name, file string
		data       []byte
		want       Type
	}{
		{"jpeg", "photo.png", jpegFile(t), Type{"image/jpeg", KindImage, ".jpg"}},
		{"png", "photo.jpg", pngFile(t), Type{"image/png", KindImage, ".png"}},
		{"gif", "anim.webp", gifFile(t), Type{"image/gif", KindImage, ".gif"}},
		{"webp", "pic.gif", webpFile(t), Type{"image/webp", KindImage, ".webp"}},
		{"mp4", "clip.mov", mp4File(0), Type{"video/mp4", KindVideo, ".mp4"}},
		{"pdf", "scan.jpg", pdfFile(t, "hello"), Type{"application/pdf", KindDocument, ".pdf"}},
		{"docx", "notice.pdf", docxFile(t), typeDOCX},
		{"docx beyond mimetype's window", "notice.zip", lateDOCX, typeDOCX},
		{"ofd", "notice.zip", ofdFile(t), Type{MediaTypeOFD, KindDocument, ".ofd"}},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			got, err := Sniff(c.data, c.file)
			if err != nil || got != c.want {
				t.Fatalf("Sniff = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 120)...)
	binary.LittleEndian.PutUint16(elf[16:], 2) // ET_EXEC
	exe := append([]byte("MZ\x90\x00"), make([]byte, 124)...)
	refused := []struct {
		name, file string
		data       []byte
		detected   string
	}{
		{"elf", "photo.jpg", elf, "application/x-"},
		{"exe", "photo.jpg", exe, "application/"},
		{"zip without OFD.xml", "notice.ofd", zipFile(t, zipEntry{name: "Doc_0/Document.xml", data: []byte("<x/>")}), "application/zip"},
		{"plain text", "notice.pdf", []byte("关于开展安全检查的通知\n"), "text/plain"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			_, err := Sniff(c.data, c.file)
			if code := refusedCode(t, err); code != CodeUnsupportedType {
				t.Fatalf("code %q, want %q", code, CodeUnsupportedType)
			}
			var r *RefusedError
			errors.As(err, &r)
			if !strings.Contains(r.MessageZH, "检测到的实际类型为 "+c.detected) || !strings.Contains(r.Message, c.detected) {
				t.Fatalf("messages do not name the detected type %q: %q / %q", c.detected, r.Message, r.MessageZH)
			}
		})
	}
}

func TestInspectJPEGStripsExif(t *testing.T) {
	for _, bo := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(bo.String(), func(t *testing.T) {
			plain := jpegFile(t)
			exif := jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(bo, "张三")...))
			xmp := jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
			com := jpegSegment(0xFE, []byte("taken on the 3rd floor"))
			data := insertAfter(plain, 2, exif, xmp, com)
			data = append(data, "trailing motion-photo video"...)

			info := mustInspect(t, data, "photo.jpg")
			if !info.HasLocation || !info.HasOwner {
				t.Errorf("HasLocation %v, HasOwner %v; want both", info.HasLocation, info.HasOwner)
			}
			want := []string{"comment", "exif", "gps", "owner", "trailing_data", "xmp"}
			if !slices.Equal(info.Stripped, want) {
				t.Errorf("Stripped %q, want %q", info.Stripped, want)
			}
			if bytes.Contains(info.Data, []byte("Exif\x00\x00")) || bytes.Contains(info.Data, []byte("张三")) {
				t.Error("stripped JPEG still holds Exif or the owner's name")
			}
			if !bytes.Equal(info.Data, plain) {
				t.Error("stripped JPEG differs from the encoder's output beyond the removed segments")
			}
			if _, _, err := image.Decode(bytes.NewReader(info.Data)); err != nil {
				t.Errorf("stripped JPEG does not decode: %v", err)
			}
			if sum := sha256.Sum256(plain); info.SHA256 != hex.EncodeToString(sum[:]) {
				t.Error("SHA256 is not that of the stripped bytes")
			}
			if info.Width != 24 || info.Height != 16 {
				t.Errorf("size %dx%d, want 24x16", info.Width, info.Height)
			}
		})
	}
}

func TestInspectJPEGWithoutMetadataIsUnchanged(t *testing.T) {
	plain := jpegFile(t)
	icc := jpegSegment(0xE2, []byte("ICC_PROFILE\x00\x01\x01fake"))
	jfif := jpegSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	for name, data := range map[string][]byte{"plain": plain, "JFIF and ICC": insertAfter(plain, 2, jfif, icc)} {
		t.Run(name, func(t *testing.T) {
			info := mustInspect(t, data, "photo.jpg")
			if !bytes.Equal(info.Data, data) || len(info.Stripped) > 0 || info.HasLocation || info.HasOwner {
				t.Fatalf("a JPEG without metadata was changed: stripped %q", info.Stripped)
			}
		})
	}
}

func TestInspectJPEGRefusesBrokenStructure(t *testing.T) {
	plain := jpegFile(t)
	_, err := Inspect(plain[:len(plain)/2], "cut.jpg", DefaultLimits())
	if code := refusedCode(t, err); code != CodeUnreadableImage {
		t.Fatalf("code %q, want %q", code, CodeUnreadableImage)
	}
}

// pngCRCsValid walks the chunks of a PNG and checks every CRC.
func pngCRCsValid(t *testing.T, data []byte) {
	t.Helper()
	for pos := 8; pos < len(data); {
		n := int(binary.BigEndian.Uint32(data[pos:]))
		if crc32.ChecksumIEEE(data[pos+4:pos+8+n]) != binary.BigEndian.Uint32(data[pos+8+n:]) {
			t.Fatalf("bad CRC in chunk %q", data[pos+4:pos+8])
		}
		pos += 12 + n
	}
}

func TestInspectPNGStripsText(t *testing.T) {
	plain := pngFile(t)
	const ihdrEnd = 8 + 12 + 13
	data := insertAfter(plain, ihdrEnd,
		pngChunk("tEXt", []byte("Author\x00张三")),
		pngChunk("eXIf", exifTIFF(binary.BigEndian, "")),
		pngChunk("tIME", []byte{0x07, 0xEA, 12, 2, 8, 0, 0}),
	)
	info := mustInspect(t, data, "chart.png")
	if !info.HasOwner || !info.HasLocation {
		t.Errorf("HasOwner %v, HasLocation %v; want both", info.HasOwner, info.HasLocation)
	}
	want := []string{"exif", "gps", "owner", "png_text", "png_time"}
	if !slices.Equal(info.Stripped, want) {
		t.Errorf("Stripped %q, want %q", info.Stripped, want)
	}
	if !bytes.Equal(info.Data, plain) {
		t.Error("stripped PNG differs from the encoder's output beyond the removed chunks")
	}
	pngCRCsValid(t, info.Data)
	if _, _, err := image.Decode(bytes.NewReader(info.Data)); err != nil {
		t.Errorf("stripped PNG does not decode: %v", err)
	}
}

func TestInspectWebPStripsMetadata(t *testing.T) {
	data := webpWithMetadata(t)
	info := mustInspect(t, data, "photo.webp")
	if !info.HasLocation || !info.HasOwner {
		t.Errorf("HasLocation %v, HasOwner %v; want both", info.HasLocation, info.HasOwner)
	}
	if bytes.Contains(info.Data, []byte("EXIF")) || bytes.Contains(info.Data, []byte("XMP ")) {
		t.Error("stripped WebP still holds its EXIF or XMP chunk")
	}
	if got := binary.LittleEndian.Uint32(info.Data[4:]); int(got) != len(info.Data)-8 {
		t.Errorf("RIFF size %d, want %d", got, len(info.Data)-8)
	}
	if flags := info.Data[20]; flags&webpFlagsMetadata != 0 {
		t.Errorf("VP8X flags %#x still announce metadata", flags)
	}
	if _, _, err := image.Decode(bytes.NewReader(info.Data)); err != nil {
		t.Errorf("stripped WebP does not decode: %v", err)
	}
	if info.Width != 1 || info.Height != 1 {
		t.Errorf("size %dx%d, want 1x1", info.Width, info.Height)
	}
}

func TestInspectGIFIsStoredAsIs(t *testing.T) {
	data := gifFile(t)
	info := mustInspect(t, data, "anim.gif")
	if !bytes.Equal(info.Data, data) || info.Width != 24 || info.Height != 16 {
		t.Fatalf("GIF changed or mismeasured: %dx%d", info.Width, info.Height)
	}
}

func TestInspectMP4(t *testing.T) {
	for _, version := range []byte{0, 1} {
		info := mustInspect(t, mp4File(version), "clip.mp4")
		if info.Duration != 15500*time.Millisecond || info.Width != 1080 || info.Height != 1920 {
			t.Errorf("mvhd/tkhd v%d: %v %dx%d, want 15.5s 1080x1920", version, info.Duration, info.Width, info.Height)
		}
		if info.Type.Kind != KindVideo || info.HasLocation || len(info.Stripped) > 0 {
			t.Errorf("v%d: %+v", version, info)
		}
	}
}

func TestInspectMP4BlanksLocation(t *testing.T) {
	udta := mp4Box("udta", mp4Box("\xa9xyz", []byte("\x00\x12\x15\xc7+39.9042+116.4074/")))
	data := mp4File(0, udta)
	info := mustInspect(t, data, "clip.mp4")
	if !info.HasLocation || !slices.Equal(info.Stripped, []string{"gps", "video_metadata"}) {
		t.Errorf("HasLocation %v, Stripped %q", info.HasLocation, info.Stripped)
	}
	if bytes.Contains(info.Data, []byte("+39.9042")) || len(info.Data) != len(data) {
		t.Error("the location is still there, or the file changed size")
	}
	if info.Duration != 15500*time.Millisecond {
		t.Errorf("duration %v after blanking", info.Duration)
	}
	again := mustInspect(t, info.Data, "clip.mp4")
	if again.HasLocation || !bytes.Equal(again.Data, info.Data) {
		t.Error("the blanked file still reports a location or changes again")
	}
}

func TestInspectMP4WithoutMoovIsRefused(t *testing.T) {
	data := bytes.Join([][]byte{
		mp4Box("ftyp", []byte("isom"), be(uint32(0x200)), []byte("isomiso2mp41")),
		mp4Box("mdat", make([]byte, 128)),
	}, nil)
	_, err := Inspect(data, "clip.mp4", DefaultLimits())
	if code := refusedCode(t, err); code != CodeUnreadableVideo {
		t.Fatalf("code %q, want %q", code, CodeUnreadableVideo)
	}
}

func TestInspectPDFText(t *testing.T) {
	info := mustInspect(t, pdfFile(t, "ID 11010519491231002X", "Page two"), "notice.pdf")
	if !info.TextReadable || info.TextTruncated {
		t.Fatalf("TextReadable %v, TextTruncated %v", info.TextReadable, info.TextTruncated)
	}
	id, two := strings.Index(info.Text, "11010519491231002X"), strings.Index(info.Text, "Page two")
	if id < 0 || two < 0 || id > two || !strings.Contains(info.Text[id:two], "\n") {
		t.Fatalf("text %q lacks a page or the page break", info.Text)
	}
}

func TestInspectScannedPDFIsNotReadable(t *testing.T) {
	info := mustInspect(t, scannedPDF(t), "scan.pdf")
	if info.TextReadable || strings.TrimSpace(info.Text) != "" {
		t.Fatalf("a PDF with only a picture: TextReadable %v, text %q", info.TextReadable, info.Text)
	}
}

func TestInspectPDFCyclesDoNotHang(t *testing.T) {
	const content = "<< /Length 24 >>\nstream\nBT (hello) Tj ET        \nendstream"
	cases := map[string][]byte{
		"sound": rawPDF("<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>", content),
		// Reader.Page would descend into object 2 forever.
		"Kids cycle": rawPDF("<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>", content),
		// Looking up the page's inherited Resources would climb forever.
		"Parent cycle": rawPDF("<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 5 0 R /Contents 4 0 R >>", content,
			"<< /Type /Pages /Parent 5 0 R >>"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			info := mustInspect(t, data, "loop.pdf")
			if want := name == "sound"; info.TextReadable != want || want && info.Text != "hello" {
				t.Fatalf("TextReadable %v, text %q", info.TextReadable, info.Text)
			}
		})
	}
}

func TestInspectDOCXText(t *testing.T) {
	info := mustInspect(t, docxFile(t), "notice.docx")
	want := "关于开展安全检查的通知\n联系人：\t张三\n电话：12345\n某某市人民政府办公室\n"
	if !info.TextReadable || info.Text != want {
		t.Fatalf("TextReadable %v, text %q; want %q", info.TextReadable, info.Text, want)
	}
	if info.Type != typeDOCX || len(info.Stripped) > 0 {
		t.Fatalf("type %+v, stripped %q", info.Type, info.Stripped)
	}
}

func TestInspectDOCXTruncatesText(t *testing.T) {
	long := strings.Repeat("通知", maxTextRunes) // twice the cap
	doc := `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>` + long + `</w:t></w:r></w:p></w:body></w:document>`
	info := mustInspect(t, zipFile(t,
		zipEntry{name: "[Content_Types].xml", data: []byte(contentTypesXML)},
		zipEntry{name: "word/document.xml", data: []byte(doc)},
	), "long.docx")
	if !info.TextTruncated || len([]rune(info.Text)) != maxTextRunes {
		t.Fatalf("TextTruncated %v, %d runes", info.TextTruncated, len([]rune(info.Text)))
	}
}

func TestInspectOFDIsNotMachineRead(t *testing.T) {
	info := mustInspect(t, ofdFile(t), "notice.ofd")
	if info.Type.Kind != KindDocument || info.Type.Ext != ".ofd" || info.TextReadable || info.Text != "" {
		t.Fatalf("%+v", info)
	}
}

func TestInspectRefusesZipBombs(t *testing.T) {
	zeros := make([]byte, 100*MiB)
	honest := zipFile(t,
		zipEntry{name: "[Content_Types].xml", data: []byte(contentTypesXML)},
		zipEntry{name: "word/document.xml", data: zeros},
	)
	if len(honest) > 2*MiB {
		t.Fatalf("fixture is %d bytes, not a bomb", len(honest))
	}
	_, err := Inspect(honest, "bomb.docx", DefaultLimits())
	if code := refusedCode(t, err); code != CodeUnreadableDocument || !errors.Is(err, errZipBudget) {
		t.Fatalf("declared 100 MiB: code %q, err %v", code, err)
	}

	// Two parts of 33 MiB each (well-formed XML): the total is over 64 MiB.
	blank := "<w:hdr>" + strings.Repeat(" ", 33*MiB) + "</w:hdr>"
	_, err = Inspect(zipFile(t,
		zipEntry{name: "[Content_Types].xml", data: []byte(contentTypesXML)},
		zipEntry{name: "word/document.xml", data: []byte(blank)},
		zipEntry{name: "word/header1.xml", data: []byte(blank)},
	), "two.docx", DefaultLimits())
	if code := refusedCode(t, err); code != CodeUnreadableDocument || !errors.Is(err, errZipBudget) {
		t.Fatalf("two parts over the total: code %q, err %v", code, err)
	}

	// The same entry claiming 1000 bytes: the reading must stop anyway.
	zr, err := zip.NewReader(bytes.NewReader(honest), int64(len(honest)))
	if err != nil {
		t.Fatal(err)
	}
	doc := zr.File[1]
	h := doc.FileHeader
	h.UncompressedSize64 = 1000
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	ct, _ := w.Create("[Content_Types].xml")
	ct.Write([]byte(contentTypesXML))
	rw, err := w.CreateRaw(&h)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := doc.OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(rw, raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Inspect(b.Bytes(), "liar.docx", DefaultLimits())
	if code := refusedCode(t, err); code != CodeUnreadableDocument {
		t.Fatalf("lying header: code %q, err %v", code, err)
	}
}

func TestInspectRefusesDeepXML(t *testing.T) {
	deep := strings.Repeat("<a>", 100_000)
	_, err := Inspect(zipFile(t,
		zipEntry{name: "[Content_Types].xml", data: []byte(contentTypesXML)},
		zipEntry{name: "word/document.xml", data: []byte(deep)},
	), "deep.docx", DefaultLimits())
	if code := refusedCode(t, err); code != CodeUnreadableDocument {
		t.Fatalf("code %q, want %q", code, CodeUnreadableDocument)
	}
}

func TestLimits(t *testing.T) {
	if DefaultLimits() != (Limits{10 * MiB, 200 * MiB, 50 * MiB}) {
		t.Fatalf("DefaultLimits() = %+v", DefaultLimits())
	}
	if got := (Limits{}).Max(KindVideo); got != 200*MiB {
		t.Fatalf("zero Limits: video max %d, want the default", got)
	}
	cases := []struct {
		name string
		data []byte
		lim  Limits
		kind string
	}{
		{"image", jpegFile(t), Limits{Image: 100}, "该图片大小为"},
		{"video", mp4File(0), Limits{Video: 100}, "该视频大小为"},
		{"document", pdfFile(t, "x"), Limits{Document: 100}, "该文档大小为"},
		{"the document limit for a PDF", append(pdfFile(t, "x"), make([]byte, 11*MiB)...), Limits{Image: 100, Document: 10 * MiB}, "超过 10 MB 的上限"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Inspect(c.data, "f", c.lim)
			if code := refusedCode(t, err); code != CodeTooLarge {
				t.Fatalf("code %q, want %q", code, CodeTooLarge)
			}
			var r *RefusedError
			errors.As(err, &r)
			if !strings.Contains(r.MessageZH, c.kind) || !strings.Contains(r.Message, "limit") {
				t.Fatalf("messages %q / %q", r.Message, r.MessageZH)
			}
		})
	}
	_, err := Inspect(nil, "empty.pdf", DefaultLimits())
	if code := refusedCode(t, err); code != CodeEmpty {
		t.Fatalf("empty file: code %q", code)
	}
}

func TestValidName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"关于2026年防汛工作的通知.pdf", true},
		{"report (final) v2.docx", true},
		{"现场照片-1.jpg", true},
		{strings.Repeat("通", 120), true},
		{strings.Repeat("通", 121), false},
		{"", false},
		{"   ", false},
		{"a/b.pdf", false},
		{`a\b.pdf`, false},
		{".hidden.pdf", false},
		{".", false},
		{"..", false},
		{"a\x00b.pdf", false},
		{"a\nb.pdf", false},
		{"a\tb.pdf", false},
		{"\u202egpj.exe", false},
		{"\xff\xfe.pdf", false},
	}
	for _, c := range cases {
		err := ValidName(c.name)
		if c.ok != (err == nil) {
			t.Errorf("ValidName(%q) = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && refusedCode(t, err) != CodeInvalidName {
			t.Errorf("ValidName(%q): code %q", c.name, refusedCode(t, err))
		}
	}
}
