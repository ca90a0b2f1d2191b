package httpapi

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// changeData is the answer to an accepted enterprise change: it waits for a reviewer.
type changeData struct {
	IsReview int `json:"is_review"`
}

// enterpriseChange serves POST /v1/account/enterprise-change (seed 002): a JSON body, as
// seed 002's clients send, or a url-encoded form (changeForm).
func (a *API) enterpriseChange(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return kyc.FieldError(kyc.EINVALID, "body", "could not be read")
	}
	if len(body) > MaxBody {
		return &kyc.Error{Code: kyc.ETOOLARGE, Message: fmt.Sprintf("body larger than %d bytes", MaxBody), Field: "body", Reason: "too large"}
	}
	decode := company.DecodeChange
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		decode = changeForm
	}
	in, err := decode(body)
	if err != nil {
		return err
	}
	p, err := actingFor(r, in.CustomerID, "customer_id")
	if err != nil {
		return err
	}
	if err := a.docs.ChangeToEnterprise(r.Context(), p, in); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "the change awaits review", changeData{IsReview: 1})
	return nil
}

// changeForm reads the change from a url-encoded form, which has no arrays or objects:
// verified_file_url is repeated in order, and the legal person's fields are named
// enterprise_person.<field>, as the check's errors name them.
func changeForm(body []byte) (company.ChangeInput, error) {
	if !utf8.Valid(body) {
		return company.ChangeInput{}, kyc.FieldError(kyc.EINVALID, "body", "must be UTF-8")
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return company.ChangeInput{}, kyc.FieldError(kyc.EINVALID, "body", "malformed form encoding")
	}
	for k, vals := range v {
		for _, s := range append(vals, k) {
			if !utf8.ValidString(s) {
				return company.ChangeInput{}, kyc.FieldError(kyc.EINVALID, "body", "must be UTF-8")
			}
		}
	}
	in := company.ChangeInput{
		CustomerID: v.Get("customer_id"), IdentifyType: company.Number(v.Get("identify_type")),
		VerifiedFileURL: v["verified_file_url"], CorpName: v.Get("corp_name"), VerifiedNumber: v.Get("verified_number"),
		ChangeType: company.Number(v.Get("change_type")), CertificateType: company.Number(v.Get("certificate_type")),
		RegCountry: v.Get("reg_country"), RegAddress: v.Get("reg_address"),
	}
	p := company.EnterprisePerson{LegalName: v.Get(company.FieldPersonName), LegalIDNumber: v.Get(company.FieldPersonIDNumber),
		CertifierRole: v.Get(company.FieldCertifierRole)}
	if p != (company.EnterprisePerson{}) {
		in.EnterprisePerson = &p
	}
	return in, nil
}
