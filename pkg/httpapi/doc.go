// Package httpapi serves the REST API: the one route table, the response envelope, the
// one mapping from domain errors to HTTP status and error_code, the auth middleware, and
// the handlers. The route table is data (name, logical id, method, path, role); each route
// has a constructor (functions.go) that asks app.Env for the adapters it uses and builds
// only its own services, and functions/<name>/main.go starts that constructor, so a
// function binary links its own route only. Mux serves every route through the same
// constructors for the local runner and tests.
package httpapi
