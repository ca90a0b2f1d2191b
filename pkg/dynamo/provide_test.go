package dynamo_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/testenv"
)

// TestProvideKeySecret: a function keys its store with KEY_HASH_SECRET; without one it
// starts only against an emulator on this machine (with DevKeySecret, local data only),
// and fails at init against DynamoDB itself or any other endpoint, which may hold real
// data.
func TestProvideKeySecret(t *testing.T) {
	client, table := testenv.Table(t, testenv.Dynoxide)
	local := testenv.DynamoEndpoint(t, testenv.Dynoxide)
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	secret := strings.Repeat("k", dynamo.MinKeySecret)
	provide := func(c app.Config) (*dynamo.Store, error) {
		t.Helper()
		c.TableName = table
		e := &app.Env{Config: c, AWS: awsCfg}
		if err := dynamo.Provide(e); err != nil {
			return nil, err
		}
		s, ok := e.Store.(*dynamo.Store)
		if !ok {
			t.Fatalf("Provide gave a %T", e.Store)
		}
		return s, nil
	}
	const phone = "13900000021"
	for _, tc := range []struct {
		name string
		c    app.Config
		want *dynamo.Store // the store whose keys the provided one must build
	}{
		{"a secret, on an emulator", app.Config{DynamoEndpoint: local, KeyHashSecret: secret}, must(dynamo.NewKeyed(client, table, []byte(secret)))},
		{"no secret, on an emulator", app.Config{DynamoEndpoint: local}, dynamo.New(client, table)},
	} {
		s, err := provide(tc.c)
		if err != nil {
			t.Fatalf("%s: Provide: %v", tc.name, err)
		}
		if got, want := render(s.PhoneKey(phone)), render(tc.want.PhoneKey(phone)); got != want {
			t.Errorf("%s: the phone's key is %s, want %s", tc.name, got, want)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("%s: Ping: %v", tc.name, err)
		}
	}
	if render(must(provide(app.Config{DynamoEndpoint: local, KeyHashSecret: secret})).PhoneKey(phone)) == render(dynamo.New(client, table).PhoneKey(phone)) {
		t.Error("a configured secret keys the phone as the development key does")
	}

	for _, endpoint := range []string{"", "https://dynamodb.eu-west-1.amazonaws.com", "http://10.0.0.5:8000"} {
		if _, err := provide(app.Config{DynamoEndpoint: endpoint}); err == nil || !strings.Contains(err.Error(), "KEY_HASH_SECRET") {
			t.Errorf("no secret, DYNAMODB_ENDPOINT %q: Provide's error is %v; want one naming KEY_HASH_SECRET", endpoint, err)
		}
	}
	if _, err := provide(app.Config{KeyHashSecret: secret[1:]}); err == nil {
		t.Errorf("a secret of %d bytes was accepted", len(secret)-1)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
