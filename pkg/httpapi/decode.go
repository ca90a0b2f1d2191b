package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// MaxBody is the largest JSON or form body a route accepts (multipart routes set their own).
const MaxBody = 64 << 10

// fields are the named values of a JSON object or a url-encoded form body. The seed's apps
// post forms, newer apps JSON; handlers read both the same way.
type fields map[string]string

// readFields decodes the request body. JSON must be one object whose values are strings,
// numbers or booleans (taken as their text), and for the names in lists also arrays of
// strings (read them with fields.list); forms take the first value of each name.
// Anything else is 400 naming "body" or the field; more than MaxBody bytes is 413.
func readFields(r *http.Request, lists ...string) (fields, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, kyc.FieldError(kyc.EINVALID, "body", "could not be read")
	}
	if len(body) > MaxBody {
		return nil, &kyc.Error{Code: kyc.ETOOLARGE, Message: fmt.Sprintf("body larger than %d bytes", MaxBody), Field: "body", Reason: "too large"}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "application/x-www-form-urlencoded":
		return decodeForm(body)
	case mt == "application/json" || mt == "" && len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] == '{':
		return decodeJSON(body, lists)
	case len(bytes.TrimSpace(body)) == 0:
		return fields{}, nil
	}
	return nil, kyc.FieldError(kyc.EINVALID, "body", "must be JSON or application/x-www-form-urlencoded")
}

func decodeForm(body []byte) (fields, error) {
	if !utf8.Valid(body) {
		return nil, kyc.FieldError(kyc.EINVALID, "body", "must be UTF-8")
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, kyc.FieldError(kyc.EINVALID, "body", "malformed form encoding")
	}
	f := fields{}
	for k, v := range vals {
		// Percent-escapes can spell bytes that are not UTF-8 even in an ASCII body.
		if !utf8.ValidString(k) || !utf8.ValidString(v[0]) {
			return nil, kyc.FieldError(kyc.EINVALID, "body", "must be UTF-8")
		}
		f[k] = v[0]
	}
	return f, nil
}

func decodeJSON(body []byte, lists []string) (fields, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, kyc.FieldError(kyc.EINVALID, "body", "must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, kyc.FieldError(kyc.EINVALID, "body", "must be a single JSON object")
	}
	f := fields{}
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			f[k] = v
		case json.Number:
			f[k] = v.String()
		case bool:
			f[k] = fmt.Sprint(v)
		case nil:
		case []any:
			if !slices.Contains(lists, k) {
				return nil, kyc.FieldError(kyc.EINVALID, k, "must be a string")
			}
			// Kept comma-joined, as a form would send it; see list.
			parts := make([]string, 0, len(v))
			for _, e := range v {
				str, ok := e.(string)
				if !ok || strings.Contains(str, ",") {
					return nil, kyc.FieldError(kyc.EINVALID, k, "must be a list of names")
				}
				parts = append(parts, str)
			}
			f[k] = strings.Join(parts, ",")
		default:
			return nil, kyc.FieldError(kyc.EINVALID, k, "must be a string")
		}
	}
	return f, nil
}

// require returns 997 naming the first of names that is absent or blank.
func (f fields) require(names ...string) error {
	for _, n := range names {
		if strings.TrimSpace(f[n]) == "" {
			return kyc.FieldError(kyc.EMISSING, n, "required")
		}
	}
	return nil
}

// list returns a field that holds a list: a JSON array of strings or, in a form, a
// comma-separated value. Blank entries are dropped.
func (f fields) list(name string) []string {
	var out []string
	for _, v := range strings.Split(f[name], ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// first returns the value of the first of names present (for fields the seeds spell
// differently, such as RegistrationID and registration_id).
func (f fields) first(names ...string) string {
	for _, n := range names {
		if v, ok := f[n]; ok {
			return v
		}
	}
	return ""
}
