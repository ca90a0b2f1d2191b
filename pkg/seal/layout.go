package seal

import (
	"image"
	"math"

	"golang.org/x/image/vector"

	"github.com/realname-kyc/realname/pkg/seal/sealfont"
)

// The geometry of a seal, in pixels from the top-left corner (y grows downwards).
const (
	center     = Size / 2
	ringOuter  = 88   // a pixel of margin so the antialiased edge is not cut
	ringWidth  = 5    // a seal's rim is about a thirtieth of its diameter
	textTop    = 80.0 // the outer edge of the name's glyph cells: 3 pixels inside the rim
	starOuter  = 25.0 // radius of the star's points
	starInner  = starOuter * 0.382
	maxGlyphPx = 32.0 // em height of the name for short names
	minWidth   = 0.62 // the narrowest the name's glyphs are squeezed before they shrink
	gapEm      = 0.12 // space between characters, in ems of their width
	maxSpan    = 250 * math.Pi / 180
	spanCap    = 200 * math.Pi / 180 // short names are spread up to this...
	spread     = 1.5                 // ...by at most this factor of their natural arc
	boldPx     = 0.35                // the font is a regular weight; seals are cut bold
)

// rasterize draws the ring, the star and the name into an alpha mask.
func rasterize(upem int32, glyphs []sealfont.Glyph) *image.Alpha {
	z := vector.NewRasterizer(Size, Size)
	circle(z, ringOuter, false)
	circle(z, ringOuter-ringWidth, true)
	star(z)
	name(z, upem, glyphs)
	mask := image.NewAlpha(image.Rect(0, 0, Size, Size))
	z.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	return mask
}

// circle adds a circle of radius r around the centre as four cubic arcs; reverse makes it
// run the other way, so that inside a larger circle it cuts a hole.
func circle(z *vector.Rasterizer, r float64, reverse bool) {
	const k = 0.5522847498 // control distance of a quarter circle as a cubic, per radius
	dir := 1.0
	if reverse {
		dir = -1
	}
	pt := func(a float64) (float64, float64) { return math.Cos(a), dir * math.Sin(a) }
	z.MoveTo(center+float32(r), center)
	for q := range 4 {
		a0, a1 := float64(q)*math.Pi/2, float64(q+1)*math.Pi/2
		x0, y0 := pt(a0)
		x1, y1 := pt(a1)
		// The tangent at angle a is (-sin a, cos a) (times dir for y).
		c1x, c1y := x0-k*math.Sin(a0), y0+dir*k*math.Cos(a0)
		c2x, c2y := x1+k*math.Sin(a1), y1-dir*k*math.Cos(a1)
		z.CubeTo(f32(center+r*c1x), f32(center+r*c1y), f32(center+r*c2x), f32(center+r*c2y), f32(center+r*x1), f32(center+r*y1))
	}
	z.ClosePath()
}

// star adds a five-pointed star, one point up, in the middle.
func star(z *vector.Rasterizer) {
	for i := range 10 {
		r := starOuter
		if i%2 == 1 {
			r = starInner
		}
		a := float64(i) * math.Pi / 5
		x, y := center+r*math.Sin(a), center-r*math.Cos(a)
		if i == 0 {
			z.MoveTo(f32(x), f32(y))
		} else {
			z.LineTo(f32(x), f32(y))
		}
	}
	z.ClosePath()
}

// nameLayout is where the name goes: em height in pixels, horizontal squeeze, radius of
// the glyph centres and the angle the name spans.
type nameLayout struct {
	em, width, radius, span float64
}

// layoutName sizes the name to fit the upper arc: full size if it fits within maxSpan,
// else squeezed across down to minWidth, else smaller; short names are spread out.
func layoutName(ems float64) nameLayout {
	l := nameLayout{em: maxGlyphPx, width: 1}
	arc := func() float64 { return ems * (1 + gapEm) * l.em * l.width }
	l.radius = textTop - l.em/2
	if arc() > l.radius*maxSpan {
		l.width = max(minWidth, l.radius*maxSpan/(ems*(1+gapEm)*l.em))
	}
	if arc() > l.radius*maxSpan {
		// arc = radius*maxSpan with radius = textTop - em/2, solved for em.
		l.em = textTop * maxSpan / (ems*(1+gapEm)*l.width + maxSpan/2)
		l.radius = textTop - l.em/2
	}
	natural := arc() / l.radius
	l.span = max(natural, min(spanCap, natural*spread))
	return l
}

// name adds the glyphs along the upper arc, left to right, each centred on its angle and
// turned so that its top faces outwards.
func name(z *vector.Rasterizer, upem int32, glyphs []sealfont.Glyph) {
	var total float64
	for _, g := range glyphs {
		total += float64(g.Advance) / float64(upem)
	}
	if total == 0 {
		return
	}
	l := layoutName(total)
	var done float64
	for _, g := range glyphs {
		adv := float64(g.Advance) / float64(upem)
		theta := l.span * ((done+adv/2)/total - 0.5)
		done += adv
		t := placement{scale: l.em / float64(upem), width: l.width, radius: l.radius, sin: math.Sin(theta), cos: math.Cos(theta)}
		// Seals are cut bold and the font is regular: the outline is added again, moved a
		// little along and across the baseline; the rasteriser's coverage saturates, so the
		// copies make a union.
		for _, d := range [...][2]float64{{0, 0}, {boldPx, 0}, {0, boldPx}, {boldPx, boldPx}} {
			t.du, t.dv = d[0], d[1]
			outline(z, g.Segments, t)
		}
	}
}

// placement maps a glyph's font units to the seal: u along the tangent, v outwards.
type placement struct {
	scale, width, radius, sin, cos, du, dv float64
}

func (t placement) apply(p sealfont.Point) (float32, float32) {
	u := float64(p.X)*t.scale*t.width + t.du
	v := -float64(p.Y)*t.scale + t.dv // font y grows downwards, v outwards
	// Outwards is (sin, -cos) in image coordinates, the tangent (cos, sin).
	x := center + (t.radius+v)*t.sin + u*t.cos
	y := center - (t.radius+v)*t.cos + u*t.sin
	return f32(x), f32(y)
}

func outline(z *vector.Rasterizer, segs []sealfont.Segment, t placement) {
	open := false
	for _, s := range segs {
		x0, y0 := t.apply(s.P[0])
		switch s.Op {
		case sealfont.OpMove:
			if open {
				z.ClosePath()
			}
			z.MoveTo(x0, y0)
			open = true
		case sealfont.OpLine:
			z.LineTo(x0, y0)
		case sealfont.OpQuad:
			x1, y1 := t.apply(s.P[1])
			z.QuadTo(x0, y0, x1, y1)
		case sealfont.OpCube:
			x1, y1 := t.apply(s.P[1])
			x2, y2 := t.apply(s.P[2])
			z.CubeTo(x0, y0, x1, y1, x2, y2)
		}
	}
	if open {
		z.ClosePath()
	}
}

func f32(v float64) float32 { return float32(v) }
