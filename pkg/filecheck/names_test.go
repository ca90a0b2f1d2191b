package filecheck

import (
	"slices"
	"testing"
)

func names(pieces ...string) []string {
	var got []string
	ns := nameScanner{onName: func(n []byte) { got = append(got, string(n)) }}
	for _, p := range pieces {
		ns.write([]byte(p))
	}
	ns.flush()
	return got
}

func TestNameScanner(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"/Type/Catalog /OpenAction[", []string{"Type", "Catalog", "OpenAction"}},
		{"<</J#61va#53cript 1>>", []string{"JavaScript"}},
		{"/#4a#53", []string{"JS"}},
		{"/A#zA /B#4", []string{"A#zA", "B#4"}}, // not escapes: the '#' is kept
		{"/A#", []string{"A#"}},
		{"/ /(x)", nil}, // the empty name is not reported
		{"/ThisNameIsFarTooLongToMatter /AA", []string{"AA"}},
		{"(/JS)%/AA\n", []string{"JS", "AA"}}, // strings and comments count
		{"/Launch", []string{"Launch"}},       // cut off by the end of the input
	}
	for _, tt := range tests {
		if got := names(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("names(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Fed in two pieces at every split point, as inflated data arrives, the result is
		// the same.
		for i := range len(tt.in) {
			if got := names(tt.in[:i], tt.in[i:]); !slices.Equal(got, tt.want) {
				t.Errorf("names(%q | %q) = %q, want %q", tt.in[:i], tt.in[i:], got, tt.want)
			}
		}
	}
}

func TestNextStreamData(t *testing.T) {
	b := []byte("1 0 obj <<>>stream\r\nDATA\nendstream 2 0 obj << >> stream\nMORE")
	start, end := nextStreamData(b, 0)
	if string(b[start:end]) != "DATA\n" {
		t.Errorf("first stream = %q", b[start:end])
	}
	start, end = nextStreamData(b, end)
	if string(b[start:end]) != "MORE" {
		t.Errorf("unterminated stream = %q", b[start:end])
	}
	if start, _ := nextStreamData([]byte("mainstream\n /xstream\nendstream"), 0); start != -1 {
		t.Errorf("found a stream in %q", "mainstream")
	}
}
