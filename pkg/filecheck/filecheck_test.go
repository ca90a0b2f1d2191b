package filecheck_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

func slot(t testing.TB, name string) filecheck.Slot {
	t.Helper()
	s, ok := filecheck.LookupSlot(name)
	if !ok {
		t.Fatalf("no slot %q", name)
	}
	return s
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngClaiming is a PNG whose header claims w x h 8-bit RGBA pixels but whose image data
// is a handful of bytes: a pixel bomb when the claim is large.
func pngClaiming(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	return cat([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr),
		pngChunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01}), pngChunk("IEND", nil))
}

// withAPNG inserts an acTL chunk after IHDR, as an animated PNG has.
func withAPNG(p []byte) []byte {
	const ihdrEnd = 8 + 12 + 13
	return cat(p[:ihdrEnd], pngChunk("acTL", []byte{0, 0, 0, 2, 0, 0, 0, 0}), p[ihdrEnd:])
}

// setBMPSize rewrites a BMP's file size field.
func setBMPSize(b []byte, n int) []byte {
	b = slices.Clone(b)
	binary.LittleEndian.PutUint32(b[2:6], uint32(n))
	return b
}

func bmpPadded(pad []byte) []byte {
	b := cat(filechecktest.BMP(10, 10), pad)
	return setBMPSize(b, len(b))
}

// objStm is an object stream holding the given objects' text, compressed as most PDF
// producers write them.
func objStm(objText string) string {
	return filechecktest.FlateStream("/Type /ObjStm /N 1 /First 4", []byte("4 0 "+objText))
}

// randomBinary is reproducible noise that contains "/JS" and "/AA" followed by a delimiter,
// as a page image inside a scanned PDF can.
func randomBinary() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b[100:], "/JS ")
	copy(b[2000:], "/AA(")
	return b
}

func TestCheckBytes(t *testing.T) {
	jpg, pngImg, gifImg, bmpImg := filechecktest.JPEG(64, 48), filechecktest.PNG(64, 48), filechecktest.GIF(64, 48), filechecktest.BMP(64, 48)
	pdf := filechecktest.PDF("")
	seal := filechecktest.TransparentPNG(180, 180)
	tests := []struct {
		name string
		slot string
		data []byte
		want string
	}{
		// Each format, valid.
		{"jpeg", "frontOfID", jpg, ""},
		{"png", "frontOfID", pngImg, ""},
		{"gif", "frontOfID", gifImg, ""},
		{"bmp", "frontOfID", bmpImg, ""},
		{"pdf", "licence", pdf, ""},
		{"pdf qualification", "qualification", pdf, ""},
		{"jpeg portrait", "portrait", jpg, ""},
		{"jpeg zero padding after EOI", "frontOfID", cat(jpg, make([]byte, 16)), ""},
		{"bmp alignment padding", "frontOfID", bmpPadded([]byte{0, 0}), ""},
		{"pdf whitespace after EOF", "licence", cat(pdf, []byte("\r\n\x00 \n")), ""},

		// Not an allowed format, whatever it claims to be.
		{"empty", "frontOfID", nil, filecheck.BadFormat},
		{"html", "frontOfID", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), filecheck.BadFormat},
		{"svg", "frontOfID", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), filecheck.BadFormat},
		{"xml", "licence", []byte(`<?xml version="1.0"?><x/>`), filecheck.BadFormat},
		{"text", "licence", []byte("just text"), filecheck.BadFormat},
		{"png after a BOM", "frontOfID", cat([]byte("\xef\xbb\xbf"), pngImg), filecheck.BadFormat},
		{"pdf after leading junk", "licence", cat([]byte("junk\n"), pdf), filecheck.BadFormat},
		{"pdf in an image slot", "frontOfID", pdf, filecheck.BadFormat},
		{"gif in signApplication", "signApplication", gifImg, filecheck.BadFormat},
		{"bmp in portrait", "portrait", bmpImg, filecheck.BadFormat},
		{"animated gif", "frontOfID", filechecktest.AnimatedGIF(16, 16, 3), filecheck.BadFormat},
		{"animated png", "frontOfID", withAPNG(filechecktest.PNG(16, 16)), filecheck.BadFormat},

		// Truncated or damaged.
		{"truncated png", "frontOfID", pngImg[:len(pngImg)/2], filecheck.Corrupt},
		{"png without IEND", "frontOfID", pngImg[:len(pngImg)-12], filecheck.Corrupt},
		{"truncated jpeg", "frontOfID", jpg[:len(jpg)/2], filecheck.Corrupt},
		{"jpeg without EOI", "frontOfID", jpg[:len(jpg)-2], filecheck.Corrupt},
		{"truncated gif", "frontOfID", gifImg[:len(gifImg)-5], filecheck.Corrupt},
		{"truncated bmp", "frontOfID", setBMPSize(bmpImg[:len(bmpImg)-50], len(bmpImg)-50), filecheck.Corrupt},
		{"bmp size field wrong", "frontOfID", setBMPSize(bmpImg, len(bmpImg)+1), filecheck.Corrupt},
		{"png header only", "frontOfID", pngImg[:8], filecheck.Corrupt},
		{"png with a bad CRC", "frontOfID", func() []byte { b := slices.Clone(pngImg); b[len(b)-20] ^= 0xff; return b }(), filecheck.Corrupt},

		// Data after the end of the image.
		{"after PNG IEND", "frontOfID", cat(pngImg, []byte("<script>")), filecheck.Corrupt},
		{"after JPEG EOI", "frontOfID", cat(jpg, []byte("PK\x03\x04zip")), filecheck.Corrupt},
		{"after JPEG EOI and zeros", "frontOfID", cat(jpg, []byte{0, 0, 1}), filecheck.Corrupt},
		{"after GIF trailer", "frontOfID", cat(gifImg, []byte{0}), filecheck.Corrupt},
		{"after BMP pixels", "frontOfID", bmpPadded([]byte("<html>")), filecheck.Corrupt},
		{"non-zero BMP padding", "frontOfID", bmpPadded([]byte{0, 1}), filecheck.Corrupt},

		// Size.
		{"over 2 MiB", "frontOfID", cat(pngImg, make([]byte, 2*filecheck.MiB)), filecheck.TooLarge},
		{"over 10 MiB", "licence", make([]byte, 10*filecheck.MiB+1), filecheck.TooLarge},
		{"pixel bomb side", "frontOfID", pngClaiming(100000, 100000), filecheck.TooLarge},
		{"pixel bomb area", "frontOfID", pngClaiming(10000, 10000), filecheck.TooLarge},
		{"claims 36 MP: over the decode budget", "frontOfID", pngClaiming(6000, 6000), filecheck.TooLarge},
		{"claims 16 MP, holds a few bytes", "frontOfID", pngClaiming(4000, 4000), filecheck.Corrupt},

		// PDF.
		{"pdf JavaScript", "licence", filechecktest.PDF("/Names << /JavaScript 3 0 R >>"), filecheck.ActiveContent},
		{"pdf J#61vaScript", "licence", filechecktest.PDF("/Names << /J#61vaScript 3 0 R >>"), filecheck.ActiveContent},
		{"pdf #4A#53 escaped JS", "licence", filechecktest.PDF("/Foo << /#4A#53 (app.alert(1)) >>"), filecheck.ActiveContent},
		{"pdf OpenAction to a destination", "licence", filechecktest.PDF("/OpenAction [2 0 R /Fit]"), ""},
		{"pdf OpenAction running a script", "licence", filechecktest.PDF("/OpenAction << /S /JavaScript /JS (x) >>"), filecheck.ActiveContent},
		{"pdf AA", "licence", filechecktest.PDF("/AA << /O 3 0 R >>"), filecheck.ActiveContent},
		{"pdf Launch", "licence", filechecktest.PDF("", "<< /S /Launch /F (cmd.exe) >>"), filecheck.ActiveContent},
		{"pdf EmbeddedFile", "licence", filechecktest.PDF("", filechecktest.Stream("/Type /EmbeddedFile", []byte("MZ"))), filecheck.ActiveContent},
		{"pdf name at end of line", "licence", filechecktest.PDF("/AA\n3 0 R"), filecheck.ActiveContent},
		{"pdf OpenAction in object stream", "licence", filechecktest.PDF("", objStm("<< /OpenAction << /S /JavaScript /JS (x) >> >>")), filecheck.ActiveContent},
		{"pdf AA in object stream, no action type", "licence", filechecktest.PDF("", objStm("<< /AA << /O 5 0 R >> >>")), filecheck.ActiveContent},
		{"pdf name across an inflate buffer boundary", "licence", filechecktest.PDF("", filechecktest.FlateStream("", []byte(strings.Repeat(" ", 32<<10-3)+"/Launch 5 0 R"))), filecheck.ActiveContent},
		{"pdf name at the very end of an object stream", "licence", filechecktest.PDF("", objStm("<< /Type /Foo >> /Launch")), filecheck.ActiveContent},
		{"pdf JS and AA inside image data", "licence", filechecktest.PDF("", filechecktest.Stream("/Type /XObject /Subtype /Image", randomBinary())), ""},
		{"pdf JavaScript inside image data", "licence", filechecktest.PDF("", filechecktest.Stream("/Subtype /Image", []byte("\x00/JavaScript\x00"))), filecheck.ActiveContent},
		{"pdf lookalike names", "licence", filechecktest.PDF("/JSON 1 /AAA 2 /javascript 3 /J#6 4 /Open#Action 5"), ""},
		{"pdf encrypted with object streams", "licence", filechecktest.PDF("/Encrypt 5 0 R", objStm("<< /Foo 1 >>")), filecheck.BadFormat},
		{"pdf encrypted without object streams", "licence", filechecktest.PDF("/Encrypt 5 0 R"), filecheck.BadFormat},
		{"pdf without EOF", "licence", pdf[:len(pdf)-6], filecheck.Corrupt},
		{"pdf EOF too early", "licence", cat(pdf, bytes.Repeat([]byte(" "), 1100)), filecheck.Corrupt},
		{"pdf data after EOF", "licence", cat(pdf, []byte("PK\x03\x04")), filecheck.Corrupt},
		{"pdf bad version", "licence", append([]byte("%PDF-9.9"), pdf[8:]...), filecheck.Corrupt},
		{"pdf truncated header", "licence", []byte("%PDF-"), filecheck.Corrupt},

		// signImg: a 180x180 PNG with transparency.
		{"seal", "signImg", seal, ""},
		{"seal opaque", "signImg", filechecktest.PNG(180, 180), filecheck.BadFormat},
		{"seal wrong size", "signImg", filechecktest.TransparentPNG(200, 180), filecheck.BadFormat},
		{"seal as jpeg", "signImg", filechecktest.JPEG(180, 180), filecheck.BadFormat},
		{"seal as gif", "signImg", filechecktest.GIF(180, 180), filecheck.BadFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := filecheck.CheckBytes(tt.data, slot(t, tt.slot))
			if got.Code != tt.want {
				t.Fatalf("Code = %q (%s; %s), want %q", got.Code, got.Message, got.Detail, tt.want)
			}
			if (got.Message == "") != got.OK() {
				t.Errorf("Message = %q with Code %q", got.Message, got.Code)
			}
		})
	}
}

// TestPixelBombNoAllocation proves the pixel limits act before a pixel buffer exists: a
// 100000x100000 claim would need 40 GB.
func TestPixelBombNoAllocation(t *testing.T) {
	s := slot(t, "frontOfID")
	for _, data := range [][]byte{pngClaiming(100000, 100000), pngClaiming(6000, 6000), pngClaiming(4000, 4000)} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		res := filecheck.CheckBytes(data, s)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if res.OK() {
			t.Fatal("pixel bomb accepted")
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%dx%d: allocated %d bytes", res.Width, res.Height, alloc)
		}
		if elapsed > 2*time.Second {
			t.Errorf("%dx%d: took %v", res.Width, res.Height, elapsed)
		}
	}
}

func TestCheckBytesResult(t *testing.T) {
	res := filecheck.CheckBytes(filechecktest.PNG(30, 20), slot(t, "frontOfID"))
	if !res.OK() || res.Format != filecheck.FormatPNG || res.Width != 30 || res.Height != 20 {
		t.Errorf("got %+v", res)
	}
	if filecheck.TooLarge != kyc.ETOOLARGE {
		t.Errorf("TooLarge = %q, kyc.ETOOLARGE = %q", filecheck.TooLarge, kyc.ETOOLARGE)
	}
	var zero filecheck.Slot
	if res := filecheck.CheckBytes(filechecktest.PNG(2, 2), zero); res.OK() {
		t.Error("the zero Slot accepted a file")
	}
}

func TestSizeLimitInclusive(t *testing.T) {
	s := slot(t, "licence")
	s.MaxBytes = int64(len(filechecktest.PDF("")))
	if res := filecheck.CheckBytes(filechecktest.PDF(""), s); !res.OK() {
		t.Errorf("file of exactly MaxBytes: %+v", res)
	}
	s.MaxBytes--
	if res := filecheck.CheckBytes(filechecktest.PDF(""), s); res.Code != filecheck.TooLarge {
		t.Errorf("file of MaxBytes+1: %+v", res)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestCheckReader(t *testing.T) {
	s := slot(t, "frontOfID")
	data := filechecktest.JPEG(40, 40)
	res, err := filecheck.Check(bytes.NewReader(data), s)
	if err != nil || res != filecheck.CheckBytes(data, s) {
		t.Errorf("Check = %+v, %v; want %+v", res, err, filecheck.CheckBytes(data, s))
	}

	// An oversized body is refused after reading one byte past the limit, not all of it.
	cr := &countingReader{r: io.LimitReader(zeroReader{}, 1<<30)}
	res, err = filecheck.Check(cr, s)
	if err != nil || res.Code != filecheck.TooLarge {
		t.Errorf("Check(1 GiB) = %+v, %v", res, err)
	}
	if cr.n != s.MaxBytes+1 {
		t.Errorf("read %d bytes, want %d", cr.n, s.MaxBytes+1)
	}

	if _, err := filecheck.Check(io.MultiReader(bytes.NewReader(data[:10]), errReader{}), s); err == nil {
		t.Error("read error not returned")
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want filecheck.Format
	}{
		{"jpeg", filechecktest.JPEG(8, 8), filecheck.FormatJPEG},
		{"png", filechecktest.PNG(8, 8), filecheck.FormatPNG},
		{"gif", filechecktest.GIF(8, 8), filecheck.FormatGIF},
		{"gif87a", []byte("GIF87a\x01\x00\x01\x00"), filecheck.FormatGIF},
		{"bmp", filechecktest.BMP(8, 8), filecheck.FormatBMP},
		{"pdf", filechecktest.PDF(""), filecheck.FormatPDF},
		{"empty", nil, filecheck.FormatUnknown},
		{"html", []byte("<html><body>"), filecheck.FormatUnknown},
		{"svg", []byte("<svg xmlns='http://www.w3.org/2000/svg'>"), filecheck.FormatUnknown},
		{"xml", []byte("<?xml version='1.0'?>"), filecheck.FormatUnknown},
		{"text starting BM", []byte("BMW is a car maker, not a bitmap"), filecheck.FormatUnknown},
		{"bmp short", filechecktest.BMP(8, 8)[:10], filecheck.FormatUnknown},
		{"jpeg prefix only", []byte{0xff, 0xd8}, filecheck.FormatUnknown},
		{"png lowercase", []byte("\x89png\r\n\x1a\n"), filecheck.FormatUnknown},
		{"pdf not at 0", []byte(" %PDF-1.4"), filecheck.FormatUnknown},
		{"zip", []byte("PK\x03\x04"), filecheck.FormatUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := filecheck.Sniff(tt.head); got != tt.want {
				t.Errorf("Sniff = %q, want %q", got, tt.want)
			}
			if len(tt.head) > filecheck.SniffLen {
				if got := filecheck.Sniff(tt.head[:filecheck.SniffLen]); got != tt.want {
					t.Errorf("Sniff(first SniffLen bytes) = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestContentType(t *testing.T) {
	for _, f := range []filecheck.Format{filecheck.FormatJPEG, filecheck.FormatPNG, filecheck.FormatBMP, filecheck.FormatGIF, filecheck.FormatPDF} {
		ct := filecheck.ContentType(f)
		if got, ok := filecheck.FormatOf(ct); !ok || got != f {
			t.Errorf("FormatOf(ContentType(%q) = %q) = %q, %v", f, ct, got, ok)
		}
	}
	if ct := filecheck.ContentType(filecheck.FormatUnknown); ct != "application/octet-stream" {
		t.Errorf("ContentType(unknown) = %q", ct)
	}
	tests := []struct {
		ct   string
		want filecheck.Format
		ok   bool
	}{
		{"IMAGE/PNG", filecheck.FormatPNG, true},
		{"image/jpeg; charset=binary", filecheck.FormatJPEG, true},
		{"image/jpg", filecheck.FormatJPEG, true},
		{"image/x-ms-bmp", filecheck.FormatBMP, true},
		{"text/html", filecheck.FormatUnknown, false},
		{"image/svg+xml", filecheck.FormatUnknown, false},
		{"", filecheck.FormatUnknown, false},
		{"image/png;;", filecheck.FormatUnknown, false},
	}
	for _, tt := range tests {
		if got, ok := filecheck.FormatOf(tt.ct); got != tt.want || ok != tt.ok {
			t.Errorf("FormatOf(%q) = %q, %v; want %q, %v", tt.ct, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSlots(t *testing.T) {
	const (
		img    = "jpeg,png,bmp,gif"
		imgPDF = "jpeg,png,bmp,gif,pdf"
		both   = "personal_account,company_account"
		co     = "company_account"
	)
	want := map[string]struct {
		formats  string
		maxBytes int64
		accounts string
	}{
		"frontOfID":             {img, 2 << 20, both},
		"backOfID":              {img, 2 << 20, both},
		"licence":               {imgPDF, 10 << 20, both}, // personal: a change into an enterprise
		"certificateBackImg":    {imgPDF, 10 << 20, both},
		"legalIdentityFrontImg": {img, 2 << 20, both},
		"legalIdentityBackImg":  {img, 2 << 20, both},
		"confirmation":          {imgPDF, 10 << 20, co},
		"organizationCodeImg":   {imgPDF, 10 << 20, co},
		"taxCertificateImg":     {imgPDF, 10 << 20, co},
		"signApplication":       {"jpeg,png,pdf", 10 << 20, co},
		"signImg":               {"png", 2 << 20, co},
		"qualification":         {"jpeg,png,pdf", 10 << 20, both},
		"portrait":              {"jpeg,png", 2 << 20, both},
	}
	slots := filecheck.Slots()
	if len(slots) != len(want) {
		t.Errorf("%d slots, want %d", len(slots), len(want))
	}
	for _, s := range slots {
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected slot %q", s.Name)
			continue
		}
		var formats, accounts []string
		for _, f := range s.Formats {
			formats = append(formats, string(f))
		}
		for _, a := range s.AccountTypes {
			accounts = append(accounts, string(a))
		}
		if got := strings.Join(formats, ","); got != w.formats {
			t.Errorf("%s formats = %s, want %s", s.Name, got, w.formats)
		}
		if got := strings.Join(accounts, ","); got != w.accounts {
			t.Errorf("%s account types = %s, want %s", s.Name, got, w.accounts)
		}
		if s.MaxBytes != w.maxBytes {
			t.Errorf("%s MaxBytes = %d, want %d", s.Name, s.MaxBytes, w.maxBytes)
		}
		wantRule := filecheck.ImageRule{}
		if s.Name == "signImg" {
			wantRule = filecheck.ImageRule{Width: 180, Height: 180, Transparent: true}
		}
		if s.Image != wantRule {
			t.Errorf("%s Image = %+v, want %+v", s.Name, s.Image, wantRule)
		}
	}
	if s := slot(t, "confirmation"); !s.ForAccount(kyc.CompanyAccount) || s.ForAccount(kyc.PersonalAccount) {
		t.Error("confirmation: ForAccount wrong")
	}
	if s, ok := filecheck.LookupSlot("organizationRegImg"); !ok || s.Name != "licence" {
		t.Errorf("organizationRegImg (seed 001's name of the licence) = %+v, %v", s, ok)
	}
	if _, ok := filecheck.LookupSlot("FrontOfID"); ok {
		t.Error("LookupSlot is case-insensitive")
	}
	if _, ok := filecheck.LookupSlot("../etc"); ok {
		t.Error("LookupSlot found an unknown slot")
	}

	// The table is the caller's own copy: changing it changes nobody else's rules.
	slots[0].Formats[0] = filecheck.FormatPDF
	slots[0].MaxBytes = 1 << 40
	if s := slot(t, slots[0].Name); s.Formats[0] == filecheck.FormatPDF || s.MaxBytes == 1<<40 {
		t.Error("Slots shares state between callers")
	}
}
