package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"testing"
)

// FuzzInspect feeds arbitrary bytes to Inspect: it must not panic, must
// refuse only with a *RefusedError, must leave its input alone, and what it
// accepts must be consistent: the digest is that of Data, a stripped image
// still has a readable header, and stripping again changes nothing.
//
//	go test -fuzz FuzzInspect -fuzztime 20s ./internal/media/
func FuzzInspect(f *testing.F) {
	jpg := jpegFile(f)
	for _, seed := range [][]byte{
		jpg,
		insertAfter(jpg, 2, jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(binary.BigEndian, "张三")...))),
		insertAfter(pngFile(f), 33, pngChunk("eXIf", exifTIFF(binary.LittleEndian, "x")), pngChunk("tEXt", []byte("Author\x00x"))),
		gifFile(f),
		webpFile(f),
		webpWithMetadata(f),
		mp4File(0),
		mp4File(1, mp4Box("udta", mp4Box("\xa9xyz", []byte("+39.9+116.4/")))),
		pdfFile(f, "ID 11010519491231002X", "Page two"),
		docxFile(f),
		ofdFile(f),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := bytes.Clone(data)
		info, err := Inspect(data, "fuzz", DefaultLimits())
		if !bytes.Equal(data, before) {
			t.Fatal("Inspect modified its input")
		}
		if err != nil {
			var r *RefusedError
			if !errors.As(err, &r) || r.Code == "" || r.MessageZH == "" {
				t.Fatalf("not a complete *RefusedError: %#v", err)
			}
			return
		}
		if sum := sha256.Sum256(info.Data); info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != int64(len(info.Data)) {
			t.Fatal("SHA256/Size do not describe Data")
		}
		if info.Type.Kind != KindImage {
			return
		}
		if _, _, err := image.DecodeConfig(bytes.NewReader(info.Data)); err != nil {
			t.Fatalf("stored image has no readable header: %v", err)
		}
		again, err := Inspect(info.Data, "fuzz", DefaultLimits())
		if err != nil || !bytes.Equal(again.Data, info.Data) || len(again.Stripped) > 0 {
			t.Fatalf("stripping is not idempotent: %v, stripped again %q", err, again.Stripped)
		}
	})
}
