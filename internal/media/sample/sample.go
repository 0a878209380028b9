// Package sample makes small, valid media files (a JPEG, a PNG, an MP4 of
// a given length) for the load benchmark, the demo and the end-to-end
// tests, which need real files for the channels that require a cover or a
// video.
package sample

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"time"
)

// JPEG is a w×h JPEG of one colour, shade picking it.
func JPEG(w, h int, shade uint8) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, fill(w, h, shade), nil); err != nil {
		panic(err) // encoding an in-memory image to memory does not fail
	}
	return b.Bytes()
}

// PNG is a w×h PNG of one colour, shade picking it.
func PNG(w, h int, shade uint8) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, fill(w, h, shade)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func fill(w, h int, shade uint8) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: shade, G: 128, B: 255 - shade, A: 255})
		}
	}
	return img
}

// MP4 is an ISO-BMFF file lasting d with a w×h video track and an audio
// track, as media.Inspect reads it: ftyp, moov (mvhd, tracks), and a small
// mdat of filler bytes (padding bytes more).
func MP4(d time.Duration, w, h uint32, padding int) []byte {
	mvhd := append([]byte{0, 0, 0, 0}, be(0, 0, 1000, uint32(d.Milliseconds()))...)
	mvhd = append(mvhd, make([]byte, 80)...)
	moov := box("moov", box("mvhd", mvhd), trak("soun", 0, 0, d), trak("vide", w, h, d))
	return bytes.Join([][]byte{
		box("ftyp", []byte("isom"), be(0x200), []byte("isomiso2mp41")),
		moov,
		box("mdat", bytes.Repeat([]byte{0xAB}, 64+padding)),
	}, nil)
}

func box(typ string, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	return append(append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+8)), typ...), body...)
}

func be(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

func trak(handler string, w, h uint32, d time.Duration) []byte {
	tk := append([]byte{0, 0, 0, 7}, be(0, 0, 1, 0, uint32(d.Milliseconds()))...)
	tk = append(tk, make([]byte, 16+36)...) // reserved, layer, group, volume, matrix
	tk = append(tk, be(w<<16, h<<16)...)
	hdlr := box("hdlr", make([]byte, 8), []byte(handler), make([]byte, 13))
	return box("trak", box("tkhd", tk), box("mdia", hdlr))
}
