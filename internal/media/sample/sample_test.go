package sample_test

import (
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/media"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
)

// TestSamplesAreWhatMediaReads: each sample is sniffed as its type, with
// its size or duration read back.
func TestSamplesAreWhatMediaReads(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		typ  string
	}{{"a.jpg", sample.JPEG(40, 30, 10), "image/jpeg"}, {"a.png", sample.PNG(40, 30, 10), "image/png"},
		{"a.mp4", sample.MP4(95*time.Second, 720, 1280, 0), "video/mp4"}} {
		info, err := media.Inspect(c.data, c.name, media.DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if info.Type.MediaType != c.typ {
			t.Errorf("%s: %s, want %s", c.name, info.Type.MediaType, c.typ)
		}
		if c.typ == "video/mp4" && (info.Duration != 95*time.Second || info.Width != 720 || info.Height != 1280) {
			t.Errorf("mp4: %+v", info)
		} else if c.typ != "video/mp4" && (info.Width != 40 || info.Height != 30) {
			t.Errorf("%s: %+v", c.name, info)
		}
	}
}
