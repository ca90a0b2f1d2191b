package idcheck

import "testing"

func TestInstitutionNumber(t *testing.T) {
	tests := []struct{ name, in, want, reason string }{
		{name: "12 digits", in: "112000001234", want: "112000001234"},
		{name: "as printed", in: " 事证第112000001234号 ", want: "112000001234"},
		{name: "empty", in: "", reason: "must be 12 digits"},
		{name: "11 digits", in: "11200000123", reason: "must be 12 digits"},
		{name: "13 digits", in: "1120000012345", reason: "must be 12 digits"},
		{name: "letter", in: "11200000123A", reason: "must contain only the digits 0-9"},
		{name: "inner space", in: "112000 001234", reason: reasonSpaces},
		{name: "full-width digit", in: "11200000123４", reason: reasonFullWidth},
		{name: "15-digit registration number", in: "110108000000016", reason: "must be 12 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InstitutionNumber(tt.in)
			if tt.reason != "" {
				if err == nil || err.Error() != tt.reason {
					t.Fatalf("InstitutionNumber(%q) = %q, %v; want error %q", tt.in, got, err, tt.reason)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("InstitutionNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
