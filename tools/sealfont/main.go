// Command sealfont builds the seal font (pkg/seal/font/*.sfg) from a TrueType font: the
// outlines of GB 2312 (its 6,763 Hanzi and those of its 682 symbols the font has, the
// full-width forms and brackets included), in the format of pkg/seal/sealfont. It is run by hand
// (make seal-font) when the font or the character set changes, and its output is
// committed, because the Lambda build has no network and must not depend on a system font.
//
//	go run ./tools/sealfont -font /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf -out pkg/seal/font/droid-sans-fallback.sfg
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/realname-kyc/realname/pkg/seal/sealfont"
)

// unitsPerEm is the precision kept: 1/256 em is a tenth of a pixel for the largest glyphs
// a 180-pixel seal draws (about 30 pixels), and keeps most coordinate deltas to one byte.
const unitsPerEm = 256

// emReference is the character whose ink defines the middle of the ideographic em box: a
// full-box Hanzi.
const emReference = '国'

func main() {
	fontPath := flag.String("font", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "TrueType font to take the outlines from")
	out := flag.String("out", "pkg/seal/font/droid-sans-fallback.sfg", "seal font file to write")
	flag.Parse()
	if err := run(*fontPath, *out); err != nil {
		log.Fatal(err)
	}
}

func run(fontPath, out string) error {
	src, err := os.ReadFile(fontPath)
	if err != nil {
		return fmt.Errorf("read the font: %w", err)
	}
	f, err := sfnt.Parse(src)
	if err != nil {
		return fmt.Errorf("parse %s: %w", fontPath, err)
	}
	chars, err := charset()
	if err != nil {
		return err
	}
	glyphs, missing, err := outlines(f, chars)
	if err != nil {
		return err
	}
	for _, r := range missing {
		if required(r) {
			return fmt.Errorf("%s lacks %U %q, which company names use", fontPath, r, r)
		}
	}
	log.Printf("left out %d GB 2312 symbols the font lacks (Latin, Greek, Cyrillic, box drawing...)", len(missing))
	b, err := sealfont.Encode(unitsPerEm, glyphs)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write the seal font: %w", err)
	}
	log.Printf("%s: %d glyphs, %d bytes", out, len(glyphs), len(b))
	return nil
}

// required tells the characters the font must have: the Hanzi, the full-width forms (the
// seal draws ASCII as these, so one font serves everything) and the ideographic space.
// Other GB 2312 symbols are kept when the font has them.
func required(r rune) bool {
	return (r >= 0x4e00 && r <= 0x9fff) || (r >= 0xff01 && r <= 0xff5e) || r == 0x3000
}

// charset is every character of GB 2312 (rows 1-9 symbols, 16-87 Hanzi), read through
// the GBK decoder of x/text (GBK is a superset of GB 2312 in EUC-CN).
func charset() ([]rune, error) {
	var rs []rune
	dec := simplifiedchinese.GBK.NewDecoder()
	for row := 1; row <= 87; row++ {
		if row >= 10 && row <= 15 {
			continue // unassigned rows in GB 2312
		}
		for col := 1; col <= 94; col++ {
			s, err := dec.Bytes([]byte{byte(0xa0 + row), byte(0xa0 + col)})
			if err != nil {
				return nil, fmt.Errorf("decode GB 2312 %d-%d: %w", row, col, err)
			}
			r := []rune(string(s))
			if len(r) != 1 || r[0] == '\ufffd' {
				continue // a hole in the table
			}
			rs = append(rs, r[0])
		}
	}
	return rs, nil
}

func outlines(f *sfnt.Font, chars []rune) ([]sealfont.Glyph, []rune, error) {
	var buf sfnt.Buffer
	ppem := fixed.I(unitsPerEm)
	ref, err := f.GlyphIndex(&buf, emReference)
	if err != nil || ref == 0 {
		return nil, nil, fmt.Errorf("the font has no %q to find its em box: %v", emReference, err)
	}
	bounds, _, err := f.GlyphBounds(&buf, ref, ppem, font.HintingNone)
	if err != nil {
		return nil, nil, fmt.Errorf("bounds of %q: %w", emReference, err)
	}
	midY := (bounds.Min.Y + bounds.Max.Y) / 2
	var glyphs []sealfont.Glyph
	var missing []rune
	seen := map[rune]bool{}
	for _, r := range chars {
		if seen[r] {
			continue
		}
		seen[r] = true
		g, ok, err := outline(f, &buf, r, ppem, midY)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			missing = append(missing, r)
			continue
		}
		glyphs = append(glyphs, g)
	}
	return glyphs, missing, nil
}

func outline(f *sfnt.Font, buf *sfnt.Buffer, r rune, ppem, midY fixed.Int26_6) (sealfont.Glyph, bool, error) {
	gi, err := f.GlyphIndex(buf, r)
	if err != nil || gi == 0 {
		return sealfont.Glyph{}, false, err
	}
	adv, err := f.GlyphAdvance(buf, gi, ppem, font.HintingNone)
	if err != nil {
		return sealfont.Glyph{}, false, fmt.Errorf("advance of %U: %w", r, err)
	}
	segs, err := f.LoadGlyph(buf, gi, ppem, nil)
	if err != nil {
		return sealfont.Glyph{}, false, fmt.Errorf("outline of %U: %w", r, err)
	}
	g := sealfont.Glyph{Rune: r, Advance: units(adv)}
	for _, s := range segs {
		out := sealfont.Segment{Op: sealfont.Op(s.Op + 1)} // sfnt numbers ops from MoveTo = 0
		for i, p := range s.Args {
			out.P[i] = sealfont.Point{X: units(p.X - adv/2), Y: units(p.Y - midY)}
		}
		g.Segments = append(g.Segments, out)
	}
	return g, true, nil
}

func units(v fixed.Int26_6) int32 { return int32(math.Round(float64(v) / 64)) }
