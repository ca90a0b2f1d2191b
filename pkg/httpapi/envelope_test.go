package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/testenv"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/bankverify"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// API.md's error table, written out again here so a change to either side shows.
func TestErrorStatus(t *testing.T) {
	tests := []struct {
		code       string
		wantStatus int
		wantAPI    int
	}{
		{kyc.EMISSING, 400, 997},
		{kyc.EUNAUTHORIZED, 401, 999},
		{kyc.EINVALID, 400, 1006},
		{kyc.EEXISTS, 409, 1007},
		{kyc.EBADCODE, 400, 1008},
		{kyc.ELOGIN, 401, 1010},
		{kyc.EVERIFY, 422, 1012},
		{kyc.ENOTFOUND, 404, 1015},
		{kyc.EFORBIDDEN, 403, 1020},
		{kyc.ECONFLICT, 409, 1021},
		{kyc.ETOOMANY, 429, 1022},
		{kyc.ETOOLARGE, 413, 1023},
		{kyc.EUNSUPPORTED, 415, 1024},
		{kyc.EPRECONDITION, 400, 1025},
		// A used or expired verification link, and an expired bank verification
		// (bankverify.EEXPIRED is this code).
		{kyc.EGONE, 410, 1026},
		{kyc.EINTERNAL, 500, 1050},
		{"", 500, 1050},
		{"no-such-code", 500, 1050},
	}
	apiCodes := map[int]string{}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.code), func(t *testing.T) {
			status, api := ErrorStatus(tt.code)
			if status != tt.wantStatus || api != tt.wantAPI {
				t.Errorf("ErrorStatus(%q) = %d, %d; want %d, %d", tt.code, status, api, tt.wantStatus, tt.wantAPI)
			}
		})
		// Each domain code has its own error_code.
		if _, api := ErrorStatus(tt.code); tt.wantAPI != 1050 {
			if prev, dup := apiCodes[api]; dup {
				t.Errorf("codes %q and %q share error_code %d", prev, tt.code, api)
			}
			apiCodes[api] = tt.code
		}
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   int
		wantMsg    string
		wantData   string // JSON of data, "" for none
	}{
		{
			name: "internal error hides its text", err: errBoom,
			wantStatus: 500, wantCode: 1050, wantMsg: "Internal error.",
		},
		{
			name: "wrapped internal error", err: fmt.Errorf("load account: %w", errBoom),
			wantStatus: 500, wantCode: 1050, wantMsg: "Internal error.",
		},
		{
			name: "domain internal error", err: kyc.Errorf(kyc.EINTERNAL, "Internal error."),
			wantStatus: 500, wantCode: 1050, wantMsg: "Internal error.",
		},
		{
			name: "field error names the field", err: kyc.FieldError(kyc.EINVALID, "ID_number", "check digit"),
			wantStatus: 400, wantCode: 1006, wantMsg: "ID_number: check digit",
			wantData: `{"field":"ID_number","reason":"check digit"}`,
		},
		{
			name: "missing field", err: fmt.Errorf("parse: %w", kyc.FieldError(kyc.EMISSING, "phone", "is required")),
			wantStatus: 400, wantCode: 997, wantMsg: "phone: is required",
			wantData: `{"field":"phone","reason":"is required"}`,
		},
		{
			name: "domain error without field", err: kyc.Errorf(kyc.ECONFLICT, "already under review"),
			wantStatus: 409, wantCode: 1021, wantMsg: "already under review",
		},
		{
			name:       "unmet preconditions are all listed",
			err:        fmt.Errorf("change: %w", kyc.PreconditionError([]string{"IS_ORG_ACCOUNT", "UNDER_REVIEW"})),
			wantStatus: 400, wantCode: 1025, wantMsg: "The account does not meet the preconditions: IS_ORG_ACCOUNT, UNDER_REVIEW.",
			wantData: `{"fail_check_items":["IS_ORG_ACCOUNT","UNDER_REVIEW"]}`,
		},
		{
			name:       "a wrong bank amount answers the tries left as a number",
			err:        &kyc.Error{Code: kyc.EVERIFY, Message: "The amount is not the one paid.", Data: map[string]string{"reason": "amount_mismatch", "remaining": "2"}},
			wantStatus: 422, wantCode: 1012, wantMsg: "The amount is not the one paid.",
			wantData: `{"reason":"amount_mismatch","remaining":2}`,
		},
		{
			name: "an expired bank verification", err: kyc.Errorf(bankverify.EEXPIRED, "expired"),
			wantStatus: 410, wantCode: 1026, wantMsg: "expired",
		},
		{
			name: "wrapped not found", err: fmt.Errorf("get: %w", kyc.Errorf(kyc.ENOTFOUND, "account not found")),
			wantStatus: 404, wantCode: 1015, wantMsg: "account not found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf testenv.SyncBuffer
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/v1/x", nil)
			writeError(w, r, app.NewLogger(&logBuf, "info"), tt.err)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			e := envelopeOf(t, w)
			if e.ErrorCode != tt.wantCode || e.Msg != tt.wantMsg {
				t.Errorf("envelope = %d %q, want %d %q", e.ErrorCode, e.Msg, tt.wantCode, tt.wantMsg)
			}
			if got := string(e.Data); got != tt.wantData {
				t.Errorf("data = %s, want %s", got, tt.wantData)
			}
			for _, secret := range []string{"10.1.2.3", "secret-table", "dial tcp", "boom"} {
				if strings.Contains(w.Body.String(), secret) {
					t.Errorf("response leaks %q: %s", secret, w.Body.String())
				}
			}
			// The operator gets the detail of internal errors, and only of those.
			internal := tt.wantCode == 1050
			if logged := strings.Contains(logBuf.String(), "internal error"); logged != internal {
				t.Errorf("internal error logged = %v, want %v: %s", logged, internal, logBuf.String())
			}
			if internal && tt.err == errBoom && !strings.Contains(logBuf.String(), "secret-table") {
				t.Errorf("log lacks the error detail: %s", logBuf.String())
			}
		})
	}
}

func TestWriteOKEnvelope(t *testing.T) {
	w := httptest.NewRecorder()
	writeOK(w, http.StatusCreated, "created", map[string]string{"token": "t"})
	if w.Code != http.StatusCreated {
		t.Errorf("status = %d, want 201", w.Code)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"error_code": "1000", "msg": `"created"`, "data": `{"token":"t"}`}
	if len(raw) != len(want) {
		t.Errorf("envelope keys = %v, want error_code, msg, data", raw)
	}
	for k, v := range want {
		if string(raw[k]) != v {
			t.Errorf("%s = %s, want %s", k, raw[k], v)
		}
	}
}

func TestEnvelopeListFields(t *testing.T) {
	n := int64(3)
	b, err := json.Marshal(Envelope{ErrorCode: CodeOK, Msg: "ok", Data: []int{1}, TotalCount: &n, NextCursor: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"error_code":1000,"msg":"ok","data":[1],"totalCount":3,"next_cursor":"c1"}`; got != want {
		t.Errorf("list envelope = %s, want %s", got, want)
	}
	zero := int64(0)
	b, _ = json.Marshal(Envelope{ErrorCode: CodeOK, Msg: "ok", Data: []int{}, TotalCount: &zero})
	if got, want := string(b), `{"error_code":1000,"msg":"ok","data":[],"totalCount":0}`; got != want {
		t.Errorf("empty list envelope = %s, want %s", got, want)
	}
}
