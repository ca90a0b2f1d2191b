package routeflow

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/localsms"
)

// integratorSteps are the integrator rows (issue 14): the admin creates an app, the app
// gets a token, creates a person (and again: the 409 of the same ID number), reads it,
// and the admin revokes the app. It returns the app's client, whose token the revocation
// ended.
func integratorSteps(adm *Client, jsonStep stepFunc, routeStep func(name, route string, f func() (int, error)) error) error {
	e, err := adm.JSON(http.MethodPost, "/v1/admin/apps", map[string]string{"name": "routeflow platform"}, 201)
	if err != nil {
		return err
	}
	if err := jsonStep(adm, "admin creates an integrator app", http.MethodPost, "/v1/admin/apps", map[string]string{"name": "routeflow app"}, 201); err != nil {
		return err
	}
	var app struct {
		Key    string `json:"app_key"`
		Secret string `json:"app_secret"`
	}
	if err := json.Unmarshal(e.Data, &app); err != nil {
		return err
	}
	integ := &Client{ctx: adm.ctx, base: adm.base, outbox: adm.outbox, http: adm.http}
	err = routeStep("app gets a token", "POST /v1/oauth/token", func() (int, error) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.Key}, "client_secret": {app.Secret}}
		status, body, _, err := integ.Do(http.MethodPost, "/v1/oauth/token", "application/x-www-form-urlencoded", []byte(form.Encode()))
		if err != nil {
			return status, err
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(body, &tok); err != nil || status != http.StatusOK || tok.AccessToken == "" {
			return status, fmt.Errorf("token: %d %.200s", status, body)
		}
		integ.Token = tok.AccessToken
		return status, nil
	})
	if err != nil {
		return err
	}
	person := map[string]string{"name": "路线", "idNum": idchecktest.ResidentID("11010519900307123"), "mobile": "13800138123"}
	if err := jsonStep(integ, "app creates a person account", http.MethodPost, "/v1/accounts/person", person, 201); err != nil {
		return err
	}
	if err := jsonStep(integ, "app creates the same person again (409)", http.MethodPost, "/v1/accounts/person", person, 409); err != nil {
		return err
	}
	e, err = integ.JSON(http.MethodPost, "/v1/accounts/person", person, 409)
	if err != nil {
		return err
	}
	var existing struct {
		AccountID string `json:"accountId"`
	}
	if err := json.Unmarshal(e.Data, &existing); err != nil || existing.AccountID == "" {
		return fmt.Errorf("the 409 names no accountId: %s", e.Data)
	}
	if err := jsonStep(integ, "app reads its account", http.MethodGet, "/v1/accounts/"+existing.AccountID, nil, 200); err != nil {
		return err
	}
	if err := hostedSteps(integ, existing.AccountID, person, jsonStep, routeStep); err != nil {
		return err
	}
	// The hosted verification approved the account: it may have a certificate.
	if err := certSteps(integ, existing.AccountID, jsonStep, routeStep); err != nil {
		return err
	}
	// The verified person administers a company the app creates with an upload of its own
	// (no accountId: for a company about to be created).
	if _, err := organizationSteps(integ, existing.AccountID, routeStep); err != nil {
		return err
	}
	if err := jsonStep(adm, "admin revokes the app", http.MethodDelete, "/v1/admin/apps/"+app.Key, nil, 200); err != nil {
		return err
	}
	if _, err := integ.JSON(http.MethodGet, "/v1/accounts/"+existing.AccountID, nil, 401); err != nil {
		return fmt.Errorf("a revoked app's token: %w", err)
	}
	if !strings.HasPrefix(app.Key, "rnk_") {
		return fmt.Errorf("app key %q", app.Key)
	}
	return nil
}

// hostedSteps are the hosted three-factor verification's rows: the app starts one and
// reads it, the person opens the page, gets a code and confirms it (the sandbox matches:
// VERIFIED, the account approved). The ticket's routes are named by their pattern, so
// no ticket reaches the steps' records.
func hostedSteps(integ *Client, accountID string, person map[string]string, jsonStep stepFunc, routeStep func(name, route string, f func() (int, error)) error) error {
	body := map[string]string{"accountId": accountID, "returnUrl": "https://app.example/done?from=routeflow"}
	for k, v := range person {
		body[k] = v
	}
	var started struct {
		VerificationID string `json:"verificationId"`
		URL            string `json:"url"`
	}
	err := routeStep("app starts a hosted verification", "POST /v1/identify/person/3/async", func() (int, error) {
		e, err := integ.JSON(http.MethodPost, "/v1/identify/person/3/async", body, 201)
		if err == nil {
			err = json.Unmarshal(e.Data, &started)
		}
		return 201, err
	})
	if err != nil {
		return err
	}
	_, ticket, ok := strings.Cut(started.URL, "/v1/verify/")
	if !ok || ticket == "" {
		return fmt.Errorf("the verification's url has no ticket")
	}
	err = routeStep("app reads the verification (PENDING)", "GET /v1/identify/{verificationId}", func() (int, error) {
		_, err := integ.JSON(http.MethodGet, "/v1/identify/"+started.VerificationID, nil, 200)
		return 200, err
	})
	if err != nil {
		return err
	}
	person0 := &Client{ctx: integ.ctx, base: integ.base, outbox: integ.outbox, http: integ.http}
	if person0.outbox == "" {
		return fmt.Errorf("no SMS outbox to read the code from")
	}
	err = routeStep("the person opens the page", "GET /v1/verify/{ticket}", func() (int, error) {
		status, page, h, err := person0.Do(http.MethodGet, "/v1/verify/"+ticket, "", nil)
		if err == nil && (status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "<script nonce=")) {
			err = fmt.Errorf("page: %d %s", status, h.Get("Content-Type"))
		}
		return status, err
	})
	if err != nil {
		return err
	}
	err = routeStep("the person asks for a code", "POST /v1/verify/{ticket}/code", func() (int, error) {
		_, err := person0.JSON(http.MethodPost, "/v1/verify/"+ticket+"/code", nil, 200)
		return 200, err
	})
	if err != nil {
		return err
	}
	code, err := localsms.LastCode(person0.outbox, person["mobile"], kyc.PurposeVerify)
	if err != nil {
		return err
	}
	err = routeStep("the person confirms the code (VERIFIED)", "POST /v1/verify/{ticket}/confirm", func() (int, error) {
		e, err := person0.JSON(http.MethodPost, "/v1/verify/"+ticket+"/confirm", map[string]string{"code": code}, 200)
		if err == nil && !strings.Contains(string(e.Data), `"VERIFIED"`) {
			err = fmt.Errorf("confirm: %s", e.Data)
		}
		return 200, err
	})
	if err != nil {
		return err
	}
	return nil
}

// organizationSteps are seed 004's company rows: the app uploads a licence for a company
// it is about to create and creates the company, administered by the verified person
// adminID; an incomplete form is 400. It returns the company's account id.
func organizationSteps(integ *Client, adminID string, routeStep func(name, route string, f func() (int, error)) error) (string, error) {
	lic, err := integ.Upload("organizationRegImg", "image/jpeg", filechecktest.JPEG(320, 200))
	if err != nil {
		return "", fmt.Errorf("the app's upload for a new company: %w", err)
	}
	form := map[string]string{"adminAccountId": adminID, "emailOrMobile": "admin@example.com", "name": "Routeflow Integrator Company Ltd",
		"organizationType": "0", "identificationType": "1", "organizationRegNo": sampleCreditCode(1),
		"organizationRegImg": lic, "legalName": "路线"}
	var created struct {
		AccountID string `json:"accountId"`
		State     string `json:"state"`
	}
	err = routeStep("app creates a company account", "POST /v1/accounts/organization", func() (int, error) {
		e, err := integ.JSON(http.MethodPost, "/v1/accounts/organization", form, 201)
		if err == nil {
			err = json.Unmarshal(e.Data, &created)
		}
		if err == nil && (created.AccountID == "" || created.State != string(kyc.StateSubmitted)) {
			err = fmt.Errorf("created: %+v", created)
		}
		return 201, err
	})
	if err != nil {
		return "", err
	}
	if _, err := integ.JSON(http.MethodPost, "/v1/accounts/organization", map[string]string{"adminAccountId": adminID}, 400); err != nil {
		return "", fmt.Errorf("an incomplete company form: %w", err)
	}
	return created.AccountID, nil
}

// sampleCreditCode is the flow's n-th unified social credit code: a Beijing enterprise's
// prefix, n as its serial part and the right check character, so no real-looking
// identifier is written out here.
func sampleCreditCode(n int) string { return idchecktest.USCC(fmt.Sprintf("91110108MA%07d", n)) }
