// Package filechecktest makes small, valid document files for tests: images from the
// standard encoders and hand-written PDFs with a correct cross-reference table.
package filechecktest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
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

// JPEGSpec describes the JPEG FlatJPEG builds.
type JPEGSpec struct {
	Width, Height int
	// Progressive writes SOF2 and a single DC scan (every block's DC difference is 0);
	// otherwise SOF0 and one baseline scan (DC 0, then end of block).
	Progressive bool
	// Sampling is each component's H<<4|V byte (1, 3 or 4 components); nil means YCbCr
	// 4:2:0 (0x22, 0x11, 0x11).
	Sampling []byte
	// IDs are the components' identifiers, one byte each; "" means 1, 2, 3, 4. "RGB" marks
	// an RGB JPEG, which the decoder converts to RGBA.
	IDs string
	// Adobe writes an Adobe APP14 segment with the colour transform Transform (0 RGB or
	// CMYK, 1 YCbCr, 2 YCCK); four-component JPEGs need one. A JFIF APP0 segment is
	// written when neither Adobe nor IDs is set.
	Adobe     bool
	Transform byte
	// Pad is at least how many bytes of COM segments to add before the frame header, to
	// make the file as large as a detailed photograph of the same size would be.
	Pad int
}

// FlatJPEG returns a valid, fully decodable JPEG of a uniform colour as s describes. Its
// entropy-coded data is one or two bits a block, so a file of a few hundred kilobytes
// can claim tens of megapixels: what a decode budget must be tested against, and what
// image/jpeg cannot write (it encodes baseline 4:2:0 or grey only).
func FlatJPEG(s JPEGSpec) []byte {
	sampling := s.Sampling
	if sampling == nil {
		sampling = []byte{0x22, 0x11, 0x11}
	}
	n := len(sampling)
	ids := []byte(s.IDs)
	if len(ids) == 0 {
		ids = []byte{1, 2, 3, 4}[:n]
	}
	if len(ids) != n || n != 1 && n != 3 && n != 4 || s.Width < 1 || s.Height < 1 || s.Width > 0xffff || s.Height > 0xffff {
		panic("filechecktest: FlatJPEG: bad spec")
	}
	var b bytes.Buffer
	b.Write([]byte{0xff, 0xd8})
	segment := func(marker byte, payload ...byte) {
		b.Write([]byte{0xff, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
		b.Write(payload)
	}
	switch {
	case s.Adobe:
		segment(0xee, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, s.Transform)
	case s.IDs == "":
		segment(0xe0, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	}
	for pad := s.Pad; pad > 0; pad -= 0xfff0 {
		segment(0xfe, make([]byte, min(pad, 0xfff0))...)
	}
	segment(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...) // quantisation table 0: all 1

	sof := []byte{8, byte(s.Height >> 8), byte(s.Height), byte(s.Width >> 8), byte(s.Width), byte(n)}
	for i, hv := range sampling {
		sof = append(sof, ids[i], hv, 0)
	}
	marker := byte(0xc0)
	if s.Progressive {
		marker = 0xc2
	}
	segment(marker, sof...)
	// Huffman tables with one code each, "0": DC table 0 codes difference category 0, AC
	// table 0 codes end of block.
	oneCode := append([]byte{1}, make([]byte, 15)...)
	dht := append(append([]byte{0x00}, oneCode...), 0)
	dht = append(append(append(dht, 0x10), oneCode...), 0)
	segment(0xc4, dht...)
	sos := []byte{byte(n)}
	for i := range n {
		sos = append(sos, ids[i], 0x00)
	}
	if s.Progressive {
		sos = append(sos, 0, 0, 0) // DC only, no successive approximation
	} else {
		sos = append(sos, 0, 63, 0)
	}
	segment(0xda, sos...)

	// The decoder's block count: whole MCUs; a single component is never subsampled.
	h0, v0, blocksPerMCU := 1, 1, 1
	if n > 1 {
		h0, v0, blocksPerMCU = int(sampling[0]>>4), int(sampling[0]&15), 0
		for _, hv := range sampling {
			blocksPerMCU += int(hv>>4) * int(hv&15)
		}
	}
	mcus := (s.Width + 8*h0 - 1) / (8 * h0) * ((s.Height + 8*v0 - 1) / (8 * v0))
	bits := mcus * blocksPerMCU
	if !s.Progressive {
		bits *= 2
	}
	data := make([]byte, (bits+7)/8) // all "0" codes; never an 0xff to stuff
	if r := bits % 8; r != 0 {
		data[len(data)-1] = 1<<(8-r) - 1 // pad the last byte with 1 bits
	}
	b.Write(data)
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// PNGSpec describes the PNG FlatPNG builds.
type PNGSpec struct {
	Width, Height int
	Depth         byte // bits per sample: 1, 2, 4, 8 or 16 as ColorType allows; 0 means 8
	ColorType     byte // 0 grey, 2 RGB, 3 palette (a 2-entry PLTE is written), 4 grey+alpha, 6 RGBA
	Interlaced    bool // Adam7
	TRNS          bool // write a tRNS chunk (grey and RGB: one transparent colour; palette: alpha of entry 0)
	Pad           int  // bytes of a private ancillary chunk ("prVt") after IHDR, to make the file larger
}

// FlatPNG returns a valid PNG of all-zero samples as s describes, compressed at zlib's
// best speed (about 800:1, the most deflate reaches is 1032:1), so that large images stay
// small and quick to build.
func FlatPNG(s PNGSpec) []byte {
	depth := s.Depth
	if depth == 0 {
		depth = 8
	}
	channels := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[s.ColorType]
	if channels == 0 || s.Width < 1 || s.Height < 1 {
		panic("filechecktest: FlatPNG: bad spec")
	}
	chunk := func(b *bytes.Buffer, typ string, data []byte) {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		c = append(append(c, typ...), data...)
		b.Write(binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:])))
	}
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(s.Width))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(s.Height))
	interlace := byte(0)
	if s.Interlaced {
		interlace = 1
	}
	chunk(&b, "IHDR", append(ihdr, depth, s.ColorType, 0, 0, interlace))
	if s.Pad > 0 {
		chunk(&b, "prVt", make([]byte, s.Pad))
	}
	if s.ColorType == 3 {
		chunk(&b, "PLTE", []byte{0, 0, 0, 0xff, 0xff, 0xff})
	}
	if s.TRNS {
		switch s.ColorType {
		case 0:
			chunk(&b, "tRNS", []byte{0, 1})
		case 2:
			chunk(&b, "tRNS", []byte{0, 1, 0, 1, 0, 1})
		case 3:
			chunk(&b, "tRNS", []byte{0})
		}
	}

	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	must(err)
	type pass struct{ x, y, dx, dy int }
	passes := []pass{{0, 0, 1, 1}}
	if s.Interlaced {
		passes = []pass{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
	}
	for _, p := range passes {
		w := (s.Width - p.x + p.dx - 1) / p.dx
		h := (s.Height - p.y + p.dy - 1) / p.dy
		if w <= 0 || h <= 0 {
			continue
		}
		row := make([]byte, 1+(w*channels*int(depth)+7)/8) // filter type 0, zero samples
		for range h {
			_, err := zw.Write(row)
			must(err)
		}
	}
	must(zw.Close())
	chunk(&b, "IDAT", z.Bytes())
	chunk(&b, "IEND", nil)
	return b.Bytes()
}
