// Package review is what happens to a submission once it is made: the worker takes it off
// the review queue and runs the automated checks of DOMAIN.md on the stored documents and
// identifiers, the reconciler re-queues submissions left SUBMITTED, and the reviewer
// service lists, shows and decides accounts awaiting review.
//
// Which state may move where, and what each move writes and audits, are the transitions
// of pkg/kyc; this package does the I/O around them (reads, document checks, conditional
// writes) and reports per-message failures so that only those are retried.
//
// Each of Service, Worker and Reconciler is built from its own Deps: the few store,
// document or queue methods it calls (interfaces declared here, which the adapters of
// pkg/kyc's ports satisfy), a clock and a logger. Nothing else is reached through them.
package review

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// WorkerStore is what the worker reads and writes; any kyc.Store is one.
type WorkerStore interface {
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	IdentityOwner(ctx context.Context, typ kyc.AccountType, idNumber string) (accountID string, err error)
	Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error)
}

// WorkerDocs is how the worker reads the stored documents; any kyc.Documents is one.
type WorkerDocs interface {
	// Head returns ENOTFOUND if the object does not exist.
	Head(ctx context.Context, key string) (kyc.ObjectInfo, error)
	// Get opens the whole object; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, kyc.ObjectInfo, error)
}

// WorkerDeps are what the worker is built from. Every field is required.
type WorkerDeps struct {
	Store WorkerStore
	Docs  WorkerDocs
	// Clock stamps the transitions and dates the resident ID check.
	Clock kyc.Clock
	// Log records failed and dropped messages.
	Log *slog.Logger
}

// Worker handles batches of review-queue messages.
type Worker struct {
	store WorkerStore
	docs  WorkerDocs
	clock kyc.Clock
	log   *slog.Logger
}

// NewWorker returns a worker over d.
func NewWorker(d WorkerDeps) *Worker {
	return &Worker{store: d.Store, docs: d.Docs, clock: d.Clock, log: d.Log}
}

// Handle processes an SQS batch. A message that failed for a reason a retry may cure is
// listed in BatchItemFailures (the event source mapping has ReportBatchItemFailures), so
// only it comes back; after the queue's maximum receives it lands in the dead-letter queue.
// Records are logged with ctx: a caller that wants the Lambda request id on them puts it
// there.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		if err := w.process(ctx, rec); err != nil {
			w.log.ErrorContext(ctx, "review: message failed", slog.String("message_id", rec.MessageId), slog.String("error", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// process handles one message. Returning nil means "done, delete it": that includes
// messages that are stale (the account moved on), which makes redelivery harmless.
func (w *Worker) process(ctx context.Context, rec events.SQSMessage) error {
	var msg kyc.ReviewMessage
	if err := json.Unmarshal([]byte(rec.Body), &msg); err != nil || msg.AccountID == "" {
		// Kept failing so it ends in the dead-letter queue where an operator can see it.
		return fmt.Errorf("malformed review message")
	}
	acct, err := w.store.GetAccount(ctx, msg.AccountID)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		w.log.WarnContext(ctx, "review: account not found, message dropped", slog.String("account_id", msg.AccountID))
		return nil
	} else if err != nil {
		return fmt.Errorf("load account: %w", err)
	}
	if acct.State != kyc.StateSubmitted || acct.Version != msg.Version {
		return nil // already handled by an earlier delivery or superseded by a resubmission
	}
	now := w.clock.Now()
	res, err := w.check(ctx, acct)
	if err != nil {
		return err
	}
	var t kyc.Transition
	if len(res.reasons) == 0 {
		t, err = kyc.ChecksPassed(acct, res.docs, now)
	} else {
		t, err = kyc.ChecksFailed(acct, res.docs, res.reasons, res.reupload, now)
	}
	if err != nil {
		return fmt.Errorf("automated checks of account %s: %w", acct.ID, err)
	}
	_, err = w.store.Transition(ctx, t)
	if kyc.IsCode(err, kyc.ECONFLICT) {
		return nil // another delivery won the race; nothing is decided twice
	}
	if err != nil {
		return fmt.Errorf("transition account: %w", err)
	}
	return nil
}

// checkResult is the verdict of the automated checks.
type checkResult struct {
	reasons  []string                // machine-readable, "<code>" or "<code>:<field or slot>"
	reupload []string                // slots whose document must be uploaded anew
	docs     map[string]kyc.Document // the documents with their Check set
}

// check runs the automated checks of DOMAIN.md: every required document exists, is within
// its slot's size, and is an allowed format decoded in full (filecheck); the identifiers
// pass their checksums; and the identity is not already approved on another account.
// An error means the check could not run (a store or S3 outage): the message is retried.
func (w *Worker) check(ctx context.Context, acct kyc.Account) (checkResult, error) {
	res := checkResult{docs: map[string]kyc.Document{}}
	fail := func(code, where string) { res.reasons = append(res.reasons, code+":"+where) }
	for _, slot := range kyc.RequiredSlots(acct.Type) {
		if _, ok := acct.Documents[slot]; !ok {
			fail(ReasonDocumentMissing, slot)
			res.reupload = append(res.reupload, slot)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(acct.Documents)) {
		doc := acct.Documents[name]
		code, err := w.checkDocument(ctx, doc)
		if err != nil {
			return checkResult{}, err
		}
		doc.Check = "ok"
		if code != "" {
			doc.Check = code
			fail(code, name)
			res.reupload = append(res.reupload, name)
		}
		res.docs[name] = doc
	}
	switch acct.Type {
	case kyc.PersonalAccount:
		if _, err := idcheck.ResidentIDAt(acct.IDNumber, w.clock.Now()); err != nil {
			fail(ReasonBadChecksum, "ID_number")
		}
		if acct.Name != "" {
			if _, err := idcheck.PersonName(acct.Name); err != nil {
				fail(ReasonBadFormat, "name")
			}
		}
	case kyc.CompanyAccount:
		if _, err := idcheck.CompanyName(acct.Organization); err != nil {
			fail(ReasonBadFormat, "organization")
		}
		// Required, as the ID number is: it is the identity approval claims. An empty one
		// (an account stored before it was required) fails like a bad one.
		if _, err := idcheck.USCC(acct.IDNumber); err != nil {
			fail(ReasonBadChecksum, "organizationRegNo")
		}
	}
	if acct.IDNumber != "" {
		owner, err := w.store.IdentityOwner(ctx, acct.Type, acct.IDNumber)
		switch {
		case err == nil && owner != acct.ID:
			res.reasons = append(res.reasons, ReasonDuplicateIdentity)
		case err != nil && !kyc.IsCode(err, kyc.ENOTFOUND):
			return checkResult{}, fmt.Errorf("identity owner: %w", err)
		}
	}
	return res, nil
}

// Reasons the automated checks give (filecheck's codes complete the list: too_large,
// bad_format, corrupt, active_content).
const (
	ReasonDocumentMissing   = "document_missing"
	ReasonBadChecksum       = "bad_checksum"
	ReasonBadFormat         = filecheck.BadFormat
	ReasonDuplicateIdentity = "duplicate_identity"
)

// checkDocument returns the problem code of one stored document, "" if it passes.
func (w *Worker) checkDocument(ctx context.Context, doc kyc.Document) (string, error) {
	slot, ok := filecheck.LookupSlot(doc.Slot)
	if !ok {
		return ReasonBadFormat, nil
	}
	info, err := w.docs.Head(ctx, doc.Key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return ReasonDocumentMissing, nil
	} else if err != nil {
		return "", fmt.Errorf("head document: %w", err)
	}
	if info.Size > slot.MaxBytes {
		return filecheck.TooLarge, nil
	}
	if doc.Size > 0 && info.Size != doc.Size {
		// Not the file that was submitted: the object changed after the submission.
		return filecheck.Corrupt, nil
	}
	body, _, err := w.docs.Get(ctx, doc.Key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return ReasonDocumentMissing, nil
	} else if err != nil {
		return "", fmt.Errorf("get document: %w", err)
	}
	defer body.Close()
	verdict, err := filecheck.Check(body, slot)
	if err != nil {
		return "", fmt.Errorf("read document: %w", err)
	}
	return verdict.Code, nil
}
