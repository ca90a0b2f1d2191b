package filecheck

import (
	"bytes"
	"encoding/binary"
	"mime"
	"strings"
)

// Format is a document format, identified by its content. The value is the lower-case
// name DOMAIN.md uses ("jpeg", "png", ...), so it reads well in logs and JSON.
type Format string

// The formats documents may have. FormatUnknown is everything else.
const (
	FormatUnknown Format = ""
	FormatJPEG    Format = "jpeg"
	FormatPNG     Format = "png"
	FormatBMP     Format = "bmp"
	FormatGIF     Format = "gif"
	FormatPDF     Format = "pdf"
)

// SniffLen is how many leading bytes Sniff needs to recognise every format; a shorter
// head may come back FormatUnknown.
const SniffLen = 18

// Sniff identifies the format of a file from its first bytes (at least SniffLen of them,
// more are ignored). Only magic bytes count: anything else, including HTML, SVG, XML and
// text, is FormatUnknown, and so is a magic number that does not start at offset 0.
func Sniff(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return FormatJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return FormatGIF
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return FormatPDF
	case isBMP(head):
		return FormatBMP
	}
	return FormatUnknown
}

// isBMP recognises a BMP file header. "BM" alone is too weak (any text starting with
// "BM"), so the reserved fields must be zero and the DIB header size one that exists.
func isBMP(h []byte) bool {
	if len(h) < 18 || h[0] != 'B' || h[1] != 'M' || h[6]|h[7]|h[8]|h[9] != 0 {
		return false
	}
	switch binary.LittleEndian.Uint32(h[14:18]) {
	case 12, 40, 52, 56, 64, 108, 124: // core, info, v2, v3, OS/2 v2, v4, v5
		return true
	}
	return false
}

// ContentType returns the canonical media type of f, to store and serve a document with;
// for FormatUnknown it is application/octet-stream, which no browser renders.
func ContentType(f Format) string {
	switch f {
	case FormatJPEG:
		return "image/jpeg"
	case FormatPNG:
		return "image/png"
	case FormatBMP:
		return "image/bmp"
	case FormatGIF:
		return "image/gif"
	case FormatPDF:
		return "application/pdf"
	}
	return "application/octet-stream"
}

// FormatOf maps a declared media type (case-insensitive, parameters ignored) to a format,
// for refusing an upload early. It proves nothing about the content: Check still sniffs.
// Common aliases (image/jpg, image/pjpeg, image/x-ms-bmp, image/x-bmp) are accepted.
func FormatOf(contentType string) (Format, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return FormatUnknown, false
	}
	switch strings.ToLower(mt) {
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return FormatJPEG, true
	case "image/png":
		return FormatPNG, true
	case "image/bmp", "image/x-ms-bmp", "image/x-bmp":
		return FormatBMP, true
	case "image/gif":
		return FormatGIF, true
	case "application/pdf":
		return FormatPDF, true
	}
	return FormatUnknown, false
}

// label is how a format is named in messages.
func label(f Format) string {
	if f == FormatUnknown {
		return "unknown"
	}
	return strings.ToUpper(string(f))
}
