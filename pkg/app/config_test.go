package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/app"
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

		ReconcileAfter: 2 * time.Minute,
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
		"APP_VERSION":       "v1.2.3",
		"AWS_REGION":        " eu-west-1 ",
		"DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
		"S3_ENDPOINT":       "http://127.0.0.1:7070",
		"SQS_ENDPOINT":      "https://127.0.0.1:4566",
		"REVIEW_QUEUE_URL":  "http://127.0.0.1:4566/000000000000/review",
		"TOKEN_TTL":         "1m",
		"MAX_ATTEMPTS":      "100",
		"LOG_LEVEL":         "debug",
		"RECONCILE_AFTER":   "24h",
		"SNS_ENDPOINT":      "http://127.0.0.1:4566",
		"SMS_SENDER_ID":     "realname",
	}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	want := app.Config{
		Version:        "v1.2.3",
		Region:         "eu-west-1",
		TableName:      "realname",
		DynamoEndpoint: "http://127.0.0.1:8000",
		Bucket:         "realname-docs",
		S3Endpoint:     "http://127.0.0.1:7070",
		QueueURL:       "http://127.0.0.1:4566/000000000000/review",
		SQSEndpoint:    "https://127.0.0.1:4566",
		TokenTTL:       time.Minute,
		MaxAttempts:    100,
		LogLevel:       "debug",
		ReconcileAfter: 24 * time.Hour,
		SNSEndpoint:    "http://127.0.0.1:4566",
		SMSSenderID:    "realname",
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
		{"RECONCILE_AFTER too short", map[string]string{"RECONCILE_AFTER": "29s"}, "RECONCILE_AFTER"},
		{"RECONCILE_AFTER too long", map[string]string{"RECONCILE_AFTER": "25h"}, "RECONCILE_AFTER"},
		{"RECONCILE_AFTER not a duration", map[string]string{"RECONCILE_AFTER": "soon"}, "RECONCILE_AFTER"},
		{"SNS_ENDPOINT not a URL", map[string]string{"SNS_ENDPOINT": "127.0.0.1:4566"}, "SNS_ENDPOINT"},
		{"LOG_LEVEL unknown", map[string]string{"LOG_LEVEL": "verbose"}, "LOG_LEVEL"},
		{"LOG_LEVEL trace", map[string]string{"LOG_LEVEL": "trace"}, "LOG_LEVEL"},
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

func TestFromEnv(t *testing.T) {
	t.Run("missing variable", func(t *testing.T) {
		svc, err := app.FromEnv(t.Context(), env(map[string]string{"DOCS_BUCKET": ""}))
		if err == nil || !strings.Contains(err.Error(), "DOCS_BUCKET") {
			t.Fatalf("FromEnv = %v, %v; want an error naming DOCS_BUCKET", svc, err)
		}
	})
	t.Run("wired", func(t *testing.T) {
		// Static credentials so the SDK's chain does not look for real ones; no request is
		// made while wiring.
		t.Setenv("AWS_ACCESS_KEY_ID", "test")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		svc, err := app.FromEnv(t.Context(), env(map[string]string{
			"APP_VERSION": "v9", "TOKEN_TTL": "2h", "MAX_ATTEMPTS": "7",
			"DYNAMODB_ENDPOINT": "http://127.0.0.1:1", "S3_ENDPOINT": "http://127.0.0.1:1", "SQS_ENDPOINT": "http://127.0.0.1:1",
		}))
		if err != nil {
			t.Fatalf("FromEnv: %v", err)
		}
		if svc.Store == nil || svc.Docs == nil || svc.Queue == nil || svc.SMS == nil || svc.Clock == nil || svc.IDs == nil || svc.Log == nil {
			t.Fatalf("FromEnv left a service nil: %+v", svc)
		}
		want := app.Backends{Store: "dynamodb", Documents: "s3", Queue: "sqs", SMS: "sns"}
		if svc.Backends != want || svc.Version != "v9" || svc.TokenTTL != 2*time.Hour || svc.MaxAttempts != 7 {
			t.Errorf("FromEnv = backends %+v version %q ttl %v attempts %d", svc.Backends, svc.Version, svc.TokenTTL, svc.MaxAttempts)
		}
	})
}
