package filechecktest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// Owner is the person the metadata of JPEGWithMetadata and PNGWithMetadata names: a test
// looks for it in a file to see whether metadata is left.
const Owner = "Zhang San"

// ExifGPS returns a big-endian TIFF structure as Exif stores it: IFD0 with a single
// GPSInfo pointer (tag 0x8825) to a GPS IFD holding GPSLatitudeRef "N" and GPSLatitude
// 39/1 54/1 1234/100 (Beijing), and the Artist tag naming Owner.
func ExifGPS() []byte {
	be := binary.BigEndian
	artist := []byte(Owner + "\x00")
	const (
		ifd0    = 8
		gpsIFD  = ifd0 + 2 + 2*12 + 4 // after IFD0's two entries and next-IFD offset
		latData = gpsIFD + 2 + 2*12 + 4
		artData = latData + 3*8
	)
	b := []byte("MM\x00\x2a")
	b = be.AppendUint32(b, ifd0)
	entry := func(tag, typ uint16, count, value uint32) {
		b = be.AppendUint16(b, tag)
		b = be.AppendUint16(b, typ)
		b = be.AppendUint32(b, count)
		b = be.AppendUint32(b, value)
	}
	// IFD0: Artist (ASCII, at artData), GPSInfo (LONG pointer); tags in ascending order.
	b = be.AppendUint16(b, 2)
	entry(0x013b, 2, uint32(len(artist)), artData)
	entry(0x8825, 4, 1, gpsIFD)
	b = be.AppendUint32(b, 0)
	// GPS IFD: GPSLatitudeRef (ASCII "N", inline), GPSLatitude (3 RATIONAL at latData).
	b = be.AppendUint16(b, 2)
	entry(0x0001, 2, 2, uint32('N')<<24)
	entry(0x0002, 5, 3, latData)
	b = be.AppendUint32(b, 0)
	for _, r := range [][2]uint32{{39, 1}, {54, 1}, {1234, 100}} {
		b = be.AppendUint32(b, r[0])
		b = be.AppendUint32(b, r[1])
	}
	return append(b, artist...)
}

// jpegSegment encodes one JPEG marker segment.
func jpegSegment(marker byte, data []byte) []byte {
	b := []byte{0xff, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)+2))
	return append(b, data...)
}

// JPEGWithMetadata returns jpg (a JPEG from JPEG or FlatJPEG) with the metadata a phone
// camera and a photo editor add: after SOI, an APP1 Exif segment with a GPS position
// (ExifGPS), an APP1 XMP packet, an APP13 Photoshop IPTC block and a COM comment, each
// naming Owner, and another COM before EOI. Removing exactly those segments gives jpg
// back.
func JPEGWithMetadata(jpg []byte) []byte {
	xmp := `http://ns.adobe.com/xap/1.0/` + "\x00" +
		`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" ` +
		`exif:GPSLatitude="39,54.2N" exif:GPSLongitude="116,23.4E" dc:creator="` + Owner + `"/></rdf:RDF></x:xmpmeta>`
	// An IPTC byline (2:80) in a Photoshop image resource (8BIM 0x0404).
	iptc := append([]byte{0x1c, 0x02, 0x50, 0x00, byte(len(Owner))}, Owner...)
	irb := []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00")
	irb = binary.BigEndian.AppendUint32(irb, uint32(len(iptc)))
	irb = append(irb, iptc...)
	if len(iptc)%2 == 1 {
		irb = append(irb, 0)
	}
	var b bytes.Buffer
	b.Write(jpg[:2]) // SOI
	b.Write(jpegSegment(0xe1, append([]byte("Exif\x00\x00"), ExifGPS()...)))
	b.Write(jpegSegment(0xe1, []byte(xmp)))
	b.Write(jpegSegment(0xed, irb))
	b.Write(jpegSegment(0xfe, []byte("taken by "+Owner)))
	b.Write(jpg[2 : len(jpg)-2])
	b.Write(jpegSegment(0xfe, []byte("edited by "+Owner)))
	b.Write(jpg[len(jpg)-2:]) // EOI
	return b.Bytes()
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// PNGWithMetadata returns p (a PNG from PNG or FlatPNG) with an eXIf chunk holding a GPS
// position (ExifGPS) and tEXt, zTXt and iTXt chunks naming Owner after IHDR, and another
// tEXt before IEND, each with a valid CRC. Removing exactly those chunks gives p back.
func PNGWithMetadata(p []byte) []byte {
	const ihdrEnd = 8 + 12 + 13
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write([]byte("scanned by " + Owner)) // writes into memory cannot fail
	must(zw.Close())
	var b bytes.Buffer
	b.Write(p[:ihdrEnd])
	b.Write(pngChunk("eXIf", ExifGPS()))
	b.Write(pngChunk("tEXt", []byte("Author\x00"+Owner)))
	b.Write(pngChunk("zTXt", append([]byte("Comment\x00\x00"), z.Bytes()...)))
	b.Write(pngChunk("iTXt", []byte("Title\x00\x00\x00zh\x00\xe6\xa0\x87\xe9\xa2\x98\x00"+Owner)))
	b.Write(p[ihdrEnd : len(p)-12])
	b.Write(pngChunk("tEXt", []byte("Software\x00edited by "+Owner)))
	b.Write(p[len(p)-12:]) // IEND
	return b.Bytes()
}
