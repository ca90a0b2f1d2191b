// Package httpapi serves the REST API: the one route table, the response envelope, the
// one mapping from domain errors to HTTP status and error_code, the auth middleware, and
// the handlers. Each Lambda function serves one route of the table; the local runner
// serves them all the way API Gateway would.
package httpapi
