package filecheck_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the committed seed corpora under testdata/fuzz")

// fuzzSeed is one committed seed: a file and the index of the slot it is checked against.
type fuzzSeed struct {
	name string
	data []byte
	slot uint8
}

func slotIndex(name string) uint8 {
	for i, s := range filecheck.Slots() {
		if s.Name == name {
			return uint8(i)
		}
	}
	panic("no slot " + name)
}

// fuzzSeeds are small instances of every format and of each way to fail, so that the
// fuzzer starts from structures it would take long to find.
func fuzzSeeds() []fuzzSeed {
	id, lic, seal := slotIndex("frontOfID"), slotIndex("licence"), slotIndex("signImg")
	jpg := filechecktest.JPEG(8, 8)
	return []fuzzSeed{
		{"jpeg", jpg, id},
		{"png", filechecktest.PNG(8, 8), id},
		{"gif", filechecktest.GIF(8, 8), id},
		{"bmp", filechecktest.BMP(8, 8), id},
		{"pdf", filechecktest.PDF(""), lic},
		{"pdf_openaction", filechecktest.PDF("/OpenAction 3 0 R"), lic},
		{"pdf_escaped", filechecktest.PDF("/Names << /J#61vaScript 3 0 R >>"), lic},
		{"pdf_objstm", filechecktest.PDF("", objStm("<< /OpenAction 5 0 R >>")), lic},
		{"seal", filechecktest.TransparentPNG(180, 180), seal},
		{"gif_animated", filechecktest.AnimatedGIF(4, 4, 2), id},
		{"png_bomb", pngClaiming(100000, 100000), id},
		{"jpeg_trailing", cat(jpg, []byte("<script>")), id},
		{"html", []byte("<html><script>alert(1)</script></html>"), id},
		{"empty", nil, id},
		// Decode budget: the layouts whose decode costs the most a pixel, and bombs.
		{"jpeg_progressive", filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 24, Height: 16, Progressive: true, Sampling: []byte{0x11, 0x11, 0x11}}), lic},
		{"jpeg_progressive_420", filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 40, Height: 24, Progressive: true}), lic},
		{"jpeg_rgb", filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 16, Height: 16, Sampling: []byte{0x11, 0x11, 0x11}, IDs: "RGB"}), lic},
		{"jpeg_ycck", filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 16, Height: 16, Progressive: true, Sampling: []byte{0x22, 0x11, 0x11, 0x22}, Adobe: true, Transform: 2}), lic},
		{"jpeg_progressive_bomb", jpegHeaderOnly(filechecktest.FlatJPEG(filechecktest.JPEGSpec{Width: 6000, Height: 6000, Progressive: true, Sampling: []byte{0x11, 0x11, 0x11}})), id},
		{"png_16bit_interlaced", filechecktest.FlatPNG(filechecktest.PNGSpec{Width: 9, Height: 7, ColorType: 6, Depth: 16, Interlaced: true}), lic},
		{"png_grey_trns", filechecktest.FlatPNG(filechecktest.PNGSpec{Width: 9, Height: 7, ColorType: 0, TRNS: true}), lic},
		{"png_over_budget", pngClaiming(4100, 4100), id},
		{"gif_interlaced", gifInterlaced(filechecktest.GIF(8, 8)), id},
	}
}

// jpegHeaderOnly keeps a JPEG's segments up to its first scan's header and replaces the
// entropy-coded data with two bytes: enough for the structure walk and the header, which
// is all a check that refuses the file before decoding reads.
func jpegHeaderOnly(jpg []byte) []byte {
	sos := bytes.Index(jpg, []byte{0xff, 0xda})
	n := int(jpg[sos+2])<<8 | int(jpg[sos+3])
	return cat(jpg[:sos+2+n], []byte{0, 0, 0xff, 0xd9})
}

// TestUpdateFuzzCorpus writes the seed corpora when run with -update-corpus.
func TestUpdateFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	for _, s := range fuzzSeeds() {
		write(t, "FuzzCheck", s.name, fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint8(%d)\n", s.data, s.slot))
		head := s.data[:min(len(s.data), 64)]
		write(t, "FuzzSniff", s.name, fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", head))
	}
}

func write(t *testing.T, target, name, content string) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzSniff: Sniff never panics, is deterministic and looks at no more than SniffLen bytes.
func FuzzSniff(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.data[:min(len(s.data), 64)])
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		got := filecheck.Sniff(head)
		if again := filecheck.Sniff(bytes.Clone(head)); again != got {
			t.Fatalf("Sniff not deterministic: %q then %q", got, again)
		}
		if len(head) > filecheck.SniffLen {
			if short := filecheck.Sniff(head[:filecheck.SniffLen]); short != got {
				t.Fatalf("Sniff depends on bytes past SniffLen: %q vs %q", got, short)
			}
		}
		switch got {
		case filecheck.FormatUnknown, filecheck.FormatJPEG, filecheck.FormatPNG, filecheck.FormatBMP, filecheck.FormatGIF, filecheck.FormatPDF:
		default:
			t.Fatalf("Sniff returned %q", got)
		}
	})
}

// fuzzAllocSlack is what checking an image may allocate beyond its decode estimate
// (DecodeConfig, messages) or, refused before the estimate, at all.
const fuzzAllocSlack = 1 << 20

// FuzzCheck: CheckBytes never panics, gives the same Result for the same input (also
// through Check), and only accepts what the slot allows. The decode budget holds: an
// accepted image's estimate is within MaxDecodeMemory, and checking an image allocates no
// more than its estimate (fuzzAllocSlack more), whatever the decode does with the input.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.data, s.slot)
	}
	slots := filecheck.Slots()
	f.Fuzz(func(t *testing.T, data []byte, si uint8) {
		s := slots[int(si)%len(slots)]
		var res filecheck.Result
		alloc := allocated(func() { res = filecheck.CheckBytes(data, s) })
		if res.Format != filecheck.FormatPDF && res.Format != filecheck.FormatUnknown {
			if limit := uint64(max(res.DecodeMemory, 0)) + fuzzAllocSlack; alloc > limit {
				t.Fatalf("%s %dx%d (%s): allocated %d bytes, estimate %d", res.Format, res.Width, res.Height, res.Code, alloc, res.DecodeMemory)
			}
		}
		if res.DecodeMemory < 0 || res.DecodeMemory > 0 && (res.Width < 1 || res.Height < 1) {
			t.Fatalf("DecodeMemory %d for %dx%d", res.DecodeMemory, res.Width, res.Height)
		}
		if again := filecheck.CheckBytes(bytes.Clone(data), s); again != res {
			t.Fatalf("not deterministic: %+v then %+v", res, again)
		}
		if viaReader, err := filecheck.Check(bytes.NewReader(data), s); err != nil || viaReader != res {
			t.Fatalf("Check = %+v, %v; CheckBytes = %+v", viaReader, err, res)
		}
		switch res.Code {
		case "":
			if !s.Allows(res.Format) || int64(len(data)) > s.MaxBytes || res.Format != filecheck.Sniff(data) {
				t.Fatalf("accepted %q (%d bytes) for %s", res.Format, len(data), s.Name)
			}
			if res.Format != filecheck.FormatPDF && (res.Width < 1 || res.Height < 1) {
				t.Fatalf("accepted an image of %dx%d", res.Width, res.Height)
			}
			if res.Format != filecheck.FormatPDF && (res.DecodeMemory <= 0 || res.DecodeMemory > filecheck.MaxDecodeMemory) {
				t.Fatalf("accepted an image whose decode needs %d bytes", res.DecodeMemory)
			}
		case filecheck.TooLarge, filecheck.BadFormat, filecheck.Corrupt, filecheck.ActiveContent:
		default:
			t.Fatalf("unknown code %q", res.Code)
		}
		if (res.Message == "") != res.OK() {
			t.Fatalf("Message %q with Code %q", res.Message, res.Code)
		}
	})
}
