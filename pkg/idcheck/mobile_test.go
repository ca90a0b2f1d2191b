package idcheck_test

import (
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/idcheck"
)

func TestMobile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string // part of the reason; "" means accepted
	}{
		{name: "plain", in: "13800138000", want: "13800138000"},
		{name: "19x", in: "19912345678", want: "19912345678"},
		{name: "+86", in: "+8613800138000", want: "13800138000"},
		{name: "0086", in: "008613800138000", want: "13800138000"},
		{name: "surrounding spaces", in: "  13800138000\t", want: "13800138000"},
		{name: "+86 with spaces around", in: " +8613800138000 ", want: "13800138000"},

		{name: "empty", in: "", wantErr: "11-digit"},
		{name: "letters", in: "1380013800a", wantErr: "digits"},
		{name: "all letters", in: "abcdefghijk", wantErr: "digits"},
		{name: "10 digits", in: "1380013800", wantErr: "11-digit"},
		{name: "12 digits", in: "138001380001", wantErr: "11-digit"},
		{name: "full-width digits", in: "１３８００１３８０００", wantErr: "11-digit"},
		{name: "one full-width digit", in: "1380013800０", wantErr: "11-digit"},
		{name: "+85 prefix", in: "+8513800138000", wantErr: "11-digit"},
		{name: "+852 prefix", in: "+85213800138000", wantErr: "11-digit"},
		{name: "86 without plus", in: "8613800138000", wantErr: "11-digit"},
		{name: "+86 then space", in: "+86 13800138000", wantErr: "11-digit"},
		{name: "inner space", in: "138 0013 8000", wantErr: "11-digit"},
		{name: "dashes", in: "138-0013-80", wantErr: "digits"},
		{name: "+86 twice", in: "+86+8613800138000", wantErr: "11-digit"},
		{name: "+86 then 0086", in: "+86008613800138000", wantErr: "11-digit"},
		{name: "starts 12", in: "12800138000", wantErr: "13 to 19"},
		{name: "starts 10", in: "10800138000", wantErr: "13 to 19"},
		{name: "starts 2", in: "23800138000", wantErr: "13 to 19"},
		{name: "landline", in: "02112345678", wantErr: "13 to 19"},
		{name: "+86 alone", in: "+86", wantErr: "11-digit"},
		{name: "NUL inside", in: "1380013800\x00", wantErr: "digits"},
		{name: "Arabic-Indic digits", in: "١٣٨٠٠١٣٨٠٠٠", wantErr: "11-digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := idcheck.Mobile(tt.in)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("Mobile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Mobile(%q) = %q, want an error", tt.in, got)
			}
			if got != "" {
				t.Errorf("Mobile(%q) returned %q with its error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Mobile(%q) error %q, want one containing %q", tt.in, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), strings.TrimSpace(tt.in)) && strings.TrimSpace(tt.in) != "" {
				t.Errorf("Mobile(%q) error %q repeats the input", tt.in, err)
			}
		})
	}
}

// validMobile is the property every accepted number has: 11 ASCII digits, 1 then 3-9.
func validMobile(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func FuzzMobile(f *testing.F) {
	for _, s := range []string{
		"13800138000", "+8613800138000", "008613800138000", " 13800138000 ", "",
		"1380013800a", "1380013800", "138001380001", "１３８００１３８０００", "+8513800138000",
		"+86", "0086", "+860086", "12800138000", "\xff\xfe13800138000", "+86１３８００１３８０００",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := idcheck.Mobile(in)
		if err != nil {
			if got != "" {
				t.Errorf("Mobile(%q) = %q with error %v", in, got, err)
			}
			return
		}
		if !validMobile(got) {
			t.Fatalf("Mobile(%q) = %q: not 11 ASCII digits starting 1[3-9]", in, got)
		}
		if !strings.Contains(in, got) {
			t.Errorf("Mobile(%q) = %q, which is not in the input", in, got)
		}
		// Normalising is idempotent.
		if again, err := idcheck.Mobile(got); err != nil || again != got {
			t.Errorf("Mobile(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}
