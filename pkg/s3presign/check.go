package s3presign

import (
	"fmt"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// MaxPresignTTL is the longest validity SigV4 allows for a presigned URL.
const MaxPresignTTL = 7 * 24 * time.Hour

// CheckKey refuses an empty object key, with the field error the API reports.
func CheckKey(key string) error {
	if key == "" {
		return kyc.FieldError(kyc.EMISSING, "key", "is required")
	}
	return nil
}

// CheckContentType refuses types that are not a plain media type: the value is signed
// and sent as a header, so anything mime cannot parse (or that carries CR/LF) would only
// make a URL no client can use.
func CheckContentType(ct string) error {
	if ct == "" {
		return kyc.FieldError(kyc.EMISSING, "content_type", "is required")
	}
	if strings.ContainsAny(ct, "\r\n") {
		return kyc.FieldError(kyc.EINVALID, "content_type", "is not a media type")
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil {
		return kyc.FieldError(kyc.EINVALID, "content_type", "is not a media type")
	}
	return nil
}

// CheckTTL refuses a validity S3 would not honour. It is a plain (internal) error, not a
// field error: the TTL comes from the code, never from a client.
func CheckTTL(ttl time.Duration) error {
	if ttl < time.Second || ttl > MaxPresignTTL {
		return fmt.Errorf("s3presign: presign ttl %v outside 1s..%v", ttl, MaxPresignTTL)
	}
	return nil
}

// ContentDisposition returns the attachment disposition PresignGet asks S3 to send, with
// filename reduced by SafeFilename.
func ContentDisposition(filename string) string {
	return `attachment; filename="` + SafeFilename(filename) + `"`
}

// SafeFilename reduces a user-supplied file name to a token of ASCII letters, digits, '.',
// '-' and '_' that is safe inside a quoted header parameter on every browser: no path,
// no quotes or control characters (header injection), no leading dot (hidden files).
// Other characters become '_'; an empty result becomes "document". The extension is kept
// when it is short and alphanumeric, since it is what the OS opens the file with.
func SafeFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	ext = strings.TrimPrefix(ext, ".")
	if base == "" || len(ext) > 10 || strings.IndexFunc(ext, func(r rune) bool { return !isAlnum(r) }) >= 0 {
		base, ext = name, ""
	}
	var b strings.Builder
	lastUnderscore := false
	for _, r := range base {
		switch {
		case isAlnum(r) || r == '.' || r == '-':
			b.WriteRune(r)
			lastUnderscore = false
		case !lastUnderscore:
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	const maxBase = 100
	out := strings.Trim(b.String(), "._-")
	if len(out) > maxBase {
		out = strings.Trim(out[:maxBase], "._-")
	}
	if out == "" {
		out = "document"
	}
	if ext != "" {
		out += "." + ext
	}
	return out
}

func isAlnum(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}
