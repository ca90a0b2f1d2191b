package filecheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"

	"golang.org/x/image/bmp"
)

// maxJPEGScans bounds the scans of a progressive JPEG (see the package documentation).
const maxJPEGScans = 100

// maxDeflateRatio is the most deflate can expand: a 258-byte match in two bits.
const maxDeflateRatio = 1032

// checkImage checks an image whose format f has been sniffed and allowed. The order
// matters: first the walk over the file's structure (truncation, trailing data, extra
// frames), which allocates nothing; then the header, so that a pixel bomb, or an image
// whose decode would take more than MaxDecodeMemory, is refused before anything is
// allocated for its pixels; only then the full decode.
func checkImage(b []byte, f Format, rule ImageRule, res Result) Result {
	var hdr imageHeader
	var code, msg string
	switch f {
	case FormatJPEG:
		code, msg = jpegStructure(b, &hdr)
	case FormatPNG:
		code, msg = pngStructure(b, &hdr)
	case FormatGIF:
		code, msg = gifStructure(b, &hdr)
	}
	if code != "" {
		return res.fail(code, "%s", msg)
	}

	cfg, err := decodeConfig(f, b)
	if err != nil {
		return decodeFailure(res, err)
	}
	res.Width, res.Height = cfg.Width, cfg.Height
	w, h := cfg.Width, cfg.Height
	switch {
	case w < 1 || h < 1:
		return res.fail(Corrupt, "The %s image has no pixels.", label(f))
	case w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels:
		return res.fail(TooLarge, "The image is %dx%d pixels; at most %d pixels per side and %d in all are accepted.", w, h, MaxSide, MaxPixels)
	}
	mem, err := decodeMemory(f, b, hdr, w, h)
	if err != nil {
		res.Detail = err.Error()
		return res.fail(Corrupt, "The %s file is damaged or incomplete.", label(f))
	}
	res.DecodeMemory = mem
	if mem > MaxDecodeMemory {
		res.Detail = fmt.Sprintf("decode would allocate about %d bytes; the budget is %d", mem, int64(MaxDecodeMemory))
		hint := "with fewer pixels"
		if hdr.progressive {
			hint = "as a standard (baseline, not progressive) JPEG, or with fewer pixels"
		}
		return res.fail(TooLarge, "The image is %dx%d pixels and would need %d MiB of memory to check; at most %d MiB is allowed. Save it again %s.",
			w, h, (mem+MiB-1)/MiB, MaxDecodeMemory/MiB, hint)
	}
	if rule.Width != 0 && w != rule.Width || rule.Height != 0 && h != rule.Height {
		return res.fail(BadFormat, "The image is %dx%d pixels; it must be %dx%d.", w, h, rule.Width, rule.Height)
	}
	switch f {
	case FormatPNG:
		code, msg = pngDataSize(b, w, h, hdr.idat)
	case FormatBMP:
		code, msg = bmpStructure(b, w, h)
	}
	if code != "" {
		return res.fail(code, "%s", msg)
	}

	res = decodeImage(b, f, rule, res)
	if mem > collectAbove {
		// The decoded image is garbage now. Collected at once, it does not stay on the heap
		// while the caller's next document is read and decoded, which with the GC's
		// default pacing can bring the peak to more than twice a single check's.
		runtime.GC()
	}
	return res
}

// collectAbove is the decode estimate above which checkImage collects the garbage the
// decode left before returning: a collection costs a few milliseconds, a decode of 16 MiB
// tens of milliseconds or more.
const collectAbove = 16 * MiB

// decodeImage decodes a w x h image (res.Width x res.Height) in full and checks the
// decoded pixels against rule.
func decodeImage(b []byte, f Format, rule ImageRule, res Result) Result {
	img, err := decode(f, b)
	if err != nil {
		return decodeFailure(res, err)
	}
	if got := img.Bounds().Size(); got.X != res.Width || got.Y != res.Height {
		return res.fail(Corrupt, "The %s image's size does not match its header.", label(f))
	}
	if rule.Transparent && opaque(img) {
		return res.fail(BadFormat, "The image must have a transparent background.")
	}
	return res
}

func decodeConfig(f Format, b []byte) (image.Config, error) {
	r := bytes.NewReader(b)
	switch f {
	case FormatJPEG:
		return jpeg.DecodeConfig(r)
	case FormatPNG:
		return png.DecodeConfig(r)
	case FormatGIF:
		return gif.DecodeConfig(r)
	case FormatBMP:
		return bmp.DecodeConfig(r)
	}
	return image.Config{}, errors.New("filecheck: not an image format")
}

// decode decodes with the format's own decoder, never image.Decode, whose registry any
// imported package can extend.
func decode(f Format, b []byte) (image.Image, error) {
	r := bytes.NewReader(b)
	switch f {
	case FormatJPEG:
		return jpeg.Decode(r)
	case FormatPNG:
		return png.Decode(r)
	case FormatGIF:
		return gif.Decode(r)
	case FormatBMP:
		return bmp.Decode(r)
	}
	return nil, errors.New("filecheck: not an image format")
}

// decodeFailure tells a variant the decoders do not support (which the user can fix by
// re-saving the file) from a damaged file.
func decodeFailure(res Result, err error) Result {
	res.Detail = err.Error()
	var pu png.UnsupportedError
	var ju jpeg.UnsupportedError
	if errors.As(err, &pu) || errors.As(err, &ju) || errors.Is(err, bmp.ErrUnsupported) {
		return res.fail(BadFormat, "This kind of %s file is not supported; save it again as a standard %s.", label(res.Format), label(res.Format))
	}
	return res.fail(Corrupt, "The %s file is damaged or incomplete.", label(res.Format))
}

// opaque reports whether every pixel is fully opaque. All standard image types answer
// Opaque themselves; the loop is for any other.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

const (
	msgTruncated = "The %s file is incomplete."
	msgTrailing  = "The %s file has data after the end of the image."
)

func truncated(f Format) (string, string) { return Corrupt, fmt.Sprintf(msgTruncated, label(f)) }
func trailing(f Format) (string, string)  { return Corrupt, fmt.Sprintf(msgTrailing, label(f)) }

// jpegStructure walks the JPEG segment by segment from SOI to EOI. After EOI only zero
// bytes may follow. It records in hdr the first frame header (SOF0, SOF1 or SOF2) before
// the first scan, which is the one the decoder reads (a second one is an error to it), and
// whether there is an APP14 segment.
func jpegStructure(b []byte, hdr *imageHeader) (string, string) {
	pos, scans := 2, 0 // after SOI
	for {
		if pos >= len(b) {
			return truncated(FormatJPEG)
		}
		if b[pos] != 0xff {
			return Corrupt, "The JPEG file has stray data between its segments."
		}
		for pos < len(b) && b[pos] == 0xff { // fill bytes may precede a marker
			pos++
		}
		if pos >= len(b) {
			return truncated(FormatJPEG)
		}
		m := b[pos]
		pos++
		switch {
		case m == 0xd9: // EOI
			for _, c := range b[pos:] {
				if c != 0 {
					return trailing(FormatJPEG)
				}
			}
			return "", ""
		case m == 0x01 || 0xd0 <= m && m <= 0xd7: // TEM, RSTn: no length
			continue
		case m == 0x00 || m == 0xd8:
			return Corrupt, "The JPEG file has an invalid marker."
		}
		if len(b)-pos < 2 {
			return truncated(FormatJPEG)
		}
		n := int(binary.BigEndian.Uint16(b[pos:]))
		if n < 2 {
			return Corrupt, "The JPEG file has an invalid segment length."
		}
		if len(b)-pos < n {
			return truncated(FormatJPEG)
		}
		switch {
		case (m == 0xc0 || m == 0xc1 || m == 0xc2) && hdr.sof == nil && scans == 0:
			hdr.sof, hdr.progressive = b[pos+2:pos+n], m == 0xc2
		case m == 0xee:
			hdr.app14 = true
		}
		pos += n
		if m != 0xda { // not SOS
			continue
		}
		if scans++; scans > maxJPEGScans {
			return BadFormat, fmt.Sprintf("The JPEG file has more than %d scans; save it again as a standard JPEG.", maxJPEGScans)
		}
		// Entropy-coded data runs to the next 0xFF that is not stuffed (FF00), a restart
		// marker (FFD0-FFD7) or fill.
		for {
			i := bytes.IndexByte(b[pos:], 0xff)
			if i < 0 {
				return truncated(FormatJPEG)
			}
			j := pos + i + 1
			for j < len(b) && b[j] == 0xff {
				j++
			}
			if j >= len(b) {
				return truncated(FormatJPEG)
			}
			if c := b[j]; c == 0x00 || 0xd0 <= c && c <= 0xd7 {
				pos = j + 1
				continue
			}
			pos = j - 1 // the 0xFF before the marker
			break
		}
	}
}

// pngStructure walks the chunks up to IEND, refusing APNG and anything after IEND, and
// records in hdr the total length of the image data (IDAT) for pngDataSize and whether
// there is a tRNS chunk.
func pngStructure(b []byte, hdr *imageHeader) (string, string) {
	pos := 8 // after the signature
	for {
		if len(b)-pos < 12 {
			return truncated(FormatPNG)
		}
		n := int64(binary.BigEndian.Uint32(b[pos:]))
		typ := string(b[pos+4 : pos+8])
		if n > 1<<31-1 {
			return Corrupt, "The PNG file has an invalid chunk length."
		}
		if int64(len(b)-pos-12) < n {
			return truncated(FormatPNG)
		}
		switch typ {
		case "acTL":
			return BadFormat, "Animated PNG files are not accepted."
		case "IDAT":
			hdr.idat += n
		case "tRNS":
			hdr.trns = true
		case "IEND":
			if int64(len(b)-pos-12) != n {
				return trailing(FormatPNG)
			}
			return "", ""
		}
		pos += 12 + int(n)
	}
}

// pngDataSize refuses image data too short to hold w*h pixels at the best compression
// deflate can reach, so that such a file is not given a full-size pixel buffer before it
// fails. DecodeConfig succeeded, so IHDR is the first chunk: bit depth at offset 24,
// colour type at 25 (an invalid one counts as one channel; the decoder refuses it).
func pngDataSize(b []byte, w, h int, idat int64) (string, string) {
	bits := int64(b[24]) * int64(max(pngChannels(b[25]), 1))
	if need := int64(w) * int64(h) * bits / 8; idat*maxDeflateRatio+1024 < need {
		return Corrupt, "The PNG file's image data is too short for its size."
	}
	return "", ""
}

func pngChannels(colorType byte) int {
	switch colorType {
	case 0, 3: // grey, palette
		return 1
	case 2: // RGB
		return 3
	case 4: // grey + alpha
		return 2
	case 6: // RGBA
		return 4
	}
	return 0
}

// gifStructure walks the blocks to the trailer, refusing a second image (animation) before
// any frame is decoded, and anything after the trailer. It records in hdr whether the
// frame is interlaced.
func gifStructure(b []byte, hdr *imageHeader) (string, string) {
	if len(b) < 13 {
		return truncated(FormatGIF)
	}
	pos := 13 // header and logical screen descriptor
	if p := b[10]; p&0x80 != 0 {
		pos += 3 << (p&7 + 1) // global colour table
	}
	frames := 0
	for {
		if pos >= len(b) {
			return truncated(FormatGIF)
		}
		switch b[pos] {
		case 0x21: // extension: label, then sub-blocks
			pos += 2
		case 0x2c: // image descriptor
			if frames++; frames > 1 {
				return BadFormat, "Animated GIF files are not accepted."
			}
			if len(b)-pos < 11 {
				return truncated(FormatGIF)
			}
			p := b[pos+9]
			hdr.gifInterlaced = p&0x40 != 0
			pos += 10
			if p&0x80 != 0 {
				pos += 3 << (p&7 + 1) // local colour table
			}
			pos++ // LZW minimum code size
		case 0x3b: // trailer
			if pos+1 != len(b) {
				return trailing(FormatGIF)
			}
			return "", "" // no frame at all is left to the decoder to refuse
		default:
			return Corrupt, "The GIF file has an unknown block."
		}
		for { // data sub-blocks, ended by an empty one
			if pos >= len(b) {
				return truncated(FormatGIF)
			}
			n := int(b[pos])
			pos++
			if n == 0 {
				break
			}
			pos += n
		}
	}
}

// bmpStructure checks the file size field and that the pixel array ends the file, but for
// up to 3 zero bytes of alignment padding. DecodeConfig has accepted the headers.
func bmpStructure(b []byte, w, h int) (string, string) {
	if int64(binary.LittleEndian.Uint32(b[2:6])) != int64(len(b)) {
		return Corrupt, "The BMP file's size field does not match its length."
	}
	offset := int64(binary.LittleEndian.Uint32(b[10:14]))
	bpp := int64(binary.LittleEndian.Uint16(b[28:30]))
	row := (int64(w)*bpp + 31) / 32 * 4
	end := offset + row*int64(h)
	switch {
	case int64(len(b)) < end:
		return truncated(FormatBMP)
	case int64(len(b))-end > 3:
		return trailing(FormatBMP)
	}
	for _, c := range b[end:] {
		if c != 0 {
			return trailing(FormatBMP)
		}
	}
	return "", ""
}
