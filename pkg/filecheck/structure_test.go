package filecheck_test

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/color"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
)

// jpegParts splits a baseline JPEG into what precedes its SOS segment, the SOS segment
// with its entropy-coded data, and the EOI marker.
func jpegParts(t *testing.T, jpg []byte) (head, scan, eoi []byte) {
	t.Helper()
	sos := bytes.Index(jpg, []byte{0xff, 0xda})
	if sos < 0 || !bytes.HasSuffix(jpg, []byte{0xff, 0xd9}) {
		t.Fatal("unexpected JPEG layout")
	}
	return jpg[:sos], jpg[sos : len(jpg)-2], jpg[len(jpg)-2:]
}

func TestJPEGStructure(t *testing.T) {
	jpg := filechecktest.JPEG(32, 32)
	head, scan, eoi := jpegParts(t, jpg)
	thumb := filechecktest.JPEG(8, 8)
	app1 := append([]byte{0xff, 0xe1, byte((len(thumb) + 2) >> 8), byte(len(thumb) + 2)}, thumb...)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		// An EXIF-style thumbnail holds its own FFD8..FFD9 inside APP1: the walk skips it.
		{"embedded thumbnail", cat(jpg[:2], app1, jpg[2:]), ""},
		// A payload hidden before a fake end marker is still after the real EOI.
		{"payload before a fake EOI", cat(jpg, []byte("<html>"), eoi), filecheck.Corrupt},
		{"fill bytes before a marker", cat(head, []byte{0xff, 0xff}, scan, eoi), ""},
		{"stray byte between segments", cat(head, []byte{0x00}, scan, eoi), filecheck.Corrupt},
		{"segment length past the end", cat(head, []byte{0xff, 0xe2, 0xff, 0xff, 0x00}), filecheck.Corrupt},
		{"segment length below 2", cat(head, []byte{0xff, 0xe2, 0x00, 0x01}, scan, eoi), filecheck.Corrupt},
		{"second SOI", cat(head, []byte{0xff, 0xd8}, scan, eoi), filecheck.Corrupt},
		{"101 scans", cat(head, bytes.Repeat(scan, 101), eoi), filecheck.BadFormat},
		{"entropy data cut in an 0xFF run", cat(head, scan, []byte{0xff, 0xff}), filecheck.Corrupt},
	}
	s := slot(t, "frontOfID")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := filecheck.CheckBytes(tt.data, s); got.Code != tt.want {
				t.Fatalf("Code = %q (%s; %s), want %q", got.Code, got.Message, got.Detail, tt.want)
			}
		})
	}
}

func TestBMPVariants(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 13, 7)) // 8-bit with palette, padded rows
	alpha := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	alpha.Set(1, 1, color.NRGBA{1, 2, 3, 4}) // 32-bit with a V4 header
	for name, m := range map[string]image.Image{"gray": gray, "nrgba": alpha} {
		var b bytes.Buffer
		if err := bmp.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		if res := filecheck.CheckBytes(b.Bytes(), slot(t, "frontOfID")); !res.OK() {
			t.Errorf("%s: %+v", name, res)
		}
		if res := filecheck.CheckBytes(b.Bytes()[:b.Len()-1], slot(t, "frontOfID")); res.Code != filecheck.Corrupt {
			t.Errorf("%s truncated: %+v", name, res)
		}
	}
}

// TestPDFDeflateBomb: a stream inflating past the budget is refused, not inflated in full.
func TestPDFDeflateBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses 257 MiB")
	}
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	zeros := make([]byte, filecheck.MiB)
	for range 257 {
		_, _ = w.Write(zeros)
	}
	_ = w.Close()
	pdf := filechecktest.PDF("", filechecktest.Stream("/Filter /FlateDecode", z.Bytes()))
	if res := filecheck.CheckBytes(pdf, slot(t, "licence")); res.Code != filecheck.BadFormat {
		t.Errorf("got %+v", res)
	}
	// Just under the budget passes.
	z.Reset()
	w.Reset(&z)
	_, _ = w.Write(zeros)
	_ = w.Close()
	pdf = filechecktest.PDF("", filechecktest.Stream("/Filter /FlateDecode", z.Bytes()))
	if res := filecheck.CheckBytes(pdf, slot(t, "licence")); !res.OK() {
		t.Errorf("1 MiB stream: %+v", res)
	}
}
