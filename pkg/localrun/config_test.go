package localrun_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/realname-kyc/realname/pkg/localrun"
	"github.com/realname-kyc/realname/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// envOf is a getenv over name=value pairs, and nothing else.
func envOf(pairs ...string) func(string) string {
	m := map[string]string{}
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		m[k] = v
	}
	return func(name string) string { return m[name] }
}

// The runner reads the functions' variables through the one config loader: a setting is
// used, and a bad one stops the start with the variable's name.
func TestRunnerReadsTheFunctionsConfig(t *testing.T) {
	r := startRunner(t, t.TempDir(), "TOKEN_TTL=90m", "MAX_ATTEMPTS=7", "RECONCILE_AFTER=45s", "TABLE_NAME=custom-table")
	defer r.Close()
	svc := r.Services
	if svc.TokenTTL != 90*time.Minute || svc.MaxAttempts != 7 || svc.ReconcileAfter != 45*time.Second {
		t.Errorf("TokenTTL %v, MaxAttempts %d, ReconcileAfter %v; want 90m, 7, 45s", svc.TokenTTL, svc.MaxAttempts, svc.ReconcileAfter)
	}
	var banner bytes.Buffer
	r.PrintBanner(&banner, time.Second)
	if !strings.Contains(banner.String(), "table custom-table") {
		t.Errorf("banner does not name the table:\n%s", banner.String())
	}

	_, err := localrun.Start(t.Context(), localrun.Options{Dir: t.TempDir(), APIAddr: "127.0.0.1:0", InvokeAddr: "127.0.0.1:0", Out: &bytes.Buffer{}, Getenv: envOf("MAX_ATTEMPTS=0")})
	if err == nil || !strings.Contains(err.Error(), "MAX_ATTEMPTS") {
		t.Errorf("Start with MAX_ATTEMPTS=0 = %v, want an error naming MAX_ATTEMPTS", err)
	}
}

// With DYNAMODB_ENDPOINT set the runner uses that server instead of starting dynoxide,
// creates the table there when missing, and /v1/health names the store.
func TestRunnerUsesDynamoDBEndpoint(t *testing.T) {
	endpoint := testenv.DynamoEndpoint(t, testenv.Dynoxide)
	client := testenv.DynamoClient(t, testenv.Dynoxide)
	table := "runner-endpoint-" + strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000000"), ".", ""))
	dir := t.TempDir()
	r := startRunner(t, dir, "DYNAMODB_ENDPOINT="+endpoint, "TABLE_NAME="+table)
	defer r.Close()
	if _, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(table)}); err != nil {
		t.Fatalf("the runner did not create %s at DYNAMODB_ENDPOINT: %v", table, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dynamo.db")); !os.IsNotExist(err) {
		t.Errorf("a dynoxide data file was made although DYNAMODB_ENDPOINT was set (%v)", err)
	}
	resp, err := http.Get(r.APIURL + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Data struct {
			Backends struct {
				Store string `json:"store"`
			} `json:"backends"`
			Store string `json:"store"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if env.Data.Store != "ok" || env.Data.Backends.Store != "dynamodb (DYNAMODB_ENDPOINT)" {
		t.Errorf("health data %+v, want store ok on dynamodb (DYNAMODB_ENDPOINT)", env.Data)
	}
	// A user created through the runner is in the table at the endpoint.
	before := testenv.Dump(t, client, table)
	u := submit(t, r, "endpoint")
	if after := testenv.Dump(t, client, table); after == before || !strings.Contains(after, u.ID) {
		t.Errorf("the account written through the runner is not in %s", table)
	}
}
