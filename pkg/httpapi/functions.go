package httpapi

import (
	"net/http"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
	"github.com/realname-kyc/realname/pkg/submission"
	"github.com/realname-kyc/realname/pkg/users"
)

// One constructor per route: what functions/<name>/main.go starts. Each asks env for the
// adapters its route uses and builds only the services its handler calls, so a function
// binary links that route's code and nothing else (the route table is data; Constructors,
// which names them all, is reached only from Mux and the runner).
//
// Every route needs the store: the auth middleware reads sessions from it.

// handlerFunc is a route's own work, between the shared middleware and the envelope.
type handlerFunc func(*API, http.ResponseWriter, *http.Request) error

func withUsers(env *app.Env) *API {
	svc := env.Services()
	return &API{svc: svc, users: users.New(svc)}
}

func withDocs(env *app.Env) *API {
	svc := env.Services()
	return &API{svc: svc, docs: submission.New(svc)}
}

func withReview(env *app.Env) *API {
	env.Store()
	svc := env.Services()
	return &API{svc: svc, review: review.NewService(svc)}
}

// Health serves GET /v1/health.
func Health(env *app.Env) (http.Handler, error) {
	env.Store()
	return (&API{svc: env.Services()}).routeHandler("health", (*API).health), nil
}

// SendSMSCode serves POST /v1/user/sms-code.
func SendSMSCode(env *app.Env) (http.Handler, error) {
	env.Store()
	if _, err := env.SMS(); err != nil {
		return nil, err
	}
	return withUsers(env).routeHandler("sms-code", (*API).sendCode), nil
}

// Register serves POST /v1/user/register.
func Register(env *app.Env) (http.Handler, error) {
	env.Store()
	return withUsers(env).routeHandler("register", (*API).register), nil
}

// Login serves POST /v1/user/login.
func Login(env *app.Env) (http.Handler, error) {
	env.Store()
	return withUsers(env).routeHandler("login", (*API).login), nil
}

// Logout serves POST /v1/user/logout.
func Logout(env *app.Env) (http.Handler, error) {
	env.Store()
	return withUsers(env).routeHandler("logout", (*API).logout), nil
}

// ResetPassword serves POST /v1/user/password/reset.
func ResetPassword(env *app.Env) (http.Handler, error) {
	env.Store()
	return withUsers(env).routeHandler("password-reset", (*API).resetPassword), nil
}

// Me serves GET /v1/user/me (the portrait link is presigned on S3).
func Me(env *app.Env) (http.Handler, error) {
	env.Store()
	env.Docs()
	return withUsers(env).routeHandler("me", (*API).me), nil
}

// SetUserRole serves POST /v1/admin/users/{id}/role.
func SetUserRole(env *app.Env) (http.Handler, error) {
	env.Store()
	return withUsers(env).routeHandler("admin-set-role", (*API).setRole), nil
}

// CreateUpload serves POST /v1/uploads.
func CreateUpload(env *app.Env) (http.Handler, error) {
	env.Store()
	env.Docs()
	return withDocs(env).routeHandler("uploads", (*API).createUpload), nil
}

// SetPortrait serves POST /v1/user/portrait: it answers with the profile, as /v1/user/me.
func SetPortrait(env *app.Env) (http.Handler, error) {
	env.Store()
	env.Docs()
	svc := env.Services()
	a := &API{svc: svc, users: users.New(svc), docs: submission.New(svc)}
	return a.routeHandler("portrait", (*API).setPortrait), nil
}

// GetAccount serves GET /v1/account.
func GetAccount(env *app.Env) (http.Handler, error) {
	env.Store()
	env.Docs()
	return withDocs(env).routeHandler("account", (*API).account), nil
}

// DownloadConfirmationFile serves GET /v1/cms/account/downloadConfirmationFile.
func DownloadConfirmationFile(env *app.Env) (http.Handler, error) {
	env.Store()
	env.Docs()
	return withDocs(env).routeHandler("download-confirmation-file", (*API).downloadConfirmation), nil
}

// UploadCompanyLicense serves POST /v1/cms/account/uploadCompanyLicense.
func UploadCompanyLicense(env *app.Env) (http.Handler, error) {
	env.Store()
	env.Docs()
	env.Queue()
	return withDocs(env).routeHandler("upload-company-license", (*API).uploadCompany), nil
}

// UploadPersonalLicence serves POST /v1/cms/account/uploadPersonalLicence.
func UploadPersonalLicence(env *app.Env) (http.Handler, error) {
	env.Store()
	env.Docs()
	env.Queue()
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
	env.Store()
	env.Docs()
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
	}
}
