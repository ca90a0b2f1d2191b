package filecheck

// pdfTokKind is the kind of a PDF token (ISO 32000-1, 7.2 and 7.3).
type pdfTokKind uint8

const (
	tokEOF        pdfTokKind = iota
	tokInt                   // an integer; num holds it, saturated at maxPDFInt
	tokReal                  // any other number
	tokName                  // word holds the name, #xx escapes decoded
	tokString                // a literal or hexadecimal string; its content is not kept
	tokArrayOpen             // [
	tokArrayClose            // ]
	tokDictOpen              // <<
	tokDictClose             // >>
	tokKeyword               // a run of regular characters: true, null, R, obj, stream, junk
	tokOther                 // a stray delimiter: ), >, {, }
	tokRef                   // "n g R": never lexed, the parser's summary of an indirect reference
)

// maxPDFInt bounds integers: far above any offset, length or count in a 10 MiB file, and
// far below overflow when added to one.
const maxPDFInt = 1 << 40

// pdfWord is a name or keyword, of which only the first maxNameLen bytes are kept: nothing
// looked for is longer, so a longer word never matches.
type pdfWord struct {
	b    [maxNameLen]byte
	n    uint8
	long bool
}

func (w *pdfWord) add(c byte) {
	if int(w.n) == len(w.b) {
		w.long = true
		return
	}
	w.b[w.n] = c
	w.n++
}

// bytes returns the word, or nil when it is too long to match anything.
func (w *pdfWord) bytes() []byte {
	if w.long {
		return nil
	}
	return w.b[:w.n]
}

func (w *pdfWord) is(s string) bool { return !w.long && string(w.b[:w.n]) == s }

type pdfToken struct {
	kind pdfTokKind
	num  int64
	word pdfWord
}

// pdfLexer reads tokens from buf. It never fails: anything it does not understand comes
// back as a keyword or tokOther, so a parser can skip it, and the end of buf ends every
// construct (an unterminated string runs to the end).
type pdfLexer struct {
	buf []byte
	pos int
}

func isPDFRegular(c byte) bool { return !isPDFSpace(c) && !isPDFDelimiter(c) }

// skipSpace skips white space and comments.
func (lx *pdfLexer) skipSpace() {
	for lx.pos < len(lx.buf) {
		switch c := lx.buf[lx.pos]; {
		case isPDFSpace(c):
			lx.pos++
		case c == '%':
			for lx.pos < len(lx.buf) && lx.buf[lx.pos] != '\n' && lx.buf[lx.pos] != '\r' {
				lx.pos++
			}
		default:
			return
		}
	}
}

func (lx *pdfLexer) next() pdfToken {
	lx.skipSpace()
	if lx.pos >= len(lx.buf) {
		return pdfToken{kind: tokEOF}
	}
	c := lx.buf[lx.pos]
	lx.pos++
	switch c {
	case '/':
		return lx.name()
	case '(':
		lx.literalString()
		return pdfToken{kind: tokString}
	case '<':
		if lx.pos < len(lx.buf) && lx.buf[lx.pos] == '<' {
			lx.pos++
			return pdfToken{kind: tokDictOpen}
		}
		lx.hexString()
		return pdfToken{kind: tokString}
	case '>':
		if lx.pos < len(lx.buf) && lx.buf[lx.pos] == '>' {
			lx.pos++
			return pdfToken{kind: tokDictClose}
		}
		return pdfToken{kind: tokOther}
	case '[':
		return pdfToken{kind: tokArrayOpen}
	case ']':
		return pdfToken{kind: tokArrayClose}
	case ')', '{', '}':
		return pdfToken{kind: tokOther}
	}
	lx.pos--
	return lx.regular()
}

// name reads a name after its '/', decoding #xx escapes as readers do: a '#' not followed
// by two hex digits is kept as it is.
func (lx *pdfLexer) name() pdfToken {
	t := pdfToken{kind: tokName}
	b := lx.buf
	for lx.pos < len(b) && isPDFRegular(b[lx.pos]) {
		c := b[lx.pos]
		lx.pos++
		if c == '#' && lx.pos+1 < len(b) && isHex(b[lx.pos]) && isHex(b[lx.pos+1]) {
			c = unhex(b[lx.pos])<<4 | unhex(b[lx.pos+1])
			lx.pos += 2
		}
		t.word.add(c)
	}
	return t
}

// literalString skips a literal string after its '(': balanced parentheses, and a
// backslash escapes the character after it.
func (lx *pdfLexer) literalString() {
	depth := 1
	for b := lx.buf; lx.pos < len(b); lx.pos++ {
		switch b[lx.pos] {
		case '\\':
			lx.pos++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				lx.pos++
				return
			}
		}
	}
	lx.pos = len(lx.buf)
}

func (lx *pdfLexer) hexString() {
	for b := lx.buf; lx.pos < len(b); lx.pos++ {
		if b[lx.pos] == '>' {
			lx.pos++
			return
		}
	}
}

// regular reads a run of regular characters: a number if it reads as one, else a keyword.
func (lx *pdfLexer) regular() pdfToken {
	start := lx.pos
	for lx.pos < len(lx.buf) && isPDFRegular(lx.buf[lx.pos]) {
		lx.pos++
	}
	run := lx.buf[start:lx.pos]
	if n, ok := pdfInt(run); ok {
		return pdfToken{kind: tokInt, num: n}
	}
	if isPDFReal(run) {
		return pdfToken{kind: tokReal}
	}
	t := pdfToken{kind: tokKeyword}
	for _, c := range run {
		if t.word.add(c); t.word.long {
			break
		}
	}
	return t
}

// pdfInt parses an optionally signed run of digits, saturating at maxPDFInt.
func pdfInt(run []byte) (int64, bool) {
	neg := false
	if len(run) > 0 && (run[0] == '+' || run[0] == '-') {
		neg, run = run[0] == '-', run[1:]
	}
	if len(run) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range run {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = min(n*10+int64(c-'0'), maxPDFInt)
	}
	if neg {
		n = -n
	}
	return n, true
}

// isPDFReal reports whether run is a number with a decimal point ("-.5", "3.", "+1.25").
func isPDFReal(run []byte) bool {
	if len(run) > 0 && (run[0] == '+' || run[0] == '-') {
		run = run[1:]
	}
	digits, dots := 0, 0
	for _, c := range run {
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots == 1
}
