package httpapi

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3 document of the whole API (openapi.yaml), so that a
// route or a tool can serve it without reading the repository at run time. pkg/conformance
// checks it against the route table. The caller gets its own copy.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
