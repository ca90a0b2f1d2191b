// Package httpapi serves the REST API: the one route table, the response envelope, the
// one mapping from domain errors to HTTP status and error_code, the auth middleware, and
// the handlers. The route table is data (name, logical id, method, path, role, and the
// adapters the route uses); each route has a constructor (functions.go) that builds only
// its own services from the adapters in its app.Env, and functions/<name>/main.go starts
// that constructor with the providers of exactly those adapters, so a function binary
// links its own route and its own SDK clients only. Mux serves every route through the
// same constructors, each with only its function's adapters, for the local runner and
// tests.
package httpapi
