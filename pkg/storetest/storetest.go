// Package storetest is the contract suite of kyc.Store: what every handler, worker and
// test may rely on, whatever runs underneath. There is one implementation, pkg/dynamo,
// and it runs on two DynamoDB engines: dynoxide (SQLite inside; the local default and the
// fast engine of every other package's tests) and DynamoDB Local (AWS's own emulator, the
// reference for real DynamoDB). pkg/dynamo runs this suite on both, so code tested on
// dynoxide behaves the same on DynamoDB, and a difference between the engines that the
// store leans on fails on one of them.
//
// Call it from the implementation's own test, once per engine, each with a fresh table
// per subtest:
//
//	func TestStore(t *testing.T) {
//		for _, e := range engines {
//			t.Run(e.name, func(t *testing.T) {
//				storetest.Run(t, func(t *testing.T) kyc.Store { return openFresh(t, e) })
//			})
//		}
//	}
//
// Records (users, accounts with their documents, sessions, audit records, uploads, list
// pages) are compared whole with github.com/google/go-cmp: a field that a store does not
// write, does not read back or garbles fails the suite, a field added to a kyc type later
// included, with no list of fields here to keep up to date.
//
// What the suite requires beyond the kyc.Store comments, so implementers need not guess:
//
//   - Times round-trip as the same instant with at least millisecond precision; the
//     suite's times are whole milliseconds and are compared to the millisecond, so the
//     location and sub-millisecond digits may be dropped.
//   - CreateUser stores both the user and the account at Version 1, whatever the caller
//     passed.
//   - UpdateUser of a user that does not exist fails with ENOTFOUND or ECONFLICT and creates
//     nothing; a changed phone is refused or ignored, never indexed.
//   - Nil and empty slices and maps are interchangeable (DynamoDB drops empty sets), in
//     records and in what lists return.
//   - Document.Check round-trips like every other document field ("" until checked).
//   - Identity claims (see kyc.Transition): approving with a non-empty IDNumber claims
//     (Type, IDNumber) in the transition's own write; approving another account with a
//     claimed identity is ECONFLICT with a message saying the identity is already verified
//     on another account, and writes nothing (account, audit trail and pending count stay
//     as they were). Of concurrent approvals of one identity exactly one wins. The same
//     number under the other type is another identity; an empty IDNumber claims nothing
//     (IdentityOwner of "" is ENOTFOUND). Leaving APPROVED, or changing type or number
//     while APPROVED, releases the old claim; a change that keeps them keeps the claim.
//   - ListPending: a limit below 1 means DefaultPageLimit, above MaxPageLimit means
//     MaxPageLimit. The page that holds the last account has NextCursor "" (no trailing
//     empty page). Cursors are integrity-checked: changing, dropping or adding any
//     character, or using a cursor of another account type, is EINVALID.
//   - ListSubmittedBefore is strict: an account submitted exactly at t is not returned.
//   - ListAudit orders by At; records with equal At are all kept, in any order among
//     themselves. An account without records lists as empty, not ENOTFOUND.
//   - A counter window ends at the expiresAt of its first increment; later increments in
//     the same window do not move it.
//   - An SMS code is live while now is before ExpiresAt (at ExpiresAt it has expired), it is
//     unused and it has fewer than kyc.MaxCodeAttempts wrong tries. Only a TryCode of a
//     live code with a wrong hash counts a try: a match counts none, and neither does a
//     refused use (RegisterUser, ResetPassword), which writes nothing. CountAndPutCode
//     replaces the code of its phone and purpose outright: the new one starts unused with
//     the attempts it carries (0 from the service). Every refusal is EBADCODE, including an
//     empty phone or purpose.
//   - An upload record is found by its exact key (any string, slashes included) until
//     now reaches ExpiresAt. PutUpload never replaces a record: a second put of the same
//     key, identical or not, is EEXISTS and leaves the first as it was.
package storetest

import (
	"testing"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Page limits of ListPending the suite expects. They are the API's page sizes: small enough
// that one page is one cheap query, large enough for a reviewer's screen.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

// Run runs the contract suite. open must return a fresh, empty store for each subtest and
// register its own cleanup with t.Cleanup; subtests do not share stores because several of
// them assert maintained counts.
func Run(t *testing.T, open func(t *testing.T) kyc.Store) {
	t.Helper()
	type test struct {
		name string
		fn   func(t *testing.T, s kyc.Store)
	}
	groups := []struct {
		name  string
		tests []test
	}{
		{"Ping", []test{{"OK", testPing}}},
		{"Users", []test{
			{"RoundTrip", testUserRoundTrip},
			{"Missing", testUserMissing},
			{"TakenPhone", testCreateTakenPhone},
			{"TakenIDs", testCreateTakenIDs},
			{"ConcurrentSamePhone", testCreateConcurrentSamePhone},
			{"Update", testUpdateUser},
			{"UpdateStale", testUpdateUserStale},
			{"UpdateMissing", testUpdateUserMissing},
			{"UpdateKeepsPhone", testUpdateUserKeepsPhone},
			{"UpdateConcurrent", testUpdateUserConcurrent},
		}},
		{"Sessions", []test{
			{"RoundTrip", testSessionRoundTrip},
			{"Expiry", testSessionExpiry},
			{"Coexist", testSessionsCoexist},
			{"Delete", testSessionDelete},
			{"EndedByUserChange", testEndUserSessions},
			{"UserVersion", testSessionUserVersion},
		}},
		{"Transition", []test{
			{"Apply", testTransitionApply},
			{"WrongState", testTransitionWrongState},
			{"StaleVersion", testTransitionStaleVersion},
			{"Create", testTransitionCreate},
			{"Missing", testTransitionMissing},
			{"Concurrent", testTransitionConcurrent},
		}},
		{"Identity", []test{
			{"Claim", testIdentityClaim},
			{"Taken", testIdentityTaken},
			{"PerType", testIdentityPerType},
			{"Empty", testIdentityEmpty},
			{"Release", testIdentityRelease},
			{"Concurrent", testIdentityConcurrent},
		}},
		{"ListPending", []test{
			{"Empty", testPendingEmpty},
			{"Total", testPendingTotal},
			{"OrderAndPages", testPendingOrderAndPages},
			{"CursorSurvivesDecision", testPendingCursorSurvivesDecision},
			{"Limits", testPendingLimits},
			{"BadCursor", testPendingBadCursor},
		}},
		{"ListSubmittedBefore", []test{{"Select", testSubmittedBefore}}},
		{"Audit", []test{
			{"OrderAndSeparation", testAuditOrder},
			{"Empty", testAuditEmpty},
		}},
		{"Codes", []test{
			{"Expiry", testCodeExpiry},
			{"Wrong", testCodeWrong},
			{"Replace", testCodeReplace},
			{"Scope", testCodeScope},
		}},
		{"Uploads", []test{
			{"RoundTrip", testUploadRoundTrip},
			{"Exists", testUploadExists},
			{"Unknown", testUploadUnknown},
			{"Expiry", testUploadExpiry},
			{"Keys", testUploadKeys},
			{"Concurrent", testUploadConcurrent},
		}},
		{"Counters", []test{
			{"Incr", testCounterIncr},
			{"Window", testCounterWindow},
			{"Concurrent", testCounterConcurrent},
		}},
		{"DocumentRoutes", []test{
			{"AccountAndUploads", testAccountAndUploads},
			{"AccountAndUploadsMissing", testAccountAndUploadsMissing},
			{"SetUserPortrait", testSetUserPortrait},
			{"SetUserPortraitRefused", testSetUserPortraitRefused},
			{"SetUserPortraitConcurrent", testSetUserPortraitConcurrent},
			{"SetUserPortraitDuringChangeUser", testSetUserPortraitDuringChangeUser},
		}},
		{"Limits", []test{
			{"Reserve", testReserve},
			{"ReserveConcurrent", testReserveConcurrent},
			{"TryCodeLimited", testTryCodeLimited},
			{"OpenSessionReleasing", testOpenSessionReleasing},
			{"LastAdmin", testLastAdmin},
			{"LastAdminConcurrent", testLastAdminConcurrent},
			{"ChangeUserAudited", testChangeUserAudited},
		}},
		{"UserRoutes", []test{{"PhoneAndCounter", testPhoneAndCounter}, {"CountAndPutCode", testCountAndPutCode}, {"CountAndPutCodeConcurrent", testCountAndPutCodeConcurrent}, {"TryCode", testTryCode}, {"TryCodeConcurrent", testTryCodeConcurrent}, {"RegisterUser", testRegisterUser}, {"RegisterUserConcurrent", testRegisterUserConcurrent}, {"OpenSession", testOpenSession}, {"ChangeUser", testChangeUser}, {"ChangeUserRaces", testChangeUserRaces}, {"ChangeUserManySessions", testChangeUserManySessions}, {"ResetPassword", testResetPassword}, {"ResetPasswordConcurrent", testResetPasswordConcurrent}}},
		{"Changes", []test{
			{"RoundTrip", testChangeRoundTrip},
			{"Refused", testChangeRefused},
			{"Concurrent", testChangeConcurrent},
			{"Decide", testChangeDecide},
			{"InCompanyQueue", testChangeInCompanyQueue},
		}},
		{"Profiles", []test{
			{"Versions", testProfileVersions},
			{"Refused", testProfileRefused},
			{"Missing", testProfileMissing},
		}},
		{"Checks", []test{
			{"BeginCheck", testBeginCheck},
			{"CheckInputs", testCheckInputs},
			{"AccountProfileAndUploads", testAccountProfileAndUploads},
		}},
		{"Factors", []test{
			{"RoundTrip", testFactorsRoundTrip},
			{"WithTransition", testFactorsWithTransition},
			{"ReserveLive", testReserveLive},
		}},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := open(t)
					if s == nil {
						t.Fatal("open returned a nil store")
					}
					tc.fn(t, s)
				})
			}
		})
	}
}

func testPing(t *testing.T, s kyc.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
