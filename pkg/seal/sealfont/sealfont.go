// Package sealfont is the file format of the seal font: glyph outlines of a chosen set of
// characters, taken once from an open-licence font by tools/sealfont and read by pkg/seal.
// A format of our own rather than a subset TrueType file because Go can read sfnt but not
// write it, and because the seal needs only outlines: no hinting, kerning or shaping.
//
// Layout (integers big-endian):
//
//	"SEALFNT1"                      magic and version
//	uint16 unitsPerEm               coordinate units in one em
//	uint32 n                        number of glyphs
//	n × (uint32 rune, uint32 off)   sorted by rune; off counts from the glyph data
//	glyph data
//
// A glyph is its advance (uvarint), then ops, each an Op byte and its points (1 for Move
// and Line, 2 for Quad, 3 for Cube), ended by OpEnd. A point is two zigzag varints, x then
// y, each the difference from the previous point (the first from the origin). Coordinates
// are relative to the centre of the glyph's cell (half the advance across, the middle of
// the ideographic em box down), y growing downwards as in images, so a glyph is centred by
// translating its outline and nothing else.
package sealfont

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Magic starts every seal font file; the digit is the format version.
const Magic = "SEALFNT1"

// Op is the kind of one outline segment.
type Op byte

// The ops, numbered as in the file.
const (
	OpEnd Op = iota
	OpMove
	OpLine
	OpQuad
	OpCube
)

// points is how many points follow each op.
var points = [...]int{OpEnd: 0, OpMove: 1, OpLine: 1, OpQuad: 2, OpCube: 3}

// Point is a position in font units.
type Point struct{ X, Y int32 }

// Segment is one op of an outline with its points (only the first points[Op] are used).
type Segment struct {
	Op Op
	P  [3]Point
}

// Glyph is one character's outline.
type Glyph struct {
	Rune     rune
	Advance  int32
	Segments []Segment
}

const headerLen = len(Magic) + 2 + 4

const indexEntryLen = 8

// Encode writes glyphs (any order, no rune twice) as a seal font file.
func Encode(unitsPerEm uint16, glyphs []Glyph) ([]byte, error) {
	gs := slices.Clone(glyphs)
	slices.SortFunc(gs, func(a, b Glyph) int { return int(a.Rune) - int(b.Rune) })
	head := make([]byte, 0, headerLen+indexEntryLen*len(gs))
	head = append(head, Magic...)
	head = binary.BigEndian.AppendUint16(head, unitsPerEm)
	head = binary.BigEndian.AppendUint32(head, uint32(len(gs)))
	var data []byte
	for i, g := range gs {
		if i > 0 && gs[i-1].Rune == g.Rune {
			return nil, fmt.Errorf("sealfont: rune %U given twice", g.Rune)
		}
		if g.Advance < 0 {
			return nil, fmt.Errorf("sealfont: rune %U has a negative advance", g.Rune)
		}
		head = binary.BigEndian.AppendUint32(head, uint32(g.Rune))
		head = binary.BigEndian.AppendUint32(head, uint32(len(data)))
		var err error
		if data, err = appendGlyph(data, g); err != nil {
			return nil, err
		}
	}
	return append(head, data...), nil
}

func appendGlyph(b []byte, g Glyph) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(g.Advance))
	var pen Point
	for _, s := range g.Segments {
		if s.Op == OpEnd || int(s.Op) >= len(points) {
			return nil, fmt.Errorf("sealfont: rune %U has a segment with op %d", g.Rune, s.Op)
		}
		b = append(b, byte(s.Op))
		for _, p := range s.P[:points[s.Op]] {
			b = binary.AppendVarint(b, int64(p.X-pen.X))
			b = binary.AppendVarint(b, int64(p.Y-pen.Y))
			pen = p
		}
	}
	return append(b, byte(OpEnd)), nil
}

// Font is a parsed seal font file. It reads glyphs straight from the file's text (a
// string, so an embedded file is immutable and shared without a copy), and opening one
// costs nothing whatever the number of glyphs.
type Font struct {
	unitsPerEm int32
	n          int
	index      string
	data       string
}

// ErrFormat reports a file that is not a valid seal font.
var ErrFormat = errors.New("sealfont: not a valid seal font file")

// Parse checks the header of a seal font file.
func Parse(b string) (*Font, error) {
	if len(b) < headerLen || b[:len(Magic)] != Magic {
		return nil, fmt.Errorf("%w: bad header", ErrFormat)
	}
	upem := uint16(b[len(Magic)])<<8 | uint16(b[len(Magic)+1])
	n := int(be32(b[len(Magic)+2:]))
	if upem == 0 || n > (len(b)-headerLen)/indexEntryLen {
		return nil, fmt.Errorf("%w: bad units per em or glyph count", ErrFormat)
	}
	end := headerLen + n*indexEntryLen
	return &Font{unitsPerEm: int32(upem), n: n, index: b[headerLen:end], data: b[end:]}, nil
}

// UnitsPerEm is the number of font units in one em.
func (f *Font) UnitsPerEm() int32 { return f.unitsPerEm }

// Len is the number of glyphs.
func (f *Font) Len() int { return f.n }

// RuneAt is the rune of the i-th glyph in rune order, for listing the coverage.
func (f *Font) RuneAt(i int) rune {
	return rune(be32(f.index[i*indexEntryLen:]))
}

// Glyph decodes the outline of r, appending its segments to buf[:0]; ok is false when
// the font has no glyph for r.
func (f *Font) Glyph(r rune, buf []Segment) (g Glyph, ok bool, err error) {
	lo, hi := 0, f.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if f.RuneAt(m) < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == f.n || f.RuneAt(lo) != r {
		return Glyph{}, false, nil
	}
	off := be32(f.index[lo*indexEntryLen+4:])
	if int64(off) >= int64(len(f.data)) {
		return Glyph{}, false, fmt.Errorf("%w: glyph %U starts past the end", ErrFormat, r)
	}
	g, err = decodeGlyph(f.data[off:], r, buf[:0])
	return g, err == nil, err
}

func be32(s string) uint32 {
	_ = s[3]
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}

// uvarint is binary.Uvarint for a string.
func uvarint(s string) (uint64, int) {
	var x uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -1 // overflows 64 bits
			}
			return x | uint64(c)<<(7*i), i + 1
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	return 0, 0
}

// varint is binary.Varint (zigzag) for a string.
func varint(s string) (int64, int) {
	ux, n := uvarint(s)
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x, n
}

func decodeGlyph(b string, r rune, segs []Segment) (Glyph, error) {
	adv, n := uvarint(b)
	if n <= 0 || adv > coordLimit {
		return Glyph{}, fmt.Errorf("%w: glyph %U has a bad advance", ErrFormat, r)
	}
	b = b[n:]
	var pen Point
	for {
		if len(b) == 0 {
			return Glyph{}, fmt.Errorf("%w: glyph %U has no end", ErrFormat, r)
		}
		op := Op(b[0])
		b = b[1:]
		if op == OpEnd {
			return Glyph{Rune: r, Advance: int32(adv), Segments: segs}, nil
		}
		if int(op) >= len(points) {
			return Glyph{}, fmt.Errorf("%w: glyph %U has op %d", ErrFormat, r, op)
		}
		s := Segment{Op: op}
		for i := range points[op] {
			var err error
			if pen, b, err = readPoint(b, pen); err != nil {
				return Glyph{}, fmt.Errorf("glyph %U: %w", r, err)
			}
			s.P[i] = pen
		}
		segs = append(segs, s)
	}
}

// coordLimit bounds a coordinate so that no file, however made, overflows the int32
// arithmetic of the reader or the float32 of the rasteriser.
const coordLimit = 1 << 20

func readPoint(b string, pen Point) (Point, string, error) {
	dx, n := varint(b)
	if n <= 0 {
		return pen, "", fmt.Errorf("%w: truncated point", ErrFormat)
	}
	dy, m := varint(b[n:])
	if m <= 0 {
		return pen, "", fmt.Errorf("%w: truncated point", ErrFormat)
	}
	x, y := int64(pen.X)+dx, int64(pen.Y)+dy
	if x < -coordLimit || x > coordLimit || y < -coordLimit || y > coordLimit {
		return pen, "", fmt.Errorf("%w: point out of range", ErrFormat)
	}
	return Point{X: int32(x), Y: int32(y)}, b[n+m:], nil
}
