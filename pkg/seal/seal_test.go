package seal

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
)

func draw(t testing.TB, name string) (*image.NRGBA, []byte) {
	t.Helper()
	b, err := Draw(name)
	if err != nil {
		t.Fatalf("Draw(%q): %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Draw(%q) is not a PNG: %v", name, err)
	}
	n, ok := img.(*image.NRGBA)
	if !ok {
		t.Fatalf("Draw(%q) decodes as %T, want NRGBA (an alpha channel)", name, img)
	}
	return n, b
}

// at is the pixel at distance r from the centre, angle a clockwise from the top (degrees).
func at(img *image.NRGBA, r, a float64) color.NRGBA {
	rad := a * math.Pi / 180
	return img.NRGBAAt(int(math.Floor(center+r*math.Sin(rad))), int(math.Floor(center-r*math.Cos(rad))))
}

var red = color.NRGBA{R: 0xd4, A: 0xff}

func TestDrawIsATransparent180PNGWithRingAndStar(t *testing.T) {
	t.Parallel()
	img, _ := draw(t, "北京某某科技有限公司")
	if got := img.Bounds(); got != image.Rect(0, 0, Size, Size) {
		t.Fatalf("bounds %v, want 180x180", got)
	}
	for _, p := range []image.Point{{0, 0}, {Size - 1, 0}, {0, Size - 1}, {Size - 1, Size - 1}, {center, 1}} {
		if c := img.NRGBAAt(p.X, p.Y); c.A != 0 {
			t.Errorf("pixel %v outside the seal is %v, want transparent", p, c)
		}
	}
	ringMid := float64(ringOuter) - ringWidth/2.0
	for a := 0.0; a < 360; a += 7.5 {
		if c := at(img, ringMid, a); c != red {
			t.Errorf("ring at %v° is %v, want %v", a, c, red)
		}
		if c := at(img, ringOuter+1.5, a); c.A != 0 {
			t.Errorf("outside the ring at %v° is %v, want transparent", a, c)
		}
	}
	if c := at(img, 0, 0); c != red {
		t.Errorf("the star's centre is %v, want %v", c, red)
	}
	// Nothing is written below the star: the bottom of the seal between star and rim is empty.
	for r := starOuter + 3; r < ringOuter-ringWidth-2; r++ {
		if c := at(img, r, 180); c.A != 0 {
			t.Errorf("below the star at radius %v: %v, want transparent", r, c)
		}
	}
}

// inkAround counts the inked pixels within half a cell of the i-th of n equal glyphs.
func inkAround(img *image.NRGBA, l nameLayout, i, n int) int {
	theta := l.span * ((float64(i)+0.5)/float64(n) - 0.5)
	cx, cy := center+l.radius*math.Sin(theta), center-l.radius*math.Cos(theta)
	half := l.em * l.width / 2
	count := 0
	for y := int(cy - half); y <= int(cy+half); y++ {
		for x := int(cx - half); x <= int(cx+half); x++ {
			if math.Hypot(float64(x)-cx, float64(y)-cy) <= half && img.NRGBAAt(x, y).A > 0x80 {
				count++
			}
		}
	}
	return count
}

func TestEveryCharacterIsInkedAlongTheArc(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"测试公司", "北京某某科技有限公司", "上海浦东发展（集团）国际贸易股份有限公司北京分公司第一二三四五六"} {
		img, _ := draw(t, name)
		n := len([]rune(name))
		l := layoutName(float64(n)) // every character here is one em wide
		for i, r := range []rune(name) {
			if got := inkAround(img, l, i, n); got < 4 {
				t.Errorf("%q: character %d %q has %d inked pixels in its cell", name, i, r, got)
			}
		}
	}
}

func TestGlyphsShrinkForLongNames(t *testing.T) {
	t.Parallel()
	short, long := layoutName(4), layoutName(MaxNameRunes)
	if short.em != maxGlyphPx || short.width != 1 {
		t.Errorf("a 4-character name is laid out %+v, want full size", short)
	}
	if long.em >= short.em || long.width >= 1 {
		t.Errorf("a %d-character name is laid out %+v, want smaller and narrower than %+v", MaxNameRunes, long, short)
	}
	for _, l := range []nameLayout{short, long} {
		if l.span > maxSpan+1e-9 || l.radius+l.em/2 > textTop+1e-9 {
			t.Errorf("layout %+v leaves the arc or touches the rim", l)
		}
	}
}

func TestDifferentNamesDifferentSeals(t *testing.T) {
	t.Parallel()
	a, ab := draw(t, "北京甲科技有限公司")
	b, bb := draw(t, "北京乙科技有限公司")
	if bytes.Equal(ab, bb) {
		t.Fatal("two names gave the same seal")
	}
	// Only the third character differs, so only its cell may differ (by more than the
	// rounding of the rasteriser's running sums along each row, a level or two of alpha).
	n := 9
	l := layoutName(float64(n))
	theta := l.span * ((2+0.5)/float64(n) - 0.5)
	cx, cy := center+l.radius*math.Sin(theta), center-l.radius*math.Cos(theta)
	for y := range Size {
		for x := range Size {
			pa, pb := int(a.NRGBAAt(x, y).A), int(b.NRGBAAt(x, y).A)
			if abs(pa-pb) > 2 && math.Hypot(float64(x)-cx, float64(y)-cy) > l.em {
				t.Fatalf("pixel (%d,%d), away from the changed character, differs: alpha %d, %d", x, y, pa, pb)
			}
		}
	}
}

func abs(v int) int { return max(v, -v) }

func TestDrawIsDeterministic(t *testing.T) {
	t.Parallel()
	name := "深圳市某某计算机系统有限公司"
	_, first := draw(t, name)
	for range 3 {
		if _, again := draw(t, name); !bytes.Equal(first, again) {
			t.Fatal("the same name gave different bytes")
		}
	}
}

func TestASCIIIsDrawnFullWidth(t *testing.T) {
	t.Parallel()
	_, full := draw(t, "北京ＡＢＣ（集团）有限公司")
	_, ascii := draw(t, " 北京ABC(集团)有限公司 ")
	if !bytes.Equal(full, ascii) {
		t.Error("ASCII letters and brackets are not drawn as their full-width forms (or outer spaces count)")
	}
	img, _ := draw(t, "北京（集团）有限公司")
	l := layoutName(10)
	for _, i := range []int{2, 5} {
		if got := inkAround(img, l, i, 10); got < 4 {
			t.Errorf("bracket %d has %d inked pixels", i, got)
		}
	}
}

func TestDrawRefusesBadNames(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in string
		want     error
		mention  string
	}{
		{"empty", "", ErrEmptyName, ""},
		{"spaces", " \u3000\t", ErrEmptyName, ""},
		{"one too many", strings.Repeat("公", MaxNameRunes+1), ErrNameTooLong, "41"},
		{"huge", strings.Repeat("a", 1<<20), ErrNameTooLong, ""},
		{"not UTF-8", "北京\xff公司", ErrInvalidName, ""},
		{"control", "北京\x00公司", ErrInvalidName, "character 3"},
		{"emoji", "北京😀公司", ErrUnsupportedChr, "character 3 (U+1F600)"},
		{"outside GB 2312", "北京𠀀公司", ErrUnsupportedChr, "U+20000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := Draw(c.in)
			if !errors.Is(err, c.want) || b != nil {
				t.Fatalf("Draw = %d bytes, %v; want %v", len(b), err, c.want)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not say %q", err, c.mention)
			}
		})
	}
	if _, err := Draw(strings.Repeat("公", MaxNameRunes)); err != nil {
		t.Errorf("a name of %d characters is refused: %v", MaxNameRunes, err)
	}
}

// maxPNG bounds a seal's size: an antialiased 180x180 image of red and alpha.
const maxPNG = 64 << 10

func FuzzDraw(f *testing.F) {
	for _, s := range []string{"北京某某科技有限公司", "", "ABC (集团)", strings.Repeat("国", 40), "\xff", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		b, err := Draw(name)
		if err != nil {
			if b != nil {
				t.Fatal("bytes with an error")
			}
			for _, e := range []error{ErrEmptyName, ErrNameTooLong, ErrInvalidName, ErrUnsupportedChr} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if len(b) > maxPNG {
			t.Fatalf("seal of %d bytes", len(b))
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds() != image.Rect(0, 0, Size, Size) {
			t.Fatalf("not a 180x180 PNG: %v", err)
		}
	})
}

func BenchmarkDraw(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Draw("北京某某科技有限公司"); err != nil {
			b.Fatal(err)
		}
	}
}
