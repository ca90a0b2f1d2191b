package httpapi

import (
	"net/http"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Route is one entry of the route table: one API Gateway method + path, served by one
// Lambda function. The table is data only: what a route does is its constructor's
// (functions.go), so that a function binary does not link every route.
// template.yaml, the OpenAPI document, functions/ and the local runner are checked
// against this table by tests.
type Route struct {
	// Name is the functions/<Name> folder of the route's Lambda.
	Name string
	// LogicalID is the function's logical id in template.yaml.
	LogicalID string
	Method    string
	// Path uses ServeMux pattern syntax ({id}), which is also API Gateway's.
	Path string
	// Role is the least role that may call the route.
	Role kyc.Role
	// Adapters are the outside systems the route's function uses: its main provides
	// exactly these, and Mux builds the route with nothing else.
	Adapters []app.Adapter
	// QueryToken lets the route take the token as ?auth_token= (a GET link a browser
	// follows): API.md allows it on the four document downloads and the confirmation
	// sample only, since a token in a URL ends up in histories and proxy logs.
	QueryToken bool
	// AuditsSession marks a read route whose handler records the read in a write that
	// requires the caller's session to be live (kyc.LiveSession): the middleware then
	// knows the caller from the token alone and does not read the session, so the route
	// makes two calls (its read and that write), not three. Its handler must make that
	// write before anything it read leaves: the authorization matrix proves an ended
	// session gets 401 on every such route.
	AuditsSession bool
	// Integrators lets integrator apps' tokens in too, besides the route's Role: the
	// webhook routes are "integrator, admin" (API.md), each managing its own endpoints;
	// uploads and the enterprise change act for an account the app names (actingFor).
	Integrators bool
}

// Pattern is the route's ServeMux pattern.
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// Routes returns the route table.
func Routes() []Route {
	const (
		store, presigner, docs, queue, sms = app.AdapterStore, app.AdapterPresigner, app.AdapterDocs, app.AdapterQueue, app.AdapterSMS
	)
	return []Route{
		{Name: "health", LogicalID: "HealthFunction", Method: http.MethodGet, Path: "/v1/health", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store}},
		{Name: "sms-code", LogicalID: "SendSMSCodeFunction", Method: http.MethodPost, Path: "/v1/user/sms-code", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store, sms}},
		{Name: "register", LogicalID: "RegisterFunction", Method: http.MethodPost, Path: "/v1/user/register", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store}},
		{Name: "login", LogicalID: "LoginFunction", Method: http.MethodPost, Path: "/v1/user/login", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store}},
		{Name: "logout", LogicalID: "LogoutFunction", Method: http.MethodPost, Path: "/v1/user/logout", Role: kyc.RoleUser, Adapters: []app.Adapter{store}},
		{Name: "password-reset", LogicalID: "ResetPasswordFunction", Method: http.MethodPost, Path: "/v1/user/password/reset", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store}},
		{Name: "me", LogicalID: "MeFunction", Method: http.MethodGet, Path: "/v1/user/me", Role: kyc.RoleUser, Adapters: []app.Adapter{store, presigner}},
		{Name: "uploads", LogicalID: "CreateUploadFunction", Method: http.MethodPost, Path: "/v1/uploads", Role: kyc.RoleUser, Integrators: true, Adapters: []app.Adapter{store, presigner}},
		{Name: "portrait", LogicalID: "SetPortraitFunction", Method: http.MethodPost, Path: "/v1/user/portrait", Role: kyc.RoleUser, Adapters: []app.Adapter{store, docs}},
		{Name: "account", LogicalID: "GetAccountFunction", Method: http.MethodGet, Path: "/v1/account", Role: kyc.RoleUser, Adapters: []app.Adapter{store}},
		{Name: "download-confirmation-file", LogicalID: "DownloadConfirmationFileFunction", Method: http.MethodGet, Path: "/v1/cms/account/downloadConfirmationFile", Role: kyc.RoleUser, Adapters: []app.Adapter{store, presigner}, QueryToken: true},
		{Name: "upload-company-license", LogicalID: "UploadCompanyLicenseFunction", Method: http.MethodPost, Path: "/v1/cms/account/uploadCompanyLicense", Role: kyc.RoleUser, Adapters: []app.Adapter{store, docs, queue, app.AdapterWebhookQueue}},
		{Name: "upload-personal-licence", LogicalID: "UploadPersonalLicenceFunction", Method: http.MethodPost, Path: "/v1/cms/account/uploadPersonalLicence", Role: kyc.RoleUser, Adapters: []app.Adapter{store, docs, queue, app.AdapterWebhookQueue}},
		{Name: "get-unauthored-company-account", LogicalID: "GetUnAuthoredCompanyAccountFunction", Method: http.MethodGet, Path: "/v1/cms/account/getUnAuthoredCompanyAccount", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store}, AuditsSession: true},
		{Name: "get-unauthored-personal-account", LogicalID: "GetUnAuthoredPersonalAccountFunction", Method: http.MethodGet, Path: "/v1/cms/account/getUnAuthoredPersonalAccount", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store}, AuditsSession: true},
		{Name: "account-detail", LogicalID: "GetAccountDetailFunction", Method: http.MethodGet, Path: "/v1/cms/account/{id}", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store}, AuditsSession: true},
		{Name: "authorize-account", LogicalID: "AuthorizeAccountFunction", Method: http.MethodPost, Path: "/v1/cms/account/{id}/authorizeAccount", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store, docs, app.AdapterWebhookQueue}},
		{Name: "reject-account", LogicalID: "RejectAccountFunction", Method: http.MethodPost, Path: "/v1/cms/account/{id}/rejectAccount", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store, app.AdapterWebhookQueue}},
		{Name: "down-auth-licence", LogicalID: "DownAuthLicenceFunction", Method: http.MethodGet, Path: "/v1/cms/account/{id}/downAuthLicence", Role: kyc.RoleUser, Adapters: []app.Adapter{store, presigner}, QueryToken: true},
		{Name: "down-auth-confirmation", LogicalID: "DownAuthConfirmationFunction", Method: http.MethodGet, Path: "/v1/cms/account/{id}/downAuthConfirmation", Role: kyc.RoleUser, Adapters: []app.Adapter{store, presigner}, QueryToken: true},
		{Name: "download-auth-front-of-id", LogicalID: "DownloadAuthFrontOfIDFunction", Method: http.MethodGet, Path: "/v1/cms/account/{id}/downloadAuthFrontOfID", Role: kyc.RoleUser, Adapters: []app.Adapter{store, presigner}, QueryToken: true},
		{Name: "download-auth-back-of-id", LogicalID: "DownloadAuthBackOfIDFunction", Method: http.MethodGet, Path: "/v1/cms/account/{id}/downloadAuthBackOfID", Role: kyc.RoleUser, Adapters: []app.Adapter{store, presigner}, QueryToken: true},
		{Name: "admin-set-role", LogicalID: "SetUserRoleFunction", Method: http.MethodPost, Path: "/v1/admin/users/{id}/role", Role: kyc.RoleAdmin, Adapters: []app.Adapter{store}},
		{Name: "enterprise-change", LogicalID: "EnterpriseChangeFunction", Method: http.MethodPost, Path: "/v1/account/enterprise-change", Role: kyc.RoleUser, Integrators: true, Adapters: []app.Adapter{store, docs}},
		{Name: "organization-apply", LogicalID: "ApplyOrganizationFunction", Method: http.MethodPost, Path: "/v1/organization", Role: kyc.RoleUser, Adapters: []app.Adapter{store, docs, queue, app.AdapterWebhookQueue}},
		{Name: "organization", LogicalID: "GetOrganizationFunction", Method: http.MethodGet, Path: "/v1/organization", Role: kyc.RoleUser, Adapters: []app.Adapter{store}},
		{Name: "organization-seal", LogicalID: "GetOrganizationSealFunction", Method: http.MethodGet, Path: "/v1/organization/seal", Role: kyc.RoleUser, Adapters: []app.Adapter{store, presigner}, QueryToken: true},
		{Name: "organization-reapply", LogicalID: "ReapplyOrganizationFunction", Method: http.MethodPost, Path: "/v1/organization/reapply", Role: kyc.RoleUser, Adapters: []app.Adapter{store, docs, queue, app.AdapterWebhookQueue}},
		// Webhooks (issue 13): an admin's endpoints or an integrator app's (issue 14).
		{Name: "webhooks-create", LogicalID: "CreateWebhookFunction", Method: http.MethodPost, Path: "/v1/webhooks", Role: kyc.RoleAdmin, Integrators: true, Adapters: []app.Adapter{store, app.AdapterSecrets}},
		{Name: "webhooks-list", LogicalID: "ListWebhooksFunction", Method: http.MethodGet, Path: "/v1/webhooks", Role: kyc.RoleAdmin, Integrators: true, Adapters: []app.Adapter{store}},
		{Name: "webhooks-delete", LogicalID: "DeleteWebhookFunction", Method: http.MethodDelete, Path: "/v1/webhooks/{id}", Role: kyc.RoleAdmin, Integrators: true, Adapters: []app.Adapter{store}},
		{Name: "webhooks-rotate", LogicalID: "RotateWebhookFunction", Method: http.MethodPost, Path: "/v1/webhooks/{id}/rotate", Role: kyc.RoleAdmin, Integrators: true, Adapters: []app.Adapter{store, app.AdapterSecrets}},
		{Name: "webhooks-deliveries", LogicalID: "ListWebhookDeliveriesFunction", Method: http.MethodGet, Path: "/v1/webhooks/{id}/deliveries", Role: kyc.RoleAdmin, Integrators: true, Adapters: []app.Adapter{store}},
		{Name: "webhooks-replay", LogicalID: "ReplayWebhookDeliveryFunction", Method: http.MethodPost, Path: "/v1/webhooks/{id}/deliveries/{deliveryId}/replay", Role: kyc.RoleAdmin, Integrators: true, Adapters: []app.Adapter{store, app.AdapterWebhookQueue}},
		// Integrators (issue 14, seed 004).
		{Name: "admin-apps-create", LogicalID: "CreateAppFunction", Method: http.MethodPost, Path: "/v1/admin/apps", Role: kyc.RoleAdmin, Adapters: []app.Adapter{store}},
		{Name: "admin-apps-revoke", LogicalID: "RevokeAppFunction", Method: http.MethodDelete, Path: "/v1/admin/apps/{app_key}", Role: kyc.RoleAdmin, Adapters: []app.Adapter{store}},
		{Name: "oauth-token", LogicalID: "IssueTokenFunction", Method: http.MethodPost, Path: "/v1/oauth/token", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store}},
		{Name: "accounts-person", LogicalID: "CreatePersonFunction", Method: http.MethodPost, Path: "/v1/accounts/person", Role: kyc.RoleIntegrator, Adapters: []app.Adapter{store}},
		{Name: "accounts-organization", LogicalID: "CreateOrganizationAccountFunction", Method: http.MethodPost, Path: "/v1/accounts/organization", Role: kyc.RoleIntegrator, Adapters: []app.Adapter{store, docs, queue, app.AdapterWebhookQueue}},
		{Name: "accounts-get", LogicalID: "GetIntegratorAccountFunction", Method: http.MethodGet, Path: "/v1/accounts/{accountId}", Role: kyc.RoleIntegrator, Adapters: []app.Adapter{store}},
		// Identity factors (issue 14). The check learns its caller from the token and
		// writes its reservation on the condition that the session is live (2 calls, 3
		// when a match approves under VERIFY_POLICY=factors).
		{Name: "verification", LogicalID: "VerifyIdentityFunction", Method: http.MethodPost, Path: "/v1/user/verification", Role: kyc.RoleUser, Adapters: []app.Adapter{store, app.AdapterIdentity}, AuditsSession: true},
		{Name: "verification-get", LogicalID: "GetVerificationFunction", Method: http.MethodGet, Path: "/v1/user/verification", Role: kyc.RoleUser, Adapters: []app.Adapter{store}},
		// Qualification certificates (issue 14, seed 003): reviewed by hand, on their own.
		{Name: "qualification-submit", LogicalID: "SubmitQualificationFunction", Method: http.MethodPost, Path: "/v1/user/qualification", Role: kyc.RoleUser, Adapters: []app.Adapter{store, docs}},
		{Name: "qualification", LogicalID: "GetQualificationFunction", Method: http.MethodGet, Path: "/v1/user/qualification", Role: kyc.RoleUser, Adapters: []app.Adapter{store}},
		{Name: "qualifications-pending", LogicalID: "ListPendingQualificationsFunction", Method: http.MethodGet, Path: "/v1/cms/qualification", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store, presigner}, AuditsSession: true},
		{Name: "qualification-approve", LogicalID: "ApproveQualificationFunction", Method: http.MethodPost, Path: "/v1/cms/qualification/{id}/approve", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store}},
		{Name: "qualification-reject", LogicalID: "RejectQualificationFunction", Method: http.MethodPost, Path: "/v1/cms/qualification/{id}/reject", Role: kyc.RoleReviewer, Adapters: []app.Adapter{store}},
		// Hosted three-factor verification (issue 14, seed 004): the integrator starts it
		// and reads it; the person's page and its two POSTs need no token (the ticket in
		// the path is the credential). The confirmation asks the identity provider and
		// queues the events its end wrote to the outbox.
		{Name: "identify-start", LogicalID: "StartHostedVerificationFunction", Method: http.MethodPost, Path: "/v1/identify/person/3/async", Role: kyc.RoleIntegrator, Adapters: []app.Adapter{store}},
		{Name: "identify-get", LogicalID: "GetHostedVerificationFunction", Method: http.MethodGet, Path: "/v1/identify/{verificationId}", Role: kyc.RoleIntegrator, Adapters: []app.Adapter{store}},
		{Name: "verify-page", LogicalID: "HostedVerificationPageFunction", Method: http.MethodGet, Path: "/v1/verify/{ticket}", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store}},
		{Name: "verify-code", LogicalID: "HostedVerificationCodeFunction", Method: http.MethodPost, Path: "/v1/verify/{ticket}/code", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store, sms}},
		{Name: "verify-confirm", LogicalID: "HostedVerificationConfirmFunction", Method: http.MethodPost, Path: "/v1/verify/{ticket}/confirm", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store, app.AdapterIdentity, app.AdapterWebhookQueue}},
		// Certificates (issue 15, seed 004): an app or a user for its own APPROVED account;
		// revocation also by an admin. The CA adapter is the signing key (and, for issuing,
		// the sealer of generated keys); reading a record needs only the store. The CA
		// certificate and the CRL are public and answer in their own media types.
		{Name: "certs-apply", LogicalID: "ApplyCertificateFunction", Method: http.MethodPost, Path: "/v1/certs", Role: kyc.RoleUser, Integrators: true, Adapters: []app.Adapter{store, app.AdapterCA}},
		{Name: "certs-get", LogicalID: "GetCertificateFunction", Method: http.MethodGet, Path: "/v1/certs/{certId}", Role: kyc.RoleUser, Integrators: true, Adapters: []app.Adapter{store}},
		{Name: "certs-revoke", LogicalID: "RevokeCertificateFunction", Method: http.MethodPost, Path: "/v1/certs/{certId}/revoke", Role: kyc.RoleUser, Integrators: true, Adapters: []app.Adapter{store, app.AdapterCA}},
		{Name: "ca-cert", LogicalID: "GetCACertificateFunction", Method: http.MethodGet, Path: "/v1/ca/cert", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store}},
		{Name: "ca-crl", LogicalID: "GetCRLFunction", Method: http.MethodGet, Path: "/v1/ca/crl", Role: kyc.RoleAnyone, Adapters: []app.Adapter{store, app.AdapterCA}},
		// Bank verification (issue 15, seed 004): an app or a user for its own company
		// account. Only the start pays (the payout adapter); the confirmation queues the
		// events its answer wrote to the outbox.
		{Name: "bank-verification-start", LogicalID: "StartBankVerificationFunction", Method: http.MethodPost, Path: "/v1/accounts/{accountId}/bank-verification", Role: kyc.RoleUser, Integrators: true, Adapters: []app.Adapter{store, app.AdapterPayout}},
		{Name: "bank-verification-confirm", LogicalID: "ConfirmBankVerificationFunction", Method: http.MethodPost, Path: "/v1/accounts/{accountId}/bank-verification/confirm", Role: kyc.RoleUser, Integrators: true, Adapters: []app.Adapter{store, app.AdapterWebhookQueue}},
	}
}

// Lookup returns the route served by the function folder name.
func Lookup(name string) (Route, bool) {
	for _, rt := range Routes() {
		if rt.Name == name {
			return rt, true
		}
	}
	return Route{}, false
}
