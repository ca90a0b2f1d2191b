package company

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// now is the fixed time rules are judged at.
var now = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

var (
	uscc       = idchecktest.USCC("91350100M000100Y4") // GB 32100's own sample
	usccInst   = idchecktest.USCC("12100000400000624")
	regNumber  = "110108000000016" // MOD 11,10 checked
	instNumber = "112000001234"
	orgCode    = "D2143569X" // GB 11714's own sample
	legalID    = idchecktest.ResidentID("11010519491231002")
	authID     = idchecktest.ResidentID("44052418800101001")
	futureID   = idchecktest.ResidentID("11010520270101002") // born after now
)

// unified is the smallest valid form: a unified-certificate enterprise.
func unified() map[string]string {
	return map[string]string{
		FieldEmail: "t4x0@ebaoquan.org", FieldName: "镇江图书馆", FieldOrganizationType: "0",
		FieldIdentificationType: "1", FieldRegNo: uscc, FieldRegImg: "up/licence-1", FieldLegalName: "杨明",
	}
}

// multi is the smallest valid form of a multi-certificate enterprise.
func multi() map[string]string {
	m := unified()
	m[FieldIdentificationType], m[FieldRegNo] = "0", regNumber
	m[FieldOrganizationCode], m[FieldOrganizationCodeImg], m[FieldTaxCertificateImg] = orgCode, "up/code-1", "up/tax-1"
	return m
}

// with returns base with the changes applied; "" deletes a field.
func with(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func TestParseProfileAccepts(t *testing.T) {
	tests := []struct {
		name  string
		in    map[string]string
		check func(t *testing.T, p Profile)
	}{
		{name: "unified enterprise, required fields only", in: unified(), check: func(t *testing.T, p Profile) {
			want := Profile{Email: "t4x0@ebaoquan.org", Name: "镇江图书馆", OrganizationType: 0, IdentificationType: 1,
				RegNo: uscc, RegImg: "up/licence-1", LegalName: "杨明"}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("profile (-want +got):\n%s", diff)
			}
		}},
		{name: "unified public institution", in: with(unified(), FieldOrganizationType, "1", FieldRegNo, usccInst)},
		{name: "multi-certificate enterprise", in: multi()},
		{name: "multi-certificate public institution needs no tax certificate",
			in: with(multi(), FieldOrganizationType, "1", FieldRegNo, instNumber, FieldTaxCertificateImg, "")},
		{name: "multi-certificate public institution may give a tax certificate",
			in: with(multi(), FieldOrganizationType, "1", FieldRegNo, "事证第"+instNumber+"号"), check: func(t *testing.T, p Profile) {
				if p.RegNo != instNumber || p.TaxCertificateImg != "up/tax-1" {
					t.Errorf("RegNo, TaxCertificateImg = %q, %q", p.RegNo, p.TaxCertificateImg)
				}
			}},
		{name: "unified may give an organization code", in: with(unified(), FieldOrganizationCode, "D2143569-X")},
		{name: "every field, normalised", in: with(multi(),
			FieldEmail, " Ops@Example.COM ", FieldName, "华为技术(深圳)有限公司", FieldOrganizationType, " 0 ",
			FieldLegalIDCard, strings.ToLower(legalID), FieldLegalMobile, "+8613800138000",
			FieldLegalIDFrontImg, "up/front", FieldLegalIDBackImg, "up/back", FieldSignImg, "up/seal",
			FieldAddress, "深圳市龙岗区坂田街道 1 号", FieldAuthorizeName, "买买提・艾力", FieldAuthorizeCard, authID,
			FieldAuthorizeMobile, "008613900139000", FieldOrganizationCode, "d2143569-x", FieldSignApplication, "up/apply",
			FieldAuthStatus, "1", "customer_id", "ignored"),
			check: func(t *testing.T, p Profile) {
				want := Profile{Email: "Ops@example.com", Name: "华为技术（深圳）有限公司", OrganizationType: 0,
					IdentificationType: 0, RegNo: regNumber, RegImg: "up/licence-1", LegalName: "杨明",
					LegalIDCard: legalID, LegalMobile: "13800138000", LegalIDFrontImg: "up/front", LegalIDBackImg: "up/back",
					SignImg: "up/seal", Address: "深圳市龙岗区坂田街道 1 号", AuthorizeName: "买买提·艾力",
					AuthorizeCard: authID, AuthorizeMobile: "13900139000", OrganizationCode: orgCode,
					OrganizationCodeImg: "up/code-1", TaxCertificateImg: "up/tax-1", SignApplication: "up/apply"}
				if diff := cmp.Diff(want, p); diff != "" {
					t.Errorf("profile (-want +got):\n%s", diff)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseProfile(tt.in, now)
			if err != nil {
				t.Fatalf("ParseProfile: %v", err)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
			if probs := Problems(tt.in, now); probs != nil {
				t.Errorf("Problems = %v, want none", probs)
			}
		})
	}
}

func TestParseProfileRefuses(t *testing.T) {
	const missing, invalid = kyc.EMISSING, kyc.EINVALID
	inst := with(multi(), FieldOrganizationType, "1", FieldRegNo, instNumber)
	tests := []struct {
		name        string
		in          map[string]string
		code, field string
	}{
		{"no email", with(unified(), FieldEmail, ""), missing, FieldEmail},
		{"blank email", with(unified(), FieldEmail, " \t"), missing, FieldEmail},
		{"no name", with(unified(), FieldName, ""), missing, FieldName},
		{"no organizationType", with(unified(), FieldOrganizationType, ""), missing, FieldOrganizationType},
		{"no identificationType", with(unified(), FieldIdentificationType, ""), missing, FieldIdentificationType},
		{"no organizationRegNo", with(unified(), FieldRegNo, ""), missing, FieldRegNo},
		{"no licence", with(unified(), FieldRegImg, ""), missing, FieldRegImg},
		{"no legalName", with(unified(), FieldLegalName, ""), missing, FieldLegalName},
		{"multi-certificate without organizationCode", with(multi(), FieldOrganizationCode, ""), missing, FieldOrganizationCode},
		{"multi-certificate without its image", with(multi(), FieldOrganizationCodeImg, ""), missing, FieldOrganizationCodeImg},
		{"multi-certificate enterprise without tax certificate", with(multi(), FieldTaxCertificateImg, ""), missing, FieldTaxCertificateImg},
		{"multi-certificate institution without organizationCode", with(inst, FieldOrganizationCode, ""), missing, FieldOrganizationCode},

		{"organizationType 2", with(unified(), FieldOrganizationType, "2"), invalid, FieldOrganizationType},
		{"identificationType text", with(unified(), FieldIdentificationType, "unified"), invalid, FieldIdentificationType},
		{"unified with a registration number", with(unified(), FieldRegNo, regNumber), invalid, FieldRegNo},
		{"unified with a wrong check character", with(unified(), FieldRegNo, idchecktest.WrongCheck(uscc, idchecktest.USCCChars)), invalid, FieldRegNo},
		{"multi-certificate enterprise with a USCC", with(multi(), FieldRegNo, uscc), invalid, FieldRegNo},
		{"multi-certificate enterprise with an institution number", with(multi(), FieldRegNo, instNumber), invalid, FieldRegNo},
		{"multi-certificate institution with a registration number", with(inst, FieldRegNo, regNumber), invalid, FieldRegNo},
		{"registration number check digit", with(multi(), FieldRegNo, "110108000000017"), invalid, FieldRegNo},
		{"email", with(unified(), FieldEmail, "13800138000"), invalid, FieldEmail},
		{"company name of digits", with(unified(), FieldName, "12345"), invalid, FieldName},
		{"legal name with digits", with(unified(), FieldLegalName, "杨2"), invalid, FieldLegalName},
		{"legal ID check", with(unified(), FieldLegalIDCard, idchecktest.WrongCheck(legalID, "0123456789X")), invalid, FieldLegalIDCard},
		{"legal ID born after now", with(unified(), FieldLegalIDCard, futureID), invalid, FieldLegalIDCard},
		{"legal mobile", with(unified(), FieldLegalMobile, "12800138000"), invalid, FieldLegalMobile},
		{"authorized name", with(unified(), FieldAuthorizeName, "A"), invalid, FieldAuthorizeName},
		{"authorized ID", with(unified(), FieldAuthorizeName, "李四", FieldAuthorizeCard, "440524188001010"), invalid, FieldAuthorizeCard},
		{"authorized mobile", with(unified(), FieldAuthorizeName, "李四", FieldAuthorizeMobile, "1380013800０"), invalid, FieldAuthorizeMobile},
		{"organization code check", with(multi(), FieldOrganizationCode, "D2143569-1"), invalid, FieldOrganizationCode},
		{"address too long", with(unified(), FieldAddress, strings.Repeat("路", MaxAddressLength+1)), invalid, FieldAddress},
		{"address with a control character", with(unified(), FieldAddress, "1号\u202e楼"), invalid, FieldAddress},
		{"document key with a space", with(unified(), FieldRegImg, "up/a b"), invalid, FieldRegImg},
		{"document key too long", with(unified(), FieldSignImg, strings.Repeat("k", MaxKeyLength+1)), invalid, FieldSignImg},

		{"ID front without back", with(unified(), FieldLegalIDFrontImg, "up/front"), missing, FieldLegalIDBackImg},
		{"ID back without front", with(unified(), FieldLegalIDBackImg, "up/back"), missing, FieldLegalIDFrontImg},
		{"authorized ID without name", with(unified(), FieldAuthorizeCard, authID), missing, FieldAuthorizeName},
		{"authorized mobile without name", with(unified(), FieldAuthorizeMobile, "13900139000"), missing, FieldAuthorizeName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseProfile(tt.in, now)
			if err == nil {
				t.Fatalf("ParseProfile = %+v, want %s naming %s", p, tt.code, tt.field)
			}
			wantFieldError(t, err, tt.code, tt.field)
		})
	}
}

// wantFieldError fails unless err is a *kyc.Error with code naming field.
func wantFieldError(t *testing.T, err error, code, field string) {
	t.Helper()
	e, ok := err.(*kyc.Error)
	if !ok {
		t.Fatalf("error %v (%T) is not a *kyc.Error", err, err)
	}
	if e.Code != code || e.Field != field || e.Reason == "" {
		t.Fatalf("error = %+v, want %s naming %s with a reason", e, code, field)
	}
}

func TestProblemsListsEveryProblemInOrder(t *testing.T) {
	in := with(multi(), FieldEmail, "", FieldRegNo, uscc, FieldLegalMobile, "1", FieldTaxCertificateImg, "",
		FieldLegalIDFrontImg, "up/front")
	var got []string
	for _, e := range Problems(in, now) {
		got = append(got, e.Code+" "+e.Field)
	}
	want := []string{"missing emailOrMobile", "invalid organizationRegNo", "invalid legalMobile",
		"missing taxCertificateImg", "missing legalIdentityBackImg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Problems (-want +got):\n%s", diff)
	}
	if _, err := ParseProfile(in, now); err == nil || err.(*kyc.Error).Field != FieldEmail {
		t.Errorf("ParseProfile error = %v, want the first problem (emailOrMobile)", err)
	}
}

func TestTypeProblemsHideTheRulesThatDependOnThem(t *testing.T) {
	// With no identificationType it is unknown whether organizationCode is required or
	// which registration number applies; only the type is reported.
	got := Problems(with(multi(), FieldIdentificationType, "", FieldOrganizationCode, "", FieldRegNo, "x"), now)
	if len(got) != 1 || got[0].Field != FieldIdentificationType {
		t.Errorf("Problems = %v, want only identificationType", got)
	}
}

func TestDocumentsAndRequiredSlots(t *testing.T) {
	p, err := ParseProfile(with(multi(), FieldLegalIDFrontImg, "up/front", FieldLegalIDBackImg, "up/back",
		FieldSignImg, "up/seal", FieldSignApplication, "up/apply"), now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{SlotLicence: "up/licence-1", SlotOrganizationCodeImg: "up/code-1",
		SlotTaxCertificateImg: "up/tax-1", SlotLegalIDFront: "up/front", SlotLegalIDBack: "up/back",
		SlotSignImg: "up/seal", SlotSignApplication: "up/apply"}
	if diff := cmp.Diff(want, p.Documents()); diff != "" {
		t.Errorf("Documents (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		org, id int
		want    []string
	}{
		{OrgEnterprise, IDUnified, []string{SlotLicence}},
		{OrgInstitution, IDUnified, []string{SlotLicence}},
		{OrgEnterprise, IDMultiCertificate, []string{SlotLicence, SlotOrganizationCodeImg, SlotTaxCertificateImg}},
		{OrgInstitution, IDMultiCertificate, []string{SlotLicence, SlotOrganizationCodeImg}},
	} {
		if got := RequiredSlots(tt.org, tt.id); !slices.Equal(got, tt.want) {
			t.Errorf("RequiredSlots(%d, %d) = %v, want %v", tt.org, tt.id, got, tt.want)
		}
	}
}

// FuzzParseProfile: never panics; every refusal is a *kyc.Error, EMISSING or EINVALID,
// naming a form field; an accepted profile is accepted again, unchanged, from its own
// fields, and has every document its types require.
func FuzzParseProfile(f *testing.F) {
	f.Add("a@b.cn", "镇江图书馆", "0", "1", uscc, "杨明", "", "", "up/l", "")
	f.Add("a@b.cn", "公司(一)", "0", "0", regNumber, "杨明", legalID, orgCode, "up/l", "up/t")
	f.Add("a@b.cn", "所", "1", "0", instNumber, "杨明", "", orgCode, "up/l", "")
	f.Add("", "", "2", "x", "", "", "\xff", "-", "a b", "")
	f.Fuzz(func(t *testing.T, email, name, orgType, idType, regNo, legalName, legalID, code, regImg, tax string) {
		in := map[string]string{FieldEmail: email, FieldName: name, FieldOrganizationType: orgType,
			FieldIdentificationType: idType, FieldRegNo: regNo, FieldLegalName: legalName, FieldLegalIDCard: legalID,
			FieldOrganizationCode: code, FieldRegImg: regImg, FieldOrganizationCodeImg: regImg, FieldTaxCertificateImg: tax}
		p, err := ParseProfile(in, now)
		if err != nil {
			e, ok := err.(*kyc.Error)
			if !ok || (e.Code != kyc.EMISSING && e.Code != kyc.EINVALID) || !slices.Contains(FieldNames(), e.Field) {
				t.Fatalf("ParseProfile error %#v is not a field error naming a form field", err)
			}
			return
		}
		again, err := ParseProfile(p.Fields(), now)
		if err != nil {
			t.Fatalf("accepted profile %+v refused from its own fields: %v", p, err)
		}
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("profile changed when parsed again (-first +again):\n%s", diff)
		}
		for _, slot := range RequiredSlots(p.OrganizationType, p.IdentificationType) {
			if p.Documents()[slot] == "" {
				t.Fatalf("accepted profile %+v lacks required slot %s", p, slot)
			}
		}
	})
}
