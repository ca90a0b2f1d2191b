package filecheck

import (
	"bytes"
	"compress/zlib"
	"io"
)

const (
	pdfEOFWindow  = 1024      // the last %%EOF must start within this many bytes of the end
	maxPDFInflate = 256 * MiB // total bytes inflated from a file's streams
	maxNameLen    = 16        // longer than any name looked for
)

// checkPDF checks a file sniffed as PDF: header, end marker, active content.
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
	switch {
	case s.found != "":
		return res.fail(ActiveContent, "PDF files with scripts, automatic actions or embedded files are not accepted (found /%s).", s.found)
	case s.overBudget:
		return res.fail(BadFormat, "The PDF file holds too much compressed data to be inspected.")
	case s.encrypt && s.objStm:
		return res.fail(BadFormat, "Encrypted PDF files with compressed objects cannot be inspected; upload an unencrypted copy.")
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

// activeName reports whether a decoded name makes a PDF run code, act by itself or carry
// files, and whether it is one of the two-letter names ignored inside stream data.
func activeName(name []byte) (active, short bool) {
	switch string(name) {
	case "JavaScript", "OpenAction", "Launch", "EmbeddedFile", "EmbeddedFiles",
		"RichMedia", "XFA", "SubmitForm", "ImportData":
		return true, false
	case "JS", "AA":
		return true, true
	}
	return false, false
}

// pdfScan looks for active names over a whole file: outside streams, inside raw stream
// data and inside inflated streams.
type pdfScan struct {
	found      string // the first active name seen
	encrypt    bool   // /Encrypt seen outside streams
	objStm     bool   // /ObjStm seen outside streams
	inflated   int64
	overBudget bool
	zr         io.ReadCloser // reused across streams
	buf        []byte
}

func (s *pdfScan) run(b []byte) {
	for pos := 0; pos < len(b) && s.found == "" && !s.overBudget; {
		start, end := nextStreamData(b, pos)
		if start < 0 {
			s.scan(b[pos:], false)
			return
		}
		s.scan(b[pos:start], false)
		s.scan(b[start:end], true)
		s.inflate(b[start:end])
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
	if active, short := activeName(name); active && !(short && inStream) && s.found == "" {
		s.found = string(name)
	}
	if !inStream {
		switch string(name) {
		case "Encrypt":
			s.encrypt = true
		case "ObjStm":
			s.objStm = true
		}
	}
}

// inflate scans the output of stream data that starts with a zlib header, whatever the
// stream's dictionary says (a /Filter can be hidden behind an indirect reference), reading
// through a fixed buffer so that the budget, not the file, bounds the work. Data after a
// deflate error is not used by readers either, so the scan stops there.
func (s *pdfScan) inflate(data []byte) {
	r := bytes.NewReader(data)
	var err error
	if s.zr == nil {
		s.zr, err = zlib.NewReader(r)
		s.buf = make([]byte, 32<<10)
	} else {
		err = s.zr.(zlib.Resetter).Reset(r, nil)
	}
	if err != nil {
		return // not zlib data (a failed NewReader leaves s.zr nil, to be tried again)
	}
	var ns nameScanner
	ns.onName = func(name []byte) { s.name(name, true) }
	for s.found == "" {
		n, err := s.zr.Read(s.buf)
		s.inflated += int64(n)
		if s.inflated > maxPDFInflate {
			s.overBudget = true
			return
		}
		ns.write(s.buf[:n])
		if err != nil {
			break
		}
	}
	ns.flush()
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
