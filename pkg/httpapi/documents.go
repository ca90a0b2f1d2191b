package httpapi

import (
	"net/http"
	"strings"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/users"
)

// Seed 000's success codes of the two submission routes.
const (
	CodeCompanyAccepted  = 12000
	CodePersonalAccepted = 12001
)

func (a *API) createUpload(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("slot", "content_type", "content_length"); err != nil {
		return err
	}
	p, err := actingForOrNew(r, f["accountId"], "accountId")
	if err != nil {
		return err
	}
	g, err := a.docs.CreateUpload(r.Context(), p, submission.UploadRequest{Slot: f["slot"], ContentType: f["content_type"], ContentLength: f["content_length"]})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "upload URL created", g)
	return nil
}

// submissionSources reads a submission's fields and documents from a multipart form (the
// seed's) or a JSON/form body of upload keys.
func submissionSources(r *http.Request, slots ...string) (fields, map[string]submission.Source, error) {
	srcs := map[string]submission.Source{}
	if isMultipart(r) {
		mf, err := readMultipart(r, func(field string) int64 {
			for _, s := range slots {
				if s == field {
					slot, _ := filecheck.LookupSlot(s)
					return slot.MaxBytes
				}
			}
			return 0
		})
		if err != nil {
			return nil, nil, err
		}
		for _, s := range slots {
			if data, ok := mf.files[s]; ok {
				srcs[s] = submission.Source{Data: data, Inline: true}
			}
		}
		return mf.values, srcs, nil
	}
	f, err := readFields(r)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range slots {
		if k := f[s]; k != "" {
			srcs[s] = submission.Source{Key: k}
		}
	}
	return f, srcs, nil
}

func (a *API) uploadPersonal(w http.ResponseWriter, r *http.Request) error {
	f, srcs, err := submissionSources(r, "frontOfID", "backOfID")
	if err != nil {
		return err
	}
	if err := f.require("ID_number"); err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	if err := a.docs.SubmitPersonal(r.Context(), p, submission.PersonalInput{IDNumber: f["ID_number"], Name: f["name"], Docs: srcs}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodePersonalAccepted, Msg: "upload success"})
	return nil
}

func (a *API) uploadCompany(w http.ResponseWriter, r *http.Request) error {
	f, srcs, err := submissionSources(r, "licence", "confirmation")
	if err != nil {
		return err
	}
	if err := f.require("organization"); err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	if err := a.docs.SubmitCompany(r.Context(), p, submission.CompanyInput{Organization: f["organization"], RegNo: f["organizationRegNo"], Docs: srcs}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodeCompanyAccepted, Msg: "upload success"})
	return nil
}

func (a *API) downloadConfirmation(w http.ResponseWriter, r *http.Request) error {
	u, err := a.docs.ConfirmationURL(r.Context())
	if err != nil {
		return err
	}
	redirect(w, u)
	return nil
}

// download returns the handler of one document slot's download route. ?forensic=1 is a
// reviewer's explicit request for a document that failed its check (submission.Viewer).
func download(slot string) func(*API, http.ResponseWriter, *http.Request) error {
	return func(a *API, w http.ResponseWriter, r *http.Request) error {
		forensic, err := submission.ParseForensic(r.URL.Query()["forensic"])
		if err != nil {
			return err
		}
		p, _ := PrincipalFrom(r.Context())
		v := submission.Viewer{UserID: p.UserID, Role: p.Role, RequestID: app.RequestID(r.Context()), Forensic: forensic}
		u, err := a.docs.DownloadURL(r.Context(), v, r.PathValue("id"), slot)
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
}

// downloadData is a download route's answer to a client that asks for JSON: the
// presigned URL itself, so that an app authenticated by its Authorization header can put
// the URL (which holds no session token, and expires) in an <img> or a link, instead of
// putting its token in a URL with ?auth_token=.
type downloadData struct {
	URL       string `json:"url"`
	ExpiresIn int    `json:"expires_in"` // seconds
}

// wantsJSON reports whether the request's Accept header names application/json.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, _ := strings.Cut(strings.TrimSpace(part), ";"); strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return true
		}
	}
	return false
}

// redirect answers 302 to a presigned URL. The URL carries a signature, so it must not be
// cached or logged.
func redirect(w http.ResponseWriter, url string) {
	w.Header().Set("Location", url)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
}

type portraitData struct {
	Portrait string `json:"portrait"`
}

func (a *API) setPortrait(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r)
	if err != nil {
		return err
	}
	if err := f.require("key"); err != nil {
		return err
	}
	p, _ := PrincipalFrom(r.Context())
	url, err := a.docs.SetPortrait(r.Context(), p, f["key"])
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "portrait set", portraitData{Portrait: url})
	return nil
}

func (a *API) account(w http.ResponseWriter, r *http.Request) error {
	p, _ := PrincipalFrom(r.Context())
	v, err := a.docs.Account(r.Context(), p, users.Status)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", v)
	return nil
}
