package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
)

// healthData is GET /v1/health's data.
type healthData struct {
	Version  string       `json:"version"`
	Backends app.Backends `json:"backends"`
	Store    string       `json:"store"` // "ok" or "unreachable"
}

// health reports the version, the backend kinds and whether the store answers. An
// unreachable store is 503 so load balancers and smoke tests see it.
func (a *API) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	d := healthData{Version: a.svc.Version, Backends: a.svc.Backends, Store: "ok"}
	if err := a.svc.Store.Ping(ctx); err != nil {
		a.svc.Log.WarnContext(ctx, "health: store unreachable", "error", err.Error())
		d.Store = "unreachable"
		writeJSON(w, http.StatusServiceUnavailable, Envelope{ErrorCode: 1050, Msg: "store unreachable", Data: d})
		return nil
	}
	writeOK(w, http.StatusOK, "ok", d)
	return nil
}
