package app

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything read from the environment. Each field's variable is listed in
// Vars (and in the README's table, which a test keeps in step).
type Config struct {
	Version        string
	Region         string
	TableName      string
	DynamoEndpoint string
	Bucket         string
	S3Endpoint     string
	QueueURL       string
	SQSEndpoint    string
	SNSEndpoint    string
	SMSSenderID    string
	TokenTTL       time.Duration
	MaxAttempts    int
	// UploadGrantsPerHour is UPLOAD_GRANTS_PER_HOUR: presigned upload grants per user
	// per clock hour.
	UploadGrantsPerHour int
	ReconcileAfter      time.Duration
	LogLevel            string
	// KeyHashSecret is KEY_HASH_SECRET decoded: the bytes (held in a string, so that
	// Config stays comparable) the store hashes phones, ID numbers and counter names with
	// before they become DynamoDB keys; "" when unset. Never log it.
	KeyHashSecret string

	// StaticAccessKey and StaticSecretKey are not read from the environment: the local
	// runner sets them for emulators, which must never be reached with real AWS
	// credentials (and the S3 emulator checks signatures against its own keys).
	// Webhooks (issue 13): the delivery queue, the KMS key that seals endpoint secrets,
	// and a KMS endpoint for tests (moto).
	WebhookQueueURL string
	WebhookKeyID    string
	KMSEndpoint     string

	// Identity factors (issue 14): VerifyPolicy is VERIFY_POLICY (PolicyDocuments or
	// PolicyFactors); the identity provider is IDENTITY_PROVIDER (sandbox or http) with,
	// for http, its endpoint, key and secret (never log the secret).
	VerifyPolicy string
	// RequireBankVerification is REQUIRE_BANK_VERIFICATION: an app user's company is
	// APPROVED only with a VERIFIED bank verification too, as an integrator's always is.
	RequireBankVerification bool
	// Certificates (issue 15): the CA's KMS signing key (ECC_NIST_P256), the KMS key
	// that seals the subjects' generated keys, and the CA certificate's subject CN.
	CAKeyID       string
	CertKeysKeyID string
	CASubject     string

	IdentityProvider string
	IdentityURL      string
	IdentityKey      string
	IdentitySecret   string

	// Bank verification (issue 15): BankVerifySecret is BANK_VERIFY_SECRET decoded (the
	// bytes the amounts are HMAC-hashed with; "" when unset: see BankSecret; never log
	// it); the payout provider is PAYOUT_PROVIDER (sandbox or http) with the sandbox's
	// file or, for http, its endpoint, key and secret (never log the secret).
	BankVerifySecret string
	PayoutProvider   string
	PayoutFile       string
	PayoutURL        string
	PayoutKey        string
	PayoutSecret     string

	StaticAccessKey string
	StaticSecretKey string
}

// Verification policies (VERIFY_POLICY): how an app user's personal account is approved.
const (
	// PolicyDocuments: a reviewer approves the documents; a two-factor match is only
	// recorded, and the review worker checks a submission's name and ID number too.
	PolicyDocuments = "documents"
	// PolicyFactors: a two-factor match approves the account at once.
	PolicyFactors = "factors"
)

// Identity providers (IDENTITY_PROVIDER).
const (
	IdentitySandbox = "sandbox"
	IdentityHTTP    = "http"
)

// Payout providers (PAYOUT_PROVIDER), pkg/payout's.
const (
	PayoutSandbox = "sandbox"
	PayoutHTTP    = "http"
)

// Var documents one environment variable.
type Var struct {
	Name, Default, Meaning string
	Required               bool
}

// Vars lists every environment variable the functions read.
func Vars() []Var {
	return []Var{
		{Name: "TABLE_NAME", Required: true, Meaning: "DynamoDB table holding users, sessions, accounts, audit records and counters"},
		{Name: "DOCS_BUCKET", Required: true, Meaning: "S3 bucket for uploaded documents (private)"},
		{Name: "REVIEW_QUEUE_URL", Required: true, Meaning: "SQS queue URL the submissions are sent to"},
		{Name: "AWS_REGION", Default: "us-east-1", Meaning: "AWS region (set by Lambda)"},
		{Name: "DYNAMODB_ENDPOINT", Meaning: "custom DynamoDB endpoint (DynamoDB Local); empty on AWS"},
		{Name: "S3_ENDPOINT", Meaning: "custom S3 endpoint (VersityGW), path-style; empty on AWS"},
		{Name: "SQS_ENDPOINT", Meaning: "custom SQS endpoint (fauxqs); empty on AWS"},
		{Name: "SNS_ENDPOINT", Meaning: "custom SNS endpoint for SMS (fauxqs); empty on AWS"},
		{Name: "SMS_SENDER_ID", Meaning: "SMS sender ID where the country supports one (1-11 letters/digits); empty for none"},
		{Name: "TOKEN_TTL", Default: "168h", Meaning: "session token lifetime (Go duration, 1m to 8760h)"},
		{Name: "MAX_ATTEMPTS", Default: "5", Meaning: "submissions allowed per account (1 to 100)"},
		{Name: "UPLOAD_GRANTS_PER_HOUR", Default: "20", Meaning: "presigned upload grants (POST /v1/uploads) one user gets per clock hour (1 to 1000000); the next is 429 / 1022"},
		{Name: "RECONCILE_AFTER", Default: "2m", Meaning: "how long an account may stay SUBMITTED before the reconciler re-queues it (30s to 24h)"},
		{Name: "LOG_LEVEL", Default: "info", Meaning: "debug, info, warn or error"},
		{Name: "APP_VERSION", Default: "dev", Meaning: "version reported by /v1/health"},
		{Name: "WEBHOOK_QUEUE_URL", Meaning: "SQS queue URL of webhook events and deliveries (the delivery worker's queue); the functions that queue events need it"},
		{Name: "WEBHOOK_KMS_KEY_ID", Meaning: "KMS key (id, ARN or alias) that seals webhook endpoint secrets; the functions that register, rotate or deliver need it"},
		{Name: "KMS_ENDPOINT", Meaning: "custom KMS endpoint (moto_server); empty on AWS"},
		{Name: "REQUIRE_BANK_VERIFICATION", Default: "false", Meaning: "true: an app user's company account needs a VERIFIED bank verification (POST /v1/accounts/{accountId}/bank-verification) as well as a reviewer's approval, in either order, as an integrator's company always does"},
		{Name: "VERIFY_POLICY", Default: PolicyDocuments, Meaning: "documents (a reviewer approves a personal account; a two-factor match is recorded, and the review worker checks the submission's name and ID number with the identity provider) or factors (a two-factor match approves an unverified or RETRY-rejected personal account at once)"},
		{Name: "IDENTITY_PROVIDER", Default: IdentitySandbox, Meaning: "identity provider of the factor checks: sandbox (deterministic, API.md's rules) or http (a vendor's API: IDENTITY_URL, IDENTITY_KEY and IDENTITY_SECRET required)"},
		{Name: "IDENTITY_URL", Meaning: "the identity vendor's base URL (https; http only on a loopback address), with IDENTITY_PROVIDER=http"},
		{Name: "IDENTITY_KEY", Meaning: "the identity vendor's API key, with IDENTITY_PROVIDER=http"},
		{Name: "IDENTITY_SECRET", Meaning: "the identity vendor's signing secret, with IDENTITY_PROVIDER=http (template parameter IdentitySecret, NoEcho); never logged"},
		{Name: "CA_KMS_KEY_ID", Meaning: "KMS key (id, ARN or alias; ECC_NIST_P256, SIGN_VERIFY) the platform CA signs certificates and CRLs with; the certificate functions need it on AWS (locally a key file, .local/ca.key)"},
		{Name: "CERT_KEYS_KMS_KEY_ID", Meaning: "symmetric KMS key that seals the private keys generated for certificate subjects (encryption context purpose=certificate-key); the certificate functions need it on AWS (locally a key file, .local/cert-keys.key)"},
		{Name: "CA_SUBJECT", Default: "Realname Platform CA", Meaning: "common name of the CA certificate, used when it is first created (later starts load the stored one)"},
		{Name: "BANK_VERIFY_SECRET", Meaning: "secret (64+ hex digits, e.g. from openssl rand -hex 32) the bank verification amounts are HMAC-hashed with before they are stored (template parameter BankVerifySecret, NoEcho); the two bank verification functions need it on AWS, a fixed development key with an emulator on this machine; changing it makes the PAID verifications unconfirmable (start again)"},
		{Name: "PAYOUT_PROVIDER", Default: PayoutSandbox, Meaning: "payout provider of bank verification: sandbox (no money moves; each payout is a line of PAYOUT_FILE) or http (a payment provider's API: PAYOUT_URL, PAYOUT_KEY and PAYOUT_SECRET required)"},
		{Name: "PAYOUT_FILE", Default: "", Meaning: "the sandbox's payouts file (JSON lines with the amounts to confirm); .local/outbox/payouts.jsonl when empty"},
		{Name: "PAYOUT_URL", Meaning: "the payment provider's base URL (https; http only on a loopback address), with PAYOUT_PROVIDER=http"},
		{Name: "PAYOUT_KEY", Meaning: "the payment provider's API key, with PAYOUT_PROVIDER=http"},
		{Name: "PAYOUT_SECRET", Meaning: "the payment provider's signing secret, with PAYOUT_PROVIDER=http (template parameter PayoutSecret, NoEcho); never logged"},
		{Name: "KEY_HASH_SECRET", Meaning: "secret (64+ hex digits, e.g. from openssl rand -hex 32) the DynamoDB keys of phones, ID numbers and rate-limit counters are HMAC-hashed with; required on AWS, a fixed development key with an emulator on this machine; changing it orphans those items"},
	}
}

// LoadConfig reads the configuration with getenv (os.Getenv in production). Errors name
// the variable, so a broken deployment fails at init with a message an operator can act on.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			for _, d := range Vars() {
				if d.Name == name {
					return d.Default
				}
			}
		}
		return v
	}
	c := Config{
		Version:          get("APP_VERSION"),
		Region:           get("AWS_REGION"),
		TableName:        get("TABLE_NAME"),
		DynamoEndpoint:   get("DYNAMODB_ENDPOINT"),
		Bucket:           get("DOCS_BUCKET"),
		S3Endpoint:       get("S3_ENDPOINT"),
		QueueURL:         get("REVIEW_QUEUE_URL"),
		SQSEndpoint:      get("SQS_ENDPOINT"),
		SNSEndpoint:      get("SNS_ENDPOINT"),
		SMSSenderID:      get("SMS_SENDER_ID"),
		LogLevel:         get("LOG_LEVEL"),
		WebhookQueueURL:  get("WEBHOOK_QUEUE_URL"),
		WebhookKeyID:     get("WEBHOOK_KMS_KEY_ID"),
		KMSEndpoint:      get("KMS_ENDPOINT"),
		VerifyPolicy:     get("VERIFY_POLICY"),
		CAKeyID:          get("CA_KMS_KEY_ID"),
		CertKeysKeyID:    get("CERT_KEYS_KMS_KEY_ID"),
		CASubject:        get("CA_SUBJECT"),
		IdentityProvider: get("IDENTITY_PROVIDER"),
		IdentityURL:      get("IDENTITY_URL"),
		IdentityKey:      get("IDENTITY_KEY"),
		IdentitySecret:   get("IDENTITY_SECRET"),
		PayoutProvider:   get("PAYOUT_PROVIDER"),
		PayoutFile:       get("PAYOUT_FILE"),
		PayoutURL:        get("PAYOUT_URL"),
		PayoutKey:        get("PAYOUT_KEY"),
		PayoutSecret:     get("PAYOUT_SECRET"),
	}
	for _, v := range Vars() {
		if v.Required && get(v.Name) == "" {
			return Config{}, fmt.Errorf("config: environment variable %s is required (%s)", v.Name, v.Meaning)
		}
	}
	for name, val := range map[string]string{"DYNAMODB_ENDPOINT": c.DynamoEndpoint, "S3_ENDPOINT": c.S3Endpoint, "SQS_ENDPOINT": c.SQSEndpoint, "SNS_ENDPOINT": c.SNSEndpoint, "REVIEW_QUEUE_URL": c.QueueURL,
		"WEBHOOK_QUEUE_URL": c.WebhookQueueURL, "KMS_ENDPOINT": c.KMSEndpoint} {
		if val == "" {
			continue
		}
		if u, err := url.Parse(val); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("config: environment variable %s is not an http(s) URL", name)
		}
	}
	ttl, err := time.ParseDuration(get("TOKEN_TTL"))
	if err != nil || ttl < time.Minute || ttl > 8760*time.Hour {
		return Config{}, fmt.Errorf("config: environment variable TOKEN_TTL must be a duration from 1m to 8760h")
	}
	c.TokenTTL = ttl
	n, err := strconv.Atoi(get("MAX_ATTEMPTS"))
	if err != nil || n < 1 || n > 100 {
		return Config{}, fmt.Errorf("config: environment variable MAX_ATTEMPTS must be a whole number from 1 to 100")
	}
	c.MaxAttempts = n
	g, err := strconv.Atoi(get("UPLOAD_GRANTS_PER_HOUR"))
	if err != nil || g < 1 || g > 1_000_000 {
		return Config{}, fmt.Errorf("config: environment variable UPLOAD_GRANTS_PER_HOUR must be a whole number from 1 to 1000000")
	}
	c.UploadGrantsPerHour = g
	ra, err := time.ParseDuration(get("RECONCILE_AFTER"))
	if err != nil || ra < 30*time.Second || ra > 24*time.Hour {
		return Config{}, fmt.Errorf("config: environment variable RECONCILE_AFTER must be a duration from 30s to 24h")
	}
	c.ReconcileAfter = ra
	secret, err := keyHashSecret(get("KEY_HASH_SECRET"))
	if err != nil {
		return Config{}, err
	}
	c.KeyHashSecret = secret
	rb, err := strconv.ParseBool(get("REQUIRE_BANK_VERIFICATION"))
	if err != nil {
		return Config{}, fmt.Errorf("config: environment variable REQUIRE_BANK_VERIFICATION must be true or false")
	}
	c.RequireBankVerification = rb
	bank, err := hexSecret("BANK_VERIFY_SECRET", get("BANK_VERIFY_SECRET"))
	if err != nil {
		return Config{}, err
	}
	c.BankVerifySecret = bank
	if c.VerifyPolicy != PolicyDocuments && c.VerifyPolicy != PolicyFactors {
		return Config{}, fmt.Errorf("config: environment variable VERIFY_POLICY must be documents or factors")
	}
	switch c.IdentityProvider {
	case IdentitySandbox:
	case IdentityHTTP:
		// Refused here rather than at the first check: a vendor adapter without its
		// endpoint or credentials could only ever answer "unavailable".
		for name, v := range map[string]string{"IDENTITY_URL": c.IdentityURL, "IDENTITY_KEY": c.IdentityKey, "IDENTITY_SECRET": c.IdentitySecret} {
			if v == "" {
				return Config{}, fmt.Errorf("config: environment variable %s is required with IDENTITY_PROVIDER=http", name)
			}
		}
	default:
		return Config{}, fmt.Errorf("config: environment variable IDENTITY_PROVIDER must be sandbox or http")
	}
	switch c.PayoutProvider {
	case PayoutSandbox:
	case PayoutHTTP:
		for name, v := range map[string]string{"PAYOUT_URL": c.PayoutURL, "PAYOUT_KEY": c.PayoutKey, "PAYOUT_SECRET": c.PayoutSecret} {
			if v == "" {
				return Config{}, fmt.Errorf("config: environment variable %s is required with PAYOUT_PROVIDER=http", name)
			}
		}
	default:
		return Config{}, fmt.Errorf("config: environment variable PAYOUT_PROVIDER must be sandbox or http")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return Config{}, fmt.Errorf("config: environment variable LOG_LEVEL must be debug, info, warn or error")
	}
	return c, nil
}

// MinKeyHashSecret is the shortest KEY_HASH_SECRET, in bytes: HMAC-SHA256's full
// strength needs a key as long as its output.
const MinKeyHashSecret = 32

// keyHashSecret decodes KEY_HASH_SECRET.
func keyHashSecret(v string) (string, error) { return hexSecret("KEY_HASH_SECRET", v) }

// hexSecret decodes the secret of variable name. It is hex only: base64 would be
// ambiguous (a hex string is valid base64 of other bytes), and hex is what `openssl rand
// -hex 32` prints. Errors never quote the value.
func hexSecret(name, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("config: environment variable %s must be hexadecimal (e.g. the output of openssl rand -hex 32)", name)
	}
	if len(b) < MinKeyHashSecret {
		return "", fmt.Errorf("config: environment variable %s must be at least %d bytes (%d hex digits), not %d", name, MinKeyHashSecret, 2*MinKeyHashSecret, len(b))
	}
	return string(b), nil
}

// DevBankVerifySecret is the amount secret of local runs: a stack whose store is an
// emulator on this machine holds local data only. It is public, so BankSecret never
// gives it to any other stack.
const DevBankVerifySecret = "realname-local-development-bank-verify-secret-not-for-aws"

// BankSecret is the amount secret of bank verification: BANK_VERIFY_SECRET, or
// DevBankVerifySecret when the store is an emulator on this machine
// (DYNAMODB_ENDPOINT on a loopback address). Anywhere else it is required: with a
// public secret, the stored hash of one of 99 amounts gives the amount away.
func (c Config) BankSecret() ([]byte, error) {
	if c.BankVerifySecret != "" {
		return []byte(c.BankVerifySecret), nil
	}
	if u, err := url.Parse(c.DynamoEndpoint); err == nil && c.DynamoEndpoint != "" && loopbackHost(u.Hostname()) {
		return []byte(DevBankVerifySecret), nil
	}
	return nil, fmt.Errorf("config: environment variable BANK_VERIFY_SECRET is required unless DYNAMODB_ENDPOINT is an emulator on this machine (%d+ random bytes as hex: openssl rand -hex %d)", MinKeyHashSecret, MinKeyHashSecret)
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
