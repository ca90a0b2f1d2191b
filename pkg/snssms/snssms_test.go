package snssms_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/realname-kyc/realname/pkg/emulators"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/snssms"
)

// fauxqs is the SNS client for the fauxqs that TestMain starts once for the binary.
var fauxqs *sns.Client

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run exists so the deferred Stop happens before os.Exit. A missing or broken fauxqs
// fails the tests: the SNS code must not pass untested.
func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	proc, err := emulators.StartFauxqs(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "snssms tests need fauxqs: %v\n", err)
		return 1
	}
	defer proc.Stop()
	fauxqs, err = snssms.NewEndpointClient(ctx, snssms.Endpoint{URL: proc.Endpoint})
	if err != nil {
		fmt.Fprintf(os.Stderr, "snssms tests: %v\n", err)
		return 1
	}
	return m.Run()
}

const (
	phone = "13800138000"
	e164  = "+8613800138000"
	code  = "482913"
)

// assertNoPII fails if err's message, or that of anything it unwraps to, holds the phone
// number or the code.
func assertNoPII(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	var walk func(e error)
	walk = func(e error) {
		for _, s := range secrets {
			if strings.Contains(e.Error(), s) {
				t.Errorf("error %T %q contains %q", e, e.Error(), s)
			}
		}
		var api smithy.APIError
		if errors.As(e, &api) && strings.Contains(api.ErrorMessage(), phone) {
			t.Errorf("API error message %q contains the phone", api.ErrorMessage())
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				walk(next)
			}
		case interface{ Unwrap() []error }:
			for _, next := range u.Unwrap() {
				walk(next)
			}
		}
	}
	walk(err)
}

// The endpoint helper makes a client that fauxqs accepts (signing, BaseEndpoint, and the
// BuildableClient that AWS_CA_BUNDLE needs): a topic publish round-trips with an ID.
func TestEndpointClientTalksToFauxqs(t *testing.T) {
	ctx := t.Context()
	topic, err := fauxqs.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("snssms-client-check")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	out, err := fauxqs.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("ping")})
	if err != nil {
		t.Fatalf("Publish to topic: %v", err)
	}
	if aws.ToString(out.MessageId) == "" {
		t.Fatal("Publish to topic returned no MessageId")
	}
}

// fauxqs 2.4.1 does not emulate SMS ("Platform application, SMS, and phone number actions
// are not supported", its README; dist/sns/actions/publish.js requires TopicArn). It
// still is a real SNS-protocol server: the Sender's Publish reaches it as a Publish
// action, and its refusal comes back as a typed API error whose text holds no PII.
// If a later fauxqs accepts SMS, this test fails: then assert the accepted message here.
func TestFauxqsRefusesSMSPublishWithoutPII(t *testing.T) {
	s := snssms.New(fauxqs, snssms.Options{SenderID: "realname"})
	err := s.Send(t.Context(), phone, kyc.PurposeRegister, code)
	assertNoPII(t, err, phone, e164, code)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameter" {
		t.Fatalf("Send on fauxqs = %v; want fauxqs' InvalidParameter (no SMS support) as a smithy.APIError", err)
	}
	if !strings.Contains(api.ErrorMessage(), "TopicArn") {
		t.Fatalf("fauxqs refused for another reason than missing SMS support: %v", err)
	}
}

// publishRequest is one request the recorder saw, decoded from the SNS query protocol.
type publishRequest struct {
	form          url.Values
	authorization string
}

// recorder is a loopback stand-in for the SNS Publish endpoint that keeps each request
// and answers with the SNS XML a real Publish gets (the shape fauxqs and AWS use). It
// checks what this package sends; it says nothing about what AWS accepts.
type recorder struct {
	srv *httptest.Server

	mu   sync.Mutex
	reqs []publishRequest
	fail func(w http.ResponseWriter) bool // answers instead of succeeding, if set and true
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, publishRequest{form: form, authorization: req.Header.Get("Authorization")})
		n := len(r.reqs)
		fail := r.fail
		r.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		if fail != nil && fail(w) {
			return
		}
		fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>msg-%d</MessageId></PublishResult>
  <ResponseMetadata><RequestId>req-%d</RequestId></ResponseMetadata>
</PublishResponse>`, n, n)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) client(t *testing.T) *sns.Client {
	c, err := snssms.NewEndpointClient(t.Context(), snssms.Endpoint{URL: r.srv.URL, Region: "ap-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *recorder) requests() []publishRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]publishRequest(nil), r.reqs...)
}

// attributes decodes MessageAttributes.entry.N.* into name -> "DataType=StringValue".
func attributes(form url.Values) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		p := "MessageAttributes.entry." + strconv.Itoa(i) + "."
		name := form.Get(p + "Name")
		if name == "" {
			return out
		}
		out[name] = form.Get(p+"Value.DataType") + "=" + form.Get(p+"Value.StringValue")
	}
}

// What goes over the wire: a direct SMS Publish to the E.164 number (no topic), a
// Transactional SMS type, the sender ID only when configured, and a bilingual text
// holding the code and naming the purpose; signed with SigV4 for SNS.
func TestPublishRequest(t *testing.T) {
	for _, tc := range []struct {
		purpose, senderID string
		words             []string
	}{
		{kyc.PurposeRegister, "", []string{"【realname】", "注册验证码", "5分钟", "sign-up code is " + code, "5 minutes"}},
		{kyc.PurposeResetPassword, "realname", []string{"【realname】", "重置密码验证码", "5分钟", "password reset code is " + code, "5 minutes"}},
	} {
		t.Run(tc.purpose, func(t *testing.T) {
			rec := newRecorder(t)
			s := snssms.New(rec.client(t), snssms.Options{SenderID: tc.senderID})
			id, err := s.Publish(t.Context(), phone, tc.purpose, code)
			if err != nil {
				t.Fatal(err)
			}
			if id != "msg-1" {
				t.Errorf("message ID = %q, want msg-1 from the response", id)
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			f := reqs[0].form
			if f.Get("Action") != "Publish" || f.Get("PhoneNumber") != e164 {
				t.Errorf("Action=%q PhoneNumber=%q; want Publish to %s", f.Get("Action"), f.Get("PhoneNumber"), e164)
			}
			if f.Has("TopicArn") || f.Has("TargetArn") {
				t.Errorf("request names a topic or target: %v", f)
			}
			msg := f.Get("Message")
			if msg != snssms.DefaultMessage(tc.purpose, code) {
				t.Errorf("Message = %q, want DefaultMessage", msg)
			}
			for _, w := range tc.words {
				if !strings.Contains(msg, w) {
					t.Errorf("Message %q lacks %q", msg, w)
				}
			}
			want := map[string]string{"AWS.SNS.SMS.SMSType": "String=Transactional"}
			if tc.senderID != "" {
				want["AWS.SNS.SMS.SenderID"] = "String=" + tc.senderID
			}
			if got := attributes(f); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("MessageAttributes = %v, want %v", got, want)
			}
			if a := reqs[0].authorization; !strings.HasPrefix(a, "AWS4-HMAC-SHA256 ") || !strings.Contains(a, "/ap-east-1/sns/aws4_request") {
				t.Errorf("Authorization = %q, want SigV4 for sns in ap-east-1", a)
			}
		})
	}
}

// The two purposes must read differently: a reset code someone else asked for has to be
// recognisable as such.
func TestDefaultMessageDiffersByPurpose(t *testing.T) {
	reg, reset := snssms.DefaultMessage(kyc.PurposeRegister, code), snssms.DefaultMessage(kyc.PurposeResetPassword, code)
	if reg == reset {
		t.Fatal("register and reset_password texts are the same")
	}
	for _, m := range []string{reg, reset} {
		if strings.Count(m, code) != 2 {
			t.Errorf("%q should carry the code once in Chinese and once in English", m)
		}
		// Two UCS-2 segments of 67 characters: a longer text is billed as three SMS.
		if n := utf8.RuneCountInString(m); n > 134 {
			t.Errorf("%q has %d characters, over the 134 of two SMS segments", m, n)
		}
	}
}

func TestCustomMessage(t *testing.T) {
	rec := newRecorder(t)
	s := snssms.New(rec.client(t), snssms.Options{Message: func(purpose, c string) string { return purpose + ":" + c }})
	if err := s.Send(t.Context(), phone, kyc.PurposeResetPassword, code); err != nil {
		t.Fatal(err)
	}
	if got := rec.requests()[0].form.Get("Message"); got != "reset_password:"+code {
		t.Fatalf("Message = %q, want the custom text", got)
	}

	long := snssms.New(rec.client(t), snssms.Options{Message: func(_, c string) string { return strings.Repeat("验", 1600) + c }})
	err := long.Send(t.Context(), phone, kyc.PurposeRegister, code)
	assertNoPII(t, err, phone, code)
	if n := len(rec.requests()); n != 1 {
		t.Fatalf("a text over SNS's 1,600 characters was sent (%d requests)", n)
	}
}

// Bad input is refused before any request, as EINVALID naming the field, never its value.
func TestRefusesBadInputWithoutPII(t *testing.T) {
	rec := newRecorder(t)
	s := snssms.New(rec.client(t), snssms.Options{})
	for _, tc := range []struct{ phone, purpose, code, field string }{
		{"1380013800", kyc.PurposeRegister, code, "phone"},        // 10 digits
		{"138001380001", kyc.PurposeRegister, code, "phone"},      // 12 digits
		{"+8613800138000", kyc.PurposeRegister, code, "phone"},    // already prefixed
		{"23800138000", kyc.PurposeRegister, code, "phone"},       // not a mobile number
		{"1380013800x", kyc.PurposeRegister, code, "phone"},       // not digits
		{phone, "login", code, "purpose"},                         // unknown purpose
		{phone, kyc.PurposeRegister, "", "code"},                  // empty
		{phone, kyc.PurposeRegister, "12a456", "code"},            // not digits
		{phone, kyc.PurposeRegister, "12345678901", "code"},       // too long
		{phone, kyc.PurposeRegister, "123", "code"},               // too short
		{phone + "\n", kyc.PurposeResetPassword, code, "phone"},   // trailing junk
		{phone, kyc.PurposeResetPassword, code + "\n", "code"},    // trailing junk
		{"", kyc.PurposeResetPassword, code, "phone"},             // empty
		{phone, kyc.PurposeResetPassword, " " + code[1:], "code"}, // space
	} {
		err := s.Send(t.Context(), tc.phone, tc.purpose, tc.code)
		var ke *kyc.Error
		if !errors.As(err, &ke) || ke.Code != kyc.EINVALID || ke.Field != tc.field {
			t.Errorf("Send(%q, %q, %q) = %v; want EINVALID on %s", tc.phone, tc.purpose, tc.code, err, tc.field)
			continue
		}
		secrets := []string{}
		for _, v := range []string{tc.phone, tc.code} {
			if len(strings.TrimSpace(v)) >= 4 {
				secrets = append(secrets, strings.TrimSpace(v))
			}
		}
		assertNoPII(t, err, secrets...)
	}
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("bad input made %d requests", n)
	}
}

func TestSenderIDValidation(t *testing.T) {
	for _, id := range []string{"realname", "RN1", "a"} {
		if err := (snssms.Options{SenderID: id}).Validate(); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", id, err)
		}
	}
	rec := newRecorder(t)
	for _, id := range []string{"realname-kyc", "123456", "real name", "abcdefghijkl", "实名"} {
		if err := (snssms.Options{SenderID: id}).Validate(); err == nil {
			t.Errorf("Validate(%q) = nil, want an error", id)
		}
		if err := snssms.New(rec.client(t), snssms.Options{SenderID: id}).Send(t.Context(), phone, kyc.PurposeRegister, code); err == nil {
			t.Errorf("Send with sender ID %q = nil, want the option error", id)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("bad options made %d requests", n)
	}
}

// Real SNS echoes the phone number in some InvalidParameter messages ("Invalid
// parameter: PhoneNumber Reason: +86... is not valid to publish to"). The error we return
// must not, yet still tell callers the API error code.
func TestAPIErrorRedacted(t *testing.T) {
	rec := newRecorder(t)
	rec.fail = func(w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: %s is not valid to publish to (code %s)</Message></Error>
  <RequestId>req-err</RequestId>
</ErrorResponse>`, e164, code)
		return true
	}
	_, err := snssms.New(rec.client(t), snssms.Options{}).Publish(t.Context(), phone, kyc.PurposeRegister, code)
	assertNoPII(t, err, phone, e164, code)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameter" || api.ErrorFault() != smithy.FaultClient {
		t.Fatalf("err = %v; want a client-fault InvalidParameter smithy.APIError", err)
	}
	if !strings.Contains(err.Error(), "register") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("err = %q; want the purpose and the redaction marker for context", err)
	}
}

// A success without a MessageId is not proof of acceptance.
func TestMissingMessageID(t *testing.T) {
	rec := newRecorder(t)
	rec.fail = func(w http.ResponseWriter) bool {
		fmt.Fprint(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult></PublishResult></PublishResponse>`)
		return true
	}
	if err := snssms.New(rec.client(t), snssms.Options{}).Send(t.Context(), phone, kyc.PurposeRegister, code); err == nil {
		t.Fatal("Send accepted a response without a MessageId")
	}
}

// Nothing listens on the port: the transport error names the endpoint but neither the
// phone nor the code.
func TestClosedPortErrorHasNoPII(t *testing.T) {
	port, err := emulators.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := snssms.NewEndpointClient(t.Context(), snssms.Endpoint{URL: "http://127.0.0.1:" + strconv.Itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	// One attempt: the SDK's retries (4.5 s of back-off here) only wrap the same
	// transport error once more.
	c = sns.New(c.Options(), func(o *sns.Options) { o.RetryMaxAttempts = 1 })
	err = snssms.New(c, snssms.Options{SenderID: "realname"}).Send(t.Context(), phone, kyc.PurposeResetPassword, code)
	assertNoPII(t, err, phone, e164, code)
	if !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("err = %q; want the endpoint for context", err)
	}
}

func TestCanceledContext(t *testing.T) {
	rec := newRecorder(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := snssms.New(rec.client(t), snssms.Options{}).Send(ctx, phone, kyc.PurposeRegister, code)
	assertNoPII(t, err, phone, e164, code)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled in the chain", err)
	}
}
