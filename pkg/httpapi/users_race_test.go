package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/realname-kyc/realname/pkg/dynamo"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/testenv"
	"github.com/realname-kyc/realname/pkg/users"
)

// storeOn opens the DynamoDB store on a fresh table of engine e. The races run on both
// engines: dynoxide (the local default) and DynamoDB Local (AWS's reference emulator).
func storeOn(e testenv.Engine) func(*testing.T) kyc.Store {
	return func(t *testing.T) kyc.Store {
		client, table := testenv.Table(t, e)
		return dynamo.New(client, table)
	}
}

// 50 simultaneous registrations of one phone with its one valid code, through the HTTP
// routes: exactly one creates the user (201), the other 49 are told the phone is taken
// (409 / 1007), on dynoxide and on DynamoDB Local.
func TestConcurrentRegistrationOfOnePhone(t *testing.T) {
	stores := []struct {
		name string
		open func(*testing.T) kyc.Store
	}{
		{"dynoxide", storeOn(testenv.Dynoxide)},
		{"dynamodb-local", storeOn(testenv.DynamoDBLocal)},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			u := newUserFixtureOn(t, st.open(t))
			code := u.sendCode(t, phoneA, kyc.PurposeRegister)
			body, _ := json.Marshal(map[string]string{"phone": phoneA, "code": code, "password": goodPW})

			const n = 50
			responses := make([]*httptest.ResponseRecorder, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					r := httptest.NewRequest(http.MethodPost, "/v1/user/register", strings.NewReader(string(body)))
					r.Header.Set("Content-Type", "application/json")
					<-start
					responses[i] = serve(u.mux, r)
				})
			}
			close(start)
			wg.Wait()

			created, taken := 0, 0
			var token string
			for i, w := range responses {
				e := envelopeOf(t, w)
				switch {
				case w.Code == 201 && e.ErrorCode == 1000:
					created++
					var d tokenData
					dataOf(t, e, &d)
					token = d.Token
				case w.Code == 409 && e.ErrorCode == 1007:
					taken++
				default:
					t.Errorf("response %d: %d %s", i, w.Code, w.Body)
				}
			}
			if created != 1 || taken != n-1 {
				t.Fatalf("%d created and %d told the phone is taken, want 1 and %d", created, taken, n-1)
			}
			// The one user is the one whose token works.
			stored := u.storedUser(t, phoneA)
			e := want(t, u.me(t, token), 200, 1000)
			var p struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(e.Data, &p); err != nil || p.ID != stored.ID {
				t.Errorf("me id = %q (%v), stored user %q", p.ID, err, stored.ID)
			}
			// The code is spent.
			if _, err := u.store.TryCode(t.Context(), phoneA, kyc.PurposeRegister, users.CodeHash(phoneA, kyc.PurposeRegister, code), u.clock.Now()); !kyc.IsCode(err, kyc.EBADCODE) {
				t.Errorf("TryCode(the code) = %v, want EBADCODE: it was not consumed", err)
			}
		})
	}
}
