package kyc_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func TestErrorHelpers(t *testing.T) {
	domain := kyc.Errorf(kyc.ENOTFOUND, "account %s not found", "a1")
	field := kyc.FieldError(kyc.EINVALID, "ID_number", "check digit")
	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string
	}{
		{"nil", nil, "", ""},
		{"domain", domain, kyc.ENOTFOUND, "account a1 not found"},
		{"wrapped domain", fmt.Errorf("load: %w", domain), kyc.ENOTFOUND, "account a1 not found"},
		{"field", field, kyc.EINVALID, "ID_number: check digit"},
		{"plain error is internal", errors.New("dial tcp 10.0.0.1:443: refused"), kyc.EINTERNAL, "Internal error."},
		{"wrapped plain error is internal", fmt.Errorf("x: %w", errors.New("secret detail")), kyc.EINTERNAL, "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kyc.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := kyc.ErrorMessage(tt.err); got != tt.wantMessage {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMessage)
			}
			if tt.wantCode != "" && !kyc.IsCode(tt.err, tt.wantCode) {
				t.Errorf("IsCode(%q) = false", tt.wantCode)
			}
			if kyc.IsCode(tt.err, kyc.ECONFLICT) {
				t.Errorf("IsCode(ECONFLICT) = true")
			}
		})
	}
}

func TestFieldError(t *testing.T) {
	e := kyc.FieldError(kyc.EMISSING, "phone", "is required")
	if e.Code != kyc.EMISSING || e.Field != "phone" || e.Reason != "is required" {
		t.Errorf("FieldError = %+v", e)
	}
	if got, want := e.Error(), "missing: phone: is required (field phone)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := kyc.Errorf(kyc.ECONFLICT, "busy").Error(), "conflict: busy"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
