package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/fnv"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Fuzz targets for the request decoders. Seeds are the f.Add calls below plus the
// committed files under testdata/fuzz/<Target>/. When `go test -fuzz` (make fuzz or make
// fuzz-smoke) finds a failing input it writes it to testdata/fuzz/<Target>/<hash>: fix
// the bug and commit that file, so every later `go test` replays it as a regression test.

// fuzzPkgDir is the package directory: the working directory before TestMain starts the
// embedded S3 gateway, which moves the process into its data root (see localgw). The fuzz
// targets return to it, because the testing package finds the seed corpus and writes new
// crash inputs at the relative path testdata/fuzz.
var fuzzPkgDir, fuzzPkgDirErr = os.Getwd()

// inPackageDir moves f into fuzzPkgDir until it ends. It must come before f.Fuzz, which
// reads the corpus. No other test runs alongside a fuzz target, so the gateway (which
// resolves buckets against the working directory) is not disturbed.
func inPackageDir(f *testing.F) {
	if fuzzPkgDirErr != nil {
		f.Fatalf("working directory at start: %v", fuzzPkgDirErr)
	}
	f.Chdir(fuzzPkgDir)
}

// clientError fails t unless err is a *kyc.Error whose code maps to a 4xx status.
func clientError(t *testing.T, what string, err error) *kyc.Error {
	t.Helper()
	var ke *kyc.Error
	if !errors.As(err, &ke) {
		t.Fatalf("%s: error %v (%T) is not a *kyc.Error: it would be a 500", what, err, err)
	}
	if status, _ := ErrorStatus(ke.Code); status < 400 || status > 499 {
		t.Fatalf("%s: error %v maps to status %d, want 4xx", what, err, status)
	}
	return ke
}

// postBody is a POST with the given body and, if not empty, Content-Type.
func postBody(contentType string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// FuzzReadFields: readFields never panics and either returns fields or a 4xx *kyc.Error;
// bodies over MaxBody are 413. What it returns survives a round trip through the
// canonical JSON and form encodings unchanged.
func FuzzReadFields(f *testing.F) {
	inPackageDir(f)
	const (
		form = "application/x-www-form-urlencoded"
		js   = "application/json"
	)
	for _, s := range []struct {
		ct, body, list string
	}{
		{js, `{"phone":"13800138000","password":"pw","remember":true,"n":12.5e3,"x":null}`, ""},
		{js, `{"roles":["reviewer","admin"]}`, "roles"},
		{js, `{"roles":["a,b"]}`, "roles"},
		{js, `{"roles":[1]}`, "roles"},
		{js, `{"roles":["a"]}`, ""},
		{js, `{"a":{"b":"c"}}`, ""},
		{js, `{"a":"1"} {"b":"2"}`, ""},
		{js, `{"a":"\ud800"}`, ""},
		{js, `[1,2]`, ""},
		{js, `null`, ""},
		{js + "; charset=utf-8", `{"name":"张三"}`, ""},
		{"", ` {"name":"x"}`, ""},
		{"", "", ""},
		{"", "  \n", ""},
		{"text/plain", "a=b", ""},
		{form, "phone=13800138000&password=p%40ss&phone=2", ""},
		{form, "roles=reviewer,admin&x=", "roles"},
		{form, "a=%zz", ""},
		{form, "a;b=c", ""},
		{form, "a=%FF", ""},
		{form, "a=\xff", ""},
		{form + "; charset=gbk", "name=%E5%BC%A0", ""},
		{"multipart/form-data; boundary=x", "--x--", ""},
		{"application/json; charset", "{}", ""},
	} {
		f.Add(s.ct, []byte(s.body), s.list)
	}
	f.Add(js, []byte(`{"a":"`+strings.Repeat("x", MaxBody)+`"}`), "")
	f.Fuzz(func(t *testing.T, contentType string, body []byte, list string) {
		var lists []string
		if list != "" {
			lists = []string{list}
		}
		got, err := readFields(postBody(contentType, body), lists...)
		if err != nil {
			ke := clientError(t, "readFields", err)
			if got != nil {
				t.Fatalf("readFields returned fields %v with error %v", got, err)
			}
			if len(body) > MaxBody && ke.Code != kyc.ETOOLARGE {
				t.Fatalf("%d-byte body: %v, want %s", len(body), err, kyc.ETOOLARGE)
			}
			return
		}
		if got == nil {
			t.Fatal("readFields returned nil fields and no error")
		}
		if len(body) > MaxBody {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
		// The same values, written as a client would, decode to the same fields.
		if b, err := json.Marshal(map[string]string(got)); err == nil && len(b) <= MaxBody {
			// Only where the JSON encoding is lossless (it turns invalid UTF-8 into U+FFFD).
			if again, err := readFields(postBody(js, b)); !lossyJSON(got) && (err != nil || !maps.Equal(again, got)) {
				t.Fatalf("JSON round trip of %q: %v, %v", got, again, err)
			}
		}
		vals := url.Values{}
		for k, v := range got {
			vals.Set(k, v)
		}
		if enc := vals.Encode(); len(enc) <= MaxBody {
			if again, err := readFields(postBody(form, []byte(enc))); err != nil || !maps.Equal(again, got) {
				t.Fatalf("form round trip of %q via %q: %v, %v", got, enc, again, err)
			}
		}
	})
}

// lossyJSON reports whether encoding/json would change a name or value of f: it writes
// invalid UTF-8 as U+FFFD.
func lossyJSON(f fields) bool {
	for k, v := range f {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return true
		}
	}
	return false
}

// fuzzLimit is FuzzReadMultipart's per-field file limit: from -8 (not a file the route
// takes) to 55 bytes, chosen by the field name and the fuzzer's seed.
func fuzzLimit(seed uint16, field string) int64 {
	h := fnv.New32a()
	h.Write([]byte{byte(seed), byte(seed >> 8)})
	h.Write([]byte(field))
	return int64(h.Sum32()%64) - 8
}

// FuzzReadMultipart: readMultipart never panics and either returns a form or a 4xx
// *kyc.Error; a file it returns is never longer than its field's limit, nor taken for a
// field with no limit, and a text value is never over 4 KB.
func FuzzReadMultipart(f *testing.F) {
	inPackageDir(f)
	part := func(b, headers, content string) string {
		return "--" + b + "\r\n" + headers + "\r\n\r\n" + content + "\r\n"
	}
	const b = "XyZ"
	for _, s := range []struct {
		boundary, body string
		seed           uint16
	}{
		{b, part(b, `Content-Disposition: form-data; name="name"`, "张三") +
			part(b, `Content-Disposition: form-data; name="frontOfID"; filename="a.jpg"`+"\r\nContent-Type: image/jpeg", "\xff\xd8\xff\xe0jpeg") +
			"--" + b + "--\r\n", 1},
		{b, part(b, `Content-Disposition: form-data; name="f"; filename="x"`, strings.Repeat("A", 100)) + "--" + b + "--", 7},
		{b, part(b, `Content-Disposition: form-data; name="v"`, strings.Repeat("v", 4<<10+1)) + "--" + b + "--", 0},
		{b, part(b, `Content-Disposition: form-data; filename="nameless"`, "x") + "--" + b + "--", 0},
		{b, part(b, `Content-Disposition: form-data; name="a"`, "1") + part(b, `Content-Disposition: form-data; name="a"`, "2") + "--" + b + "--", 0},
		{b, part(b, "Content-Disposition: form-data; name=\"q\"\r\nContent-Transfer-Encoding: quoted-printable", "a=3Db") + "--" + b + "--", 0},
		{b, part(b, `Content-Disposition: form-data; name="t"`, "no closing boundary"), 0},
		{b, "--" + b + "\r\nbad header line\r\n\r\nx\r\n--" + b + "--", 0},
		{b, "--" + b + "--", 0},
		{b, "", 0},
		{"", "----\r\n", 0},
		{`a b"c`, part(`a b"c`, `Content-Disposition: form-data; name="x"`, "y") + `--a b"c--`, 3},
		{strings.Repeat("b", 71), "--" + strings.Repeat("b", 71) + "--", 0},
	} {
		f.Add(s.boundary, []byte(s.body), s.seed)
	}
	f.Fuzz(func(t *testing.T, boundary string, body []byte, seed uint16) {
		ct := mime.FormatMediaType("multipart/form-data", map[string]string{"boundary": boundary})
		if ct == "" {
			ct = "multipart/form-data; boundary=" + boundary
		}
		asked := map[string]bool{}
		got, err := readMultipart(postBody(ct, body), func(field string) int64 {
			asked[field] = true
			return fuzzLimit(seed, field)
		})
		if err != nil {
			clientError(t, "readMultipart", err)
			if got.values != nil || got.files != nil {
				t.Fatalf("readMultipart returned a form with error %v", err)
			}
			return
		}
		if got.values == nil || got.files == nil {
			t.Fatalf("readMultipart returned %+v and no error", got)
		}
		for name, data := range got.files {
			limit := fuzzLimit(seed, name)
			if !asked[name] || limit <= 0 || int64(len(data)) > limit {
				t.Fatalf("file %q: %d bytes returned, limit %d (asked: %v)", name, len(data), limit, asked[name])
			}
		}
		for name, v := range got.values {
			if name == "" || len(v) > 4<<10 {
				t.Fatalf("value %q: %d bytes", name, len(v))
			}
		}
	})
}
