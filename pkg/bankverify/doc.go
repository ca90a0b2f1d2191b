// Package bankverify holds the rules of bank verification (seed 004's corporate
// micro-payment, 对公打款; DOMAIN.md "Second round", API.md "Bank verification and
// certificates", issue 15) as pure functions: no store, no clock, no provider. The HTTP
// layer reads, calls these, pays through pkg/payout and writes what they return.
//
// # The rules
//
//   - The bank account's name must equal the company's registered name, both normalised
//     by idcheck.CompanyName (ASCII and full-width parentheses, runs of spaces), since a
//     company pays and is paid only under that name (ParseRequest).
//   - The amount is random, 1 to 99 fen (0.01-0.99 CNY), from crypto/rand (NewAmount).
//   - Only a hash of the amount is stored: HMAC-SHA256 under a server secret of the
//     verification id and the amount (HashAmount). A plain hash of 99 possible values is
//     undone by trying them all; without the secret, the store alone does not give the
//     amount away, and the id in the MAC makes equal amounts of two verifications hash
//     differently. Answers are compared in constant time (hmac.Equal).
//   - States: PAID -> VERIFIED | FAILED | EXPIRED. The third wrong answer is FAILED and a
//     new verification is needed; 7 days after the payout an answer is EXPIRED (410 /
//     1026, the error code EEXPIRED) whether right or wrong. A malformed answer ("abc",
//     "1.50") is a 400 and costs no try: only a well-formed wrong amount does.
//   - At most 3 new verifications per account a day (DailyLimit, a kyc.Limit on Beijing
//     days, reserved before the payout, so a refused payout counts too: it bounds probing
//     of other people's bank accounts as well as the cost).
//   - An integrator's company account is APPROVED only when both the reviewer and a
//     VERIFIED bank verification say so, in either order (kyc.ApproveReviewed,
//     kyc.RecordBankVerified: the account's own transitions); for an app user's company
//     account the bank verification is required only when configured
//     (REQUIRE_BANK_VERIFICATION).
//
// # How a service uses it (not wired yet)
//
// Start (POST /v1/accounts/{id}/bank-verification):
//
//	req, err := ParseRequest(in, account.Company.Name)     // 400 / 1006 or 422 name mismatch
//	err = MayStart(latest, account.Company.Name)           // 409 when VERIFIED under this name
//	reserve DailyLimit(account.ID)                         // 429 / 1022 when full
//	amount, _ := NewAmount()
//	v, _ := New(newID(), account.ID, req, amount, secret, now)
//	receipt, err := payouts.Pay(ctx, payout.Payout{VerificationID: v.ID, AmountFen: amount.Fen(), ...})
//	  refused     -> PayoutRefused(receipt.Reason): nothing stored, 422 / 1012 with the reason
//	  accepted    -> store v (PAID); answer {status: PAID, expires_at}
//	  unavailable -> store v as well and answer 503: if the money moved, it can be
//	                 confirmed; if not, v expires unused. The amount is never stored, so
//	                 the payout is not re-sent later under this id.
//
// Confirm (POST .../bank-verification/confirm):
//
//	a, err := ParseAmount(in.Amount)                       // 400 / 1006, costs no try
//	next, err := Confirm(v, a, secret, now)
//	write next if next.Version != v.Version (conditional on v.Version, so two answers at
//	once cannot both spend the same try), then answer err (nil: 200 VERIFIED)
//	on a change to VERIFIED or FAILED: the bank_verification.completed event in the
//	same transaction (EventCompleted, EventData), and for VERIFIED the account's
//	kyc.RecordBankVerified transition.
//
// A later verification replaces an earlier one as the account's current one: confirm
// always answers the latest, so the amount of a superseded payout no longer verifies.
package bankverify
