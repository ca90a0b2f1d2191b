package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/bankcheck"
	"github.com/realname-kyc/realname/pkg/bankverify"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/outbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// The bank verification routes (issue 15, API.md "Bank verification and certificates"):
// an app or a user starts the micro-payment verification of its company account's bank
// account and confirms the amount. The account id is in the path; bank details and
// amounts only in bodies, and nothing here logs them.

// bankStore is the store's bank-verification side; pkg/dynamo's store has it, and a store
// without it fails the routes' tests.
func bankStore(env *app.Env) bankcheck.Store {
	s, _ := env.Store.(bankcheck.Store)
	return s
}

func withBank(env *app.Env) (*API, error) {
	if len(env.BankSecret) < bankverify.MinSecretLength {
		// Refused at init rather than at the first request: without the secret no amount
		// can be hashed or checked.
		return nil, errors.New("bank verification: no amount secret: BANK_VERIFY_SECRET is required unless DYNAMODB_ENDPOINT is an emulator on this machine (openssl rand -hex 32)")
	}
	var dispatch func(context.Context, ...webhook.OutboxEvent)
	if q := env.WebhookQueue; q != nil {
		dispatch = func(ctx context.Context, evs ...webhook.OutboxEvent) { outbox.Dispatch(ctx, q, env.Log, evs...) }
	}
	return &API{svc: &env.Services, bank: &bankcheck.Service{Store: bankStore(env), Payouts: env.Payouts, Provider: env.Backends.Payout,
		Secret: env.BankSecret, Dispatch: dispatch, Clock: env.Clock, IDs: env.IDs, Log: env.Log}}, nil
}

// StartBankVerification serves POST /v1/accounts/{accountId}/bank-verification.
func StartBankVerification(env *app.Env) (http.Handler, error) {
	a, err := withBank(env)
	if err != nil {
		return nil, err
	}
	return a.routeHandler("bank-verification-start", (*API).startBank), nil
}

// ConfirmBankVerification serves POST /v1/accounts/{accountId}/bank-verification/confirm.
func ConfirmBankVerification(env *app.Env) (http.Handler, error) {
	a, err := withBank(env)
	if err != nil {
		return nil, err
	}
	return a.routeHandler("bank-verification-confirm", (*API).confirmBank), nil
}

// bankRequest is what both bank routes start from: the body's fields, the account of the
// path and the principal acting for it (an app for its account, a user for their own).
func bankRequest(r *http.Request) (fields, kyc.Principal, string, error) {
	f, err := readFields(r)
	if err != nil {
		return nil, kyc.Principal{}, "", err
	}
	id := r.PathValue("accountId")
	p, err := actingFor(r, id, "accountId")
	return f, p, id, err
}

func (a *API) startBank(w http.ResponseWriter, r *http.Request) error {
	f, p, id, err := bankRequest(r)
	if err != nil {
		return err
	}
	out, err := a.bank.Start(r.Context(), p, id, bankverify.Request{AccountName: f[bankverify.FieldAccountName],
		AccountNo: f[bankverify.FieldAccountNo], BankName: f[bankverify.FieldBankName], Branch: f[bankverify.FieldBranch]})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "the amount is paid; confirm it within 7 days", out)
	return nil
}

func (a *API) confirmBank(w http.ResponseWriter, r *http.Request) error {
	f, p, id, err := bankRequest(r)
	if err != nil {
		return err
	}
	out, err := a.bank.Confirm(r.Context(), p, id, f["amount"])
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "the bank account is verified", out)
	return nil
}
