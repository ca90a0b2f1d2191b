package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Envelope is every JSON response body (API.md).
type Envelope struct {
	ErrorCode  int    `json:"error_code"`
	Msg        string `json:"msg"`
	Data       any    `json:"data,omitempty"`
	TotalCount *int64 `json:"totalCount,omitempty"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Success codes.
const (
	CodeOK = 1000
)

// ErrorStatus is the one place a domain error code becomes an HTTP status and an API
// error_code (API.md's table). Unknown codes are internal errors.
func ErrorStatus(code string) (status, errorCode int) {
	switch code {
	case kyc.EMISSING:
		return http.StatusBadRequest, 997
	case kyc.EUNAUTHORIZED:
		return http.StatusUnauthorized, 999
	case kyc.EINVALID:
		return http.StatusBadRequest, 1006
	case kyc.EEXISTS:
		return http.StatusConflict, 1007
	case kyc.EBADCODE:
		return http.StatusBadRequest, 1008
	case kyc.ELOGIN:
		return http.StatusUnauthorized, 1010
	case kyc.EVERIFY:
		return http.StatusUnprocessableEntity, 1012
	case kyc.ENOTFOUND:
		return http.StatusNotFound, 1015
	case kyc.EFORBIDDEN:
		return http.StatusForbidden, 1020
	case kyc.ECONFLICT:
		return http.StatusConflict, 1021
	case kyc.ETOOMANY:
		return http.StatusTooManyRequests, 1022
	case kyc.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, 1023
	case kyc.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType, 1024
	case kyc.EPRECONDITION:
		return http.StatusBadRequest, 1025
	case kyc.EGONE:
		return http.StatusGone, 1026
	case kyc.EUNAVAILABLE:
		// API.md has no code of its own for it: 1050 as for an internal error, with the
		// status telling a client that trying again later may work.
		return http.StatusServiceUnavailable, 1050
	default:
		return http.StatusInternalServerError, 1050
	}
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeOK writes a success envelope.
func writeOK(w http.ResponseWriter, status int, msg string, data any) {
	writeJSON(w, status, Envelope{ErrorCode: CodeOK, Msg: msg, Data: data})
}

// fieldData is the data of an error that names the offending input.
type fieldData struct {
	Field  string `json:"field"`
	Reason string `json:"reason,omitempty"`
}

// verifyData is the data of a 422 / 1012: why the identity check failed, machine-readable
// ("name_id_mismatch").
type verifyData struct {
	Reason string `json:"reason"`
}

// preconditionData is the data of a 400 / 1025: every precondition the account does not
// meet, by its documented name (API.md).
type preconditionData struct {
	FailCheckItems []string `json:"fail_check_items"`
}

// countKeys are the keys of a kyc.Error's Data that hold counts (a bank verification's
// remaining tries): the answer carries them as JSON numbers, as a client counts them.
// Every other value is a string (ids, reasons).
var countKeys = map[string]bool{"remaining": true}

// errorData is a kyc.Error's Data as the answer's data.
func errorData(d map[string]string) map[string]any {
	out := make(map[string]any, len(d))
	for k, v := range d {
		if n, err := strconv.Atoi(v); err == nil && countKeys[k] {
			out[k] = n
			continue
		}
		out[k] = v
	}
	return out
}

// writeError maps err to its status and envelope. Internal errors are logged with their
// detail for the operator and reach the client only as "Internal error.".
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := kyc.ErrorCode(err)
	status, apiCode := ErrorStatus(code)
	env := Envelope{ErrorCode: apiCode, Msg: kyc.ErrorMessage(err)}
	if code == kyc.EINTERNAL {
		log.ErrorContext(r.Context(), "internal error", slog.String("error", err.Error()))
	}
	var e *kyc.Error
	switch ok := asError(err, &e); {
	case ok && e.Code == kyc.EPRECONDITION:
		env.Data = preconditionData{FailCheckItems: e.FailCheckItems}
	case ok && e.Field != "":
		env.Data = fieldData{Field: e.Field, Reason: e.Reason}
	case ok && e.Data != nil:
		env.Data = errorData(e.Data)
	case ok && e.Code == kyc.EVERIFY && e.Reason != "":
		env.Data = verifyData{Reason: e.Reason}
	}
	writeJSON(w, status, env)
}
