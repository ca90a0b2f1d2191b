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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/realname-kyc/realname/pkg/company"
	"github.com/realname-kyc/realname/pkg/filecheck"
	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// WorkerStore is what the worker reads and writes; any kyc.Store is one. A message costs
// at most three calls: BeginCheck (count the attempt, read the account), CheckInputs
// (the identity's holder and a seed-001 company's profile) and Transition.
type WorkerStore interface {
	// BeginCheck counts the attempt at the checks of a submission before they start, so
	// that a crash leaves its count behind (see MaxCheckAttempts), and reads the account
	// with its counts in the same write.
	BeginCheck(ctx context.Context, accountID string, version int64) (kyc.Account, kyc.CheckCounts, error)
	// EndCheckWithoutVerdict counts an attempt that failed without crashing.
	EndCheckWithoutVerdict(ctx context.Context, accountID string, version int64) error
	// CheckInputs reads who holds the account's identity and, for a seed-001 company, its
	// current profile: its types decide the required documents, and its identifiers are
	// checked again.
	CheckInputs(ctx context.Context, acct kyc.Account) (owner string, profile *kyc.ProfileVersion, err error)
	Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error)
	// RecordFactor writes the verdict's transition with the factor the identity check
	// recorded, in the transition's own write (no extra call).
	RecordFactor(ctx context.Context, r kyc.FactorRecord) (kyc.Account, error)
}

// WorkerDocs is how the worker reads the stored documents and writes them back without
// their metadata; any kyc.Documents is one.
type WorkerDocs interface {
	// Head returns ENOTFOUND if the object does not exist.
	Head(ctx context.Context, key string) (kyc.ObjectInfo, error)
	// Get opens the whole object; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, kyc.ObjectInfo, error)
	// Put replaces the object.
	Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error
}

// WorkerDeps are what the worker is built from. Every field is required.
type WorkerDeps struct {
	Store WorkerStore
	Docs  WorkerDocs
	// Clock stamps the transitions and dates the resident ID check.
	Clock kyc.Clock
	// Log records failed and dropped messages.
	Log *slog.Logger
	// Identity, when set (VERIFY_POLICY=documents), checks a personal submission's name
	// and ID number once its other checks pass: a mismatch rejects it
	// (ReasonNameIDMismatch), an outage is an attempt without a verdict (retried).
	Identity kyc.IdentityProvider
}

// Worker handles batches of review-queue messages.
type Worker struct {
	store    WorkerStore
	docs     WorkerDocs
	clock    kyc.Clock
	log      *slog.Logger
	identity kyc.IdentityProvider
}

// NewWorker returns a worker over d.
func NewWorker(d WorkerDeps) *Worker {
	return &Worker{store: d.Store, docs: d.Docs, clock: d.Clock, log: d.Log, identity: d.Identity}
}

// MaxCheckAttempts is how many attempts at the automated checks of one submission (an
// account at one version) may crash before the worker gives up on it. A crash is an
// attempt that started and never ended: a panic, or the Lambda killed for its memory or
// its timeout, which fails the whole batch and would otherwise bring the submission back
// for ever (the queue's redelivery, then the reconciler's re-queue every few minutes).
//
// Every attempt is counted before the checks start (WorkerStore.BeginCheck), so a crash
// leaves its count behind; an attempt that ends without a verdict but without crashing
// (an S3 or DynamoDB error, retried) is counted again as such, so outages cost the
// submission nothing. A redelivered message that finds MaxCheckAttempts crashes before
// it rejects the account as unprocessable without running the checks (RETRY, every
// document to upload again: which one crashes the checks is unknown), so the user can
// submit again and the reconciler stops re-queueing it. A first delivery always runs the
// checks: concurrent deliveries of one submission (the reconciler's copies of a backlogged
// message) count attempts too, and only a redelivery proves that an attempt has failed.
// The counts last as long as the submission: its decision ends them, and a resubmission
// (a new version) starts with none.
const MaxCheckAttempts = 3

// Handle processes an SQS batch. A message that failed for a reason a retry may cure is
// listed in BatchItemFailures (the event source mapping has ReportBatchItemFailures), so
// only it comes back; after the queue's maximum receives it lands in the dead-letter queue.
// A panic while processing a message is that message's failure alone. Records are logged
// with ctx: a caller that wants the Lambda request id on them puts it there.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		if err := w.processRecovered(ctx, rec); err != nil {
			w.log.ErrorContext(ctx, "review: message failed", slog.String("message_id", rec.MessageId), slog.String("error", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// processRecovered is process with a panic turned into an error, so that the rest of the
// batch is still processed. The panic's value is logged only when it is the runtime's
// (an index out of range, a nil dereference): any other may hold what it was given.
func (w *Worker) processRecovered(ctx context.Context, rec events.SQSMessage) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		what := fmt.Sprintf("%T", p)
		if re, ok := p.(runtime.Error); ok {
			what = re.Error()
		}
		w.log.ErrorContext(ctx, "review: panic while processing a message", slog.String("message_id", rec.MessageId),
			slog.String("panic", what), slog.String("stack", string(debug.Stack())))
		err = fmt.Errorf("panic while processing the message: %s", what)
	}()
	return w.process(ctx, rec)
}

// process handles one message. Returning nil means "done, delete it": that includes
// messages that are stale (the account moved on), which makes redelivery harmless.
func (w *Worker) process(ctx context.Context, rec events.SQSMessage) error {
	var msg kyc.ReviewMessage
	if err := json.Unmarshal([]byte(rec.Body), &msg); err != nil || msg.AccountID == "" {
		// Kept failing so it ends in the dead-letter queue where an operator can see it.
		return fmt.Errorf("malformed review message")
	}
	acct, counts, err := w.store.BeginCheck(ctx, msg.AccountID, msg.Version)
	switch {
	case kyc.IsCode(err, kyc.ENOTFOUND):
		w.log.WarnContext(ctx, "review: account not found, message dropped", slog.String("account_id", msg.AccountID))
		return nil
	case kyc.IsCode(err, kyc.ECONFLICT):
		return nil // already handled by an earlier delivery or superseded by a resubmission
	case err != nil:
		return fmt.Errorf("count the attempt: %w", err) // not counted, so it costs no attempt
	}
	now := w.clock.Now()
	if err := w.attempt(ctx, acct, counts, redelivered(rec), now); err != nil {
		w.endedWithoutVerdict(ctx, acct)
		return err
	}
	return nil
}

// attempt is an attempt at the checks of acct (counts.Attempts of them so far, this one
// included): it decides the account, or gives up on it if earlier attempts crashed too
// often (MaxCheckAttempts).
func (w *Worker) attempt(ctx context.Context, acct kyc.Account, counts kyc.CheckCounts, redelivered bool, now time.Time) error {
	var t kyc.Transition
	var factor *kyc.Factor
	var err error
	if crashedTooOften(counts, redelivered) {
		w.log.WarnContext(ctx, "review: the checks crashed too often; the account is rejected as unprocessable",
			slog.String("account_id", acct.ID), slog.Int64("attempt", counts.Attempts))
		t, err = unprocessable(acct, now)
	} else {
		t, factor, err = w.verdict(ctx, acct, counts.Attempts > 1, now)
	}
	if err != nil {
		return fmt.Errorf("automated checks of account %s: %w", acct.ID, err)
	}
	if factor != nil {
		_, err = w.store.RecordFactor(ctx, kyc.FactorRecord{Factor: *factor, Transition: &t})
	} else {
		_, err = w.store.Transition(ctx, t)
	}
	if kyc.IsCode(err, kyc.ECONFLICT) {
		return nil // another delivery won the race; nothing is decided twice
	}
	if err != nil {
		return fmt.Errorf("transition account: %w", err)
	}
	return nil
}

// crashedTooOften reports whether the attempts before this one, on a redelivery, include
// MaxCheckAttempts that crashed: those not counted as ended without a verdict. (An
// attempt that reached a verdict moved the account on, so no attempt follows it.)
func crashedTooOften(c kyc.CheckCounts, redelivered bool) bool {
	if c.Attempts <= MaxCheckAttempts || !redelivered {
		return false
	}
	return c.Attempts-1-c.EndedWithoutVerdict >= MaxCheckAttempts
}

// endedWithoutVerdict counts an attempt that failed without crashing (it returned an
// error, to be retried), so it does not count towards MaxCheckAttempts. Should the count
// fail too (the store is down, or ctx ran out, as when the Lambda is about to time out),
// the attempt counts as crashed; if the account moved on meanwhile, nothing is left to
// count for.
func (w *Worker) endedWithoutVerdict(ctx context.Context, acct kyc.Account) {
	err := w.store.EndCheckWithoutVerdict(ctx, acct.ID, acct.Version)
	if err != nil && !kyc.IsCode(err, kyc.ECONFLICT) {
		w.log.WarnContext(ctx, "review: a failed attempt could not be counted as such; it counts as crashed",
			slog.String("account_id", acct.ID), slog.String("error", err.Error()))
	}
}

// redelivered reports whether SQS has delivered rec before (its ApproximateReceiveCount).
func redelivered(rec events.SQSMessage) bool {
	n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	return err == nil && n > 1
}

// verdict runs the checks on acct and returns the transition they decide, with the
// factor the identity check recorded (nil when none ran). retry says that an earlier
// attempt at this submission may have written documents back.
func (w *Worker) verdict(ctx context.Context, acct kyc.Account, retry bool, now time.Time) (kyc.Transition, *kyc.Factor, error) {
	res, err := w.check(ctx, acct, retry)
	if err != nil {
		return kyc.Transition{}, nil, err
	}
	var factor *kyc.Factor
	if len(res.reasons) == 0 {
		if factor, err = w.checkFactors(ctx, acct, now); err != nil {
			return kyc.Transition{}, nil, err
		}
		if factor != nil && factor.Result == kyc.FactorMismatch {
			res.reasons = append(res.reasons, ReasonNameIDMismatch)
		}
	}
	var t kyc.Transition
	if len(res.reasons) == 0 {
		t, err = kyc.ChecksPassed(acct, res.docs, now)
	} else {
		t, err = kyc.ChecksFailed(acct, res.docs, res.reasons, res.reupload, now)
	}
	return t, factor, err
}

// checkFactors asks the identity provider whether a personal submission's name and ID
// number belong together, once everything else passed (a submission rejected anyway
// costs no provider call). None runs without a provider (VERIFY_POLICY=factors) or
// without a name, which seed 000's personal form leaves optional: the reviewer then
// judges the documents alone. An outage is an error: the attempt ends without a verdict
// and the message is retried.
func (w *Worker) checkFactors(ctx context.Context, acct kyc.Account, now time.Time) (*kyc.Factor, error) {
	if w.identity == nil || acct.Type != kyc.PersonalAccount || acct.Name == "" || acct.IDNumber == "" {
		return nil, nil
	}
	ans, err := w.identity.Check(ctx, kyc.IdentityFactors{Name: acct.Name, IDNumber: acct.IDNumber})
	if err != nil {
		return nil, fmt.Errorf("identity check: %w", err)
	}
	if ans.Result != kyc.FactorMatch && ans.Result != kyc.FactorMismatch {
		return nil, fmt.Errorf("identity check: %w", kyc.ErrIdentityUnavailable)
	}
	return &kyc.Factor{AccountID: acct.ID, Kind: kyc.FactorTwo, Result: ans.Result, Provider: ans.Provider, Reason: ans.Reason,
		At: now, Name: acct.Name, IDNumber: acct.IDNumber}, nil
}

// unprocessable rejects acct without checking it, for the checks crashed too often. Every
// document it has, and every required one it lacks, is asked for again: which one crashes
// the checks is unknown.
func unprocessable(acct kyc.Account, now time.Time) (kyc.Transition, error) {
	docs := make(map[string]kyc.Document, len(acct.Documents))
	for name, d := range acct.Documents {
		d.Check = ReasonUnprocessable
		docs[name] = d
	}
	reupload := slices.Collect(maps.Keys(docs))
	for _, slot := range kyc.RequiredSlots(acct.Type) {
		if !slices.Contains(reupload, slot) {
			reupload = append(reupload, slot)
		}
	}
	slices.Sort(reupload)
	return kyc.ChecksFailed(acct, docs, []string{ReasonUnprocessable}, reupload, now)
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
// A document that passes is written back without its metadata (checkDocument).
// An error means the check could not run (a store or S3 outage): the message is retried.
func (w *Worker) check(ctx context.Context, acct kyc.Account, retry bool) (checkResult, error) {
	res := checkResult{docs: map[string]kyc.Document{}}
	fail := func(code, where string) { res.reasons = append(res.reasons, code+":"+where) }
	owner, version, err := w.store.CheckInputs(ctx, acct)
	if err != nil {
		return checkResult{}, fmt.Errorf("read the identity's holder and the profile: %w", err)
	}
	prof := w.profile(acct, version)
	required := kyc.RequiredSlots(acct.Type)
	if prof != nil {
		required = prof.slots
	}
	for _, slot := range required {
		if _, ok := acct.Documents[slot]; !ok {
			fail(ReasonDocumentMissing, slot)
			res.reupload = append(res.reupload, slot)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(acct.Documents)) {
		doc, err := w.checkDocument(ctx, acct.Documents[name], retry)
		if err != nil {
			return checkResult{}, err
		}
		if doc.Check != checkOK {
			fail(doc.Check, name)
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
		if prof != nil {
			for _, p := range prof.problems {
				fail(ReasonBadFormat, p.Field)
			}
			break
		}
		if _, err := idcheck.CompanyName(acct.Organization); err != nil {
			fail(ReasonBadFormat, "organization")
		}
		// Required, as the ID number is: it is the identity approval claims. An empty one
		// (an account stored before it was required) fails like a bad one.
		if _, err := idcheck.USCC(acct.IDNumber); err != nil {
			fail(ReasonBadChecksum, "organizationRegNo")
		}
	}
	if owner != "" && owner != acct.ID {
		res.reasons = append(res.reasons, ReasonDuplicateIdentity)
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
	// ReasonNameIDMismatch: the identity provider says the name and the ID number do not
	// belong together (the same reason the provider gives).
	ReasonNameIDMismatch = "name_id_mismatch"
	// ReasonUnprocessable is the whole reason, and every document's check, of an account
	// whose checks crashed MaxCheckAttempts times.
	ReasonUnprocessable = "unprocessable"
)

// checkOK is the check of a document that passed.
const checkOK = "ok"

// checkDocument returns doc with its check: checkOK, or the problem code. A document
// that passes is kept without its metadata (keepStripped).
//
// The stored size must be the recorded one (else the object is not the one submitted),
// except on a retry (an attempt after the first at this submission), which may find the
// smaller copy an earlier attempt wrote back before it crashed, or that a concurrent
// delivery wrote: a smaller object is then accepted if it has no metadata left.
func (w *Worker) checkDocument(ctx context.Context, doc kyc.Document, retry bool) (kyc.Document, error) {
	slot, ok := filecheck.LookupSlot(doc.Slot)
	if !ok {
		return withCheck(doc, ReasonBadFormat), nil
	}
	info, err := w.docs.Head(ctx, doc.Key)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return withCheck(doc, ReasonDocumentMissing), nil
	} else if err != nil {
		return kyc.Document{}, fmt.Errorf("head document: %w", err)
	}
	if info.Size > slot.MaxBytes {
		return withCheck(doc, filecheck.TooLarge), nil
	}
	if !sizeMatches(doc, info.Size, retry) {
		return withCheck(doc, filecheck.Corrupt), nil
	}
	b, contentType, err := w.read(ctx, doc.Key, info.Size, slot.MaxBytes)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return withCheck(doc, ReasonDocumentMissing), nil
	} else if err != nil {
		return kyc.Document{}, err
	}
	verdict := filecheck.CheckBytes(b, slot)
	if !verdict.OK() {
		return withCheck(doc, verdict.Code), nil
	}
	if contentType == "" {
		contentType = filecheck.ContentType(verdict.Format)
	}
	return w.keepStripped(ctx, doc, b, contentType, retry)
}

// keepStripped writes b, the content of doc that passed its check, back without its
// metadata (filecheck.StripMetadata: a phone photo's GPS position, its owner's name)
// under the same key, if it has any, and returns doc with the size stored, which the
// transition records. The write comes before the transition that lists the account for
// review and lets it be approved, so the files a decision is made on are stripped.
func (w *Worker) keepStripped(ctx context.Context, doc kyc.Document, b []byte, contentType string, retry bool) (kyc.Document, error) {
	stripped, removed := filecheck.StripMetadata(b)
	if size := int64(len(b)); doc.Size > 0 && size != doc.Size {
		if removed || !sizeMatches(doc, size, retry) {
			return withCheck(doc, filecheck.Corrupt), nil
		}
		doc.Size = size
	}
	if removed {
		// b and stripped (each at most the slot's MaxBytes) are all this holds: far less
		// than the decode budget that the check has just given back.
		if err := w.docs.Put(ctx, doc.Key, contentType, bytes.NewReader(stripped)); err != nil {
			return kyc.Document{}, fmt.Errorf("write back the document without metadata: %w", err)
		}
		doc.Size = int64(len(stripped))
	}
	return withCheck(doc, checkOK), nil
}

// sizeMatches reports whether size bytes may be doc as submitted (see checkDocument). A
// document recorded without a size (0) matches any.
func sizeMatches(doc kyc.Document, size int64, retry bool) bool {
	return doc.Size <= 0 || size == doc.Size || retry && size < doc.Size
}

func withCheck(doc kyc.Document, check string) kyc.Document {
	doc.Check = check
	return doc
}

// read reads the whole object key, of size bytes as its HEAD said, into a buffer of that
// size; at most limit+1 bytes, one more than allowed telling "too large" from "at the
// limit", however large the object has become since. It also returns the object's
// content type, which a write-back keeps.
func (w *Worker) read(ctx context.Context, key string, size, limit int64) ([]byte, string, error) {
	body, info, err := w.docs.Get(ctx, key)
	if err != nil {
		return nil, "", fmt.Errorf("get document: %w", err)
	}
	defer body.Close()
	var buf bytes.Buffer
	buf.Grow(int(min(size, limit)) + bytes.MinRead) // ReadFrom grows the buffer when less than MinRead is free
	if _, err := buf.ReadFrom(io.LimitReader(body, limit+1)); err != nil {
		return nil, "", fmt.Errorf("read document: %w", err)
	}
	return buf.Bytes(), info.ContentType, nil
}

// companyProfile is what the checks take from a seed-001 company's current profile: the
// documents its types require and the problems its fields have (none, unless the rules
// changed since it was submitted or the item was altered).
type companyProfile struct {
	slots    []string
	problems []*kyc.Error
}

// profile is what the checks take from version, acct's current profile when it is a
// company that applied with seed 001's form; nil for every other account, which keeps
// seed 000's rules.
func (w *Worker) profile(acct kyc.Account, version *kyc.ProfileVersion) *companyProfile {
	if acct.Type != kyc.CompanyAccount || version == nil || version.Fields[company.FieldForm] == company.FormSeed000 {
		return nil
	}
	prof := &companyProfile{problems: company.Problems(version.Fields, w.clock.Now())}
	if parsed, err := company.ParseProfile(version.Fields, w.clock.Now()); err == nil {
		prof.slots = company.RequiredSlots(parsed.OrganizationType, parsed.IdentificationType)
	} else {
		prof.slots = []string{company.SlotLicence}
	}
	return prof
}
