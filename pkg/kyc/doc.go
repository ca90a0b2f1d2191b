// Package kyc holds the domain of real-name verification: users, sessions, accounts and
// their verification states, audit records, the error type every layer speaks, and the
// interfaces (ports) that the storage, document and queue adapters implement.
//
// It imports nothing from AWS or any other outside system; adapters live in their own
// packages (dynamo, s3docs, sqsqueue, localqueue) and are wired in pkg/app
// (AWS) or by the local runner.
package kyc
