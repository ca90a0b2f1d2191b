package sealfont

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sample() []Glyph {
	return []Glyph{
		{Rune: '国', Advance: 256, Segments: []Segment{
			{Op: OpMove, P: [3]Point{{-120, -100}}},
			{Op: OpLine, P: [3]Point{{120, -100}}},
			{Op: OpQuad, P: [3]Point{{130, 0}, {120, 100}}},
			{Op: OpCube, P: [3]Point{{40, 110}, {-40, 110}, {-120, 100}}},
		}},
		{Rune: 'Ａ', Advance: 256},
		{Rune: '（', Advance: 200, Segments: []Segment{{Op: OpMove, P: [3]Point{{1 << 19, -(1 << 19)}}}}},
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b, err := Encode(256, sample())
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if f.UnitsPerEm() != 256 || f.Len() != 3 || f.RuneAt(0) != 'Ａ' && f.RuneAt(0) != '国' {
		t.Fatalf("header: %d units, %d glyphs", f.UnitsPerEm(), f.Len())
	}
	for _, want := range sample() {
		got, ok, err := f.Glyph(want.Rune, nil)
		if err != nil || !ok {
			t.Fatalf("Glyph(%q) = %v, %v", want.Rune, ok, err)
		}
		if len(want.Segments) == 0 {
			want.Segments = nil
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("glyph %q (-want +got):\n%s", want.Rune, d)
		}
	}
	if _, ok, err := f.Glyph('x', nil); ok || err != nil {
		t.Errorf("Glyph of a missing rune = %v, %v", ok, err)
	}
}

func TestEncodeRefusesDuplicates(t *testing.T) {
	t.Parallel()
	if _, err := Encode(256, append(sample(), Glyph{Rune: '国'})); err == nil {
		t.Error("a rune given twice was encoded")
	}
}

func FuzzParse(f *testing.F) {
	b, err := Encode(256, sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(string(b[:len(b)-3]))
	f.Fuzz(func(t *testing.T, s string) {
		font, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error not ErrFormat: %v", err)
			}
			return
		}
		for i := range min(font.Len(), 8) {
			if _, _, err := font.Glyph(font.RuneAt(i), nil); err != nil && !errors.Is(err, ErrFormat) {
				t.Fatalf("error not ErrFormat: %v", err)
			}
		}
	})
}
