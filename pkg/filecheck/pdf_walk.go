package filecheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits of the object walk. Each bounds the work or memory of one file; a file beyond
// one is refused as BadFormat, since what was not inspected cannot be accepted.
const (
	maxPDFDepth   = 64        // nesting of arrays and dictionaries; producers use under 10
	maxPDFObjects = 1 << 20   // objects parsed, in the file and in object streams
	maxObjStmSize = 16 * MiB  // one object stream decoded, held in memory to be parsed
	maxObjStmSum  = 64 * MiB  // all object streams decoded: about a million objects
	maxPDFPending = 64        // streams whose data the object search has not passed yet
	pdfWorkSlack  = 1 * MiB   // parsing allowed beyond the factors below
	pdfWorkFactor = 4         // times the file's bytes that may be parsed
	pdfObjStmWork = 2         // times the decoded object streams' bytes that may be parsed
	pdfScanBuf    = 32 << 10  // decoded stream data is scanned through a buffer this size
	pdfNoInt      = int64(-1) // a dictionary entry absent or not a direct integer
)

// Why a walk stopped without an answer: the messages of the BadFormat results.
const (
	pdfTooDeep     = "The PDF file is nested too deeply to be inspected."
	pdfTooMany     = "The PDF file has too many objects to be inspected."
	pdfTooComplex  = "The PDF file is too convoluted to be inspected."
	pdfOverBudget  = "The PDF file holds too much compressed data to be inspected."
	pdfObjStmBad   = "The PDF file has compressed objects that cannot be inspected (%s); save it again without object streams or with standard compression."
	pdfEncrypted   = "Encrypted PDF files cannot be inspected; upload an unencrypted copy."
	pdfActiveFound = "PDF files with scripts, automatic actions, links or embedded files are not accepted (found /%s)."
)

// pdfWalker parses every object of a PDF file, wherever an "n g obj" header is found, and
// every object inside its object streams, checking each name of each object. Streams are
// decoded through their filters and scanned for names; object streams must decode.
type pdfWalker struct {
	b         []byte
	found     string // the first active name, canonical spelling
	encrypt   bool   // an /Encrypt entry was seen
	refused   string // why the file cannot be inspected; "" while it can
	objects   int
	objStmSum int64 // bytes of object streams decoded so far
	work      int64 // bytes parsed so far
	workLimit int64
	pending   []pdfSpan // data of streams ahead of the object search, skipped by it
	dec       pdfDecoders
	scanBuf   []byte // reused for every stream scanned
	objBuf    []byte // reused for every object stream decoded
}

type pdfSpan struct{ start, end int }

// pdfDict is what a stream's dictionary says about its data: only direct values count;
// a filter given by reference cannot be known without resolving it.
type pdfDict struct {
	typ       pdfWord
	length    int64
	filters   [maxPDFFilters]pdfFilter
	nfilters  int
	parms     [maxPDFFilters]pdfParms
	indirect  bool // /Filter or /DecodeParms is not a direct name, array or dictionary
	tooLong   bool // more filters than maxPDFFilters
	n, first  int64
	hasFirst  bool
	hasFilter bool
}

func newPDFDict() pdfDict {
	d := pdfDict{length: pdfNoInt, n: pdfNoInt, first: pdfNoInt}
	for i := range d.parms {
		d.parms[i] = defaultParms()
	}
	return d
}

// isObjStm: readers reach an object stream through the cross-reference stream and read
// only /N and /First, not /Type, so a stream with /First is treated as one too.
func (d *pdfDict) isObjStm() bool { return d.typ.is("ObjStm") || d.hasFirst }

func newPDFWalker(b []byte) *pdfWalker {
	return &pdfWalker{b: b, workLimit: pdfWorkFactor*int64(len(b)) + pdfWorkSlack}
}

func (w *pdfWalker) stopped() bool { return w.found != "" || w.refused != "" }

func (w *pdfWalker) refuse(msg string) {
	if w.refused == "" {
		w.refused = msg
	}
}

func (w *pdfWalker) charge(n int) {
	if w.work += int64(n); w.work > w.workLimit {
		w.refuse(pdfTooComplex)
	}
}

func (w *pdfWalker) countObject() {
	if w.objects++; w.objects > maxPDFObjects {
		w.refuse(pdfTooMany)
	}
}

// walk searches the file for object headers and parses each object found. The search
// goes on from each header's end, not the object's, so that an object hidden inside
// another's string (where a cross-reference offset can point) is parsed too; only stream
// data, which is decoded instead, is skipped.
func (w *pdfWalker) walk() {
	for pos := 0; !w.stopped(); {
		kw, body := nextObjHeader(w.b, pos)
		if kw < 0 {
			return
		}
		if end, ok := w.inStreamData(kw); ok {
			pos = end
			continue
		}
		w.object(body)
		pos = body
	}
}

// inStreamData reports whether position i lies in the data of a stream already parsed,
// and where that data ends. Spans the search has passed are dropped.
func (w *pdfWalker) inStreamData(i int) (int, bool) {
	kept := w.pending[:0]
	end, in := 0, false
	for _, s := range w.pending {
		if s.end <= i {
			continue
		}
		kept = append(kept, s)
		if s.start <= i {
			end, in = max(end, s.end), true
		}
	}
	w.pending = kept
	return end, in
}

// nextObjHeader finds the next "n g obj" at or after pos: it returns the offset of "obj"
// and of what follows it, or -1.
func nextObjHeader(b []byte, pos int) (kw, body int) {
	for {
		i := bytes.Index(b[pos:], []byte("obj"))
		if i < 0 {
			return -1, -1
		}
		kw, pos = pos+i, pos+i+3
		if pos < len(b) && isPDFRegular(b[pos]) {
			continue
		}
		j := skipBack(b, kw, isPDFSpace)
		k := skipBack(b, j, isDigit)
		l := skipBack(b, k, isPDFSpace)
		m := skipBack(b, l, isDigit)
		if j < kw && k < j && l < k && m < l && j-k <= 10 && l-m <= 10 {
			return kw, pos
		}
	}
}

// skipBack returns the start of the run of bytes matching f that ends at i.
func skipBack(b []byte, i int, f func(byte) bool) int {
	for i > 0 && f(b[i-1]) {
		i--
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// object parses the object whose value starts at pos and, for a stream, its data.
func (w *pdfWalker) object(pos int) {
	w.countObject()
	lx := pdfLexer{buf: w.b, pos: pos}
	t := lx.next()
	if t.kind != tokDictOpen {
		w.value(&lx, t, 0)
		w.charge(lx.pos - pos)
		return
	}
	d := newPDFDict()
	w.dict(&lx, 1, &d, nil)
	isStream := false
	if !w.stopped() {
		k := lx.next()
		isStream = k.kind == tokKeyword && k.word.is("stream")
	}
	if w.charge(lx.pos - pos); !isStream || w.stopped() {
		return
	}
	start := streamStart(w.b, lx.pos)
	end := streamEnd(w.b, start, d.length)
	if len(w.pending) == maxPDFPending {
		w.refuse(pdfTooComplex)
		return
	}
	w.pending = append(w.pending, pdfSpan{start, end})
	w.stream(w.b[start:end], &d)
}

// streamStart is where stream data begins after the keyword "stream" ends at p: after
// CRLF or LF (or a lone CR, which readers accept).
func streamStart(b []byte, p int) int {
	switch {
	case bytes.HasPrefix(b[p:], []byte("\r\n")):
		return p + 2
	case bytes.HasPrefix(b[p:], []byte("\n")), bytes.HasPrefix(b[p:], []byte("\r")):
		return p + 1
	}
	return p
}

// streamEnd is where stream data ends: after /Length bytes if "endstream" follows them,
// as readers check, else before the next "endstream" (and its end of line), else at the
// end of the file.
func streamEnd(b []byte, start int, length int64) int {
	if length >= 0 && length <= int64(len(b)-start) {
		end := start + int(length)
		rest := b[end:]
		for len(rest) > 0 && isPDFSpace(rest[0]) {
			rest = rest[1:]
		}
		if bytes.HasPrefix(rest, []byte("endstream")) {
			return end
		}
	}
	j := bytes.Index(b[start:], []byte("endstream"))
	if j < 0 {
		return len(b)
	}
	end := start + j
	switch {
	case end-start >= 2 && b[end-2] == '\r' && b[end-1] == '\n':
		return end - 2
	case end > start && (b[end-1] == '\n' || b[end-1] == '\r'):
		return end - 1
	}
	return end
}

// name checks a name that is part of an object's syntax: a key or a value.
func (w *pdfWalker) name(n *pdfWord) {
	if a, _ := activeName(n.bytes()); a != "" && w.found == "" {
		w.found = a
	}
}

// value parses the object that starts with token t and returns t, or a tokRef token for
// an indirect reference.
func (w *pdfWalker) value(lx *pdfLexer, t pdfToken, depth int) pdfToken {
	switch t.kind {
	case tokName:
		w.name(&t.word)
	case tokInt:
		if isRef(lx) {
			return pdfToken{kind: tokRef}
		}
	case tokDictOpen:
		w.dict(lx, depth+1, nil, nil)
	case tokArrayOpen:
		w.array(lx, depth+1)
	}
	return t
}

// isRef consumes "g R" after an integer if they follow it. It looks at the next byte
// before lexing a token, since most integers are in arrays of numbers.
func isRef(lx *pdfLexer) bool {
	save := lx.pos
	if lx.skipSpace(); lx.pos < len(lx.buf) && isDigit(lx.buf[lx.pos]) {
		if g := lx.next(); g.kind == tokInt {
			if lx.skipSpace(); lx.pos < len(lx.buf) && lx.buf[lx.pos] == 'R' {
				if r := lx.next(); r.kind == tokKeyword && r.word.is("R") {
					return true
				}
			}
		}
	}
	lx.pos = save
	return false
}

func (w *pdfWalker) array(lx *pdfLexer, depth int) {
	if depth > maxPDFDepth {
		w.refuse(pdfTooDeep)
		return
	}
	for !w.stopped() {
		t := lx.next()
		if t.kind == tokEOF || t.kind == tokArrayClose {
			return
		}
		w.value(lx, t, depth)
	}
}

// dict parses a dictionary after its "<<". Entries that describe stream data are kept in
// info, and decode parameters in parms, when those are not nil. Like readers, it skips a
// key that is not a name, parsing it so that what it holds is checked too.
func (w *pdfWalker) dict(lx *pdfLexer, depth int, info *pdfDict, parms *pdfParms) {
	if depth > maxPDFDepth {
		w.refuse(pdfTooDeep)
		return
	}
	for !w.stopped() {
		t := lx.next()
		switch t.kind {
		case tokEOF, tokDictClose:
			return
		case tokName:
			w.name(&t.word)
			w.entry(lx, &t.word, depth, info, parms)
		default:
			w.value(lx, t, depth)
		}
	}
}

// entry parses the value of the entry named key.
func (w *pdfWalker) entry(lx *pdfLexer, key *pdfWord, depth int, info *pdfDict, parms *pdfParms) {
	save := lx.pos
	t := lx.next()
	if t.kind == tokDictClose || t.kind == tokEOF {
		lx.pos = save // a key without a value: the dictionary ends here
		return
	}
	if key.is("Encrypt") {
		w.encrypt = true
	}
	if info != nil {
		switch {
		case key.is("Filter"):
			w.filterValue(lx, t, depth, info)
			return
		case key.is("DecodeParms"):
			w.parmsValue(lx, t, depth, info)
			return
		}
	}
	v := w.value(lx, t, depth)
	if info != nil {
		info.set(key, v)
	}
	if parms != nil {
		parms.set(key, v)
	}
}

func (d *pdfDict) set(key *pdfWord, v pdfToken) {
	num := pdfNoInt
	if v.kind == tokInt {
		num = v.num
	}
	switch {
	case key.is("Type") && v.kind == tokName:
		d.typ = v.word
	case key.is("Length"):
		d.length = num
	case key.is("N"):
		d.n = num
	case key.is("First"):
		d.first, d.hasFirst = num, true
	}
}

func (p *pdfParms) set(key *pdfWord, v pdfToken) {
	if v.kind != tokInt {
		return
	}
	n := int(min(v.num, 1<<30))
	switch {
	case key.is("Predictor"):
		p.predictor = n
	case key.is("Colors"):
		p.colors = n
	case key.is("BitsPerComponent"):
		p.bpc = n
	case key.is("Columns"):
		p.columns = n
	case key.is("EarlyChange"):
		p.earlyChange = n
	}
}

// filterValue parses /Filter: a name or an array of names.
func (w *pdfWalker) filterValue(lx *pdfLexer, t pdfToken, depth int, d *pdfDict) {
	d.hasFilter = true
	switch t.kind {
	case tokName:
		w.name(&t.word)
		d.addFilter(pdfFilterOf(&t.word))
		return
	case tokArrayOpen:
	default:
		w.value(lx, t, depth)
		d.indirect = true
		return
	}
	if depth+1 > maxPDFDepth {
		w.refuse(pdfTooDeep)
		return
	}
	for !w.stopped() {
		e := lx.next()
		switch e.kind {
		case tokEOF, tokArrayClose:
			return
		case tokName:
			w.name(&e.word)
			d.addFilter(pdfFilterOf(&e.word))
		default:
			w.value(lx, e, depth+1)
			d.indirect = true
		}
	}
}

func (d *pdfDict) addFilter(f pdfFilter) {
	if d.nfilters == len(d.filters) {
		d.tooLong = true
		return
	}
	d.filters[d.nfilters] = f
	d.nfilters++
}

// parmsValue parses /DecodeParms: a dictionary, or an array of dictionaries or nulls, one
// for each filter.
func (w *pdfWalker) parmsValue(lx *pdfLexer, t pdfToken, depth int, d *pdfDict) {
	switch {
	case t.kind == tokDictOpen:
		w.dict(lx, depth+1, nil, &d.parms[0])
		return
	case t.kind == tokKeyword && t.word.is("null"):
		return
	case t.kind != tokArrayOpen:
		w.value(lx, t, depth)
		d.indirect = true
		return
	}
	if depth+1 > maxPDFDepth {
		w.refuse(pdfTooDeep)
		return
	}
	for i := 0; !w.stopped(); i++ {
		e := lx.next()
		switch {
		case e.kind == tokEOF || e.kind == tokArrayClose:
			return
		case e.kind == tokDictOpen && i < len(d.parms):
			w.dict(lx, depth+2, nil, &d.parms[i])
		case e.kind == tokKeyword && e.word.is("null"):
		default:
			w.value(lx, e, depth+1)
			d.indirect = true
		}
	}
}

// stream checks a stream's data: an object stream is decoded and its objects parsed;
// any other stream is decoded as far as its filters allow and scanned for names.
func (w *pdfWalker) stream(data []byte, d *pdfDict) {
	if d.isObjStm() {
		w.objStm(data, d)
		return
	}
	filters := d.filters[:d.nfilters]
	for i, f := range filters {
		if f == filterImage {
			filters = filters[:i] // image data holds no names; what comes before it may
			break
		}
	}
	known := !d.indirect && !d.tooLong
	for _, f := range filters {
		known = known && f != filterUnknown
	}
	if !known {
		if !looksZlib(data) {
			return
		}
		// A filter hidden behind a reference, or one this walk does not know, may still be
		// FlateDecode, the usual one: try it.
		filters = []pdfFilter{filterFlate}
	}
	if len(filters) == 0 {
		return // raw data, scanned by pdfScan
	}
	r, err := w.dec.chain(data, filters, d.parms[:])
	if err != nil {
		return // no reader can decode it either
	}
	w.scanReader(r, true)
}

func looksZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && (uint(b[0])<<8|uint(b[1]))%31 == 0
}

// scanReader scans decoded stream data for names through a fixed buffer, so that the
// budget, not the data, bounds the work. Data after a decode error is not used by readers
// either, so the scan stops there.
func (w *pdfWalker) scanReader(r io.Reader, inStream bool) {
	if w.scanBuf == nil {
		w.scanBuf = make([]byte, pdfScanBuf)
	}
	ns := nameScanner{onName: func(name []byte) { w.scannedName(name, inStream) }}
	for !w.stopped() {
		n, err := r.Read(w.scanBuf)
		ns.write(w.scanBuf[:n])
		if errors.Is(err, errPDFBudget) {
			w.refuse(pdfOverBudget)
		}
		if err != nil {
			break
		}
	}
	ns.flush()
}

// scannedName checks a name found by scanning bytes rather than parsing them: inside
// stream data the two-letter names are ignored (see the package documentation).
func (w *pdfWalker) scannedName(name []byte, inStream bool) {
	if a, short := activeName(name); a != "" && !(short && inStream) && w.found == "" {
		w.found = a
	}
}

// objStm decodes an object stream and parses each object in it. Everything a reader
// could find in it must be inspected, so a stream that cannot be decoded is refused.
func (w *pdfWalker) objStm(data []byte, d *pdfDict) {
	buf, why := w.decodeObjStm(data, d)
	if why != "" {
		if why == pdfOverBudget {
			w.refuse(pdfOverBudget)
		} else {
			w.refuse(fmt.Sprintf(pdfObjStmBad, why))
		}
		return
	}
	if w.objStmSum += int64(len(buf)); w.objStmSum > maxObjStmSum {
		w.refuse(fmt.Sprintf(pdfObjStmBad, "too large"))
		return
	}
	w.workLimit += pdfObjStmWork * int64(len(buf))
	ns := nameScanner{onName: func(name []byte) { w.scannedName(name, false) }}
	ns.write(buf)
	ns.flush()
	if w.stopped() {
		return
	}
	if d.n < 0 || d.first < 0 || d.first > int64(len(buf)) {
		w.refuse(fmt.Sprintf(pdfObjStmBad, "bad /N or /First"))
		return
	}
	if why := w.objStmObjects(buf, int(d.n), int(d.first)); why != "" {
		w.refuse(fmt.Sprintf(pdfObjStmBad, why))
	}
}

// decodeObjStm returns an object stream's decoded data, or why it cannot be had.
func (w *pdfWalker) decodeObjStm(data []byte, d *pdfDict) ([]byte, string) {
	filters := d.filters[:d.nfilters]
	switch {
	case d.indirect:
		return nil, "filter given by reference"
	case d.tooLong:
		return nil, "too many filters"
	}
	for i, f := range filters {
		switch {
		case f == filterUnknown || f == filterImage:
			return nil, "unsupported filter"
		case d.parms[i].predictor != 1 && i != len(filters)-1:
			return nil, "predictor inside a filter chain"
		}
	}
	r, err := w.dec.chain(data, filters, d.parms[:])
	if err != nil {
		return nil, "filter data malformed"
	}
	buf, err := w.readObjStm(r)
	switch {
	case errors.Is(err, errPDFBudget):
		return nil, pdfOverBudget
	case len(buf) > maxObjStmSize:
		return nil, "too large"
	}
	// Any other error ends the data where readers end it too: what was decoded is used.
	if last := len(filters) - 1; last >= 0 {
		var ok bool
		if buf, ok = unpredict(buf, d.parms[last]); !ok {
			return nil, "unsupported predictor"
		}
	}
	return buf, ""
}

// readObjStm reads decoded object stream data into the walk's buffer, growing it up to one
// byte over maxObjStmSize. The error is the one that ended the data.
func (w *pdfWalker) readObjStm(r io.Reader) ([]byte, error) {
	buf := w.objBuf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) > maxObjStmSize {
				return buf, nil
			}
			grown := make([]byte, len(buf), min(max(2*cap(buf), 64<<10), maxObjStmSize+1))
			copy(grown, buf)
			buf = grown
			w.objBuf = buf
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
}

// objStmObjects parses the n objects of an object stream whose first starts at first:
// each where the header's offset puts it and, if the offsets are not simply one object
// after the other, all of the data in sequence as well, as some readers parse it.
func (w *pdfWalker) objStmObjects(buf []byte, n, first int) string {
	hdr := pdfLexer{buf: buf[:first]}
	objs := buf[first:]
	prevEnd, inOrder := 0, true
	for i := 0; i < n && !w.stopped(); i++ {
		num, off := hdr.next(), hdr.next()
		if num.kind != tokInt || off.kind != tokInt || off.num < 0 || off.num >= int64(len(objs)) {
			return "bad header"
		}
		w.countObject()
		lx := pdfLexer{buf: objs, pos: int(off.num)}
		lx.skipSpace()
		inOrder = inOrder && lx.pos >= prevEnd && isPDFBlank(objs[prevEnd:lx.pos])
		start := lx.pos
		w.value(&lx, lx.next(), 0)
		w.charge(lx.pos - start)
		prevEnd = lx.pos
	}
	if inOrder || w.stopped() {
		return ""
	}
	for lx := (pdfLexer{buf: objs}); !w.stopped(); {
		start := lx.pos
		t := lx.next()
		if t.kind == tokEOF {
			break
		}
		w.countObject()
		w.value(&lx, t, 0)
		w.charge(lx.pos - start)
	}
	return ""
}

// isPDFBlank reports whether b is only white space and comments.
func isPDFBlank(b []byte) bool {
	lx := pdfLexer{buf: b}
	lx.skipSpace()
	return lx.pos == len(b)
}
