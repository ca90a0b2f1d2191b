package filecheck

import (
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
)

// The builders below write PDFs by hand, so that each test file holds exactly the
// construct under test. filechecktest.PDF numbers the objects given from 3; object
// streams hold object 4 onwards.

// jsObject is an object that runs a script through the two-letter key only: scanning
// stream data for names ignores /JS, so only parsing the object finds it.
const jsObject = "<< /JS (app.alert(1)) >>"

// objStmEntries is an object stream's dictionary entries for objects holding objs (one
// object each, numbered from 4), and the stream's decoded data.
func objStmData(objs ...string) (entries string, data []byte) {
	var head, body strings.Builder
	for i, o := range objs {
		fmt.Fprintf(&head, "%d %d ", 4+i, body.Len())
		body.WriteString(o + "\n")
	}
	return fmt.Sprintf("/Type /ObjStm /N %d /First %d", len(objs), head.Len()), []byte(head.String() + body.String())
}

// objStmWith is an object stream holding objs, encoded by enc and declared with the
// given further dictionary entries (its /Filter and /DecodeParms).
func objStmWith(enc func([]byte) []byte, entries string, objs ...string) string {
	dict, data := objStmData(objs...)
	return filechecktest.Stream(dict+" "+entries, enc(data))
}

func flateEnc(b []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(b)
	_ = w.Close()
	return z.Bytes()
}

func hexEnc(b []byte) []byte {
	// Line breaks and a final odd digit, as some writers leave them.
	h := hex.EncodeToString(b)
	var out strings.Builder
	for len(h) > 64 {
		out.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	return []byte(out.String() + h + ">")
}

func a85Enc(b []byte) []byte {
	out := make([]byte, ascii85.MaxEncodedLen(len(b)))
	return append(out[:ascii85.Encode(out, b)], "~>"...)
}

// rlEnc writes RunLengthDecode data: runs of a repeated byte as repeats, the rest as
// literals of up to 128 bytes.
func rlEnc(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		n := 1
		for n < len(b) && n < 128 && b[n] == b[0] {
			n++
		}
		if n >= 3 {
			out = append(out, byte(257-n), b[0])
			b = b[n:]
			continue
		}
		n = min(len(b), 128)
		out = append(append(out, byte(n-1)), b[:n]...)
		b = b[n:]
	}
	return append(out, 128)
}

func lzwEnc(b []byte) []byte     { return lzwEncode(b, true) }
func lzwEncLate(b []byte) []byte { return lzwEncode(b, false) }
func chain(encs ...func([]byte) []byte) func([]byte) []byte {
	return func(b []byte) []byte {
		for i := len(encs) - 1; i >= 0; i-- { // the last filter listed is applied first
			b = encs[i](b)
		}
		return b
	}
}

// lzwEncode writes LZWDecode data: MSB-first codes from 9 bits, starting with a clear
// code and clearing before the table fills. With earlyChange (the PDF default) the code
// width grows one code sooner.
func lzwEncode(data []byte, earlyChange bool) []byte {
	early := 0
	if earlyChange {
		early = 1
	}
	var out []byte
	var acc uint64
	var nacc, width uint
	emit := func(code int) {
		acc, nacc = acc<<width|uint64(code), nacc+width
		for nacc >= 8 {
			nacc -= 8
			out = append(out, byte(acc>>nacc))
		}
	}
	var dict map[string]int
	next := 0
	reset := func() { dict, next, width = map[string]int{}, 258, 9 }
	code := func(s string) int {
		if len(s) == 1 {
			return int(s[0])
		}
		return dict[s]
	}
	reset()
	emit(256)
	cur := ""
	for _, c := range data {
		s := cur + string([]byte{c})
		if _, ok := dict[s]; ok || len(s) == 1 {
			cur = s
			continue
		}
		emit(code(cur))
		dict[s] = next
		// The reader defines each code one code later than the writer: it grows the width
		// when its own count, one less, reaches the limit.
		if next++; next-1+early >= 1<<width && width < 12 {
			width++
		}
		if next >= 4090 {
			emit(256)
			reset()
		}
		cur = string([]byte{c})
	}
	if cur != "" {
		emit(code(cur))
		if next+early >= 1<<width && width < 12 {
			width++
		}
	}
	emit(257)
	if nacc > 0 {
		out = append(out, byte(acc<<(8-nacc)))
	}
	return out
}

// pngUp applies the PNG Up predictor to rows of cols bytes, as /Predictor 12 expects.
func pngUp(b []byte, cols int) []byte {
	var out []byte
	prev := make([]byte, cols)
	for len(b) > 0 {
		row := make([]byte, cols)
		copy(row, b)
		b = b[min(cols, len(b)):]
		out = append(out, 2)
		for i := range row {
			out = append(out, row[i]-prev[i])
		}
		prev = row
	}
	return out
}

// bigObjects is object text long enough to take LZW through every code width and past a
// table clear, and to cross the scan buffer, with js at its end.
func bigObjects(js string) string {
	var b strings.Builder
	b.WriteString("<< /Type /Foo /Kids [")
	for i := range 4000 {
		fmt.Fprintf(&b, "%d 0 R ", i*7919%100000)
	}
	return b.String() + "] " + js + " >>"
}

// hiddenInString puts an object stream inside a string of another object: a reader sent
// there by the cross-reference table parses it, though a parser reading the file from
// the start sees a string.
func hiddenInString(obj string) string {
	return "<< /Title (see 9 0 obj\n" + strings.NewReplacer("(", `\(`, ")", `\)`).Replace(obj) + "\nendobj\n) >>"
}

func licence(t testing.TB) Slot {
	t.Helper()
	s, ok := LookupSlot("licence")
	if !ok {
		t.Fatal("no licence slot")
	}
	return s
}

// pdfWalkCases are the files the object walk must refuse or accept, also the seeds of
// FuzzPDFWalk.
func pdfWalkCases() []struct {
	name  string
	data  []byte
	code  string
	found string
} {
	ahx := "/Filter /ASCIIHexDecode"
	dct := filechecktest.Stream("/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", filechecktest.JPEG(8, 8))
	cleanObjs := []string{"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>", "[3 0 R /XYZ null null 0]", "(a string with \\) and \\( in it)"}
	type tc = struct {
		name  string
		data  []byte
		code  string
		found string
	}
	active := func(name, found string, objs ...string) tc {
		return tc{name, filechecktest.PDF("", objs...), ActiveContent, found}
	}
	refused := func(name string, data []byte) tc { return tc{name, data, BadFormat, ""} }
	accepted := func(name string, data []byte) tc { return tc{name, data, "", ""} }
	return []tc{
		// Object streams, through every standard filter and chains of them.
		active("JS in a Flate object stream", "JS", objStmWith(flateEnc, "/Filter /FlateDecode", jsObject)),
		active("JS in an ASCIIHex object stream", "JS", objStmWith(hexEnc, ahx, jsObject)),
		active("JS in an ASCII85 object stream", "JS", objStmWith(a85Enc, "/Filter /A85", jsObject)),
		active("JS in an LZW object stream", "JS", objStmWith(lzwEnc, "/Filter /LZWDecode", bigObjects("/JS (x)"))),
		active("JS in an LZW object stream without early change", "JS", objStmWith(lzwEncLate, "/Filter /LZW /DecodeParms << /EarlyChange 0 >>", bigObjects("/JS (x)"))),
		active("JS in a RunLength object stream", "JS", objStmWith(rlEnc, "/Filter /RL", "<< /Pad (aaaaaaaaaa) /JS (x) >>")),
		active("JS in a filter chain", "JS", objStmWith(chain(a85Enc, flateEnc), "/Filter [/ASCII85Decode /FlateDecode]", jsObject)),
		active("JS in a chain of abbreviations", "JS", objStmWith(chain(hexEnc, lzwEnc, rlEnc), "/Filter [/AHx /LZW /RL] /DecodeParms [null << /EarlyChange 1 >> null]", jsObject)),
		active("JS behind a PNG predictor", "JS", objStmWith(func(b []byte) []byte { return flateEnc(pngUp(b, 7)) }, "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>", bigObjects("/JS (x)"))),
		active("JS in the second object", "JS", objStmWith(hexEnc, ahx, "<< /Type /Foo >>", "[1 2 3]", jsObject)),
		active("JS at an offset out of sequence", "JS", filechecktest.Stream("/Type /ObjStm /N 2 /First 8 /Filter /AHx", hexEnc([]byte("4 0 5 20<< /Type /Foo >>  << /JS (x) >>")))),
		active("object stream without /Type", "JS", filechecktest.Stream("/N 1 /First 4 /Filter /AHx", hexEnc([]byte("4 0 "+jsObject)))),
		active("escaped J#53 in an object stream", "JS", objStmWith(flateEnc, "/Filter /Fl", "<< /J#53 (x) >>")),
		active("escaped Java#53cript in an ASCIIHex object stream", "JavaScript", objStmWith(hexEnc, ahx, "<< /S /Java#53cript >>")),
		active("AA in an object stream", "AA", objStmWith(flateEnc, "/Filter /FlateDecode", "<< /AA << /O 5 0 R >> >>")),
		active("object stream hidden in a string", "JS", hiddenInString(objStmWith(hexEnc, ahx, jsObject))),

		// Every kind of active content, where only parsing finds it.
		active("AA", "AA", objStmWith(hexEnc, ahx, "<< /Type /Page /AA << /O << /S /GoTo /D [3 0 R /Fit] >> >> >>")),
		active("Launch", "Launch", objStmWith(hexEnc, ahx, "<< /S /Launch /F (cmd.exe) >>")),
		active("GoToR", "GoToR", "<< /S /GoToR /F (other.pdf) /D [0 /Fit] >>"),
		active("GoToE", "GoToE", "<< /S /GoToE /T << /R /C /N (x) >> >>"),
		active("URI", "URI", "<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /URI /URI (https://example.com/) >> >>"),
		active("SubmitForm", "SubmitForm", objStmWith(hexEnc, ahx, "<< /S /SubmitForm /F (https://example.com/) >>")),
		active("ImportData", "ImportData", objStmWith(hexEnc, ahx, "<< /S /ImportData /F (data.fdf) >>")),
		active("Rendition", "Rendition", "<< /S /Rendition /OP 0 >>"),
		active("RichMedia", "RichMedia", objStmWith(hexEnc, ahx, "<< /Type /Annot /Subtype /RichMedia >>")),
		active("EmbeddedFiles", "EmbeddedFiles", objStmWith(hexEnc, ahx, "<< /EmbeddedFiles 5 0 R >>")),
		active("EmbeddedFile", "EmbeddedFile", objStmWith(a85Enc, "/Filter /A85", "<< /Type /EmbeddedFile >>")),
		active("EF", "EF", "<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>"),
		active("XFA", "XFA", objStmWith(hexEnc, ahx, "<< /Fields [] /XFA 5 0 R >>")),
		{"OpenAction running a script", filechecktest.PDF("/OpenAction << /S /JavaScript /JS (x) >>"), ActiveContent, "JavaScript"},
		active("Launch in a content stream", "Launch", filechecktest.Stream("/Filter /LZW", lzwEnc([]byte(strings.Repeat("q 1 0 0 1 0 0 cm Q\n", 2000)+"/Launch")))),

		// What cannot be inspected.
		refused("object stream with a DCT filter", filechecktest.PDF("", objStmWith(func(b []byte) []byte { return b }, "/Filter /DCTDecode", jsObject))),
		refused("object stream with an unknown filter", filechecktest.PDF("", objStmWith(flateEnc, "/Filter /Zip", jsObject))),
		refused("object stream with the Crypt filter", filechecktest.PDF("", objStmWith(flateEnc, "/Filter [/Crypt /FlateDecode]", jsObject))),
		refused("object stream with a filter by reference", filechecktest.PDF("", objStmWith(flateEnc, "/Filter 9 0 R", jsObject))),
		refused("object stream with a TIFF predictor on 4-bit samples", filechecktest.PDF("", objStmWith(flateEnc, "/Filter /Fl /DecodeParms << /Predictor 2 /BitsPerComponent 4 >>", jsObject))),
		refused("object stream header out of range", filechecktest.PDF("", filechecktest.Stream("/Type /ObjStm /N 1 /First 5 /Filter /AHx", hexEnc([]byte("4 99 << /Type /Foo >>"))))),
		refused("object stream without /First", filechecktest.PDF("", filechecktest.Stream("/Type /ObjStm /N 1 /Filter /AHx", hexEnc([]byte("4 0 << /Type /Foo >>"))))),
		refused("encrypted", filechecktest.PDF("/Encrypt 5 0 R")),
		refused("encrypted through a cross-reference stream", filechecktest.PDF("", filechecktest.Stream("/Type /XRef /Size 5 /W [1 2 1] /Encrypt 6 0 R /Root 1 0 R", []byte{1, 0, 15, 0}))),
		refused("nested too deeply", filechecktest.PDF("/Foo "+strings.Repeat("[", 200)+strings.Repeat("]", 200))),
		refused("objects hidden in objects, 3000 deep", filechecktest.PDF("", strings.Repeat("(1 0 obj ", 3000)+strings.Repeat(")", 3000))),

		// Clean files: images, object streams, destinations.
		accepted("DCT image and a clean Flate object stream", filechecktest.PDF("", dct, objStmWith(flateEnc, "/Filter /FlateDecode", cleanObjs...))),
		accepted("clean object streams through every filter", filechecktest.PDF("",
			objStmWith(hexEnc, ahx, cleanObjs...), objStmWith(a85Enc, "/Filter /A85", cleanObjs...),
			objStmWith(lzwEnc, "/Filter /LZW", bigObjects("")), objStmWith(rlEnc, "/Filter /RL", cleanObjs...),
			objStmWith(chain(a85Enc, flateEnc), "/Filter [/A85 /Fl]", cleanObjs...),
			objStmWith(func(b []byte) []byte { return flateEnc(pngUp(b, 5)) }, "/Filter /Fl /DecodeParms << /Predictor 15 /Columns 5 >>", cleanObjs...))),
		accepted("OpenAction to a destination", filechecktest.PDF("/OpenAction [2 0 R /Fit]")),
		accepted("OpenAction to a destination object", filechecktest.PDF("/OpenAction 3 0 R", "[2 0 R /XYZ 0 792 0]")),
		accepted("OpenAction going to a page", filechecktest.PDF("/OpenAction << /S /GoTo /D [2 0 R /Fit] >>")),
		accepted("link to a page", filechecktest.PDF("", "<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /GoTo /D [2 0 R /Fit] >> >>")),
		accepted("image data with JS and AA bytes behind DCT", filechecktest.PDF("", filechecktest.Stream("/Filter /DCTDecode", randomNoise()))),
		accepted("indirect stream length", filechecktest.PDF("", "<< /Length 4 0 R >>\nstream\nq Q\nendstream", "3")),
	}
}

// randomNoise is reproducible bytes holding "/JS " and "/AA(", as a page image can.
func randomNoise() []byte {
	b := make([]byte, 4096)
	x := uint32(1)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	copy(b[100:], "/JS ")
	copy(b[2000:], "/AA(")
	copy(b[3000:], "/EF]")
	return b
}

func TestPDFWalk(t *testing.T) {
	for _, tt := range pdfWalkCases() {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckBytes(tt.data, licence(t))
			if got.Code != tt.code {
				t.Fatalf("Code = %q (%s), want %q", got.Code, got.Message, tt.code)
			}
			if tt.found != "" && !strings.Contains(got.Message, "found /"+tt.found+")") {
				t.Errorf("Message = %q, want it to name /%s", got.Message, tt.found)
			}
		})
	}
}

// TestPDFWalkBudgets: work that grows with what the file claims, not with its size, is
// cut off and refused.
func TestPDFWalkBudgets(t *testing.T) {
	// A RunLength repeat turns 2 bytes into 128 and deflate shrinks those pairs 1000-fold:
	// a few kilobytes would decode to 320 MiB through the chain.
	rl := bytes.Repeat([]byte{129, 0}, 5<<20/2)
	bomb := filechecktest.PDF("", filechecktest.Stream("/Filter [/FlateDecode /RunLengthDecode]", flateEnc(rl)))
	if testing.Short() {
		t.Log("skipping the 256 MiB chain bomb")
	} else if got := CheckBytes(bomb, licence(t)); got.Code != BadFormat || got.Message != pdfOverBudget {
		t.Errorf("chain bomb: %+v", got)
	}

	// Two objects listed out of order make the walk parse the data in sequence too, where
	// a million and one tiny objects lie.
	objs := "<< >> << >> " + strings.Repeat("1 ", maxPDFObjects)
	many := filechecktest.PDF("", filechecktest.Stream("/Type /ObjStm /N 2 /First 8 /Filter /FlateDecode", flateEnc([]byte("4 6 5 0 "+objs))))
	if got := CheckBytes(many, licence(t)); got.Code != BadFormat || got.Message != pdfTooMany {
		t.Errorf("too many objects: %+v", got)
	}
}
