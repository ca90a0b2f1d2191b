package filecheck

import (
	"encoding/binary"
	"errors"
)

// MaxDecodeMemory is the decode budget: the most memory a full decode of one image may
// allocate, estimated from its header (see decodeMemory) before anything is decoded. An
// image over it is TooLarge.
//
// 64 MiB takes every baseline JPEG up to MaxPixels in 4:2:0 (the phone cameras' output:
// 1.5 bytes a pixel, 57 MiB at 40 megapixels), 4:4:4 baseline JPEGs to 22 megapixels,
// progressive JPEGs to 8.9 megapixels in 4:2:0 (an A4 page scanned at 300 dpi is 8.7) and
// 4.4 in 4:4:4, and 8-bit PNGs to 16.7 megapixels. What it refuses, the user can save
// again as a baseline JPEG or with fewer pixels; the message says so. With the file itself
// (at most 10 MiB) and the Go runtime, a worker checking one document at a time peaks
// under 200 MB (see the package documentation).
const MaxDecodeMemory = 64 * MiB

// decodeOverhead covers what a decoder allocates besides its pixel and coefficient
// buffers: its own state, Huffman and LZW tables, a 32 KiB inflate window, the palette,
// the image.Config of DecodeConfig. Measured: under 60 KiB for every format.
const decodeOverhead = 128 << 10

// imageHeader is what the structure walk found that DecodeConfig does not report and the
// decode's memory depends on.
type imageHeader struct {
	idat int64 // PNG: total length of the IDAT chunks
	trns bool  // PNG: a tRNS chunk (grey and RGB images then decode to NRGBA or NRGBA64)

	gifInterlaced bool // GIF: the first frame is interlaced (the decoder copies its pixels)

	sof         []byte // JPEG: payload of the first SOF0, SOF1 or SOF2 segment; nil if none
	progressive bool   // JPEG: that segment is SOF2
	app14       bool   // JPEG: an APP14 segment (Adobe colour transform) anywhere
}

var errFrameHeader = errors.New("filecheck: frame header does not match the image size")

// decodeMemory estimates, from the header alone, how many bytes the full decode of a
// w x h image of format f allocates (what decode does, by the standard decoders' code):
//
//   - JPEG (image/jpeg): with mxx x myy MCUs (ceil(w/8H0) x ceil(h/8V0), H0 and V0 the
//     first component's sampling factors; a single component counts as 1x1) and S the
//     sum of every component's H*V, the YCbCr or Gray image (plus the K plane of a
//     four-component image) is 64*mxx*myy*S bytes. A progressive image also keeps every
//     block's 64 int32 DCT coefficients for the whole image: 256*mxx*myy*S more. A
//     four-component image, and a three-component one that is RGB (components named R,
//     G, B, or an Adobe APP14 segment, counted without looking at its transform), is then
//     converted to a 4-byte-a-pixel RGBA or CMYK image while the rest is still held:
//     4*w*h more.
//   - PNG (image/png): w*h times the bytes a pixel of the image type the decoder makes:
//     Gray and Paletted 1, Gray16 2, RGBA and NRGBA 4 (8-bit RGB, RGBA, grey+alpha, or
//     grey with tRNS), RGBA64 and NRGBA64 8 (16-bit the same). Interlaced (Adam7) images
//     have each pass decoded into an image of its own and copied: twice as much. Plus
//     two rows of filtered data, per pass when interlaced.
//   - GIF (image/gif): one byte a pixel for the first frame (at most the logical screen),
//     twice that when the frame is interlaced.
//   - BMP (x/image/bmp): 1 byte a pixel up to 8 bits a pixel (Paletted), else 4 (RGBA or
//     NRGBA), plus one row.
//
// Every format adds decodeOverhead. The error means the JPEG frame header the walk found
// is not the one the decoder read (it cannot happen for a file that passed the walk and
// DecodeConfig; the caller treats it as Corrupt).
func decodeMemory(f Format, b []byte, hdr imageHeader, w, h int) (int64, error) {
	W, H := int64(w), int64(h)
	var n int64
	switch f {
	case FormatJPEG:
		var err error
		if n, err = jpegMemory(hdr, W, H); err != nil {
			return 0, err
		}
	case FormatPNG:
		n = pngMemory(b[24], b[25], b[28] != 0, hdr.trns, W, H)
	case FormatGIF:
		n = W * H
		if hdr.gifInterlaced {
			n *= 2
		}
	case FormatBMP:
		n = W*H*4 + 4*W + 4
		if binary.LittleEndian.Uint16(b[28:30]) <= 8 {
			n = W*H + W + 4
		}
	}
	return n + decodeOverhead, nil
}

// jpegMemory is decodeMemory for a JPEG; see there.
func jpegMemory(hdr imageHeader, w, h int64) (int64, error) {
	sof := hdr.sof
	if len(sof) < 6 {
		return 0, errFrameHeader
	}
	nc := int(sof[5])
	if int64(binary.BigEndian.Uint16(sof[1:3])) != h || int64(binary.BigEndian.Uint16(sof[3:5])) != w ||
		nc != 1 && nc != 3 && nc != 4 || len(sof) != 6+3*nc {
		return 0, errFrameHeader
	}
	h0, v0, sum := int64(1), int64(1), int64(1)
	if nc > 1 {
		sum = 0
		for i := range nc {
			hv := sof[6+3*i+1]
			hi, vi := int64(hv>>4), int64(hv&0x0f)
			if hi < 1 || hi > 4 || vi < 1 || vi > 4 {
				return 0, errFrameHeader // the decoder refuses these; DecodeConfig did not
			}
			if i == 0 {
				h0, v0 = hi, vi
			}
			sum += hi * vi
		}
	}
	mcus := (w + 8*h0 - 1) / (8 * h0) * ((h + 8*v0 - 1) / (8 * v0))
	n := 64 * mcus * sum // the decoded planes
	if hdr.progressive {
		n += 4 * 64 * mcus * sum // a block of 64 int32 coefficients for every 64 samples
	}
	rgb := nc == 3 && (hdr.app14 || sof[6] == 'R' && sof[9] == 'G' && sof[12] == 'B')
	if nc == 4 || rgb {
		n += 4 * w * h // the RGBA or CMYK image converted to
	}
	return n, nil
}

// pngMemory is decodeMemory for a PNG; see there.
func pngMemory(depth, colorType byte, interlaced, trns bool, w, h int64) int64 {
	var px int64 // bytes a pixel of the decoded image
	switch colorType {
	case 0: // grey: Gray or Gray16, NRGBA or NRGBA64 with tRNS
		px = 1
		if trns {
			px = 4
		}
	case 2, 4, 6: // RGB, grey+alpha, RGBA: RGBA or NRGBA
		px = 4
	case 3: // palette
		px = 1
	}
	if depth == 16 {
		px *= 2
	}
	rows := 2 * (1 + (w*int64(max(pngChannels(colorType), 1))*int64(depth)+7)/8)
	n := w*h*px + rows
	if interlaced {
		n = 2*w*h*px + 7*rows
	}
	return n
}
