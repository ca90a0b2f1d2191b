// Package filechecktest makes small, valid document files for tests: images from the
// standard encoders and hand-written PDFs with a correct cross-reference table.
package filechecktest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
)

// picture is an opaque w x h gradient, so that encoders have something to compress.
func picture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 255 / max(w, 1)), uint8(y * 255 / max(h, 1)), 0x80, 0xff})
		}
	}
	return m
}

func must(err error) {
	if err != nil {
		panic("filechecktest: " + err.Error()) // encoding into memory cannot fail for these images
	}
}

// PNG returns an opaque w x h PNG.
func PNG(w, h int) []byte {
	var b bytes.Buffer
	must(png.Encode(&b, picture(w, h)))
	return b.Bytes()
}

// TransparentPNG returns a w x h PNG with an alpha channel: a filled disc on a fully
// transparent background, as a company seal is.
func TransparentPNG(w, h int) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := w/2, h/2, min(w, h)/2
	for y := range h {
		for x := range w {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				m.Set(x, y, color.NRGBA{0xd0, 0x10, 0x10, 0xff})
			}
		}
	}
	var b bytes.Buffer
	must(png.Encode(&b, m))
	return b.Bytes()
}

// JPEG returns a w x h baseline JPEG.
func JPEG(w, h int) []byte {
	var b bytes.Buffer
	must(jpeg.Encode(&b, picture(w, h), &jpeg.Options{Quality: 80}))
	return b.Bytes()
}

// GIF returns a single-frame w x h GIF.
func GIF(w, h int) []byte { return AnimatedGIF(w, h, 1) }

// AnimatedGIF returns a w x h GIF with the given number of frames.
func AnimatedGIF(w, h, frames int) []byte {
	g := &gif.GIF{}
	for i := range frames {
		m := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for y := range h {
			for x := range w {
				m.SetColorIndex(x, y, uint8(x+y+i))
			}
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	must(gif.EncodeAll(&b, g))
	return b.Bytes()
}

// BMP returns a w x h 24-bit BMP.
func BMP(w, h int) []byte {
	var b bytes.Buffer
	must(bmp.Encode(&b, picture(w, h)))
	return b.Bytes()
}

// PDF returns a small valid PDF 1.7 file: a catalog (object 1) holding catalogExtra (PDF
// dictionary entries, may be empty), an empty page tree (object 2) and the given further
// objects, numbered from 3 (each the text between "N 0 obj" and "endobj"), followed by a
// correct cross-reference table, trailer and %%EOF.
func PDF(catalogExtra string, objects ...string) []byte {
	objs := append([]string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogExtra + " >>",
		"<< /Type /Pages /Kids [] /Count 0 >>",
	}, objects...)
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") // the binary comment marks the file as binary
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// Stream returns the text of a stream object with the given dictionary entries and data.
func Stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// FlateStream returns the text of a FlateDecode stream object holding data compressed.
func FlateStream(dict string, data []byte) string {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, err := w.Write(data)
	must(err)
	must(w.Close())
	return Stream(dict+" /Filter /FlateDecode", z.Bytes())
}
