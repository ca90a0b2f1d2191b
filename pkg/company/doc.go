// Package company holds the rules of a company's real-name profile (seed 001) and of an
// approved personal account's change into a company (seed 002), as API.md "Enterprise"
// and DOMAIN.md describe them: which fields and documents are required for which kind of
// organization, how each identifier is validated, what a modification or re-application
// may change, and which preconditions an enterprise change must meet.
//
// It is pure domain, like pkg/kyc: no I/O, no store, no HTTP. Routes parse the request
// into the maps and structs here, call these functions, and write what they return; the
// errors are *kyc.Error values naming the field, so the one error mapping of pkg/httpapi
// answers 997, 1006 or 1021 without knowing about companies.
package company
