package kyc_test

import (
	"slices"
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func TestRequiredSlots(t *testing.T) {
	tests := []struct {
		typ  kyc.AccountType
		want []string
	}{
		{kyc.PersonalAccount, []string{"frontOfID", "backOfID"}},
		{kyc.CompanyAccount, []string{"licence", "confirmation"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			got := kyc.RequiredSlots(tt.typ)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("RequiredSlots = %q, want %q", got, tt.want)
			}
			// A caller that changes its copy changes nobody else's rules.
			got[0] = "changed"
			if again := kyc.RequiredSlots(tt.typ); !slices.Equal(again, tt.want) {
				t.Errorf("after a caller changed its slice: %q, want %q", again, tt.want)
			}
		})
	}
}
