package conformance

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/kyc"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatalf("pkg/httpapi/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("pkg/httpapi/openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPIMatchesRoutes: the document has exactly the route table's operations
// (method + path, {id} syntax shared), each with operationId = the route's LogicalID,
// its path parameters declared, and bearer security unless the route is open to anyone.
// The one other scheme is the token as ?auth_token= (an apiKey in the query), which the
// API reads on GET requests only; every download (an operation answering 302) offers it,
// as API.md promises, so that a browser link works.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	type op struct {
		item *openapi3.PathItem
		op   *openapi3.Operation
	}
	ops := map[string]op{}
	var docKeys, routeKeys []string
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			k := method + " " + path
			ops[k] = op{item, o}
			docKeys = append(docKeys, k)
		}
	}
	for _, rt := range httpapi.Routes() {
		routeKeys = append(routeKeys, rt.Method+" "+rt.Path)
	}
	if d := setDiff("openapi.yaml", docKeys, "httpapi.Routes()", routeKeys); d != "" {
		t.Errorf("operations differ: %s", d)
	}
	bearer := doc.Components.SecuritySchemes["bearerAuth"]
	if bearer == nil || bearer.Value == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" {
		t.Fatal("components.securitySchemes.bearerAuth is not an http bearer scheme")
	}
	for name, s := range doc.Components.SecuritySchemes {
		if s == nil || s.Value == nil || name == "bearerAuth" {
			continue
		}
		if v := s.Value; v.Type != "apiKey" || v.In != "query" || v.Name != "auth_token" {
			t.Errorf("securitySchemes.%s is %s in %q named %q; besides bearerAuth the API reads only the token as ?auth_token= (apiKey in query)", name, v.Type, v.In, v.Name)
		}
	}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	for _, rt := range httpapi.Routes() {
		o, ok := ops[rt.Method+" "+rt.Path]
		if !ok {
			continue
		}
		if o.op.OperationID != rt.LogicalID {
			t.Errorf("%s %s: operationId = %q, want %q", rt.Method, rt.Path, o.op.OperationID, rt.LogicalID)
		}
		sec := doc.Security
		if o.op.Security != nil {
			sec = *o.op.Security
		}
		hasBearer := slices.ContainsFunc(sec, func(r openapi3.SecurityRequirement) bool { _, ok := r["bearerAuth"]; return ok })
		open := len(sec) == 0 || slices.ContainsFunc(sec, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 })
		if rt.Role == kyc.RoleAnyone && !open {
			t.Errorf("%s %s: route is open to anyone, but the document requires %v", rt.Method, rt.Path, sec)
		}
		if rt.Role != kyc.RoleAnyone && (!hasBearer || open) {
			t.Errorf("%s %s: route needs role %s, but the document does not require bearerAuth (security %v)", rt.Method, rt.Path, rt.Role, sec)
		}
		var queryToken bool
		for _, req := range sec {
			for scheme := range req {
				s := doc.Components.SecuritySchemes[scheme]
				if s == nil || s.Value == nil {
					t.Errorf("%s %s: security names %q, which components.securitySchemes does not define", rt.Method, rt.Path, scheme)
					continue
				}
				if s.Value.Type == "apiKey" && s.Value.In == "query" {
					queryToken = true
					if len(req) != 1 {
						t.Errorf("%s %s: %s is combined with other schemes in one requirement; it is an alternative to the bearer header", rt.Method, rt.Path, scheme)
					}
				}
			}
		}
		if queryToken && rt.Method != http.MethodGet {
			t.Errorf("%s %s: documents the token as ?auth_token=, which the API reads on GET requests only", rt.Method, rt.Path)
		}
		if o.op.Responses != nil && o.op.Responses.Value("302") != nil && !queryToken {
			t.Errorf("%s %s: a download (302) must also accept the token as ?auth_token= (API.md), and document it", rt.Method, rt.Path)
		}
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			p := o.op.Parameters.GetByInAndName("path", m[1])
			if p == nil {
				p = o.item.Parameters.GetByInAndName("path", m[1])
			}
			if p == nil {
				t.Errorf("%s %s: path parameter %s is not declared", rt.Method, rt.Path, m[1])
			}
		}
		if o.op.Responses == nil || o.op.Responses.Len() == 0 {
			t.Errorf("%s %s: no responses", rt.Method, rt.Path)
		}
	}
}

// TestOpenAPIEnvelope: the envelope schema has API.md's fields, and x-error-codes lists
// every (error_code, HTTP status) pair the Go code can answer with.
func TestOpenAPIEnvelope(t *testing.T) {
	doc := loadOpenAPI(t)
	env := doc.Components.Schemas["Envelope"]
	if env == nil || env.Value == nil {
		t.Fatal("components.schemas.Envelope is missing")
	}
	wantTypes := map[string]string{"error_code": "integer", "msg": "string", "totalCount": "integer", "next_cursor": "string", "data": ""}
	for name, typ := range wantTypes {
		p := env.Value.Properties[name]
		if p == nil || p.Value == nil {
			t.Errorf("Envelope has no property %s", name)
			continue
		}
		if typ != "" && !p.Value.Type.Is(typ) {
			t.Errorf("Envelope.%s is %v, want %s", name, p.Value.Type, typ)
		}
	}
	if !slices.Contains(env.Value.Required, "error_code") || !slices.Contains(env.Value.Required, "msg") {
		t.Errorf("Envelope.required = %v, want error_code and msg", env.Value.Required)
	}

	documented := errorCodes(t, doc)
	// Every domain error code maps, through the one mapping in httpapi, to a documented
	// pair; so do success and the router's own 404 and 405 envelopes.
	domain := []string{kyc.EMISSING, kyc.EINVALID, kyc.EEXISTS, kyc.EBADCODE, kyc.ELOGIN, kyc.EUNAUTHORIZED,
		kyc.EVERIFY, kyc.ENOTFOUND, kyc.EFORBIDDEN, kyc.ECONFLICT, kyc.ETOOMANY, kyc.ETOOLARGE, kyc.EUNSUPPORTED, kyc.EUNAVAILABLE, kyc.EINTERNAL}
	for _, code := range domain {
		status, apiCode := httpapi.ErrorStatus(code)
		if !documented[[2]int{apiCode, status}] {
			t.Errorf("domain code %q answers error_code %d with HTTP %d, which x-error-codes does not document", code, apiCode, status)
		}
	}
	for _, pair := range [][2]int{{httpapi.CodeOK, 200}, {1015, 404}, {1006, 405}} {
		if !documented[pair] {
			t.Errorf("x-error-codes does not document error_code %d with HTTP %d", pair[0], pair[1])
		}
	}
}

// errorCodes reads components.x-error-codes into the set of documented
// (error_code, HTTP status) pairs.
func errorCodes(t *testing.T, doc *openapi3.T) map[[2]int]bool {
	t.Helper()
	raw, ok := doc.Components.Extensions["x-error-codes"]
	if !ok {
		t.Fatal("components has no x-error-codes")
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var codes []struct {
		Code    int    `json:"code"`
		HTTP    int    `json:"http"`
		Meaning string `json:"meaning"`
	}
	if err := json.Unmarshal(b, &codes); err != nil {
		t.Fatalf("x-error-codes is not a list of {code, http, meaning}: %v", err)
	}
	documented := map[[2]int]bool{}
	for _, c := range codes {
		if c.Code == 0 || c.HTTP < 100 || c.HTTP > 599 || c.Meaning == "" {
			t.Errorf("x-error-codes entry %+v is incomplete", c)
		}
		documented[[2]int{c.Code, c.HTTP}] = true
	}
	return documented
}

// bodyTypes are the media types every request body accepts (httpapi's readFields).
var bodyTypes = []string{"application/json", "application/x-www-form-urlencoded"}

// TestOpenAPIRequestsAndResponses: each request body is offered as JSON and as a
// url-encoded form with the same schema, which names its required fields, and optionally
// as multipart/form-data (the seed apps' file uploads) with the same fields, files as
// binary; an operation with a body documents 400 (997/1006) and 413 (1023), one with a
// multipart body also 415 (1024); one that needs a session documents 401, and one that
// needs more than a user 403; every response status is one that some documented
// error_code comes with, except a GET's 302 (a download), which has a Location header
// and no body; and every example envelope's (error_code, status) pair is documented in
// x-error-codes.
func TestOpenAPIRequestsAndResponses(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := errorCodes(t, doc)
	statuses := map[int]bool{}
	for pair := range documented {
		statuses[pair[1]] = true
	}
	for _, rt := range httpapi.Routes() {
		item := doc.Paths.Find(rt.Path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			continue // reported by TestOpenAPIMatchesRoutes
		}
		op := item.GetOperation(rt.Method)
		name := rt.Method + " " + rt.Path
		responses := op.Responses.Map()
		if rb := op.RequestBody; rb != nil && rb.Value != nil {
			var schemaRef string
			var schema *openapi3.Schema
			for i, mt := range bodyTypes {
				m := rb.Value.Content.Get(mt)
				if m == nil || m.Schema == nil || m.Schema.Value == nil {
					t.Errorf("%s: the request body has no %s schema", name, mt)
					continue
				}
				if i == 0 {
					schemaRef, schema = m.Schema.Ref, m.Schema.Value
				} else if m.Schema.Ref != schemaRef || m.Schema.Value != schema {
					t.Errorf("%s: the %s schema (%q) is not the %s one (%q): both are read the same way", name, mt, m.Schema.Ref, bodyTypes[0], schemaRef)
				}
			}
			if schema != nil {
				if len(schema.Required) == 0 {
					t.Errorf("%s: the request body schema names no required field", name)
				}
				for _, f := range schema.Required {
					if schema.Properties[f] == nil {
						t.Errorf("%s: required field %s is not a property of the body schema", name, f)
					}
				}
			}
			for _, st := range []string{"400", "413"} {
				if responses[st] == nil {
					t.Errorf("%s: reads a body but documents no %s response", name, st)
				}
			}
			for mt := range rb.Value.Content {
				if !slices.Contains(bodyTypes, mt) && mt != multipartType {
					t.Errorf("%s: the request body is offered as %s, which the handlers do not read", name, mt)
				}
			}
			if m := rb.Value.Content.Get(multipartType); m != nil {
				checkMultipartBody(t, name, m, schema)
				if responses["415"] == nil {
					t.Errorf("%s: takes files but documents no 415 response (a format the slot does not take)", name)
				}
			}
		}
		if rt.Role != kyc.RoleAnyone && responses["401"] == nil {
			t.Errorf("%s: needs a session but documents no 401 response", name)
		}
		if rt.Role != kyc.RoleAnyone && rt.Role != kyc.RoleUser && responses["403"] == nil {
			t.Errorf("%s: needs role %s but documents no 403 response", name, rt.Role)
		}
		for st, resp := range responses {
			if st == "default" {
				continue
			}
			status, err := strconv.Atoi(st)
			if err != nil {
				t.Errorf("%s: response %q is not a status code", name, st)
				continue
			}
			if status == http.StatusFound {
				checkRedirectDoc(t, name, rt.Method, resp)
				continue
			}
			if !statuses[status] {
				t.Errorf("%s: documents status %d, which no x-error-codes entry comes with", name, status)
			}
			if resp.Value == nil {
				continue
			}
			for mt, m := range resp.Value.Content {
				examples := []any{m.Example}
				for _, ex := range m.Examples {
					if ex != nil && ex.Value != nil {
						examples = append(examples, ex.Value.Value)
					}
				}
				for _, ex := range examples {
					env, ok := ex.(map[string]any)
					if !ok {
						continue
					}
					code, ok := env["error_code"].(float64)
					if !ok {
						if c, isInt := env["error_code"].(int); isInt {
							code, ok = float64(c), true
						}
					}
					if !ok {
						t.Errorf("%s: %d %s example has no numeric error_code: %v", name, status, mt, ex)
						continue
					}
					if !documented[[2]int{int(code), status}] {
						t.Errorf("%s: %d %s example has error_code %v, which x-error-codes does not document with HTTP %d", name, status, mt, code, status)
					}
				}
			}
		}
	}
}

const multipartType = "multipart/form-data"

// checkMultipartBody checks a multipart request body against the JSON one (keyed):
// the same properties and required fields, at least one file (string, format binary),
// and each file's counterpart in the JSON body a string (its upload key).
func checkMultipartBody(t *testing.T, name string, m *openapi3.MediaType, keyed *openapi3.Schema) {
	t.Helper()
	if m.Schema == nil || m.Schema.Value == nil {
		t.Errorf("%s: the %s body has no schema", name, multipartType)
		return
	}
	form := m.Schema.Value
	var files []string
	for p, ref := range form.Properties {
		if ref.Value != nil && ref.Value.Type.Is("string") && ref.Value.Format == "binary" {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		t.Errorf("%s: the %s body has no file (type string, format binary)", name, multipartType)
	}
	if keyed == nil {
		return
	}
	if d := setDiff(multipartType+" required", form.Required, "JSON required", keyed.Required); d != "" {
		t.Errorf("%s: the two bodies require different fields: %s", name, d)
	}
	props := func(s *openapi3.Schema) []string {
		var names []string
		for p := range s.Properties {
			names = append(names, p)
		}
		sort.Strings(names)
		return names
	}
	if d := setDiff(multipartType, props(form), "JSON", props(keyed)); d != "" {
		t.Errorf("%s: the two bodies have different fields: %s", name, d)
	}
	for _, f := range files {
		if k := keyed.Properties[f]; k != nil && (k.Value == nil || !k.Value.Type.Is("string")) {
			t.Errorf("%s: file %s is not a string (an upload key) in the JSON body", name, f)
		}
	}
	for f := range m.Encoding {
		if !slices.Contains(files, f) {
			t.Errorf("%s: the %s encoding names %s, which is not a file of the body", name, multipartType, f)
		}
	}
}

// checkRedirectDoc checks a documented 302: only on GET (the downloads), with a required
// Location header and no body.
func checkRedirectDoc(t *testing.T, name, method string, resp *openapi3.ResponseRef) {
	t.Helper()
	if method != http.MethodGet {
		t.Errorf("%s: documents a 302; only downloads (GET) redirect", name)
	}
	if resp.Value == nil {
		return
	}
	loc := resp.Value.Headers["Location"]
	if loc == nil || loc.Value == nil || !loc.Value.Required {
		t.Errorf("%s: the 302 response does not declare a required Location header", name)
	}
	if len(resp.Value.Content) != 0 {
		t.Errorf("%s: the 302 response declares a body; a redirect to a presigned URL has none", name)
	}
}
