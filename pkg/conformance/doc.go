// Package conformance holds the tests that keep the project's parallel descriptions of
// the same system in step: the Go route and function tables (pkg/httpapi, pkg/lambdafn),
// template.yaml and samconfig.toml, the Makefile's FUNCTIONS list, the functions/ folders,
// the OpenAPI document, the sample events under events/, the local runner, and the real
// Lambda binaries run against a Lambda Runtime API stand-in. Each test fails on drift
// instead of letting one description quietly go stale.
//
// The package has no code besides this comment; everything is in _test.go files.
package conformance
