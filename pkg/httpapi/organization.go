package httpapi

import (
	"net/http"
)

// postOrganization serves POST /v1/organization: seed 001's full company form, document
// fields as upload keys. It answers like uploadCompanyLicense (200 / 12000).
func (a *API) postOrganization(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	if err := a.docs.SubmitOrganization(r.Context(), p, f); err != nil {
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
