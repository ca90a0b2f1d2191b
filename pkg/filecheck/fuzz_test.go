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
	}
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

// FuzzCheck: CheckBytes never panics, gives the same Result for the same input (also
// through Check), and only accepts what the slot allows.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.data, s.slot)
	}
	slots := filecheck.Slots()
	f.Fuzz(func(t *testing.T, data []byte, si uint8) {
		s := slots[int(si)%len(slots)]
		res := filecheck.CheckBytes(data, s)
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
		case filecheck.TooLarge, filecheck.BadFormat, filecheck.Corrupt, filecheck.ActiveContent:
		default:
			t.Fatalf("unknown code %q", res.Code)
		}
		if (res.Message == "") != res.OK() {
			t.Fatalf("Message %q with Code %q", res.Message, res.Code)
		}
	})
}
