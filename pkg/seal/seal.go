// Package seal draws a company's electronic seal when it uploaded none: the round red seal
// of Chinese companies, the name along the upper arc with each character turned to follow
// the circle, a five-pointed star in the middle, nothing below it (the form of a company's
// official seal, 公章, not of a special-purpose one). The result is a 180x180 PNG with a
// transparent background, the same bytes for the same name, so it can be stored once and
// compared in tests.
//
// The font (GB 2312 from Droid Sans Fallback, see font/README.md) is embedded here and
// nowhere else, so only the function that draws seals carries it.
package seal

import (
	"bytes"
	_ "embed" // the seal font
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/seal/sealfont"
)

//go:embed font/droid-sans-fallback.sfg
var fontFile string

// Size is the width and height of a seal in pixels.
const Size = 180

// MaxNameRunes is the longest company name a seal takes. Names registered in China rarely
// pass 30 characters; at 40 the glyphs are about 12 pixels high, the least that stays
// legible on a 180-pixel seal.
const MaxNameRunes = 40

// The seal's red, #D40000.
const inkR, inkG, inkB = 0xd4, 0x00, 0x00

// Errors Draw returns for a name it refuses; each is wrapped with the detail.
var (
	ErrEmptyName      = errors.New("seal: company name is empty")
	ErrNameTooLong    = fmt.Errorf("seal: company name is longer than %d characters", MaxNameRunes)
	ErrInvalidName    = errors.New("seal: company name is not valid UTF-8 text")
	ErrUnsupportedChr = errors.New("seal: company name has a character the seal font lacks (it has GB 2312)")
)

// Draw returns the seal of companyName as a PNG. ASCII is drawn as its full-width form,
// as on printed seals; spaces around the name are ignored.
func Draw(companyName string) ([]byte, error) {
	f, err := sealfont.Parse(fontFile)
	if err != nil {
		return nil, fmt.Errorf("seal: the embedded font: %w", err)
	}
	glyphs, err := nameGlyphs(f, companyName)
	if err != nil {
		return nil, err
	}
	mask := rasterize(f.UnitsPerEm(), glyphs)
	var buf bytes.Buffer
	if err := png.Encode(&buf, colorize(mask)); err != nil {
		return nil, fmt.Errorf("seal: encode the PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// nameGlyphs validates the name and looks up the outline of each of its characters.
func nameGlyphs(f *sealfont.Font, name string) ([]sealfont.Glyph, error) {
	if len(name) > MaxNameRunes*utf8.UTFMax+256 { // refuse huge input before reading it
		return nil, ErrNameTooLong
	}
	if !utf8.ValidString(name) {
		return nil, ErrInvalidName
	}
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return nil, ErrEmptyName
	case n > MaxNameRunes:
		return nil, fmt.Errorf("%w: it has %d", ErrNameTooLong, n)
	}
	glyphs := make([]sealfont.Glyph, 0, n)
	i := 0
	for _, r := range name {
		i++
		if unicode.IsControl(r) {
			return nil, fmt.Errorf("%w: character %d is a control character", ErrInvalidName, i)
		}
		g, ok, err := f.Glyph(fullWidth(r), nil)
		if err != nil {
			return nil, fmt.Errorf("seal: the embedded font: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("%w: character %d (%U)", ErrUnsupportedChr, i, r)
		}
		glyphs = append(glyphs, g)
	}
	return glyphs, nil
}

// fullWidth maps printable ASCII to its full-width form (U+FF01-FF5E, the space to the
// ideographic space): seals give every character a full cell, and the font, a CJK one,
// has these forms rather than Latin letters.
func fullWidth(r rune) rune {
	switch {
	case r == ' ' || unicode.IsSpace(r):
		return '\u3000'
	case r > ' ' && r < 0x7f:
		return r - 0x21 + 0xff01
	}
	return r
}

// colorize turns the ink coverage into red with that alpha on a transparent background.
func colorize(mask *image.Alpha) *image.NRGBA {
	img := image.NewNRGBA(mask.Rect)
	for i, a := range mask.Pix {
		if a == 0 {
			continue
		}
		p := img.Pix[i*4 : i*4+4 : i*4+4]
		p[0], p[1], p[2], p[3] = inkR, inkG, inkB, a
	}
	return img
}
