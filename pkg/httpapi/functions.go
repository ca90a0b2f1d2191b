package httpapi

import (
	"net/http"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/users"
)

// One constructor per route: what functions/<name>/main.go starts. Each builds, from the
// adapters env has (those the route table names for the route, which the function's main
// provides), only the services its handler calls. Constructors, which names them all, is
// reached only from Mux and the runner, so a function binary links its own route.
//
// Every route has the store: the auth middleware reads sessions from it.

// handlerFunc is a route's own work, between the shared middleware and the envelope.
type handlerFunc func(*API, http.ResponseWriter, *http.Request) error

// The services, each from the adapters env has: a constructor builds the ones its
// handler calls. An adapter the route's function lacks is nil, and a service method that
// needed it fails its tests (Mux builds each route with only its function's adapters).

func usersService(env *app.Env) *users.Service {
	return users.New(users.Deps{Store: env.Store, SMS: env.SMS, Presigner: env.Presigner, Clock: env.Clock, IDs: env.IDs,
		Log: env.Log, TokenTTL: env.TokenTTL, Password: env.PasswordParams})
}

func docsService(env *app.Env) *submission.Service {
	var store submission.Store = env.Store
	if env.WebhookQueue != nil {
		// A submission's account.submitted event is queued as soon as it commits (the
		// outbox record is in the submission's transaction either way; the sweeper is
		// the fallback), as a decision's is.
		store = outbox.NewStore(env.Store, env.WebhookQueue, env.Log)
	}
	return submission.New(submission.Deps{Store: store, Presigner: env.Presigner, Objects: env.Docs, Queue: env.Queue,
		Clock: env.Clock, IDs: env.IDs, Log: env.Log, MaxAttempts: env.MaxAttempts,
		UploadGrantsPerHour: env.UploadGrantsPerHour, RequireBankVerification: env.RequireBankVerification})
}

func withUsers(env *app.Env) *API { return &API{svc: &env.Services, users: usersService(env)} }

func withDocs(env *app.Env) *API { return &API{svc: &env.Services, docs: docsService(env)} }

// withReview builds the reviewer service; only the approval's function has the document
// store (env.Docs), which the approval needs to delete earlier attempts' documents.
func withReview(env *app.Env) *API {
	var store review.ServiceStore = env.Store
	if env.WebhookQueue != nil {
		// The decision's event is queued as soon as it commits (the outbox record is
		// written in the decision's transaction either way; the sweeper is the fallback).
		store = outbox.NewStore(env.Store, env.WebhookQueue, env.Log)
	}
	return &API{svc: &env.Services, review: review.NewService(review.ServiceDeps{Store: store, Objects: env.Docs, Clock: env.Clock, Log: env.Log})}
}

// Health serves GET /v1/health.
func Health(env *app.Env) (http.Handler, error) {
	return (&API{svc: &env.Services}).routeHandler("health", (*API).health), nil
}

// SendSMSCode serves POST /v1/user/sms-code.
func SendSMSCode(env *app.Env) (http.Handler, error) {
	return withUsers(env).routeHandler("sms-code", (*API).sendCode), nil
}

// Register serves POST /v1/user/register.
func Register(env *app.Env) (http.Handler, error) {
	return withUsers(env).routeHandler("register", (*API).register), nil
}

// Login serves POST /v1/user/login.
func Login(env *app.Env) (http.Handler, error) {
	return withUsers(env).routeHandler("login", (*API).login), nil
}

// Logout serves POST /v1/user/logout.
func Logout(env *app.Env) (http.Handler, error) {
	return withUsers(env).routeHandler("logout", (*API).logout), nil
}

// ResetPassword serves POST /v1/user/password/reset.
func ResetPassword(env *app.Env) (http.Handler, error) {
	return withUsers(env).routeHandler("password-reset", (*API).resetPassword), nil
}

// Me serves GET /v1/user/me (the portrait link is presigned on S3).
func Me(env *app.Env) (http.Handler, error) {
	return withUsers(env).routeHandler("me", (*API).me), nil
}

// SetUserRole serves POST /v1/admin/users/{id}/role.
func SetUserRole(env *app.Env) (http.Handler, error) {
	return withUsers(env).routeHandler("admin-set-role", (*API).setRole), nil
}

// CreateUpload serves POST /v1/uploads.
func CreateUpload(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("uploads", (*API).createUpload), nil
}

// SetPortrait serves POST /v1/user/portrait: it answers with the profile, as /v1/user/me.
func SetPortrait(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("portrait", (*API).setPortrait), nil
}

// GetAccount serves GET /v1/account.
func GetAccount(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("account", (*API).account), nil
}

// DownloadConfirmationFile serves GET /v1/cms/account/downloadConfirmationFile.
func DownloadConfirmationFile(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("download-confirmation-file", (*API).downloadConfirmation), nil
}

// UploadCompanyLicense serves POST /v1/cms/account/uploadCompanyLicense.
func UploadCompanyLicense(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("upload-company-license", (*API).uploadCompany), nil
}

// UploadPersonalLicence serves POST /v1/cms/account/uploadPersonalLicence.
func UploadPersonalLicence(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("upload-personal-licence", (*API).uploadPersonal), nil
}

// DownAuthLicence serves GET /v1/cms/account/{id}/downAuthLicence.
func DownAuthLicence(env *app.Env) (http.Handler, error) {
	return downloadFunction(env, "down-auth-licence", "licence")
}

// DownAuthConfirmation serves GET /v1/cms/account/{id}/downAuthConfirmation.
func DownAuthConfirmation(env *app.Env) (http.Handler, error) {
	return downloadFunction(env, "down-auth-confirmation", "confirmation")
}

// DownloadAuthFrontOfID serves GET /v1/cms/account/{id}/downloadAuthFrontOfID.
func DownloadAuthFrontOfID(env *app.Env) (http.Handler, error) {
	return downloadFunction(env, "download-auth-front-of-id", "frontOfID")
}

// DownloadAuthBackOfID serves GET /v1/cms/account/{id}/downloadAuthBackOfID.
func DownloadAuthBackOfID(env *app.Env) (http.Handler, error) {
	return downloadFunction(env, "download-auth-back-of-id", "backOfID")
}

func downloadFunction(env *app.Env, name, slot string) (http.Handler, error) {
	return withDocs(env).routeHandler(name, download(slot)), nil
}

// GetUnAuthoredCompanyAccount serves the reviewers' list of company accounts.
func GetUnAuthoredCompanyAccount(env *app.Env) (http.Handler, error) {
	return withReview(env).routeHandler("get-unauthored-company-account", listPending(kyc.CompanyAccount)), nil
}

// GetUnAuthoredPersonalAccount serves the reviewers' list of personal accounts.
func GetUnAuthoredPersonalAccount(env *app.Env) (http.Handler, error) {
	return withReview(env).routeHandler("get-unauthored-personal-account", listPending(kyc.PersonalAccount)), nil
}

// GetAccountDetail serves GET /v1/cms/account/{id}.
func GetAccountDetail(env *app.Env) (http.Handler, error) {
	return withReview(env).routeHandler("account-detail", (*API).accountDetail), nil
}

// AuthorizeAccount serves POST /v1/cms/account/{id}/authorizeAccount.
func AuthorizeAccount(env *app.Env) (http.Handler, error) {
	return withReview(env).routeHandler("authorize-account", (*API).authorizeAccount), nil
}

// RejectAccount serves POST /v1/cms/account/{id}/rejectAccount.
func RejectAccount(env *app.Env) (http.Handler, error) {
	return withReview(env).routeHandler("reject-account", (*API).rejectAccount), nil
}

// EnterpriseChange serves POST /v1/account/enterprise-change.
func EnterpriseChange(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("enterprise-change", (*API).enterpriseChange), nil
}

// ApplyOrganization serves POST /v1/organization.
func ApplyOrganization(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("organization-apply", (*API).postOrganization), nil
}

// GetOrganization serves GET /v1/organization.
func GetOrganization(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("organization", (*API).getOrganization), nil
}

// ReapplyOrganization serves POST /v1/organization/reapply.
func ReapplyOrganization(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("organization-reapply", (*API).reapplyOrganization), nil
}

// GetOrganizationSeal serves GET /v1/organization/seal.
func GetOrganizationSeal(env *app.Env) (http.Handler, error) {
	return withDocs(env).routeHandler("organization-seal", (*API).organizationSeal), nil
}

// Constructor builds one route's handler from env.
type Constructor func(env *app.Env) (http.Handler, error)

// Constructors returns every route's constructor by route name: the local runner's
// registry (only cmd/ links it: it links every route).
func Constructors() map[string]Constructor {
	return map[string]Constructor{
		"health": Health, "sms-code": SendSMSCode, "register": Register, "login": Login, "logout": Logout,
		"password-reset": ResetPassword, "me": Me, "admin-set-role": SetUserRole,
		"uploads": CreateUpload, "portrait": SetPortrait, "account": GetAccount,
		"download-confirmation-file": DownloadConfirmationFile,
		"upload-company-license":     UploadCompanyLicense, "upload-personal-licence": UploadPersonalLicence,
		"down-auth-licence": DownAuthLicence, "down-auth-confirmation": DownAuthConfirmation,
		"download-auth-front-of-id": DownloadAuthFrontOfID, "download-auth-back-of-id": DownloadAuthBackOfID,
		"get-unauthored-company-account":  GetUnAuthoredCompanyAccount,
		"get-unauthored-personal-account": GetUnAuthoredPersonalAccount,
		"account-detail":                  GetAccountDetail, "authorize-account": AuthorizeAccount, "reject-account": RejectAccount,
		"enterprise-change":  EnterpriseChange,
		"organization-apply": ApplyOrganization, "organization": GetOrganization,
		"organization-reapply": ReapplyOrganization, "organization-seal": GetOrganizationSeal,
		"webhooks-create": CreateWebhook, "webhooks-list": ListWebhooks, "webhooks-delete": DeleteWebhook,
		"webhooks-rotate": RotateWebhook, "webhooks-deliveries": ListWebhookDeliveries, "webhooks-replay": ReplayWebhookDelivery,
		"admin-apps-create": CreateApp, "admin-apps-revoke": RevokeApp, "oauth-token": IssueToken,
		"accounts-person": CreatePerson, "accounts-get": GetIntegratorAccount, "accounts-organization": CreateOrganizationAccount,
		"verification": VerifyIdentity, "verification-get": GetVerification,
		"qualification-submit": SubmitQualification, "qualification": GetQualification,
		"qualifications-pending": ListPendingQualifications,
		"qualification-approve":  ApproveQualification, "qualification-reject": RejectQualification,
		"identify-start": StartHostedVerification, "identify-get": GetHostedVerification,
		"verify-page": HostedPage, "verify-code": HostedSendCode, "verify-confirm": HostedConfirm,
		"certs-apply": ApplyCertificate, "certs-get": GetCertificate, "certs-revoke": RevokeCertificate,
		"ca-cert": GetCACertificate, "ca-crl": GetCRL,
		"bank-verification-start": StartBankVerification, "bank-verification-confirm": ConfirmBankVerification,
	}
}
