package company

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// stored is a company's current profile, as a store would hold it.
func stored(t *testing.T, in map[string]string, version int64) Profile {
	t.Helper()
	p, err := ParseProfile(in, now)
	if err != nil {
		t.Fatal(err)
	}
	p.Version = version
	return p
}

func TestModifyAccepts(t *testing.T) {
	current := stored(t, with(unified(), FieldAddress, "旧址"), 3)
	tests := []struct {
		name        string
		state       kyc.State
		auth        int
		in          map[string]string
		wantChanged []string
		wantVersion int64
		check       func(t *testing.T, next Profile)
	}{
		{name: "approved: unlocked fields change at once", state: kyc.StateApproved, auth: AuthApproved,
			in:          map[string]string{FieldLegalMobile: "13800138000", FieldName: "镇江市图书馆"},
			wantChanged: []string{FieldLegalMobile, FieldName}, wantVersion: 4,
			check: func(t *testing.T, next Profile) {
				if next.LegalMobile != "13800138000" || next.Name != "镇江市图书馆" || next.Address != "旧址" || next.RegImg != current.RegImg {
					t.Errorf("next = %+v: sent fields must change, others keep their values", next)
				}
			}},
		{name: "approved: locked fields may be sent with their current value, however typed", state: kyc.StateApproved,
			auth: AuthApproved, in: map[string]string{FieldEmail: "t4x0@EBAOQUAN.ORG", FieldRegNo: " " + uscc},
			wantChanged: nil, wantVersion: 3},
		{name: "approved: the types may change when the registration number still fits", state: kyc.StateApproved,
			auth: AuthApproved, in: map[string]string{FieldOrganizationType: "1"},
			wantChanged: []string{FieldOrganizationType}, wantVersion: 4},
		{name: "approved: an optional field sent empty is cleared", state: kyc.StateApproved, auth: AuthApproved,
			in: map[string]string{FieldAddress: ""}, wantChanged: []string{FieldAddress}, wantVersion: 4},
		{name: "approved: nothing changed writes nothing", state: kyc.StateApproved, auth: AuthApproved,
			in: map[string]string{FieldName: "镇江图书馆"}, wantChanged: nil, wantVersion: 3},
		{name: "rejected: the registration number and types may change", state: kyc.StateRejected, auth: AuthRejected,
			in: with(multi(), FieldEmail, "", FieldName, ""), wantVersion: 4,
			wantChanged: []string{FieldIdentificationType, FieldOrganizationCode, FieldOrganizationCodeImg, FieldRegNo, FieldTaxCertificateImg}},
		{name: "rejected: re-applying unchanged is a new version", state: kyc.StateRejected, auth: AuthRejected,
			in: map[string]string{}, wantChanged: nil, wantVersion: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, changed, err := Modify(current, tt.state, tt.in, tt.auth, now)
			if err != nil {
				t.Fatalf("Modify: %v", err)
			}
			if diff := cmp.Diff(tt.wantChanged, changed); diff != "" {
				t.Errorf("changed (-want +got):\n%s", diff)
			}
			if next.Version != tt.wantVersion {
				t.Errorf("Version = %d, want %d", next.Version, tt.wantVersion)
			}
			if tt.check != nil {
				tt.check(t, next)
			}
		})
	}
}

func TestModifyRefuses(t *testing.T) {
	current := stored(t, unified(), 1)
	tests := []struct {
		name        string
		state       kyc.State
		auth        int
		in          map[string]string
		code, field string
	}{
		{"approved: another email", kyc.StateApproved, AuthApproved, map[string]string{FieldEmail: "x@ebaoquan.org"}, kyc.EINVALID, FieldEmail},
		{"approved: another registration number", kyc.StateApproved, AuthApproved,
			map[string]string{FieldRegNo: usccInst}, kyc.EINVALID, FieldRegNo},
		{"approved: a type change the locked number no longer fits", kyc.StateApproved, AuthApproved,
			map[string]string{FieldIdentificationType: "0", FieldOrganizationCode: orgCode, FieldOrganizationCodeImg: "k", FieldTaxCertificateImg: "t"},
			kyc.EINVALID, FieldRegNo},
		{"approved: a required field cleared", kyc.StateApproved, AuthApproved, map[string]string{FieldLegalName: ""}, kyc.EMISSING, FieldLegalName},
		{"approved: a malformed field", kyc.StateApproved, AuthApproved, map[string]string{FieldLegalMobile: "1"}, kyc.EINVALID, FieldLegalMobile},
		{"rejected: another email", kyc.StateRejected, AuthRejected, map[string]string{FieldEmail: "x@ebaoquan.org"}, kyc.EINVALID, FieldEmail},
		{"authStatus 2", kyc.StateApproved, 2, map[string]string{}, kyc.EINVALID, FieldAuthStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, changed, err := Modify(current, tt.state, tt.in, tt.auth, now)
			if err == nil {
				t.Fatalf("Modify = %+v, %v; want %s naming %s", next, changed, tt.code, tt.field)
			}
			wantFieldError(t, err, tt.code, tt.field)
		})
	}
}

func TestModifyExplainsALockedNumberThatNoLongerFits(t *testing.T) {
	current := stored(t, unified(), 1)
	_, _, err := Modify(current, kyc.StateApproved, map[string]string{FieldIdentificationType: "0",
		FieldOrganizationCode: orgCode, FieldOrganizationCodeImg: "k", FieldTaxCertificateImg: "t"}, AuthApproved, now)
	if e, ok := err.(*kyc.Error); !ok || !strings.Contains(e.Reason, "identificationType") {
		t.Errorf("error = %v, want the reason to say the types must fit the locked number", err)
	}
}

func TestModifyStateRules(t *testing.T) {
	current := stored(t, unified(), 1)
	allowed := map[int]kyc.State{AuthApproved: kyc.StateApproved, AuthRejected: kyc.StateRejected}
	for _, auth := range []int{AuthApproved, AuthRejected} {
		for _, state := range []kyc.State{kyc.StateUnverified, kyc.StateSubmitted, kyc.StatePendingReview, kyc.StateApproved, kyc.StateRejected} {
			_, _, err := Modify(current, state, map[string]string{FieldAddress: "新址"}, auth, now)
			if state == allowed[auth] {
				if err != nil {
					t.Errorf("authStatus=%d in %s: %v, want accepted", auth, state, err)
				}
				continue
			}
			if kyc.ErrorCode(err) != kyc.ECONFLICT || kyc.ErrorMessage(err) == "" {
				t.Errorf("authStatus=%d in %s: %v, want ECONFLICT saying why", auth, state, err)
			}
		}
	}
}

func TestParseAuthStatus(t *testing.T) {
	for in, want := range map[string]int{"": AuthRejected, "0": AuthRejected, " 1 ": AuthApproved} {
		if got, err := ParseAuthStatus(in); err != nil || got != want {
			t.Errorf("ParseAuthStatus(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"2", "true", "-1"} {
		_, err := ParseAuthStatus(in)
		wantFieldError(t, err, kyc.EINVALID, FieldAuthStatus)
	}
}
