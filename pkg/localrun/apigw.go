package localrun

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/httpapi"
	"github.com/realname-kyc/realname/pkg/lambdafn"
)

// Stage is the API Gateway stage name the runner reports in events.
const Stage = "local"

// maxPayload is API Gateway's 10 MB request payload limit.
const maxPayload = 10 << 20

// BinaryMediaTypes are the types template.yaml lists, which API Gateway hands to the
// function base64-encoded.
// The CRL (GET /v1/ca/crl) is DER: API Gateway passes it through only as a binary type,
// and only to a client whose Accept header names it.
func BinaryMediaTypes() []string {
	return []string{"multipart/form-data", "image/*", "application/pkix-crl"}
}

// APIGateway serves every route of the route table the way API Gateway's REST proxy
// integration does: it turns each request into an APIGatewayProxyRequest, invokes the
// route's function handler with it as JSON, and writes the proxy response back.
func APIGateway(handlers map[string]lambda.Handler, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	for _, f := range lambdafn.Functions() {
		if f.Kind != lambdafn.KindAPI {
			continue
		}
		h := handlers[f.LogicalID]
		rt := f.Route
		mux.HandleFunc(rt.Pattern(), func(w http.ResponseWriter, r *http.Request) {
			serveProxy(w, r, rt, f.LogicalID, h, log)
		})
	}
	return httpapi.NotFoundEnvelope(mux)
}

func serveProxy(w http.ResponseWriter, r *http.Request, rt httpapi.Route, logicalID string, h lambda.Handler, log *slog.Logger) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		writeGatewayError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	if len(body) > maxPayload {
		writeGatewayError(w, http.StatusRequestEntityTooLarge, "request payload larger than 10 MB")
		return
	}
	ev := ProxyEvent(r, rt, body)
	payload, err := json.Marshal(ev)
	if err != nil {
		writeGatewayError(w, http.StatusInternalServerError, "could not encode the event")
		return
	}
	ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{
		AwsRequestID:       newRequestID(),
		InvokedFunctionArn: FunctionARN(logicalID),
	})
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		// What API Gateway answers when the integration fails.
		log.ErrorContext(ctx, "function error", slog.String("function", logicalID), slog.String("error", err.Error()))
		writeGatewayError(w, http.StatusBadGateway, "Internal server error")
		return
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode < 100 || resp.StatusCode > 599 {
		writeGatewayError(w, http.StatusBadGateway, "Malformed Lambda proxy response")
		return
	}
	WriteProxyResponse(w, resp)
}

var pathParam = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// ProxyEvent builds the REST API (v1) proxy event API Gateway would send for r.
func ProxyEvent(r *http.Request, rt httpapi.Route, body []byte) events.APIGatewayProxyRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
	}
	if r.Host != "" {
		headers["Host"] = r.Host
	}
	query := map[string]string{}
	mquery := map[string][]string{}
	for k, vs := range r.URL.Query() {
		query[k] = vs[len(vs)-1]
		mquery[k] = vs
	}
	var params map[string]string
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		if params == nil {
			params = map[string]string{}
		}
		params[m[1]] = r.PathValue(m[1])
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	now := time.Now()
	ev := events.APIGatewayProxyRequest{
		Resource:                        rt.Path,
		Path:                            r.URL.Path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               map[string][]string(r.Header.Clone()),
		QueryStringParameters:           nilIfEmpty(query),
		MultiValueQueryStringParameters: nilIfEmptyMulti(mquery),
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:        "000000000000",
			ResourceID:       "local",
			Stage:            Stage,
			RequestID:        newRequestID(),
			ResourcePath:     rt.Path,
			Path:             "/" + Stage + r.URL.Path,
			HTTPMethod:       r.Method,
			APIID:            "local",
			Protocol:         r.Proto,
			DomainName:       r.Host,
			RequestTime:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: now.UnixMilli(),
			Identity:         events.APIGatewayRequestIdentity{SourceIP: ip, UserAgent: r.UserAgent()},
		},
	}
	if r.Host != "" {
		ev.MultiValueHeaders["Host"] = []string{r.Host}
	}
	if isBinary(r.Header.Get("Content-Type")) {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	} else {
		ev.Body = string(body)
	}
	return ev
}

// isBinary reports whether API Gateway would base64-encode a body of this type.
func isBinary(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	for _, b := range BinaryMediaTypes() {
		if prefix, ok := strings.CutSuffix(b, "*"); (ok && strings.HasPrefix(mt, prefix)) || mt == b {
			return true
		}
	}
	return false
}

// WriteProxyResponse writes a Lambda proxy response as API Gateway does.
func WriteProxyResponse(w http.ResponseWriter, resp events.APIGatewayProxyResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		w.Header().Del(k)
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func writeGatewayError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", "InternalServerErrorException")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// FunctionARN is the ARN the runner reports for a function.
func FunctionARN(logicalID string) string {
	return fmt.Sprintf("arn:aws:lambda:us-east-1:000000000000:function:%s", logicalID)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmptyMulti(m map[string][]string) map[string][]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
