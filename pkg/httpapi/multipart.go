package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// MaxMultipart is the largest multipart submission read: API Gateway's 10 MB payload limit.
// On AWS, Lambda's 6 MB invocation payload (with base64 adding a third) is lower still:
// larger files take the presigned path.
const MaxMultipart = 10 << 20

// form is a parsed multipart/form-data body: text fields and whole files.
type form struct {
	values fields
	files  map[string][]byte
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// readMultipart reads the whole form, at most MaxMultipart bytes and fileLimit(name)+1
// bytes per file (so an oversized file is seen as such without reading all of it).
// Text fields are limited to 4 KB each.
func readMultipart(r *http.Request, fileLimit func(field string) int64) (form, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return form{}, kyc.FieldError(kyc.EINVALID, "body", "multipart/form-data without a boundary")
	}
	body := http.MaxBytesReader(nil, r.Body, MaxMultipart)
	mr := multipart.NewReader(body, params["boundary"])
	f := form{values: fields{}, files: map[string][]byte{}}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return form{}, multipartError(err)
		}
		name := p.FormName()
		if name == "" {
			continue
		}
		if p.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(p, 4<<10+1))
			if err != nil {
				return form{}, multipartError(err)
			}
			if len(v) > 4<<10 {
				return form{}, kyc.FieldError(kyc.EINVALID, name, "longer than 4 KB")
			}
			if !utf8.Valid(v) {
				return form{}, kyc.FieldError(kyc.EINVALID, name, "must be UTF-8")
			}
			f.values[name] = string(v)
			continue
		}
		// The file name and the part's declared type are ignored: content decides.
		limit := fileLimit(name)
		if limit <= 0 {
			continue // not a file this route takes
		}
		data, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return form{}, multipartError(err)
		}
		if int64(len(data)) > limit {
			return form{}, &kyc.Error{Code: kyc.ETOOLARGE, Field: name, Reason: "too_large", Message: fmt.Sprintf("%s: larger than %d bytes", name, limit)}
		}
		f.files[name] = data
	}
}

func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &kyc.Error{Code: kyc.ETOOLARGE, Field: "body", Reason: "too large", Message: fmt.Sprintf("body larger than %d bytes", MaxMultipart)}
	}
	if strings.Contains(err.Error(), "multipart") || errors.Is(err, io.ErrUnexpectedEOF) {
		return kyc.FieldError(kyc.EINVALID, "body", "malformed multipart/form-data")
	}
	return kyc.FieldError(kyc.EINVALID, "body", "could not be read")
}
