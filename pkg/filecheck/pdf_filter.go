package filecheck

import (
	"bufio"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
)

// pdfFilter is a stream filter (ISO 32000-1, 7.4), by kind.
type pdfFilter uint8

const (
	filterUnknown pdfFilter = iota // Crypt, misspelt, or not a name: what cannot be decoded
	filterFlate
	filterASCIIHex
	filterASCII85
	filterLZW
	filterRunLength
	filterImage // DCT, JPX, JBIG2, CCITTFax: image data, which cannot hold objects or names
)

// maxPDFFilters is the longest filter chain decoded; real files use one or two.
const maxPDFFilters = 8

// pdfFilterOf maps a filter name, full or abbreviated as inline images write it, to its kind.
func pdfFilterOf(w *pdfWord) pdfFilter {
	switch string(w.bytes()) {
	case "FlateDecode", "Fl":
		return filterFlate
	case "ASCIIHexDecode", "AHx":
		return filterASCIIHex
	case "ASCII85Decode", "A85":
		return filterASCII85
	case "LZWDecode", "LZW":
		return filterLZW
	case "RunLengthDecode", "RL":
		return filterRunLength
	case "DCTDecode", "DCT", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode", "CCF":
		return filterImage
	}
	return filterUnknown
}

// pdfParms are the DecodeParms entries that change what a filter outputs.
type pdfParms struct {
	predictor, colors, bpc, columns int
	earlyChange                     int
}

func defaultParms() pdfParms {
	return pdfParms{predictor: 1, colors: 1, bpc: 8, columns: 1, earlyChange: 1}
}

var errPDFBudget = errors.New("pdf: decode budget exceeded")

// budgetReader counts what a filter outputs against the file's decode budget, so that a
// chain of filters cannot multiply its way past it.
type budgetReader struct {
	r   io.Reader
	sum *int64
}

func (b budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	*b.sum += int64(n)
	if *b.sum > maxPDFInflate {
		return n, errPDFBudget
	}
	return n, err
}

// pdfDecoders holds the filter readers a walk reuses from stream to stream, one set per
// position in a chain, so that decoding allocates once per walk, not once per stream: a
// flate reader holds about 40 KiB, an LZW table 24 KiB, and a file can have thousands of
// streams.
type pdfDecoders struct {
	src    byteSource
	stages [maxPDFFilters]pdfStage
	sum    int64 // bytes output by every filter of every stream so far
}

type pdfStage struct {
	in    *bufio.Reader // the previous stage's output, buffered for byte reads
	zlib  io.ReadCloser
	flate io.ReadCloser
	lzw   *lzwReader
	hex   asciiHexReader
	a85   ascii85Reader
	rl    runLengthReader
}

// chain returns a reader of data decoded through filters (each known and not an image
// filter), applying parms[i] to filter i where given.
func (d *pdfDecoders) chain(data []byte, filters []pdfFilter, parms []pdfParms) (io.Reader, error) {
	d.src = byteSource{b: data}
	var r peekByteReader = &d.src
	var out io.Reader
	for i, f := range filters {
		st := &d.stages[i]
		if i > 0 {
			if st.in == nil {
				st.in = bufio.NewReaderSize(out, 4096)
			} else {
				st.in.Reset(out)
			}
			r = st.in
		}
		p := defaultParms()
		if i < len(parms) {
			p = parms[i]
		}
		var err error
		switch f {
		case filterFlate:
			out, err = st.inflater(r)
		case filterASCIIHex:
			st.hex = asciiHexReader{src: r}
			out = &st.hex
		case filterASCII85:
			st.a85 = ascii85Reader{src: r}
			out = &st.a85
		case filterLZW:
			if st.lzw == nil {
				st.lzw = new(lzwReader)
			}
			st.lzw.reset(r, p.earlyChange != 0)
			out = st.lzw
		case filterRunLength:
			st.rl = runLengthReader{src: r}
			out = &st.rl
		default:
			return nil, errors.New("pdf: filter cannot be decoded")
		}
		if err != nil {
			return nil, err
		}
		out = budgetReader{r: out, sum: &d.sum}
	}
	if out == nil {
		return r, nil
	}
	return out, nil
}

// inflater reads zlib data, or raw deflate data when the zlib header is missing, as
// lenient readers accept it.
func (st *pdfStage) inflater(r peekByteReader) (io.Reader, error) {
	if head, _ := r.Peek(2); looksZlib(head) {
		if st.zlib == nil {
			z, err := zlib.NewReader(r)
			if err != nil {
				return nil, err
			}
			st.zlib = z
			return z, nil
		}
		return st.zlib, st.zlib.(zlib.Resetter).Reset(r, nil)
	}
	if st.flate == nil {
		st.flate = flate.NewReader(r)
		return st.flate, nil
	}
	return st.flate, st.flate.(flate.Resetter).Reset(r, nil)
}

// peekByteReader is what a filter reads from: bytes, one at a time, and a peek.
type peekByteReader interface {
	io.Reader
	io.ByteReader
	Peek(int) ([]byte, error)
}

// byteSource is raw stream data in memory, read without a copy.
type byteSource struct {
	b   []byte
	pos int
}

func (s *byteSource) Read(p []byte) (int, error) {
	if s.pos >= len(s.b) {
		return 0, io.EOF
	}
	n := copy(p, s.b[s.pos:])
	s.pos += n
	return n, nil
}

func (s *byteSource) ReadByte() (byte, error) {
	if s.pos >= len(s.b) {
		return 0, io.EOF
	}
	s.pos++
	return s.b[s.pos-1], nil
}

func (s *byteSource) Peek(n int) ([]byte, error) {
	rest := s.b[s.pos:]
	if len(rest) < n {
		return rest, io.EOF
	}
	return rest[:n], nil
}

// asciiHexReader decodes ASCIIHexDecode. As pdf.js does, it skips any byte that is not a
// hex digit, so that nothing a lenient reader decodes is missed; '>' ends the data and an
// odd final digit is followed by 0.
type asciiHexReader struct {
	src  io.ByteReader
	done bool
}

func (a *asciiHexReader) Read(p []byte) (int, error) {
	n := 0
	var hi byte
	half := false
	for n < len(p) && !a.done {
		c, err := a.src.ReadByte()
		if err != nil || c == '>' {
			a.done = true
			break
		}
		if !isHex(c) {
			continue
		}
		if !half {
			hi, half = unhex(c), true
			continue
		}
		p[n] = hi<<4 | unhex(c)
		n++
		half = false
	}
	if half {
		p[n] = hi << 4 // only at the end: within data, pairs never straddle a Read
		n++
	}
	if n == 0 && a.done {
		return 0, io.EOF
	}
	return n, nil
}

// ascii85Reader decodes ASCII85Decode: a leading "<~" (which PDF does not use but some
// writers and readers do) is skipped, white space and bytes outside '!'..'u' are skipped,
// 'z' is four zeros, "~" ends the data and a final partial group of k characters gives
// k-1 bytes.
type ascii85Reader struct {
	src   peekByteReader
	begun bool
	group [5]byte
	k     int
	out   [4]byte
	pend  []byte // decoded bytes not yet returned
	final bool   // the data has ended; pend holds what is left
}

func (a *ascii85Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(a.pend) > 0 {
			c := copy(p[n:], a.pend)
			a.pend, n = a.pend[c:], n+c
			continue
		}
		if a.final {
			break
		}
		a.fill()
	}
	if n == 0 && a.final {
		return 0, io.EOF
	}
	return n, nil
}

// fill decodes the next group into pend, or marks the end.
func (a *ascii85Reader) fill() {
	if !a.begun {
		a.begun = true
		if head, _ := a.src.Peek(2); string(head) == "<~" {
			_, _ = a.src.ReadByte()
			_, _ = a.src.ReadByte()
		}
	}
	for {
		c, err := a.src.ReadByte()
		if err != nil || c == '~' {
			a.flushPartial()
			a.final = true
			return
		}
		switch {
		case c == 'z' && a.k == 0:
			a.out = [4]byte{}
			a.pend = a.out[:]
			return
		case c < '!' || c > 'u':
			continue
		}
		a.group[a.k] = c - '!'
		if a.k++; a.k == 5 {
			a.emit(4)
			return
		}
	}
}

func (a *ascii85Reader) flushPartial() {
	if a.k < 2 {
		a.k = 0
		return
	}
	for i := a.k; i < 5; i++ {
		a.group[i] = 'u' - '!'
	}
	a.emit(a.k - 1)
}

func (a *ascii85Reader) emit(nbytes int) {
	var v uint32
	for _, d := range a.group {
		v = v*85 + uint32(d) // wraps on invalid groups as readers' 32-bit arithmetic does
	}
	a.out = [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	a.pend, a.k = a.out[:nbytes], 0
}

// runLengthReader decodes RunLengthDecode.
type runLengthReader struct {
	src  io.ByteReader
	buf  [128]byte
	pend []byte
	done bool
}

func (r *runLengthReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.pend) > 0 {
			c := copy(p[n:], r.pend)
			r.pend, n = r.pend[c:], n+c
			continue
		}
		if r.done || !r.fill() {
			r.done = true
			break
		}
	}
	if n == 0 && r.done {
		return 0, io.EOF
	}
	return n, nil
}

func (r *runLengthReader) fill() bool {
	l, err := r.src.ReadByte()
	if err != nil || l == 128 {
		return false
	}
	if l < 128 {
		k := 0
		for ; k <= int(l); k++ {
			c, err := r.src.ReadByte()
			if err != nil {
				break
			}
			r.buf[k] = c
		}
		r.pend = r.buf[:k]
		return k > 0
	}
	c, err := r.src.ReadByte()
	if err != nil {
		return false
	}
	run := r.buf[:257-int(l)]
	for i := range run {
		run[i] = c
	}
	r.pend = run
	return true
}

// lzwReader decodes LZWDecode: MSB-first codes of 9 to 12 bits, 256 clears the table,
// 257 ends the data. With early change (the PDF default) the code width grows one code
// sooner than in GIF, as TIFF writers do; compress/lzw implements only the GIF variant.
type lzwReader struct {
	src    io.ByteReader
	early  int
	bits   uint32
	nbits  uint
	width  uint
	next   int // the next table entry to assign
	prev   int // the previous code, -1 right after a clear
	prefix [4096]uint16
	suffix [4096]byte
	length [4096]uint16
	str    [4096]byte
	pend   []byte
	done   bool
}

func (l *lzwReader) reset(src io.ByteReader, earlyChange bool) {
	l.src, l.early, l.bits, l.nbits, l.pend, l.done = src, 0, 0, 0, nil, false
	if earlyChange {
		l.early = 1
	}
	for i := range 256 {
		l.suffix[i], l.length[i] = byte(i), 1
	}
	l.clear()
}

func (l *lzwReader) clear() { l.width, l.next, l.prev = 9, 258, -1 }

func (l *lzwReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.pend) > 0 {
			c := copy(p[n:], l.pend)
			l.pend, n = l.pend[c:], n+c
			continue
		}
		if l.done || !l.step() {
			l.done = true
			break
		}
	}
	if n == 0 && l.done {
		return 0, io.EOF
	}
	return n, nil
}

// code reads the next code, or -1 at the end of the input.
func (l *lzwReader) code() int {
	for l.nbits < l.width {
		c, err := l.src.ReadByte()
		if err != nil {
			return -1
		}
		l.bits, l.nbits = l.bits<<8|uint32(c), l.nbits+8
	}
	l.nbits -= l.width
	return int(l.bits>>l.nbits) & (1<<l.width - 1)
}

// step decodes one code into pend; false at the end of the data or on a bad code.
func (l *lzwReader) step() bool {
	c := l.code()
	switch {
	case c < 0 || c == 257:
		return false
	case c == 256:
		l.clear()
		return true
	case l.prev < 0:
		if c > 255 {
			return false
		}
		l.prev, l.str[0] = c, byte(c)
		l.pend = l.str[:1]
		return true
	case c > l.next || c == l.next && l.next >= len(l.prefix):
		return false
	}
	var s []byte
	if c < l.next {
		s = l.expand(c)
		l.add(s[0])
	} else { // the code being defined: the previous string and its own first byte
		first := l.expand(l.prev)[0]
		l.add(first)
		s = l.expand(c)
	}
	l.prev, l.pend = c, s
	return true
}

// add defines the next code as the previous string followed by c, unless the table is full.
func (l *lzwReader) add(c byte) {
	if l.next >= len(l.prefix) {
		return
	}
	l.prefix[l.next], l.suffix[l.next], l.length[l.next] = uint16(l.prev), c, l.length[l.prev]+1
	l.next++
	if l.next+l.early >= 1<<l.width && l.width < 12 {
		l.width++
	}
}

// expand writes code's string into str and returns it.
func (l *lzwReader) expand(code int) []byte {
	n := int(l.length[code])
	for i := n - 1; i >= 0; i-- {
		l.str[i] = l.suffix[code]
		code = int(l.prefix[code])
	}
	return l.str[:n]
}

// unpredict reverses a PNG (10 to 15) or TIFF (2) predictor in place and returns the
// decoded bytes; ok is false for parameters no reader would accept.
func unpredict(b []byte, p pdfParms) ([]byte, bool) {
	if p.predictor == 1 {
		return b, true
	}
	if p.colors < 1 || p.colors > 32 || p.columns < 1 || p.columns > 1<<20 {
		return nil, false
	}
	switch p.bpc {
	case 1, 2, 4, 8, 16:
	default:
		return nil, false
	}
	row := (p.columns*p.colors*p.bpc + 7) / 8
	bpp := max(1, p.colors*p.bpc/8)
	switch {
	case p.predictor == 2 && p.bpc == 8:
		for r := 0; r+row <= len(b); r += row {
			for i := r + bpp; i < r+row; i++ {
				b[i] += b[i-bpp]
			}
		}
		return b, true
	case p.predictor >= 10 && p.predictor <= 15:
		return unpredictPNG(b, row, bpp), true
	}
	return nil, false
}

// unpredictPNG reverses PNG row filters: each row is a filter-type byte and row bytes.
// The output, the rows without their type bytes, is written over the input.
func unpredictPNG(b []byte, row, bpp int) []byte {
	out := b[:0]
	prev := -1 // the start of the previous output row in b
	for in := 0; in < len(b); in += row + 1 {
		typ := b[in]
		src := b[in+1 : min(in+1+row, len(b))]
		start := len(out)
		out = append(out, src...) // out never overtakes in: one type byte less a row
		cur := out[start:]
		for i := range cur {
			var left, up, upLeft byte
			if i >= bpp {
				left = cur[i-bpp]
			}
			if prev >= 0 {
				up = b[prev+i]
				if i >= bpp {
					upLeft = b[prev+i-bpp]
				}
			}
			cur[i] += pngPredict(typ, left, up, upLeft)
		}
		if len(cur) == row {
			prev = start
		}
	}
	return out
}

func pngPredict(typ, a, b, c byte) byte {
	switch typ {
	case 1:
		return a
	case 2:
		return b
	case 3:
		return byte((int(a) + int(b)) / 2)
	case 4:
		p := int(a) + int(b) - int(c)
		pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
		switch {
		case pa <= pb && pa <= pc:
			return a
		case pb <= pc:
			return b
		}
		return c
	}
	return 0
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
