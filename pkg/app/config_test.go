package app_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// env returns a getenv over a minimal valid environment with the given overrides; an
// override of "" unsets the variable.
func env(overrides map[string]string) func(string) string {
	m := map[string]string{
		"TABLE_NAME":       "realname",
		"DOCS_BUCKET":      "realname-docs",
		"REVIEW_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/review",
	}
	for k, v := range overrides {
		m[k] = v
	}
	return func(name string) string { return m[name] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := app.LoadConfig(env(nil))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := app.Config{
		Version:     "dev",
		Region:      "us-east-1",
		TableName:   "realname",
		Bucket:      "realname-docs",
		QueueURL:    "https://sqs.us-east-1.amazonaws.com/000000000000/review",
		TokenTTL:    168 * time.Hour,
		MaxAttempts: 5,
		LogLevel:    "info",

		UploadGrantsPerHour: 20,

		ReconcileAfter: 2 * time.Minute,

		VerifyPolicy:     app.PolicyDocuments,
		IdentityProvider: app.IdentitySandbox,
		CASubject:        "Realname Platform CA",
		PayoutProvider:   app.PayoutSandbox,
	}
	if c != want {
		t.Errorf("LoadConfig = %+v\nwant        %+v", c, want)
	}
}

// Every documented default must itself pass validation, or an unset variable would
// break a deployment.
func TestVarsDefaultsAreValid(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range app.Vars() {
		if seen[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Meaning == "" {
			t.Errorf("%s has no meaning", v.Name)
		}
		if v.Required && v.Default != "" {
			t.Errorf("%s is required but has default %q", v.Name, v.Default)
		}
	}
	for _, name := range []string{"TABLE_NAME", "DOCS_BUCKET", "REVIEW_QUEUE_URL", "AWS_REGION", "DYNAMODB_ENDPOINT", "S3_ENDPOINT", "SQS_ENDPOINT", "TOKEN_TTL", "MAX_ATTEMPTS", "LOG_LEVEL", "APP_VERSION"} {
		if !seen[name] {
			t.Errorf("Vars() does not list %s", name)
		}
	}
}

func TestLoadConfigAllSet(t *testing.T) {
	c, err := app.LoadConfig(env(map[string]string{
		"APP_VERSION":            "v1.2.3",
		"AWS_REGION":             " eu-west-1 ",
		"DYNAMODB_ENDPOINT":      "http://127.0.0.1:8000",
		"S3_ENDPOINT":            "http://127.0.0.1:7070",
		"SQS_ENDPOINT":           "https://127.0.0.1:4566",
		"REVIEW_QUEUE_URL":       "http://127.0.0.1:4566/000000000000/review",
		"TOKEN_TTL":              "1m",
		"MAX_ATTEMPTS":           "100",
		"UPLOAD_GRANTS_PER_HOUR": "500",
		"LOG_LEVEL":              "debug",
		"RECONCILE_AFTER":        "24h",
		"SNS_ENDPOINT":           "http://127.0.0.1:4566",
		"SMS_SENDER_ID":          "realname",
		"KEY_HASH_SECRET":        " " + strings.Repeat("0f", 32) + " ",
		"VERIFY_POLICY":          "factors",
		"IDENTITY_PROVIDER":      "http",
		"IDENTITY_URL":           "https://identity.example.com",
		"IDENTITY_KEY":           "key-1",
		"IDENTITY_SECRET":        "not-a-real-secret",
		"BANK_VERIFY_SECRET":     strings.Repeat("1e", 32),
		"PAYOUT_PROVIDER":        "http",
		"PAYOUT_URL":             "https://pay.example.com",
		"PAYOUT_KEY":             "pay-key",
		"PAYOUT_SECRET":          "not-a-real-payout-secret",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := app.Config{
		Version:             "v1.2.3",
		Region:              "eu-west-1",
		TableName:           "realname",
		DynamoEndpoint:      "http://127.0.0.1:8000",
		Bucket:              "realname-docs",
		S3Endpoint:          "http://127.0.0.1:7070",
		QueueURL:            "http://127.0.0.1:4566/000000000000/review",
		SQSEndpoint:         "https://127.0.0.1:4566",
		TokenTTL:            time.Minute,
		MaxAttempts:         100,
		UploadGrantsPerHour: 500,
		LogLevel:            "debug",
		ReconcileAfter:      24 * time.Hour,
		SNSEndpoint:         "http://127.0.0.1:4566",
		SMSSenderID:         "realname",
		KeyHashSecret:       strings.Repeat("\x0f", 32),
		VerifyPolicy:        app.PolicyFactors,
		CASubject:           "Realname Platform CA",
		IdentityProvider:    app.IdentityHTTP,
		IdentityURL:         "https://identity.example.com",
		IdentityKey:         "key-1",
		IdentitySecret:      "not-a-real-secret",
		BankVerifySecret:    strings.Repeat("\x1e", 32),
		PayoutProvider:      app.PayoutHTTP,
		PayoutURL:           "https://pay.example.com",
		PayoutKey:           "pay-key",
		PayoutSecret:        "not-a-real-payout-secret",
	}
	if c != want {
		t.Errorf("LoadConfig = %+v\nwant        %+v", c, want)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"TABLE_NAME missing", map[string]string{"TABLE_NAME": ""}, "TABLE_NAME"},
		{"TABLE_NAME blank", map[string]string{"TABLE_NAME": "  "}, "TABLE_NAME"},
		{"DOCS_BUCKET missing", map[string]string{"DOCS_BUCKET": ""}, "DOCS_BUCKET"},
		{"REVIEW_QUEUE_URL missing", map[string]string{"REVIEW_QUEUE_URL": ""}, "REVIEW_QUEUE_URL"},
		{"REVIEW_QUEUE_URL not a URL", map[string]string{"REVIEW_QUEUE_URL": "review-queue"}, "REVIEW_QUEUE_URL"},
		{"DYNAMODB_ENDPOINT no scheme", map[string]string{"DYNAMODB_ENDPOINT": "127.0.0.1:8000"}, "DYNAMODB_ENDPOINT"},
		{"DYNAMODB_ENDPOINT unparsable", map[string]string{"DYNAMODB_ENDPOINT": "http://[::1"}, "DYNAMODB_ENDPOINT"},
		{"S3_ENDPOINT wrong scheme", map[string]string{"S3_ENDPOINT": "ftp://127.0.0.1:7070"}, "S3_ENDPOINT"},
		{"S3_ENDPOINT no host", map[string]string{"S3_ENDPOINT": "http://"}, "S3_ENDPOINT"},
		{"SQS_ENDPOINT relative", map[string]string{"SQS_ENDPOINT": "/queue"}, "SQS_ENDPOINT"},
		{"TOKEN_TTL not a duration", map[string]string{"TOKEN_TTL": "week"}, "TOKEN_TTL"},
		{"TOKEN_TTL no unit", map[string]string{"TOKEN_TTL": "3600"}, "TOKEN_TTL"},
		{"TOKEN_TTL below 1m", map[string]string{"TOKEN_TTL": "59s"}, "TOKEN_TTL"},
		{"TOKEN_TTL above 8760h", map[string]string{"TOKEN_TTL": "8760h1s"}, "TOKEN_TTL"},
		{"TOKEN_TTL negative", map[string]string{"TOKEN_TTL": "-1h"}, "TOKEN_TTL"},
		{"MAX_ATTEMPTS zero", map[string]string{"MAX_ATTEMPTS": "0"}, "MAX_ATTEMPTS"},
		{"MAX_ATTEMPTS above 100", map[string]string{"MAX_ATTEMPTS": "101"}, "MAX_ATTEMPTS"},
		{"MAX_ATTEMPTS negative", map[string]string{"MAX_ATTEMPTS": "-3"}, "MAX_ATTEMPTS"},
		{"MAX_ATTEMPTS not a number", map[string]string{"MAX_ATTEMPTS": "five"}, "MAX_ATTEMPTS"},
		{"MAX_ATTEMPTS fraction", map[string]string{"MAX_ATTEMPTS": "2.5"}, "MAX_ATTEMPTS"},
		{"UPLOAD_GRANTS_PER_HOUR zero", map[string]string{"UPLOAD_GRANTS_PER_HOUR": "0"}, "UPLOAD_GRANTS_PER_HOUR"},
		{"UPLOAD_GRANTS_PER_HOUR too many", map[string]string{"UPLOAD_GRANTS_PER_HOUR": "1000001"}, "UPLOAD_GRANTS_PER_HOUR"},
		{"UPLOAD_GRANTS_PER_HOUR not a number", map[string]string{"UPLOAD_GRANTS_PER_HOUR": "lots"}, "UPLOAD_GRANTS_PER_HOUR"},
		{"RECONCILE_AFTER too short", map[string]string{"RECONCILE_AFTER": "29s"}, "RECONCILE_AFTER"},
		{"RECONCILE_AFTER too long", map[string]string{"RECONCILE_AFTER": "25h"}, "RECONCILE_AFTER"},
		{"RECONCILE_AFTER not a duration", map[string]string{"RECONCILE_AFTER": "soon"}, "RECONCILE_AFTER"},
		{"SNS_ENDPOINT not a URL", map[string]string{"SNS_ENDPOINT": "127.0.0.1:4566"}, "SNS_ENDPOINT"},
		{"LOG_LEVEL unknown", map[string]string{"LOG_LEVEL": "verbose"}, "LOG_LEVEL"},
		{"LOG_LEVEL trace", map[string]string{"LOG_LEVEL": "trace"}, "LOG_LEVEL"},
		{"KEY_HASH_SECRET 31 bytes", map[string]string{"KEY_HASH_SECRET": strings.Repeat("ab", 31)}, "KEY_HASH_SECRET"},
		{"BANK_VERIFY_SECRET 31 bytes", map[string]string{"BANK_VERIFY_SECRET": strings.Repeat("ab", 31)}, "BANK_VERIFY_SECRET"},
		{"BANK_VERIFY_SECRET not hex", map[string]string{"BANK_VERIFY_SECRET": strings.Repeat("zy", 32)}, "BANK_VERIFY_SECRET"},
		{"PAYOUT_PROVIDER unknown", map[string]string{"PAYOUT_PROVIDER": "bank"}, "PAYOUT_PROVIDER"},
		{"PAYOUT_PROVIDER http without a secret", map[string]string{"PAYOUT_PROVIDER": "http", "PAYOUT_URL": "https://pay.example.com", "PAYOUT_KEY": "k"}, "PAYOUT_SECRET"},
		{"KEY_HASH_SECRET not hex", map[string]string{"KEY_HASH_SECRET": strings.Repeat("zy", 32)}, "KEY_HASH_SECRET"},
		{"KEY_HASH_SECRET odd digits", map[string]string{"KEY_HASH_SECRET": strings.Repeat("ab", 32) + "c"}, "KEY_HASH_SECRET"},
		{"VERIFY_POLICY unknown", map[string]string{"VERIFY_POLICY": "both"}, "VERIFY_POLICY"},
		{"IDENTITY_PROVIDER unknown", map[string]string{"IDENTITY_PROVIDER": "vendor"}, "IDENTITY_PROVIDER"},
		// The http provider needs its endpoint and credentials: refused at init.
		{"IDENTITY http without endpoint", map[string]string{"IDENTITY_PROVIDER": "http", "IDENTITY_KEY": "k", "IDENTITY_SECRET": "s"}, "IDENTITY_URL"},
		{"IDENTITY http without key", map[string]string{"IDENTITY_PROVIDER": "http", "IDENTITY_URL": "https://id.example.com", "IDENTITY_SECRET": "s"}, "IDENTITY_KEY"},
		{"IDENTITY http without secret", map[string]string{"IDENTITY_PROVIDER": "http", "IDENTITY_URL": "https://id.example.com", "IDENTITY_KEY": "k"}, "IDENTITY_SECRET"},
		{"KEY_HASH_SECRET base64", map[string]string{"KEY_HASH_SECRET": "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="}, "KEY_HASH_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := app.LoadConfig(env(tt.env))
			if err == nil {
				t.Fatalf("LoadConfig = %+v, nil; want an error naming %s", c, tt.wantVar)
			}
			if !strings.Contains(err.Error(), tt.wantVar) {
				t.Errorf("error %q does not name %s", err, tt.wantVar)
			}
			if c != (app.Config{}) {
				t.Errorf("LoadConfig returned %+v with its error; want the zero Config", c)
			}
		})
	}
}

// A refused KEY_HASH_SECRET is not quoted back: the error reaches the function's log, and
// a secret one digit short is still almost all of the secret.
func TestKeyHashSecretNotInErrors(t *testing.T) {
	for _, v := range []string{strings.Repeat("5e", 31), strings.Repeat("5e", 31) + "5g"} {
		_, err := app.LoadConfig(env(map[string]string{"KEY_HASH_SECRET": v}))
		if err == nil {
			t.Fatalf("LoadConfig accepted KEY_HASH_SECRET %q", v)
		}
		if strings.Contains(err.Error(), "5e5e") {
			t.Errorf("the error quotes the secret: %v", err)
		}
	}
}

func TestLoadConfigBoundaries(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(app.Config) bool
	}{
		{"TOKEN_TTL 1m", map[string]string{"TOKEN_TTL": "1m"}, func(c app.Config) bool { return c.TokenTTL == time.Minute }},
		{"TOKEN_TTL 8760h", map[string]string{"TOKEN_TTL": "8760h"}, func(c app.Config) bool { return c.TokenTTL == 8760*time.Hour }},
		{"TOKEN_TTL 24h30m", map[string]string{"TOKEN_TTL": "24h30m"}, func(c app.Config) bool { return c.TokenTTL == 24*time.Hour+30*time.Minute }},
		{"MAX_ATTEMPTS 1", map[string]string{"MAX_ATTEMPTS": "1"}, func(c app.Config) bool { return c.MaxAttempts == 1 }},
		{"MAX_ATTEMPTS 100", map[string]string{"MAX_ATTEMPTS": " 100 "}, func(c app.Config) bool { return c.MaxAttempts == 100 }},
		{"LOG_LEVEL warn", map[string]string{"LOG_LEVEL": "warn"}, func(c app.Config) bool { return c.LogLevel == "warn" }},
		{"LOG_LEVEL error", map[string]string{"LOG_LEVEL": "error"}, func(c app.Config) bool { return c.LogLevel == "error" }},
		{"LOG_LEVEL blank is info", map[string]string{"LOG_LEVEL": " "}, func(c app.Config) bool { return c.LogLevel == "info" }},
		{"KEY_HASH_SECRET 32 bytes", map[string]string{"KEY_HASH_SECRET": strings.Repeat("AB", 32)}, func(c app.Config) bool { return c.KeyHashSecret == strings.Repeat("\xab", 32) }},
		{"KEY_HASH_SECRET 64 bytes", map[string]string{"KEY_HASH_SECRET": strings.Repeat("01", 64)}, func(c app.Config) bool { return c.KeyHashSecret == strings.Repeat("\x01", 64) }},
		{"KEY_HASH_SECRET blank is unset", map[string]string{"KEY_HASH_SECRET": "  "}, func(c app.Config) bool { return c.KeyHashSecret == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := app.LoadConfig(env(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if !tt.check(c) {
				t.Errorf("LoadConfig = %+v", c)
			}
		})
	}
}

func TestNewEnv(t *testing.T) {
	c, err := app.LoadConfig(env(map[string]string{"APP_VERSION": "v9", "TOKEN_TTL": "2h", "MAX_ATTEMPTS": "7"}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	t.Run("no credentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		e, err := app.NewEnv(c)
		if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
			t.Fatalf("NewEnv = %v, %v; want an error naming AWS_ACCESS_KEY_ID", e, err)
		}
	})
	t.Run("providers", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv("AWS_SESSION_TOKEN", "token")
		var order []string
		e, err := app.NewEnv(c,
			func(e *app.Env) error { order = append(order, "a"); e.Queue = fakeQueue{}; return nil },
			func(e *app.Env) error { order = append(order, "b"); return nil })
		if err != nil {
			t.Fatalf("NewEnv: %v", err)
		}
		if strings.Join(order, "") != "ab" {
			t.Errorf("providers ran %v, want a then b", order)
		}
		creds, err := e.AWS.Credentials.Retrieve(t.Context())
		if err != nil || creds.AccessKeyID != "AKIDTEST" || creds.SessionToken != "token" {
			t.Errorf("credentials = %+v, %v; want the environment's", creds, err)
		}
		if e.Version != "v9" || e.TokenTTL != 2*time.Hour || e.MaxAttempts != 7 || e.Clock == nil || e.IDs == nil || e.Log == nil {
			t.Errorf("settings = %+v", e.Services)
		}
		if err := e.Require(app.AdapterQueue); err != nil {
			t.Errorf("Require(queue) after its provider: %v", err)
		}
		err = e.Require(app.AdapterQueue, app.AdapterStore, app.AdapterSMS)
		if err == nil || !strings.Contains(err.Error(), "store") || !strings.Contains(err.Error(), "sms") || strings.Contains(err.Error(), "queue") {
			t.Errorf("Require(queue, store, sms) = %v; want store and sms named, not queue", err)
		}
		if only := e.Only(app.AdapterStore); only.Queue != nil || e.Queue == nil {
			t.Errorf("Only(store) kept the queue, or changed the original")
		}
	})
	t.Run("provider fails", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		_, err := app.NewEnv(c, func(*app.Env) error { return errors.New("bad SMS_SENDER_ID") })
		if err == nil || !strings.Contains(err.Error(), "SMS_SENDER_ID") {
			t.Errorf("NewEnv with a failing provider = %v", err)
		}
	})
}

type fakeQueue struct{ kyc.Queue }

// The amount secret: the configured one, the development key only with a store on this
// machine, and nothing for any other stack.
func TestBankSecret(t *testing.T) {
	for _, tt := range []struct {
		name   string
		c      app.Config
		want   string
		refuse bool
	}{
		{"configured", app.Config{BankVerifySecret: strings.Repeat("\x1e", 32), DynamoEndpoint: "http://127.0.0.1:8000"}, strings.Repeat("\x1e", 32), false},
		{"local emulator", app.Config{DynamoEndpoint: "http://127.0.0.1:8000"}, app.DevBankVerifySecret, false},
		{"localhost", app.Config{DynamoEndpoint: "http://localhost:8000"}, app.DevBankVerifySecret, false},
		{"AWS", app.Config{}, "", true},
		{"remote endpoint", app.Config{DynamoEndpoint: "https://dynamodb.example.com"}, "", true},
	} {
		got, err := tt.c.BankSecret()
		if (err != nil) != tt.refuse || string(got) != tt.want {
			t.Errorf("%s: BankSecret = %q, %v", tt.name, got, err)
		}
	}
	if len(app.DevBankVerifySecret) < app.MinKeyHashSecret {
		t.Error("the development secret is shorter than a configured one may be")
	}
}
