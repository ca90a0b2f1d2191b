package httpapi

import (
	"net/http"
	"slices"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/submission"
)

// postOrganization serves POST /v1/organization: seed 001's full company form, document
// fields as upload keys or, in a multipart form as seed 001 sends it, as files. It
// answers like uploadCompanyLicense (200 / 12000).
func (a *API) postOrganization(w http.ResponseWriter, r *http.Request) error {
	f, files, err := organizationForm(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	if err := a.docs.SubmitOrganization(r.Context(), p, f, files); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodeCompanyAccepted, Msg: "upload success"})
	return nil
}

// getOrganization serves GET /v1/organization.
func (a *API) getOrganization(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	v, err := a.docs.Organization(r.Context(), p)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", v)
	return nil
}

// reapplyOrganization serves POST /v1/organization/reapply (seed 001): authStatus=0
// re-applies after a rejection and answers like a submission (200 / 12000);
// authStatus=1 modifies an approved company at once and answers 200 / 1000 with the
// profile's version and the changed field names.
func (a *API) reapplyOrganization(w http.ResponseWriter, r *http.Request) error {
	f, files, err := organizationForm(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	res, err := a.docs.Reapply(r.Context(), p, f, files)
	if err != nil {
		return err
	}
	if res.Resubmitted {
		writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodeCompanyAccepted, Msg: "upload success"})
		return nil
	}
	writeOK(w, http.StatusOK, "ok", res)
	return nil
}

// organizationSeal serves GET /v1/organization/seal: 302 to a presigned GET of the
// caller's seal (signImg), uploaded or generated; 404 while there is none. An app that
// asks for JSON gets the URL itself, as from the document downloads.
func (a *API) organizationSeal(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	v := submission.Viewer{UserID: p.UserID, Role: p.Role, RequestID: app.RequestID(r.Context())}
	u, err := a.docs.DownloadURL(r.Context(), v, p.AccountID, company.SlotSignImg)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		writeOK(w, http.StatusOK, "download URL", downloadData{URL: u, ExpiresIn: int(submission.DownloadTTL.Seconds())})
		return nil
	}
	redirect(w, u)
	return nil
}

// createOrganizationAccount serves an integrator's POST /v1/accounts/organization: seed
// 001's company form (documents as upload keys the app got from POST /v1/uploads without
// an accountId) plus adminAccountId -> 201 {accountId}, the account SUBMITTED.
func (a *API) createOrganizationAccount(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	id, err := a.docs.CreateOrganization(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "account created and submitted", map[string]string{"accountId": id, "state": string(kyc.StateSubmitted)})
	return nil
}

// CreateOrganizationAccount serves POST /v1/accounts/organization.
func CreateOrganizationAccount(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("accounts-organization", (*API).createOrganizationAccount), nil
}

// organizationForm reads seed 001's form: a JSON or url-encoded body of fields and upload
// keys, or a multipart form whose document fields may be files (each at most its slot's
// size; a file in any other field is ignored, as seed 000's routes ignore them).
func organizationForm(r *http.Request) (fields, map[string][]byte, error) {
	if !isMultipart(r) {
		f, err := readFields(r)
		return f, nil, err
	}
	mf, err := readMultipart(r, func(field string) int64 {
		if slot, ok := filecheck.LookupSlot(field); ok && slices.Contains(organizationDocumentFields(), field) {
			return slot.MaxBytes
		}
		return 0
	})
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{}
	for _, field := range organizationDocumentFields() {
		if data, ok := mf.files[field]; ok {
			files[field] = data
		}
	}
	return mf.values, files, nil
}

// organizationDocumentFields are the document fields of seed 001's form (the licence is
// organizationRegImg there).
func organizationDocumentFields() []string {
	return []string{company.FieldRegImg, company.FieldOrganizationCodeImg, company.FieldTaxCertificateImg,
		company.FieldSignApplication, company.FieldSignImg, company.FieldLegalIDFrontImg, company.FieldLegalIDBackImg}
}
