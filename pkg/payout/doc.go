// Package payout pays the small amounts of bank verification (seed 004's corporate
// micro-payment, 对公打款): the platform sends 0.01-0.99 CNY to the company's bank account,
// and the company proves it controls the account by telling the amount back
// (pkg/bankverify holds those rules; this package only moves the money).
//
// The port is Provider, Pay(ctx, Payout) (Receipt, error), with two adapters, in the shape
// of pkg/identity:
//
//   - Sandbox, the local default and the tests' provider: no money moves; each payout is
//     one JSON line appended to a file (.local/outbox/payouts.jsonl by default, 0600 in a
//     0700 directory), which is how a developer running the stack learns the amount to
//     confirm. The line carries the verification and account ids, the amount ("0.37", as
//     API.md writes it), the time, and the account number masked to its last four digits:
//     the amount is the secret of a sandbox verification and must be readable there, the
//     account number is not needed. Deterministic refusals (an account name ending in 假,
//     an account number ending in 0000) let a local run exercise the refused path.
//   - HTTP, a payment provider's API (protocol on HTTPConfig): requests signed with
//     HMAC-SHA256 like pkg/identity's, an Idempotency-Key equal to the verification id on
//     every attempt, a timeout per attempt, and retries with exponential backoff and full
//     jitter for network errors, timeouts, 409 (the same key still in progress), 429 and
//     5xx.
//
// # Why the idempotency key is the verification id
//
// A payout is money: a timeout or a 5xx after the provider acted must not pay twice. The
// verification id is chosen before the first call and stored with the verification, so
// every retry (by this adapter within one Pay, or by the caller after an ErrUnavailable,
// even from another Lambda invocation) names the same payout, and the provider pays it at
// most once. A random key per call, as identity checks use, would be wrong here.
//
// # Outcomes
//
// Pay answers one of three things:
//   - a Receipt with Status Accepted: the provider took the payout (its reference kept
//     for reconciliation); the verification is PAID.
//   - a Receipt with Status Refused and a Reason (account_name_mismatch, account_closed,
//     account_not_found, account_frozen, bank_not_supported, or refused for any reason the
//     provider gave that is not one of these): the bank details are wrong; the caller
//     answers the client and pays nothing more under that verification.
//   - ErrUnavailable (wrapped with what happened): the provider could not be asked or gave
//     no usable answer; whether money moved is unknown. Retrying that payout means
//     calling Pay again with the same Payout (same VerificationID); a new id is a new
//     payout. pkg/bankverify does not retry later (it never stores the amount): it keeps
//     the verification PAID, so an amount that did arrive can still be confirmed.
//
// Nothing here logs, and no error carries, an account number, a name or an amount.
//
// # Wiring (for the HTTP layer, not done here)
//
// Config and New build the provider; pkg/app should read PAYOUT_PROVIDER (sandbox | http),
// PAYOUT_FILE, PAYOUT_URL, PAYOUT_KEY and PAYOUT_SECRET into it, as it does the
// IDENTITY_* settings. The port may move to pkg/kyc beside kyc.IdentityProvider, with
// this package keeping type aliases as pkg/identity does.
package payout
