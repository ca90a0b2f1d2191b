// Package filecheck checks the content of uploaded documents for the automated checks of
// DOMAIN.md ("Documents (slots)" and "Automated checks"). It never trusts a file name or a
// declared content type: the format is sniffed from magic bytes, must be one the slot
// allows, and the file is then validated structurally and decoded in full.
//
// A check returns a Result whose Code is "" (accepted) or one of the machine-readable
// problem codes TooLarge, BadFormat, Corrupt and ActiveContent, which the review worker
// records as "<code>:<slot>" rejection reasons, plus a message safe to show the user.
//
// Rules decided here, where DOMAIN.md is silent:
//
//   - MB means MiB: 2 MB is 2*1024*1024 bytes, 10 MB is 10*1024*1024 bytes. The limit is
//     inclusive (a file of exactly MaxBytes passes).
//   - An empty file, or content whose magic bytes are not JPEG, PNG, BMP, GIF or PDF (HTML,
//     SVG, XML, text, ZIP, ...), is BadFormat; so is a recognised format the slot does not
//     allow, an animated GIF or APNG (more than one frame: a document is a single picture,
//     and frames after the first are never looked at by the decoder), and a variant the Go
//     decoders do not support (arithmetic-coded JPEG, RLE BMP, ...), since a file that cannot
//     be decoded cannot be verified.
//   - Images are checked in three steps: a walk over the file's structure, which allocates
//     nothing; the header (image.DecodeConfig), where more than MaxPixels pixels or a side
//     longer than MaxSide is TooLarge, before anything is allocated for the pixels (pixel
//     bombs); then a full decode with the format's own decoder. A PNG whose compressed data
//     is too short to hold the pixels it claims (deflate expands at most 1032:1) is Corrupt
//     without being decoded, so a few bytes cannot make the worker allocate 160 MB.
//   - Decode budget: before the decode, what it will allocate is estimated from the header
//     (the JPEG frame header's components and sampling factors and whether it is
//     progressive, the PNG colour type, bit depth, interlacing and tRNS, the GIF frame's
//     interlacing, the BMP bit depth); over MaxDecodeMemory (64 MiB) the image is
//     TooLarge. Progressive JPEGs are the reason: image/jpeg keeps 64 int32 coefficients
//     for every block of the whole image, so a 211 KB progressive 6000x6000 JPEG would take
//     540 MB. The estimate is at least what the decoders allocate (tested for every layout
//     and fuzzed) and at most 128 KiB more. After decoding an image estimated at more
//     than 16 MiB the check runs the garbage collector, so that the image is not still on
//     the heap while the caller reads and decodes its next document. Checked one after
//     the other as the review worker does, the worst images within the budget, in 10 MiB
//     files, then peak at 93 MiB resident from a 5 MiB start, at most 150 MiB in 30 runs
//     of 20 documents (without the collection: 167 MiB, at most 234); the worker needs
//     that plus its own baseline (14 MiB idle).
//   - Trailing data is Corrupt. JPEG: the file is walked segment by segment (not searched
//     for the last FFD9, which would let a payload hide before a fake end marker) and after
//     the end-of-image marker only zero bytes, as some camera firmware pads, are allowed.
//     This refuses MPO and vendor trailers; clients re-encode. PNG: nothing after the IEND
//     chunk. GIF: nothing after the 0x3B trailer. BMP: the file size field must equal the
//     file's length and at most 3 zero bytes may follow the pixel array (row-alignment
//     padding some writers add).
//   - A JPEG with more than 100 scans is BadFormat: ordinary progressive files have about
//     ten, and each scan costs a pass over the whole image.
//   - The zero-value Slot accepts nothing.
//
// PDF rules:
//
//   - "%PDF-1.0" to "%PDF-1.7" or "%PDF-2.0" must start at offset 0; readers tolerate up to
//     1024 bytes of leading junk, which is how polyglot files are built, so junk there means
//     the file does not sniff as PDF (BadFormat). A malformed version is Corrupt.
//   - The last "%%EOF" must lie in the final 1024 bytes and be followed only by white space
//     (including NUL); otherwise the file is Corrupt (truncated, or carrying a payload).
//   - ActiveContent: a name (decoded from #xx escapes, so /J#61vaScript is /JavaScript)
//     among /JavaScript, /JS, /AA, /Launch, /GoToR, /GoToE, /URI, /SubmitForm,
//     /ImportData, /Rendition, /RichMedia, /EmbeddedFile, /EmbeddedFiles, /EF and /XFA:
//     scripts, automatic actions, actions that leave the document or the viewer (links
//     included), media and embedded files. The message names the first one found.
//   - /OpenAction itself is allowed: a destination (an array, or a reference to one) only
//     opens a page, and an action it runs is caught by its type (/S /JavaScript, /Launch,
//     /URI, ...), as every action anywhere is; /S /GoTo, /Named and the like pass.
//   - Two looks at every file. A scan of the bytes finds those names anywhere outside
//     stream data, in comments and strings too (a reader that follows the xref table can be
//     pointed anywhere), and the long ones inside raw stream data. A walk parses every
//     object where an "n g obj" header is found, searching on from each header rather than
//     from the object's end, so that an object hidden in another's string is parsed too,
//     and checks every key and name value of every dictionary and array; it decodes each
//     stream through its filters (FlateDecode, also without a zlib header, ASCIIHexDecode,
//     ASCII85Decode, LZWDecode with either EarlyChange, RunLengthDecode, chains of them, and
//     their abbreviations) and scans the output for names; a stream whose filter is given by
//     reference or unknown is inflated if its data starts with a zlib header. Image
//     filters (DCT, JPX, JBIG2, CCITTFax) are not decoded: image data holds no objects.
//   - Object streams (/Type /ObjStm, or any stream with /First, since readers reach them
//     through the xref stream and read only /N and /First) are decoded in full (with PNG
//     predictors and the 8-bit TIFF predictor undone) and every object in them is parsed
//     as in the file, at the offsets of the stream's header and, when those are not one
//     object after the other, in sequence as well, as some readers parse them. An object
//     stream that cannot be decoded (an image, Crypt or unknown filter, a filter or
//     parameters given by reference, a predictor inside a chain), whose header is
//     malformed, or that decodes to more than 16 MiB (64 MiB for all of them) is BadFormat:
//     what cannot be inspected is not accepted.
//   - Inside stream data that is not parsed as objects (raw, or decoded content, fonts,
//     images) the two-letter names /JS, /AA and /EF are ignored: random binary data (a JPEG
//     page image) contains each followed by a delimiter about once in 270 MB, which would
//     refuse some 7 per cent of legitimate 10 MB scans per name, and none can act without
//     a dictionary that the walk parses.
//   - Budgets, each BadFormat when exceeded, never a panic or an unbounded allocation: at
//     most 256 MiB output by all filters of all streams together (a deflate or RunLength
//     bomb, or a chain multiplying them); nesting of arrays and dictionaries 64 deep;
//     2^20 objects; parsing 4 times the file's bytes and twice the decoded object streams'
//     plus 1 MiB (objects hidden in objects hidden in objects would otherwise cost the
//     square of the file's size). Apart from the object stream buffer a walk allocates
//     under 2 MiB however much it decodes (FuzzPDFWalk checks both).
//   - An encrypted PDF (/Encrypt in the trailer or a cross-reference stream) is BadFormat,
//     with or without object streams: its strings and streams cannot be inspected.
//
// Known gaps, left to the viewer the reviewers use (which should not run scripts): active
// content that needs none of the names above, and what only a reader's repair of a broken
// file would find beyond the headers, streams and objects the walk sees.
package filecheck
