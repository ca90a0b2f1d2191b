package company

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// eligible is an approved personal account with attempts left and no change pending.
func eligible() ChangeState {
	return ChangeState{
		Account:     kyc.Account{ID: "acct-1", Type: kyc.PersonalAccount, State: kyc.StateApproved, Attempts: 1},
		MaxAttempts: 5,
	}
}

// changeBody is seed 002's example request with valid identifiers.
func changeBody() string {
	return `{"verified_number": "` + uscc + `",
		"verified_file_url": ["up/cert-front", "up/cert-back", "up/id-front", "up/id-back"],
		"reg_address": "Beijing", "reg_country": "CN", "customer_id": "acct-1", "certificate_type": 0,
		"corp_name": "test001(北京)", "enterprise_person": {"certifier_role": "legalPerson", "legel_name": "王某某",
		"legel_id_number": "` + legalID + `"}, "identify_type": 1, "xaccount_type": "***_IDP", "change_type": "1"}`
}

func decode(t *testing.T, body string) ChangeInput {
	t.Helper()
	in, err := DecodeChange([]byte(body))
	if err != nil {
		t.Fatalf("DecodeChange: %v", err)
	}
	return in
}

func TestCheckEnterpriseChangeAccepts(t *testing.T) {
	c, items, err := CheckEnterpriseChange(eligible(), decode(t, changeBody()), now)
	if err != nil || items != nil {
		t.Fatalf("CheckEnterpriseChange = %v, %v", items, err)
	}
	want := Change{CustomerID: "acct-1", CorpName: "test001（北京）", VerifiedNumber: uscc, CertificateTypeGiven: true,
		RegCountry: "CN", RegAddress: "Beijing", LegalName: "王某某", LegalIDNumber: legalID, CertifierRole: "legalPerson",
		Files: []string{"up/cert-front", "up/cert-back", "up/id-front", "up/id-back"}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
	wantDocs := map[string]string{SlotLicence: "up/cert-front", SlotCertificateBack: "up/cert-back",
		SlotLegalIDFront: "up/id-front", SlotLegalIDBack: "up/id-back"}
	if diff := cmp.Diff(wantDocs, c.Documents()); diff != "" {
		t.Errorf("Documents (-want +got):\n%s", diff)
	}

	for name, in := range map[string]ChangeInput{
		"certificate front only, no person": {IdentifyType: "1", ChangeType: "1", CorpName: "某公司",
			VerifiedNumber: regNumber, VerifiedFileURL: []string{"up/f"}},
		"certificate front and back, public institution": {IdentifyType: "1", ChangeType: "1", CorpName: "某所",
			VerifiedNumber: "事证第" + instNumber + "号", CertificateType: "1", VerifiedFileURL: []string{"up/f", "up/b"}},
	} {
		c, items, err := CheckEnterpriseChange(eligible(), in, now)
		if err != nil || items != nil || c.CorpName == "" {
			t.Errorf("%s: CheckEnterpriseChange = %+v, %v, %v", name, c, items, err)
		}
	}
}

func TestFailCheckItems(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ChangeState)
		want   []string
	}{
		{"eligible", func(*ChangeState) {}, nil},
		{"company account", func(s *ChangeState) { s.Account.Type = kyc.CompanyAccount }, []string{FailIsOrgAccount}},
		{"personal, never verified", func(s *ChangeState) { s.Account.State = kyc.StateUnverified }, []string{FailNotPersonalApproved}},
		{"personal, rejected", func(s *ChangeState) { s.Account.State = kyc.StateRejected }, []string{FailNotPersonalApproved}},
		{"personal, under review", func(s *ChangeState) { s.Account.State = kyc.StatePendingReview },
			[]string{FailNotPersonalApproved, FailUnderReview}},
		{"personal, submitted", func(s *ChangeState) { s.Account.State = kyc.StateSubmitted },
			[]string{FailNotPersonalApproved, FailUnderReview}},
		{"a change awaits review", func(s *ChangeState) { s.PendingChange = true }, []string{FailUnderReview}},
		{"attempts used up", func(s *ChangeState) { s.Attempts = 5 }, []string{FailAttemptsExceeded}},
		{"one attempt left", func(s *ChangeState) { s.Attempts = 4 }, nil},
		{"everything at once", func(s *ChangeState) {
			s.Account.Type, s.Account.State, s.PendingChange, s.Attempts = kyc.CompanyAccount, kyc.StateApproved, true, 9
		}, []string{FailIsOrgAccount, FailUnderReview, FailAttemptsExceeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := eligible()
			tt.change(&st)
			if got := FailCheckItems(st); !slices.Equal(got, tt.want) {
				t.Errorf("FailCheckItems = %v, want %v", got, tt.want)
			}
			c, items, err := CheckEnterpriseChange(st, decode(t, changeBody()), now)
			if err != nil || !slices.Equal(items, tt.want) || (items != nil && c.CorpName != "") {
				t.Errorf("CheckEnterpriseChange = %+v, %v, %v; want items %v and no change with them", c, items, err, tt.want)
			}
		})
	}
}

func TestCheckEnterpriseChangeRefusesFields(t *testing.T) {
	const missing, invalid = kyc.EMISSING, kyc.EINVALID
	base := func() ChangeInput { return decode(t, changeBody()) }
	noPerson := func(in *ChangeInput) { in.EnterprisePerson, in.VerifiedFileURL = nil, in.VerifiedFileURL[:2] }
	tests := []struct {
		name        string
		change      func(*ChangeInput)
		code, field string
	}{
		{"customer_id too long", func(in *ChangeInput) { in.CustomerID = strings.Repeat("a", 65) }, invalid, FieldCustomerID},
		{"customer_id with a space", func(in *ChangeInput) { in.CustomerID = "a b" }, invalid, FieldCustomerID},
		{"no identify_type", func(in *ChangeInput) { in.IdentifyType = "" }, missing, FieldIdentifyType},
		{"identify_type 2", func(in *ChangeInput) { in.IdentifyType = "2" }, invalid, FieldIdentifyType},
		{"no change_type", func(in *ChangeInput) { in.ChangeType = " " }, missing, FieldChangeType},
		{"change_type 0", func(in *ChangeInput) { in.ChangeType = "0" }, invalid, FieldChangeType},
		{"change_type an object", func(in *ChangeInput) { in.ChangeType = `{"a":1}` }, invalid, FieldChangeType},
		{"certificate_type 3", func(in *ChangeInput) { in.CertificateType = "3" }, invalid, FieldCertificateType},
		{"no files", func(in *ChangeInput) { in.VerifiedFileURL = nil }, missing, FieldVerifiedFileURL},
		{"5 files", func(in *ChangeInput) { in.VerifiedFileURL = append(in.VerifiedFileURL, "up/5") }, invalid, FieldVerifiedFileURL},
		{"person with 3 files", func(in *ChangeInput) { in.VerifiedFileURL = in.VerifiedFileURL[:3] }, invalid, FieldVerifiedFileURL},
		{"no person with 3 files", func(in *ChangeInput) { in.EnterprisePerson, in.VerifiedFileURL = nil, in.VerifiedFileURL[:3] }, invalid, FieldVerifiedFileURL},
		{"empty file", func(in *ChangeInput) { in.VerifiedFileURL[0] = "" }, missing, "verified_file_url[0]"},
		{"file with a space", func(in *ChangeInput) { in.VerifiedFileURL[2] = "up/a b" }, invalid, "verified_file_url[2]"},
		{"same file twice", func(in *ChangeInput) { in.VerifiedFileURL[3] = in.VerifiedFileURL[1] }, invalid, "verified_file_url[3]"},
		{"no corp_name", func(in *ChangeInput) { in.CorpName = "" }, missing, FieldCorpName},
		{"corp_name of digits", func(in *ChangeInput) { in.CorpName = "123 456" }, invalid, FieldCorpName},
		{"no verified_number", func(in *ChangeInput) { in.VerifiedNumber = "" }, missing, FieldVerifiedNumber},
		{"verified_number longer than 32", func(in *ChangeInput) { in.VerifiedNumber = strings.Repeat("1", 33) }, invalid, FieldVerifiedNumber},
		{"verified_number USCC check", func(in *ChangeInput) {
			in.VerifiedNumber = idchecktest.WrongCheck(uscc, idchecktest.USCCChars)
		}, invalid, FieldVerifiedNumber},
		{"verified_number registration check", func(in *ChangeInput) { in.VerifiedNumber = "110108000000017" }, invalid, FieldVerifiedNumber},
		{"verified_number of another length", func(in *ChangeInput) { in.VerifiedNumber = "1234567" }, invalid, FieldVerifiedNumber},
		{"reg_country US", func(in *ChangeInput) { in.RegCountry = "US" }, invalid, FieldRegCountry},
		{"reg_address with a control character", func(in *ChangeInput) { in.RegAddress = "a\x00b" }, invalid, FieldRegAddress},
		{"person without name", func(in *ChangeInput) { in.EnterprisePerson.LegalName = "" }, missing, FieldPersonName},
		{"person name with digits", func(in *ChangeInput) { in.EnterprisePerson.LegalName = "王1" }, invalid, FieldPersonName},
		{"person without ID", func(in *ChangeInput) { in.EnterprisePerson.LegalIDNumber = "" }, missing, FieldPersonIDNumber},
		{"person ID check", func(in *ChangeInput) {
			in.EnterprisePerson.LegalIDNumber = idchecktest.WrongCheck(legalID, "0123456789X")
		}, invalid, FieldPersonIDNumber},
		{"person born after now", func(in *ChangeInput) { in.EnterprisePerson.LegalIDNumber = futureID }, invalid, FieldPersonIDNumber},
		{"certifier_role other than legalPerson", func(in *ChangeInput) { in.EnterprisePerson.CertifierRole = "boss" }, invalid, FieldCertifierRole},
		{"no person, corp_name missing", func(in *ChangeInput) { noPerson(in); in.CorpName = "" }, missing, FieldCorpName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.change(&in)
			// A company account: field errors come first, with no fail_check_items.
			st := eligible()
			st.Account.Type = kyc.CompanyAccount
			c, items, err := CheckEnterpriseChange(st, in, now)
			if err == nil || items != nil {
				t.Fatalf("CheckEnterpriseChange = %+v, %v, %v; want %s naming %s", c, items, err, tt.code, tt.field)
			}
			wantFieldError(t, err, tt.code, tt.field)
		})
	}
}

func TestDecodeChange(t *testing.T) {
	in := decode(t, `{"identify_type": "1", "change_type": 1, "certificate_type": null, "corp_name": "某公司"}`)
	if in.IdentifyType != "1" || in.ChangeType != "1" || in.CertificateType != "" || in.CorpName != "某公司" {
		t.Errorf("DecodeChange = %+v: numbers and numeric strings read alike, null as absent", in)
	}
	for body, field := range map[string]string{
		`{"corp_name": 5}`:                            FieldCorpName,
		`{"verified_file_url": "up/a"}`:               FieldVerifiedFileURL,
		`{"enterprise_person": "x"}`:                  "enterprise_person",
		`{"enterprise_person": {"legel_name": true}}`: FieldPersonName,
		`{"identify_type": "1"`:                       "body",
		`[]`:                                          "body",
		``:                                            "body",
		`{"identify_type": "\ud800", "corp_name": 5}`: FieldCorpName,
	} {
		_, err := DecodeChange([]byte(body))
		if err == nil {
			t.Errorf("DecodeChange(%s) accepted, want EINVALID naming %s", body, field)
			continue
		}
		wantFieldError(t, err, kyc.EINVALID, field)
	}
}

// FuzzEnterpriseChange: never panics; a refused body or request is a *kyc.Error,
// EMISSING or EINVALID, naming a field; an accepted change is accepted again, unchanged,
// from its own Input, with at most 4 files, each in its own slot.
func FuzzEnterpriseChange(f *testing.F) {
	f.Add([]byte(changeBody()))
	f.Add([]byte(`{"identify_type":1,"change_type":1,"corp_name":"某公司","verified_number":"` + regNumber + `","verified_file_url":["a"]}`))
	f.Add([]byte(`{"verified_file_url":[null,"a","a"],"enterprise_person":{}}`))
	f.Add([]byte(`{"change_type":{"a":[1]},"identify_type":"１"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeChange(body)
		if err != nil {
			wantFieldErrorAny(t, err)
			return
		}
		c, items, err := CheckEnterpriseChange(eligible(), in, now)
		if err != nil {
			wantFieldErrorAny(t, err)
			return
		}
		if items != nil {
			t.Fatalf("eligible account got fail_check_items %v", items)
		}
		if len(c.Files) == 0 || len(c.Files) > MaxChangeFiles || len(c.Documents()) != len(c.Files) {
			t.Fatalf("accepted change has files %q and documents %v", c.Files, c.Documents())
		}
		again, _, err := CheckEnterpriseChange(eligible(), c.Input(), now)
		if err != nil {
			t.Fatalf("accepted change %+v refused from its own input: %v", c, err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("change differs when checked again (-first +again):\n%s", diff)
		}
		if _, err := json.Marshal(c.Input()); err != nil {
			t.Fatalf("Input does not encode: %v", err)
		}
	})
}

// wantFieldErrorAny fails unless err is a *kyc.Error, EMISSING or EINVALID, naming a field.
func wantFieldErrorAny(t *testing.T, err error) {
	t.Helper()
	e, ok := err.(*kyc.Error)
	if !ok || (e.Code != kyc.EMISSING && e.Code != kyc.EINVALID) || e.Field == "" || e.Reason == "" {
		t.Fatalf("error %#v is not a field error naming a field", err)
	}
}
