// Package kyc holds the domain of real-name verification: users, sessions, accounts and
// their verification states, audit records, the error type every layer speaks, and the
// interfaces (ports) that the storage, document and queue adapters implement.
//
// It also holds the rules of DOMAIN.md that do not need the outside world: the account's
// state machine (Submit, UndoSubmit, ChecksPassed, ChecksFailed, Approve, Reject), each a
// pure function from the current account to the Transition a store writes or a refusal
// with the code the API returns, and the documents each account type requires
// (RequiredSlots). Services read, call these and write, so a rule is decided in one place
// and tested without a store; the content rules of documents are pkg/filecheck's.
//
// It imports nothing from AWS or any other outside system; adapters live in their own
// packages (dynamo, s3docs, sqsqueue, localqueue) and are wired in pkg/app
// (AWS) or by the local runner.
package kyc
