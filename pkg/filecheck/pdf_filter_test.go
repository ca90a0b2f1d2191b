package filecheck

import (
	"bytes"
	"compress/lzw"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	tifflzw "golang.org/x/image/tiff/lzw"
)

// filterSample is data with long repeats and noise, so that every filter's every path
// (LZW's code widths and clears, RunLength's repeats and literals) is taken.
func filterSample() []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	for i := range 300 {
		b.WriteString(strings.Repeat("x", i%200))
		for range 40 {
			b.WriteByte(byte(r.Uint32()))
		}
		b.WriteString("<< /Type /Page /Kids [1 0 R] >>")
	}
	return b.Bytes()
}

func decodeAll(t *testing.T, data []byte, filters []pdfFilter, parms []pdfParms) []byte {
	t.Helper()
	var d pdfDecoders
	r, err := d.chain(data, filters, parms)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil && err != io.ErrUnexpectedEOF {
		t.Fatalf("decode: %v", err)
	}
	return out
}

// TestPDFFilters decodes what the test encoders wrote, and what compress/lzw writes,
// byte for byte.
func TestPDFFilters(t *testing.T) {
	in := filterSample()
	late := defaultParms()
	late.earlyChange = 0
	var gifLZW bytes.Buffer
	w := lzw.NewWriter(&gifLZW, lzw.MSB, 8) // the late-change variant
	_, _ = w.Write(in)
	_ = w.Close()
	tests := []struct {
		name    string
		data    []byte
		filters []pdfFilter
		parms   []pdfParms
	}{
		{"flate", flateEnc(in), []pdfFilter{filterFlate}, nil},
		{"raw deflate", flateEnc(in)[2:], []pdfFilter{filterFlate}, nil},
		{"asciihex", hexEnc(in), []pdfFilter{filterASCIIHex}, nil},
		{"ascii85", a85Enc(in), []pdfFilter{filterASCII85}, nil},
		{"runlength", rlEnc(in), []pdfFilter{filterRunLength}, nil},
		{"lzw", lzwEnc(in), []pdfFilter{filterLZW}, nil},
		{"lzw late change", lzwEncLate(in), []pdfFilter{filterLZW}, []pdfParms{late}},
		{"compress/lzw", gifLZW.Bytes(), []pdfFilter{filterLZW}, []pdfParms{late}},
		{"chain", chain(a85Enc, lzwEnc, rlEnc, flateEnc)(in), []pdfFilter{filterASCII85, filterLZW, filterRunLength, filterFlate}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := decodeAll(t, tt.data, tt.filters, tt.parms); !bytes.Equal(out, in) {
				t.Errorf("decoded %d bytes, want the %d encoded", len(out), len(in))
			}
		})
	}
}

// TestLZWEncoderMatchesTIFF checks the test's early-change encoder against an independent
// reader of that variant, so that the decoder is not only checked against itself.
func TestLZWEncoderMatchesTIFF(t *testing.T) {
	in := filterSample()
	out, err := io.ReadAll(tifflzw.NewReader(bytes.NewReader(lzwEnc(in)), tifflzw.MSB, 8))
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("tiff/lzw decoded %d bytes (%v), want %d", len(out), err, len(in))
	}
}

func TestASCIIFiltersLenient(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		filter pdfFilter
		want   string
	}{
		{"hex odd digit", "41 4 2 4>", filterASCIIHex, "AB@"},
		{"hex junk skipped", "4x1zz42", filterASCIIHex, "AB"},
		{"hex stops at >", "41>42", filterASCIIHex, "A"},
		{"a85 z and partial group", "<~z9jqo~>", filterASCII85, "\x00\x00\x00\x00Man"},
		{"a85 stops at ~", "9jqo^~9jqo^", filterASCII85, "Man "},
		{"runlength repeat, literal, EOD", "\xfeA\x01BC\x80DD", filterRunLength, "AAABC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeAll(t, []byte(tt.data), []pdfFilter{tt.filter}, nil); string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnpredict(t *testing.T) {
	in := filterSample()[:999] // whole rows of 9 and of 10 columns, less the last byte for TIFF
	p := defaultParms()
	p.predictor, p.columns = 12, 9
	if got, ok := unpredict(pngUp(in, 9), p); !ok || !bytes.Equal(got, in) {
		t.Errorf("PNG Up: ok %v, got %d bytes", ok, len(got))
	}
	p.predictor, p.colors, p.columns = 2, 1, 10
	tiff := bytes.Clone(in)
	for r := 0; r+10 <= len(tiff); r += 10 {
		for i := r + 9; i > r; i-- {
			tiff[i] -= tiff[i-1]
		}
	}
	if got, ok := unpredict(tiff, p); !ok || !bytes.Equal(got, in) {
		t.Errorf("TIFF: ok %v", ok)
	}
	p.bpc = 3
	if _, ok := unpredict(tiff, p); ok {
		t.Error("3 bits per component accepted")
	}
}
