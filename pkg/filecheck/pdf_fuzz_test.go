package filecheck

import (
	"bytes"
	"runtime"
	"testing"
)

// pdfWalkAllocSlack is what a walk may allocate besides its object stream buffer and
// per byte of input: the decoders it reuses for every stream (flate and LZW state for
// each position in a filter chain) and its scan buffer.
const pdfWalkAllocSlack = 2 << 20

// FuzzPDFWalk: walking any bytes as a PDF never panics, gives the same answer twice, and
// allocates only its fixed decoders, its object stream buffer and a little per input byte,
// never in proportion to what the data decodes to. Checking the bytes as a whole file
// (header, end marker, scan and walk) is deterministic too, and never accepts a file
// holding /JavaScript in the clear.
func FuzzPDFWalk(f *testing.F) {
	for _, c := range pdfWalkCases() {
		f.Add(c.data)
	}
	slot := licence(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var w *pdfWalker
		alloc := allocatedBy(func() {
			w = newPDFWalker(data)
			w.walk()
		})
		if limit := pdfWalkAllocSlack + 64*uint64(len(data)) + 2*uint64(cap(w.objBuf)); alloc > limit {
			t.Fatalf("walk of %d bytes allocated %d bytes (object stream buffer %d)", len(data), alloc, cap(w.objBuf))
		}
		again := newPDFWalker(bytes.Clone(data))
		again.walk()
		if again.found != w.found || again.refused != w.refused || again.encrypt != w.encrypt {
			t.Fatalf("walk not deterministic: %q %q %v, then %q %q %v", w.found, w.refused, w.encrypt, again.found, again.refused, again.encrypt)
		}
		if w.found != "" && w.refused != "" {
			t.Fatalf("walk both found /%s and refused: %s", w.found, w.refused)
		}

		res := CheckBytes(data, slot)
		if res2 := CheckBytes(bytes.Clone(data), slot); res2 != res {
			t.Fatalf("CheckBytes not deterministic: %+v then %+v", res, res2)
		}
		if res.OK() && holdsName(data, "/JavaScript") {
			t.Fatal("accepted a file holding /JavaScript")
		}
	})
}

// holdsName reports whether name occurs in b as a whole name, not a prefix of a longer one.
func holdsName(b []byte, name string) bool {
	for {
		i := bytes.Index(b, []byte(name))
		if i < 0 {
			return false
		}
		if b = b[i+len(name):]; len(b) == 0 || !isPDFRegular(b[0]) {
			return true
		}
	}
}

func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
