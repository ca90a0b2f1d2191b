package filecheck

import (
	"bytes"
	"cmp"
)

const (
	pdfEOFWindow  = 1024      // the last %%EOF must start within this many bytes of the end
	maxPDFInflate = 256 * MiB // total bytes inflated from a file's streams
	maxNameLen    = 16        // longer than any name looked for
)

// checkPDF checks a file sniffed as PDF: header, end marker, encryption, active content.
func checkPDF(b []byte, res Result) Result {
	if !pdfHeaderOK(b) {
		return res.fail(Corrupt, "The PDF file's header is malformed.")
	}
	eof := bytes.LastIndex(b, []byte("%%EOF"))
	if eof < 0 || len(b)-eof > pdfEOFWindow {
		return res.fail(Corrupt, "The PDF file is incomplete (no %%%%EOF at its end).")
	}
	for _, c := range b[eof+5:] {
		if !isPDFSpace(c) {
			return res.fail(Corrupt, "The PDF file has data after its end.")
		}
	}
	var s pdfScan
	s.run(b)
	w := newPDFWalker(b)
	if s.found == "" {
		w.walk()
	}
	switch found := cmp.Or(s.found, w.found); {
	case found != "":
		return res.fail(ActiveContent, pdfActiveFound, found)
	case w.refused != "":
		return res.fail(BadFormat, "%s", w.refused)
	case s.encrypt || w.encrypt:
		return res.fail(BadFormat, pdfEncrypted)
	}
	return res
}

// pdfHeaderOK accepts "%PDF-1.0" to "%PDF-1.7" and "%PDF-2.0", followed by white space or
// a comment.
func pdfHeaderOK(b []byte) bool {
	if len(b) < 9 || string(b[:5]) != "%PDF-" || !isPDFSpace(b[8]) && b[8] != '%' {
		return false
	}
	v := string(b[5:8])
	return v == "2.0" || v[0] == '1' && v[1] == '.' && '0' <= v[2] && v[2] <= '7'
}

// isPDFSpace is PDF white space (ISO 32000-1, 7.2.2).
func isPDFSpace(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

func isPDFDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// activeName reports whether a decoded name makes a PDF run code, act by itself, reach
// out of the file or carry files, with its canonical spelling (a constant, so that keeping
// it allocates nothing), and whether it is one of the two-letter names ignored inside
// stream data. /OpenAction is not among them: it only says what happens on opening, and
// an action it names is caught by its own type (/S /JavaScript, /Launch, /URI, ...),
// while a destination is harmless.
//
// The names are those of scripts (JS, JavaScript, XFA forms), automatic actions (AA),
// actions that leave the document or the viewer (Launch, GoToR, GoToE, URI, SubmitForm,
// ImportData), media (Rendition, RichMedia) and embedded files (EmbeddedFile,
// EmbeddedFiles, EF).
func activeName(name []byte) (canonical string, short bool) {
	switch string(name) {
	case "JavaScript":
		return "JavaScript", false
	case "Launch":
		return "Launch", false
	case "GoToR":
		return "GoToR", false
	case "GoToE":
		return "GoToE", false
	case "URI":
		return "URI", false
	case "SubmitForm":
		return "SubmitForm", false
	case "ImportData":
		return "ImportData", false
	case "Rendition":
		return "Rendition", false
	case "RichMedia":
		return "RichMedia", false
	case "EmbeddedFile":
		return "EmbeddedFile", false
	case "EmbeddedFiles":
		return "EmbeddedFiles", false
	case "XFA":
		return "XFA", false
	case "JS":
		return "JS", true
	case "AA":
		return "AA", true
	case "EF":
		return "EF", true
	}
	return "", false
}

// pdfScan looks for active names over the bytes of a whole file, whatever their syntax:
// outside streams (in comments and strings too) and inside raw stream data. It backs the
// object walk up where a reader could parse what the walk does not.
type pdfScan struct {
	found   string // the first active name seen
	encrypt bool   // /Encrypt seen outside streams
}

func (s *pdfScan) run(b []byte) {
	for pos := 0; pos < len(b) && s.found == ""; {
		start, end := nextStreamData(b, pos)
		if start < 0 {
			s.scan(b[pos:], false)
			return
		}
		s.scan(b[pos:start], false)
		s.scan(b[start:end], true)
		pos = end
	}
}

// scan runs the name scanner over one region: outside a stream, or inside stream data.
func (s *pdfScan) scan(p []byte, inStream bool) {
	var ns nameScanner
	ns.onName = func(name []byte) { s.name(name, inStream) }
	ns.write(p)
	ns.flush()
}

func (s *pdfScan) name(name []byte, inStream bool) {
	if a, short := activeName(name); a != "" && !(short && inStream) && s.found == "" {
		s.found = a
	}
	if !inStream && string(name) == "Encrypt" {
		s.encrypt = true
	}
}

// nextStreamData finds the data of the next stream at or after pos: after the keyword
// "stream" (preceded by white space or ">", followed by an end of line) up to the next
// "endstream", or the end of the file. It returns start -1 if there is none. Finding too
// few streams only makes the scan stricter; a false one relaxes only /JS and /AA.
func nextStreamData(b []byte, pos int) (start, end int) {
	for {
		i := bytes.Index(b[pos:], []byte("stream"))
		if i < 0 {
			return -1, -1
		}
		k := pos + i
		pos = k + len("stream")
		if k == 0 || !isPDFSpace(b[k-1]) && b[k-1] != '>' {
			continue
		}
		switch {
		case bytes.HasPrefix(b[pos:], []byte("\r\n")):
			start = pos + 2
		case bytes.HasPrefix(b[pos:], []byte("\n")), bytes.HasPrefix(b[pos:], []byte("\r")):
			start = pos + 1
		default:
			continue
		}
		if j := bytes.Index(b[start:], []byte("endstream")); j >= 0 {
			return start, start + j
		}
		return start, len(b)
	}
}

// nameScanner finds PDF names in a byte stream fed in pieces, decoding #xx escapes. Names
// longer than maxNameLen are dropped, since nothing looked for is that long.
type nameScanner struct {
	onName func(name []byte)
	state  uint8 // outside, in a name, after '#', after '#' and one hex digit
	hi     byte  // the hex digit after '#'
	buf    [maxNameLen]byte
	n      int
	long   bool
}

const (
	nsOutside = iota
	nsName
	nsHash
	nsHashHex
)

func (ns *nameScanner) write(p []byte) {
	for _, c := range p {
		ns.byte(c)
	}
}

func (ns *nameScanner) byte(c byte) {
	switch ns.state {
	case nsOutside:
		if c == '/' {
			ns.begin()
		}
		return
	case nsHash:
		if isHex(c) {
			ns.hi, ns.state = c, nsHashHex
			return
		}
		ns.add('#') // not an escape: readers keep the '#'
		ns.state = nsName
	case nsHashHex:
		if isHex(c) {
			ns.add(unhex(ns.hi)<<4 | unhex(c))
			ns.state = nsName
			return
		}
		ns.add('#')
		ns.add(ns.hi)
		ns.state = nsName
	}
	// nsName
	switch {
	case isPDFSpace(c) || isPDFDelimiter(c):
		ns.end()
		if c == '/' {
			ns.begin()
		}
	case c == '#':
		ns.state = nsHash
	default:
		ns.add(c)
	}
}

// flush ends a name cut off by the end of the input, so that it still counts.
func (ns *nameScanner) flush() {
	switch ns.state {
	case nsHash:
		ns.add('#')
	case nsHashHex:
		ns.add('#')
		ns.add(ns.hi)
	}
	if ns.state != nsOutside {
		ns.end()
	}
}

func (ns *nameScanner) begin() { ns.state, ns.n, ns.long = nsName, 0, false }

func (ns *nameScanner) add(c byte) {
	if ns.n == len(ns.buf) {
		ns.long = true
		return
	}
	ns.buf[ns.n] = c
	ns.n++
}

func (ns *nameScanner) end() {
	if !ns.long && ns.n > 0 {
		ns.onName(ns.buf[:ns.n])
	}
	ns.state = nsOutside
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
