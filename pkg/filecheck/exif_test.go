package filecheck_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"reflect"
	"testing"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
)

// decodePixels decodes an image with its format's own decoder.
func decodePixels(t testing.TB, f filecheck.Format, b []byte) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch f {
	case filecheck.FormatJPEG:
		img, err = jpeg.Decode(bytes.NewReader(b))
	case filecheck.FormatPNG:
		img, err = png.Decode(bytes.NewReader(b))
	default:
		t.Fatalf("no decoder for %q", f)
	}
	if err != nil {
		t.Fatalf("decode %s: %v", f, err)
	}
	return img
}

// metadataLeft names what of filechecktest's metadata b still holds.
func metadataLeft(b []byte) []string {
	var left []string
	for _, m := range []string{filechecktest.Owner, "Exif\x00\x00", "MM\x00\x2a", "GPSLatitude", "8BIM", "eXIf", "tEXt", "zTXt", "iTXt"} {
		if bytes.Contains(b, []byte(m)) {
			left = append(left, m)
		}
	}
	return left
}

// TestStripMetadata: Exif with a GPS position, XMP, IPTC, comments and PNG text chunks
// are removed, and exactly they: the result is the file before they were added, still
// accepted by the checks and decoding to the same pixels.
func TestStripMetadata(t *testing.T) {
	plainJPEG := filechecktest.JPEG(64, 40)
	progressive := filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 24, Height: 16, Progressive: true, Sampling: []byte{0x11, 0x11, 0x11}})
	plainPNG := filechecktest.PNG(64, 40)
	// Ancillary chunks that are not metadata stay: gamma and physical size.
	gamma := pngChunk("gAMA", []byte{0, 0, 0xb1, 0x8f})
	phys := pngChunk("pHYs", []byte{0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1})
	const ihdrEnd = 8 + 12 + 13
	pngExtras := cat(plainPNG[:ihdrEnd], gamma, phys, plainPNG[ihdrEnd:])
	seal := filechecktest.TransparentPNG(180, 180)
	tests := []struct {
		name   string
		plain  []byte
		format filecheck.Format
		slot   string
	}{
		{"baseline JPEG", plainJPEG, filecheck.FormatJPEG, "frontOfID"},
		{"progressive JPEG", progressive, filecheck.FormatJPEG, "licence"},
		{"PNG", plainPNG, filecheck.FormatPNG, "frontOfID"},
		{"PNG with gamma and physical size", pngExtras, filecheck.FormatPNG, "backOfID"},
		{"transparent PNG seal", seal, filecheck.FormatPNG, "signImg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filechecktest.PNGWithMetadata(tt.plain)
			if tt.format == filecheck.FormatJPEG {
				in = filechecktest.JPEGWithMetadata(tt.plain)
			}
			s := slot(t, tt.slot)
			if res := filecheck.CheckBytes(in, s); !res.OK() {
				t.Fatalf("the file with metadata is refused (%s: %s): the test builds a broken file", res.Code, res.Detail)
			}
			if len(metadataLeft(in)) == 0 || !bytes.Contains(in, []byte{0x88, 0x25, 0x00, 0x04}) {
				t.Fatal("the file with metadata has no GPS pointer or owner")
			}
			orig := bytes.Clone(in)

			out, removed := filecheck.StripMetadata(in)
			if !removed {
				t.Fatal("removed = false, want true")
			}
			if !bytes.Equal(in, orig) {
				t.Error("StripMetadata modified its input")
			}
			if left := metadataLeft(out); len(left) != 0 {
				t.Errorf("metadata left: %q", left)
			}
			if !bytes.Equal(out, tt.plain) {
				t.Errorf("result (%d bytes) is not the file without its metadata (%d bytes)", len(out), len(tt.plain))
			}
			if res := filecheck.CheckBytes(out, s); !res.OK() {
				t.Errorf("the stripped file is refused: %s %s", res.Code, res.Detail)
			}
			if a, b := decodePixels(t, tt.format, in), decodePixels(t, tt.format, out); !reflect.DeepEqual(a, b) {
				t.Error("the stripped file decodes to other pixels")
			}
			again, removedAgain := filecheck.StripMetadata(out)
			if removedAgain || !bytes.Equal(again, out) {
				t.Errorf("a second strip removed %v (%d -> %d bytes), want nothing", removedAgain, len(out), len(again))
			}
		})
	}
}

// Files without metadata, other formats and files whose structure cannot be walked come
// back as they are (the same slice; nothing allocated when there was no metadata), with
// removed false.
func TestStripMetadataNothingToRemove(t *testing.T) {
	withGPS := filechecktest.JPEGWithMetadata(filechecktest.JPEG(16, 16))
	pngMeta := filechecktest.PNGWithMetadata(filechecktest.PNG(16, 16))
	tests := []struct {
		name   string
		in     []byte
		walked bool // the walk reached the end without finding metadata: nothing allocated
	}{
		{"JPEG without metadata", filechecktest.JPEG(32, 32), true},
		{"PNG without metadata", filechecktest.PNG(32, 32), true},
		{"GIF", filechecktest.GIF(8, 8), true},
		{"BMP", filechecktest.BMP(8, 8), true},
		{"PDF", filechecktest.PDF(""), true},
		{"HTML", []byte("<html>Exif GPS</html>"), true},
		{"empty", nil, true},
		{"JPEG cut off before EOI", withGPS[:len(withGPS)-40], false},
		{"JPEG with a segment longer than the file", withGPS[:30], false},
		{"JPEG with stray bytes between segments", cat(withGPS[:2], []byte{0x00}, withGPS[2:]), false},
		{"PNG cut off before IEND", pngMeta[:len(pngMeta)-12], false},
		{"PNG with a chunk longer than the file", pngMeta[:60], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out []byte
			var removed bool
			alloc := testing.AllocsPerRun(10, func() { out, removed = filecheck.StripMetadata(tt.in) })
			if removed || !bytes.Equal(out, tt.in) {
				t.Errorf("StripMetadata = %d bytes, removed %v; want the input back unchanged", len(out), removed)
			}
			if len(tt.in) > 0 && &out[0] != &tt.in[0] {
				t.Error("the result is a copy; want the input itself when nothing is removed")
			}
			if tt.walked && alloc != 0 {
				t.Errorf("%v allocations when nothing is removed, want 0", alloc)
			}
		})
	}
}

// Metadata segments after the entropy-coded data go too, with the fill bytes that
// precede their marker; the scan and EOI stay.
func TestStripMetadataAfterScan(t *testing.T) {
	plain := filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 24, Height: 16, Progressive: true, Sampling: []byte{0x11, 0x11, 0x11}})
	comment := cat([]byte{0xff, 0xff, 0xff, 0xfe, 0x00, 0x0b}, []byte(filechecktest.Owner))
	in := cat(plain[:len(plain)-2], comment, plain[len(plain)-2:])
	s := slot(t, "licence")
	if res := filecheck.CheckBytes(in, s); !res.OK() {
		t.Fatalf("the file with a comment after its scan is refused: %s %s", res.Code, res.Detail)
	}
	out, removed := filecheck.StripMetadata(in)
	if !removed || !bytes.Equal(out, plain) {
		t.Fatalf("removed %v, %d bytes; want the comment and its fill removed (%d bytes)", removed, len(out), len(plain))
	}
}

// FuzzStripMetadata: StripMetadata never panics, never changes its input, never grows a
// file, is idempotent, and keeps a file that the checks accept accepted, with the same
// pixels, once its metadata is gone.
func FuzzStripMetadata(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.data)
	}
	f.Add(filechecktest.JPEGWithMetadata(filechecktest.JPEG(8, 8)))
	f.Add(filechecktest.PNGWithMetadata(filechecktest.PNG(8, 8)))
	f.Add(filechecktest.JPEGWithMetadata(filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 24, Height: 16, Progressive: true, Sampling: []byte{0x11, 0x11, 0x11}})))
	f.Add(filechecktest.PNGWithMetadata(filechecktest.FlatPNG(filechecktest.PNGSpec{Width: 9, Height: 7, ColorType: 3, TRNS: true})))
	lic, ok := filecheck.LookupSlot("licence") // every format, the largest files
	if !ok {
		f.Fatal("no slot licence")
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		out, removed := filecheck.StripMetadata(in)
		if !bytes.Equal(in, orig) {
			t.Fatal("StripMetadata modified its input")
		}
		if !removed && !bytes.Equal(out, in) || removed && len(out) >= len(in) {
			t.Fatalf("removed %v: %d bytes -> %d", removed, len(in), len(out))
		}
		again, removedAgain := filecheck.StripMetadata(out)
		if removedAgain || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: a second strip removed %d bytes", len(out)-len(again))
		}
		if !removed {
			return
		}
		before := filecheck.CheckBytes(in, lic)
		if !before.OK() {
			return
		}
		after := filecheck.CheckBytes(out, lic)
		if !after.OK() || after.Format != before.Format || after.Width != before.Width || after.Height != before.Height {
			t.Fatalf("accepted %s %dx%d before, %+v after", before.Format, before.Width, before.Height, after)
		}
		if a, b := decodePixels(t, before.Format, in), decodePixels(t, after.Format, out); !reflect.DeepEqual(a, b) {
			t.Fatal("the stripped file decodes to other pixels")
		}
	})
}
