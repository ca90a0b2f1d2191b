package filecheck

import (
	"bytes"
	"encoding/binary"
)

// StripMetadata returns b without the metadata cameras and editors embed, which can tell
// where and when a document was photographed and by whom: in a JPEG, every APP1 segment
// (Exif, GPS included, and XMP), APP13 (Photoshop, IPTC) and COM (comments); in a PNG,
// the eXIf, tEXt, zTXt and iTXt chunks. removed reports whether anything was taken out.
//
// Everything else is copied byte for byte: the pixel data, the segments and chunks the
// decoders need (JFIF APP0, ICC profiles in APP2, the Adobe APP14 that says how colours
// are stored, PNG's palette, gamma and transparency) and the PNG chunks' CRCs, which
// cover each chunk alone. So a file CheckBytes accepts is still accepted, and decodes to
// the same pixels. The Exif orientation goes with the rest: a viewer shows such a photo
// as it was stored, which a reviewer can rotate.
//
// b is never modified. Other formats, and files whose structure cannot be walked to
// the end of the image (CheckBytes refuses those), come back as they are with removed
// false, as does a file with nothing to remove; without metadata nothing is allocated.
func StripMetadata(b []byte) (out []byte, removed bool) {
	var drop [][2]int
	switch Sniff(b) {
	case FormatJPEG:
		drop = jpegMetadata(b)
	case FormatPNG:
		drop = pngMetadata(b)
	}
	if len(drop) == 0 {
		return b, false
	}
	return without(b, drop), true
}

// without returns a copy of b without the byte ranges drop ([start, end), in order and
// apart).
func without(b []byte, drop [][2]int) []byte {
	n := len(b)
	for _, r := range drop {
		n -= r[1] - r[0]
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, r := range drop {
		out = append(out, b[pos:r[0]]...)
		pos = r[1]
	}
	return append(out, b[pos:]...)
}

// jpegMetadata walks a JPEG's segments as jpegStructure does and returns the ranges of
// the metadata segments, each from its marker's first byte (fill included) to its end;
// nil if there are none or the walk does not reach EOI.
func jpegMetadata(b []byte) [][2]int {
	var drop [][2]int
	pos := 2 // after SOI
	for {
		if pos >= len(b) || b[pos] != 0xff {
			return nil
		}
		start := pos
		for pos < len(b) && b[pos] == 0xff {
			pos++
		}
		if pos >= len(b) {
			return nil
		}
		m := b[pos]
		pos++
		switch {
		case m == 0xd9: // EOI
			return drop
		case m == 0x01 || 0xd0 <= m && m <= 0xd7: // TEM, RSTn: no length
			continue
		case m == 0x00 || m == 0xd8 || len(b)-pos < 2:
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[pos:]))
		if n < 2 || len(b)-pos < n {
			return nil
		}
		pos += n
		if jpegMetadataMarker(m) {
			drop = append(drop, [2]int{start, pos})
		}
		if m == 0xda { // SOS: the entropy-coded data follows
			if pos = jpegScanEnd(b, pos); pos < 0 {
				return nil
			}
		}
	}
}

// jpegMetadataMarker reports whether segments with marker m hold metadata: APP1 (Exif
// or XMP, standard and extended), APP13 (Photoshop IRB, IPTC) or COM.
func jpegMetadataMarker(m byte) bool { return m == 0xe1 || m == 0xed || m == 0xfe }

// jpegScanEnd returns the offset of the first 0xFF (fill included) of the marker after
// the entropy-coded data at pos (stuffed FF00 and restart markers are part of the data),
// or -1 if the file ends first.
func jpegScanEnd(b []byte, pos int) int {
	for {
		i := bytes.IndexByte(b[pos:], 0xff)
		if i < 0 {
			return -1
		}
		j := pos + i + 1
		for j < len(b) && b[j] == 0xff {
			j++
		}
		if j >= len(b) {
			return -1
		}
		if c := b[j]; c == 0x00 || 0xd0 <= c && c <= 0xd7 {
			pos = j + 1
			continue
		}
		return pos + i
	}
}

// pngMetadata walks a PNG's chunks to IEND and returns the ranges of the metadata
// chunks, each whole (length, type, data, CRC); nil if there are none or the walk does
// not reach IEND.
func pngMetadata(b []byte) [][2]int {
	var drop [][2]int
	pos := 8 // after the signature
	for {
		if len(b)-pos < 12 {
			return nil
		}
		n := int64(binary.BigEndian.Uint32(b[pos:]))
		if n > 1<<31-1 || int64(len(b)-pos-12) < n {
			return nil
		}
		end := pos + 12 + int(n)
		switch string(b[pos+4 : pos+8]) {
		case "eXIf", "tEXt", "zTXt", "iTXt":
			drop = append(drop, [2]int{pos, end})
		case "IEND":
			return drop
		}
		pos = end
	}
}
