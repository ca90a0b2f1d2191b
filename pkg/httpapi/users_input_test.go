package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
)

// validBodies are well-formed bodies of the user routes; the tests below spoil one thing.
func validBodies() map[string]map[string]string {
	return map[string]map[string]string{
		"/v1/user/sms-code":       {"phone": phoneA, "purpose": kyc.PurposeRegister},
		"/v1/user/register":       {"phone": phoneA, "code": "123456", "password": goodPW},
		"/v1/user/login":          {"phone": phoneA, "password": goodPW},
		"/v1/user/password/reset": {"phone": phoneA, "code": "123456", "new_password": goodPW},
	}
}

// wantNothingStored checks a refused request left no user and sent no code.
func (u *userFixture) wantNothingStored(t *testing.T) {
	t.Helper()
	u.wantNoUser(t, phoneA)
	if n := u.outboxLines(t); n != 0 {
		t.Errorf("outbox has %d lines, want 0", n)
	}
}

// Each required field, absent or blank, is 400 / 997 naming it, in JSON and in a form.
func TestUserRoutesMissingField(t *testing.T) {
	for path, body := range validBodies() {
		for field := range body {
			for _, how := range []string{"absent", "blank", "absent from form"} {
				t.Run(fmt.Sprintf("%s %s %s", path, field, how), func(t *testing.T) {
					u := newUserFixture(t)
					fields := map[string]string{}
					for k, v := range body {
						fields[k] = v
					}
					rq := request{path: path, json: fields}
					switch how {
					case "absent":
						delete(fields, field)
					case "blank":
						fields[field] = " \t"
					case "absent from form":
						delete(fields, field)
						rq = request{path: path, form: url.Values{}}
						for k, v := range fields {
							rq.form.Set(k, v)
						}
					}
					wantField(t, u.do(t, rq), 400, 997, field)
					u.wantNothingStored(t)
				})
			}
		}
	}
	t.Run("empty body", func(t *testing.T) {
		u := newUserFixture(t)
		wantField(t, u.do(t, request{path: "/v1/user/login"}), 400, 997, "phone")
	})
}

// A malformed phone is 400 / 1006 naming phone on every route that takes one.
func TestUserRoutesMalformedPhone(t *testing.T) {
	phones := []struct{ name, phone string }{
		{"letters", "1380013800a"},
		{"10 digits", "1380013800"},
		{"12 digits", "138001380001"},
		{"full-width digits", "１３８００１３８０００"},
		{"+85 prefix", "+8513800138000"},
		{"starts 12", "12800138000"},
	}
	for path, body := range validBodies() {
		for _, p := range phones {
			t.Run(path+" "+p.name, func(t *testing.T) {
				u := newUserFixture(t)
				fields := map[string]string{}
				for k, v := range body {
					fields[k] = v
				}
				fields["phone"] = p.phone
				wantField(t, u.post(t, path, fields), 400, 1006, "phone")
				u.wantNothingStored(t)
			})
		}
	}
}

// +86 and 0086 are the same phone as the bare number on every route.
func TestUserRoutesPhonePrefixes(t *testing.T) {
	for _, prefix := range []string{"+86", "0086"} {
		t.Run(prefix, func(t *testing.T) {
			u := newUserFixture(t)
			want(t, u.post(t, "/v1/user/sms-code", map[string]string{"phone": prefix + phoneA, "purpose": kyc.PurposeRegister}), 200, 1000)
			code, err := localsms.LastCode(u.outbox, phoneA, kyc.PurposeRegister) // filed under the bare number
			if err != nil {
				t.Fatal(err)
			}
			want(t, u.post(t, "/v1/user/register", map[string]string{"phone": prefix + phoneA, "code": code, "password": goodPW}), 201, 1000)
			if got := u.storedUser(t, phoneA); got.Phone != phoneA {
				t.Errorf("stored phone %q, want %q", got.Phone, phoneA)
			}
			u.login(t, phoneA, goodPW)
			u.login(t, prefix+phoneA, goodPW)
			// And it is taken in every spelling.
			u.clock.Advance(codeEvery)
			want(t, u.post(t, "/v1/user/sms-code", map[string]string{"phone": phoneA, "purpose": kyc.PurposeRegister}), 200, 1000)
			if _, err := localsms.LastCode(u.outbox, phoneA, kyc.PurposeRegisteredNotice); err != nil {
				t.Errorf("a taken phone got no notice: %v", err)
			}
		})
	}
}

// Bodies that are neither a JSON object nor a form are 400.
func TestUserRoutesBadBody(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		field             string
	}{
		{"text/plain", "text/plain", "hello", "body"},
		{"text/plain holding JSON", "text/plain", `{"phone":"13800138000","password":"a fine passphrase"}`, "body"},
		{"JSON array", "application/json", `[{"phone":"13800138000"}]`, "body"},
		{"truncated JSON", "application/json", `{"phone":"13800138000","password":"a fine`, "body"},
		{"JSON string", "application/json", `"phone"`, "body"},
		{"JSON null", "application/json", `null`, "body"},
		{"two JSON objects", "application/json", `{"phone":"13800138000"}{"password":"x"}`, "body"},
		{"JSON object value", "application/json", `{"phone":{"n":"13800138000"},"password":"a fine passphrase"}`, "phone"},
		{"JSON array value", "application/json", `{"phone":"13800138000","password":["a fine passphrase"]}`, "password"},
		{"empty JSON body", "application/json", ``, "body"},
		{"bad form escape", "application/x-www-form-urlencoded", `phone=138%zz&password=x`, "body"},
		{"form not UTF-8", "application/x-www-form-urlencoded", "phone=13800138000&password=\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "body"},
		{"XML", "application/xml", `<login><phone>13800138000</phone></login>`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUserFixture(t)
			for _, path := range []string{"/v1/user/login", "/v1/user/register", "/v1/user/sms-code"} {
				body := tt.body
				wantField(t, u.do(t, request{path: path, raw: &body, ctype: tt.ctype}), 400, 1006, tt.field)
			}
			u.wantNothingStored(t)
		})
	}
}

// The body limit is 64 KiB: one byte more is 413 / 1023, in JSON and in a form; exactly
// the limit is read.
func TestUserRoutesBodyLimit(t *testing.T) {
	jsonOf := func(size int) string {
		head := `{"phone":"13900139000","password":"a fine passphrase","pad":"`
		return head + strings.Repeat("x", size-len(head)-2) + `"}`
	}
	formOf := func(size int) string {
		head := "phone=13900139000&password=a+fine+passphrase&pad="
		return head + strings.Repeat("x", size-len(head))
	}
	tests := []struct {
		name, ctype, body string
		status, code      int
	}{
		{"JSON at the limit", "application/json", jsonOf(MaxBody), 401, 1010},
		{"JSON one byte over", "application/json", jsonOf(MaxBody + 1), 413, 1023},
		{"JSON of a megabyte", "application/json", jsonOf(1 << 20), 413, 1023},
		{"form at the limit", "application/x-www-form-urlencoded", formOf(MaxBody), 401, 1010},
		{"form one byte over", "application/x-www-form-urlencoded", formOf(MaxBody + 1), 413, 1023},
		{"text one byte over", "text/plain", strings.Repeat("x", MaxBody+1), 413, 1023},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := len(tt.body); n != MaxBody && n != MaxBody+1 && n != 1<<20 {
				t.Fatalf("test body is %d bytes", n)
			}
			u := newUserFixture(t)
			body := tt.body
			want(t, u.do(t, request{path: "/v1/user/login", raw: &body, ctype: tt.ctype}), tt.status, tt.code)
		})
	}
}

// A token of an ended session is 401 / 999 on every route that needs one.
func TestEndedSessionTokens(t *testing.T) {
	u := newUserFixture(t)
	loggedOut := u.register(t, phoneA, goodPW)
	want(t, u.do(t, request{path: "/v1/user/logout", token: loggedOut}), 200, 1000)

	u.register(t, phoneB, goodPW)
	reset := u.login(t, phoneB, goodPW)
	u.clock.Advance(codeEvery)
	code := u.sendCode(t, phoneB, kyc.PurposeResetPassword)
	want(t, u.post(t, "/v1/user/password/reset", map[string]string{"phone": phoneB, "code": code, "new_password": otherPW}), 200, 1000)

	for name, token := range map[string]string{"logged out": loggedOut, "reset": reset} {
		t.Run(name, func(t *testing.T) {
			want(t, u.me(t, token), 401, 999)
			want(t, u.do(t, request{method: http.MethodGet, path: "/v1/user/me?auth_token=" + url.QueryEscape(token)}), 401, 999)
			want(t, u.do(t, request{path: "/v1/user/logout", token: token}), 401, 999)
			want(t, u.do(t, request{path: "/v1/admin/users/x/role", token: token, json: map[string]string{"role": "user"}}), 401, 999)
		})
	}
}
