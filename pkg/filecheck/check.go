package filecheck

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Problem codes, the machine-readable reasons the review worker records. TooLarge has the
// value of kyc.ETOOLARGE.
const (
	TooLarge      = "too_large"      // over the slot's byte limit, too many pixels, or over the decode budget
	BadFormat     = "bad_format"     // empty, not an allowed format by content, or a refused variant
	Corrupt       = "corrupt"        // truncated, does not decode, or data after the end
	ActiveContent = "active_content" // a PDF with scripts, automatic actions or embedded files
)

// Image limits, checked from the header before the pixels are decoded. 40 megapixels is
// above any phone camera's default output. They bound the decode's time; its memory is
// bounded by MaxDecodeMemory, which refuses some images within them (a 40-megapixel
// 16-bit PNG would need 320 MB).
const (
	MaxPixels = 40_000_000
	MaxSide   = 20_000
)

// Result is the outcome of checking one file.
type Result struct {
	Code    string // "" when the file is accepted, else TooLarge, BadFormat, Corrupt or ActiveContent
	Message string // why, in words safe to show the user; "" when accepted
	Detail  string // decoder error text or similar, for the operator's log only
	Format  Format // the sniffed format; FormatUnknown if not recognised
	Width   int    // image size in pixels, when the header was read
	Height  int
	// DecodeMemory is the estimate of the bytes a full decode allocates, when the size
	// was within the pixel limits (see MaxDecodeMemory); 0 otherwise and for PDFs.
	DecodeMemory int64
}

// OK reports whether the file was accepted.
func (r Result) OK() bool { return r.Code == "" }

func (r Result) fail(code, format string, args ...any) Result {
	r.Code, r.Message = code, fmt.Sprintf(format, args...)
	return r
}

// Check reads a document from r, at most slot.MaxBytes+1 bytes of it, and checks it as
// CheckBytes does. The error is only ever a read error; problems with the content are in
// the Result. A caller that knows the size already (an S3 HEAD) can refuse an object
// over slot.MaxBytes without reading it.
func Check(r io.Reader, slot Slot) (Result, error) {
	limit := max(slot.MaxBytes, 0)
	if limit < math.MaxInt64 {
		limit++ // one byte more than allowed tells "too large" from "exactly at the limit"
	}
	b, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return Result{}, err
	}
	return CheckBytes(b, slot), nil
}

// CheckBytes checks a whole document against a slot's rules: its size, its format by
// content, its structure and a full decode. See the package documentation for the rules.
func CheckBytes(b []byte, slot Slot) Result {
	f := Sniff(b)
	res := Result{Format: f}
	switch {
	case int64(len(b)) > slot.MaxBytes:
		return res.fail(TooLarge, "The file is %d bytes; %s allows at most %d bytes.", len(b), slot.Name, max(slot.MaxBytes, 0))
	case len(b) == 0:
		return res.fail(BadFormat, "The file is empty.")
	case f == FormatUnknown:
		return res.fail(BadFormat, "The file is not a JPEG, PNG, BMP, GIF or PDF file.")
	case !slot.Allows(f):
		return res.fail(BadFormat, "%s files are not accepted for %s; accepted: %s.", label(f), slot.Name, formatList(slot.Formats))
	case f == FormatPDF:
		return checkPDF(b, res)
	}
	return checkImage(b, f, slot.Image, res)
}

func formatList(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = label(f)
	}
	return strings.Join(names, ", ")
}
