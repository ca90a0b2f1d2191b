// Package hosted is seed 004's hosted three-factor verification of an integrator's person
// account (issue 14; API.md "Integrators", DOMAIN.md "Hosted verification"):
//
//   - the integrator starts it (Start) and gets a single-use link to a page on the API's
//     own host, /v1/verify/<ticket>, living 24 hours;
//   - the person opens the page (Page), has an SMS code sent to the mobile the
//     integrator gave (SendCode), and enters it (Confirm);
//   - a right code runs the three-factor check (name, ID number, mobile) with the
//     identity provider: a match makes the verification VERIFIED and approves the account
//     in the same write; a mismatch makes it FAILED; either way the factor is recorded and
//     verification.completed is written to the outbox in that write; five wrong codes
//     make it FAILED too. The person is then sent back to the integrator's returnUrl with
//     verificationId and status.
//
// The ticket is 256 random bits. It is kept only as its SHA-256, and the verification's
// id is the first 128 bits of that hash (base32): the routes that hold the ticket find
// the verification in one read, and the id, which the integrator and the returnUrl see,
// cannot be turned back into the ticket. The ticket is in the page's path because API.md
// puts it there; nothing logs a path.
//
// Each step is one conditional write whose condition is the state it starts from: two
// confirmations at once cannot both run the check (the first takes a lease), a provider
// outage gives the lease back and consumes nothing (the code stays good).
package hosted

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/idcheck"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// VerificationsPerHour bounds how many verifications one app starts an hour, counted in
// the write that stores each one.
const VerificationsPerHour = 1000

// maxReturnURL bounds returnUrl (it comes back in every redirect).
const maxReturnURL = 2048

// Store is what the service reads and writes; pkg/dynamo's store is one.
type Store interface {
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	CreateHosted(ctx context.Context, v kyc.HostedVerification, acct kyc.Account, limit kyc.Limit, now time.Time) error
	GetHosted(ctx context.Context, id string) (kyc.HostedVerification, error)
	PutHostedCode(ctx context.Context, id, codeHash string, now, codeExpires time.Time, every time.Duration, max int) (kyc.HostedVerification, bool, error)
	ClaimHosted(ctx context.Context, id, codeHash, lease string, now, until time.Time, maxWrong int) (kyc.HostedVerification, bool, error)
	CountWrongHostedCode(ctx context.Context, id string, now time.Time) (kyc.HostedVerification, bool, error)
	ReleaseHosted(ctx context.Context, id, lease string) error
	FinishHosted(ctx context.Context, f kyc.HostedFinish) (kyc.Account, error)
}

// Sender queues an event that was written to the outbox (outbox.Dispatch); nil leaves
// it to the sweeper.
type Sender func(ctx context.Context, evs ...webhook.OutboxEvent)

// Deps are the service's collaborators; each route's function has only those it uses.
type Deps struct {
	Store    Store
	Identity kyc.IdentityProvider
	SMS      kyc.SMSSender
	Dispatch Sender
	Clock    kyc.Clock
	Log      *slog.Logger
}

// Service runs hosted verifications.
type Service struct{ d Deps }

// New returns the service over d.
func New(d Deps) *Service { return &Service{d: d} }

// StartInput is POST /v1/identify/person/3/async's body.
type StartInput struct {
	AccountID, Name, IDNum, Mobile, ReturnURL string
}

// Started is the answer: the verification's id and the page's url.
type Started struct {
	VerificationID string `json:"verificationId"`
	URL            string `json:"url"`
}

// Owns reports whether the app p owns a (integrator.Owns; repeated so that the page's
// function does not link the integrator service).
func owns(p kyc.Principal, a kyc.Account) bool {
	return p.AppKey != "" && a.OwnerKind == kyc.OwnerIntegrator && a.OwnerID == p.AppKey
}

// Start starts a verification of in.AccountID, an account of the app p, and returns the
// page's url under base (the API's public base URL, no trailing slash). The name, ID
// number and mobile must be the account's: the approval the verification leads to is of
// the account as created, and a verification of other values would approve values
// nobody checked. Three calls: the session (middleware), the account, the write.
func (s *Service) Start(ctx context.Context, p kyc.Principal, in StartInput, base string) (Started, error) {
	now := s.d.Clock.Now()
	for _, f := range []struct{ name, v string }{{"accountId", in.AccountID}, {"name", in.Name}, {"idNum", in.IDNum}, {"mobile", in.Mobile}, {"returnUrl", in.ReturnURL}} {
		if strings.TrimSpace(f.v) == "" {
			return Started{}, kyc.FieldError(kyc.EMISSING, f.name, "required")
		}
	}
	name, err := idcheck.PersonName(in.Name)
	if err != nil {
		return Started{}, kyc.FieldError(kyc.EINVALID, "name", err.Error())
	}
	idNum, err := idcheck.ResidentIDAt(in.IDNum, now)
	if err != nil {
		return Started{}, kyc.FieldError(kyc.EINVALID, "idNum", err.Error())
	}
	mobile, err := idcheck.Mobile(in.Mobile)
	if err != nil {
		return Started{}, kyc.FieldError(kyc.EINVALID, "mobile", err.Error())
	}
	ret, err := CheckReturnURL(in.ReturnURL)
	if err != nil {
		return Started{}, err
	}
	acct, err := s.d.Store.GetAccount(ctx, in.AccountID)
	if kyc.IsCode(err, kyc.ENOTFOUND) || err == nil && !owns(p, acct) {
		return Started{}, kyc.Errorf(kyc.ENOTFOUND, "Account not found.")
	}
	if err != nil {
		return Started{}, err
	}
	if acct.State == kyc.StateApproved {
		return Started{}, kyc.Errorf(kyc.ECONFLICT, "The account is approved already.")
	}
	if !kyc.MayApproveByThreeFactors(acct) {
		return Started{}, kyc.Errorf(kyc.ECONFLICT, "The account's state does not allow a verification.")
	}
	switch {
	case name != acct.Name:
		return Started{}, kyc.FieldError(kyc.EINVALID, "name", "is not the account's")
	case idNum != acct.IDNumber:
		return Started{}, kyc.FieldError(kyc.EINVALID, "idNum", "is not the account's")
	case mobile != acct.Tel:
		return Started{}, kyc.FieldError(kyc.EINVALID, "mobile", "is not the account's")
	}
	ticket, err := newTicket()
	if err != nil {
		return Started{}, err
	}
	id, hash, _ := idOf(ticket)
	v := kyc.HostedVerification{ID: id, TicketHash: hash, App: p.AppKey, AccountID: acct.ID, Name: name, IDNumber: idNum,
		Mobile: mobile, ReturnURL: ret, Status: kyc.HostedPending, CreatedAt: now, ExpiresAt: now.Add(kyc.HostedTTL)}
	limit := kyc.Limit{Key: "app-verifications:" + p.AppKey, Max: VerificationsPerHour, Window: time.Hour}
	if err := s.d.Store.CreateHosted(ctx, v, acct, limit, now); err != nil {
		return Started{}, err
	}
	s.d.Log.InfoContext(ctx, "hosted verification started", slog.String("verification_id", id), slog.String("account_id", acct.ID), slog.String("app", p.AppKey))
	return Started{VerificationID: id, URL: strings.TrimSuffix(base, "/") + "/v1/verify/" + ticket}, nil
}

// CheckReturnURL accepts an absolute http(s) URL without credentials, and returns it as
// given. The server never fetches it: it only sends the person's browser there.
func CheckReturnURL(raw string) (string, error) {
	bad := func(reason string) error { return kyc.FieldError(kyc.EINVALID, "returnUrl", reason) }
	if len(raw) > maxReturnURL {
		return "", bad(fmt.Sprintf("at most %d characters", maxReturnURL))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return "", bad("must be an absolute http or https URL")
	}
	if u.User != nil {
		return "", bad("must not carry credentials")
	}
	return raw, nil
}

// Redirect is returnURL with verificationId and status added to its query; the rest of
// the URL (its own query, its fragment) is kept as given.
func Redirect(returnURL, id string, status kyc.HostedStatus) string {
	add := "verificationId=" + url.QueryEscape(id) + "&status=" + url.QueryEscape(string(status))
	frag := ""
	if i := strings.IndexByte(returnURL, '#'); i >= 0 {
		returnURL, frag = returnURL[:i], returnURL[i:]
	}
	switch {
	case !strings.Contains(returnURL, "?"):
		returnURL += "?" + add
	case strings.HasSuffix(returnURL, "?") || strings.HasSuffix(returnURL, "&"):
		returnURL += add
	default:
		returnURL += "&" + add
	}
	return returnURL + frag
}

// StatusView is GET /v1/identify/{verificationId}'s answer.
type StatusView struct {
	VerificationID string           `json:"verificationId"`
	AccountID      string           `json:"accountId"`
	Status         kyc.HostedStatus `json:"status"`
	Reason         string           `json:"reason,omitempty"`
}

// Status reads verification id of the app p; another app's, or none, is ENOTFOUND.
func (s *Service) Status(ctx context.Context, p kyc.Principal, id string) (StatusView, error) {
	if !validID(id) {
		return StatusView{}, kyc.Errorf(kyc.ENOTFOUND, "Verification not found.")
	}
	v, err := s.d.Store.GetHosted(ctx, id)
	if err == nil && (p.AppKey == "" || v.App != p.AppKey) {
		err = kyc.Errorf(kyc.ENOTFOUND, "Verification not found.")
	}
	if err != nil {
		return StatusView{}, err
	}
	return StatusView{VerificationID: v.ID, AccountID: v.AccountID, Status: v.StatusAt(s.d.Clock.Now()), Reason: v.Reason}, nil
}

// PageView is what the page shows: masked values only.
type PageView struct {
	Name, IDNumber, Mobile string
	ExpiresAt              time.Time
}

// Page reads the verification of ticket for its page: ENOTFOUND for an unknown ticket,
// EGONE for one used or expired.
func (s *Service) Page(ctx context.Context, ticket string) (PageView, error) {
	v, err := s.byTicket(ctx, ticket)
	if err != nil {
		return PageView{}, err
	}
	if v.StatusAt(s.d.Clock.Now()) != kyc.HostedPending {
		return PageView{}, errGone()
	}
	return PageView{Name: kyc.MaskName(v.Name), IDNumber: idcheck.MaskID(v.IDNumber), Mobile: kyc.MaskPhone(v.Mobile), ExpiresAt: v.ExpiresAt}, nil
}

func (s *Service) byTicket(ctx context.Context, ticket string) (kyc.HostedVerification, error) {
	id, hash, ok := idOf(ticket)
	if !ok {
		return kyc.HostedVerification{}, errUnknown()
	}
	v, err := s.d.Store.GetHosted(ctx, id)
	if kyc.IsCode(err, kyc.ENOTFOUND) {
		return kyc.HostedVerification{}, errUnknown()
	}
	if err != nil {
		return kyc.HostedVerification{}, err
	}
	if subtle.ConstantTimeCompare([]byte(v.TicketHash), []byte(hash)) != 1 {
		return kyc.HostedVerification{}, errUnknown() // 128 bits of the hash matched, the rest did not: not this ticket
	}
	return v, nil
}

// CodeSent is POST /v1/verify/{ticket}/code's answer.
type CodeSent struct {
	Mobile    string `json:"mobile"` // masked
	ExpiresIn int64  `json:"expires_in"`
	// Remaining is how many more codes this verification may send.
	Remaining int `json:"remaining"`
}

// SendCode texts a new code to the verification's mobile: at most kyc.HostedMaxCodes per
// verification, one a minute (ETOOMANY otherwise). One write, which returns the mobile.
func (s *Service) SendCode(ctx context.Context, ticket string) (CodeSent, error) {
	id, hash, ok := idOf(ticket)
	if !ok {
		return CodeSent{}, errUnknown()
	}
	if s.d.SMS == nil {
		return CodeSent{}, errors.New("hosted: SendCode needs an SMS sender")
	}
	code, err := newCode()
	if err != nil {
		return CodeSent{}, err
	}
	now := s.d.Clock.Now()
	v, ok, err := s.d.Store.PutHostedCode(ctx, id, CodeHash(id, code), now, now.Add(kyc.HostedCodeTTL), kyc.HostedCodeEvery, kyc.HostedMaxCodes)
	if err != nil {
		return CodeSent{}, err
	}
	if v.ID == "" || subtle.ConstantTimeCompare([]byte(v.TicketHash), []byte(hash)) != 1 {
		// An unknown ticket; for a hash that matches only the id's half, the write was
		// refused or landed on another's verification: its code is then unknown to
		// anyone, and the next send replaces it (a 2^-128 event, written down for
		// completeness).
		return CodeSent{}, errUnknown()
	}
	if !ok {
		switch {
		case v.StatusAt(now) != kyc.HostedPending:
			return CodeSent{}, errGone()
		case v.CodesSent >= kyc.HostedMaxCodes:
			return CodeSent{}, kyc.Errorf(kyc.ETOOMANY, "No more codes can be sent for this verification.")
		default:
			return CodeSent{}, kyc.Errorf(kyc.ETOOMANY, "A code was sent less than a minute ago.")
		}
	}
	if err := s.d.SMS.Send(ctx, v.Mobile, kyc.PurposeVerify, code); err != nil {
		return CodeSent{}, fmt.Errorf("hosted: send code: %w", err)
	}
	s.d.Log.InfoContext(ctx, "hosted verification code sent", slog.String("verification_id", id))
	return CodeSent{Mobile: kyc.MaskPhone(v.Mobile), ExpiresIn: int64(kyc.HostedCodeTTL / time.Second), Remaining: kyc.HostedMaxCodes - v.CodesSent}, nil
}

// Result is POST /v1/verify/{ticket}/confirm's answer when the verification ended.
type Result struct {
	Status   kyc.HostedStatus `json:"status"`
	Redirect string           `json:"redirect"`
}

// Confirm checks code and, if it is the live code, runs the three-factor check (see the
// package documentation). A wrong code is EBADCODE with the tries left in Data, the
// fifth FAILED; an outage EUNAVAILABLE with nothing consumed; a verification being
// checked by another confirmation ECONFLICT.
func (s *Service) Confirm(ctx context.Context, ticket, code string) (Result, error) {
	id, hash, ok := idOf(ticket)
	if !ok {
		return Result{}, errUnknown()
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return Result{}, kyc.FieldError(kyc.EMISSING, "code", "required")
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return Result{}, kyc.FieldError(kyc.EINVALID, "code", "must be 6 digits")
	}
	now := s.d.Clock.Now()
	lease, err := randomString(16)
	if err != nil {
		return Result{}, err
	}
	v, ok, err := s.d.Store.ClaimHosted(ctx, id, CodeHash(id, code), lease, now, now.Add(kyc.HostedLease), kyc.HostedMaxWrongCodes)
	if err != nil {
		return Result{}, err
	}
	if v.ID == "" || subtle.ConstantTimeCompare([]byte(v.TicketHash), []byte(hash)) != 1 {
		return Result{}, errUnknown()
	}
	if !ok {
		return s.refused(ctx, v, now)
	}
	ans, err := s.d.Identity.Check(ctx, kyc.IdentityFactors{Name: v.Name, IDNumber: v.IDNumber, Mobile: v.Mobile})
	if err == nil && ans.Result != kyc.FactorMatch && ans.Result != kyc.FactorMismatch {
		err = errors.New("the provider answered no verdict")
	}
	if err != nil {
		// Not judged: the lease goes back and the code stays good for another try.
		if rerr := s.d.Store.ReleaseHosted(context.WithoutCancel(ctx), id, lease); rerr != nil {
			s.d.Log.WarnContext(ctx, "hosted: a lease could not be given back", slog.String("verification_id", id), slog.String("error", rerr.Error()))
		}
		if errors.Is(err, kyc.ErrIdentityUnavailable) {
			s.d.Log.WarnContext(ctx, "hosted: identity provider unavailable", slog.String("error", err.Error()))
			return Result{}, kyc.Errorf(kyc.EUNAVAILABLE, "The identity provider is unavailable; try again later.")
		}
		return Result{}, err
	}
	f := kyc.Factor{AccountID: v.AccountID, Kind: kyc.FactorThree, Result: ans.Result, Provider: ans.Provider, Reason: ans.Reason,
		At: now, Name: v.Name, IDNumber: v.IDNumber}
	v.FinishedAt = now
	if ans.Result == kyc.FactorMatch {
		v.Status = kyc.HostedVerified
	} else {
		v.Status, v.Reason = kyc.HostedFailed, ans.Reason
		if v.Reason == "" {
			v.Reason = "mismatch"
		}
	}
	if err := s.finish(ctx, v, lease, f); err != nil {
		return Result{}, err
	}
	return Result{Status: v.Status, Redirect: Redirect(v.ReturnURL, v.ID, v.Status)}, nil
}

// finish writes v's end; a match also approves the account if it may be (an account
// approved meanwhile stays so, and the verification still ends VERIFIED). A lost race on
// the account reads it again.
func (s *Service) finish(ctx context.Context, v kyc.HostedVerification, lease string, f kyc.Factor) error {
	var err error
	for range 3 {
		var t *kyc.Transition
		if v.Status == kyc.HostedVerified {
			acct, gerr := s.d.Store.GetAccount(ctx, v.AccountID)
			if gerr != nil {
				return gerr
			}
			if kyc.MayApproveByThreeFactors(acct) {
				tt, terr := kyc.ApproveByThreeFactors(acct, v.FinishedAt)
				if terr != nil {
					return terr
				}
				t = &tt
			}
		}
		_, err = s.d.Store.FinishHosted(ctx, kyc.HostedFinish{Verification: v, Lease: lease, Factor: f, Transition: t})
		if err == nil {
			s.dispatch(ctx, v, t)
			s.d.Log.InfoContext(ctx, "hosted verification ended", slog.String("verification_id", v.ID), slog.String("account_id", v.AccountID),
				slog.String("status", string(v.Status)), slog.String("reason", v.Reason), slog.Bool("approved", t != nil))
			return nil
		}
		if !kyc.IsCode(err, kyc.ECONFLICT) || t == nil {
			break
		}
	}
	if kyc.IsCode(err, kyc.ECONFLICT) {
		return errGone() // another request ended it (or took over an expired lease)
	}
	return err
}

func (s *Service) dispatch(ctx context.Context, v kyc.HostedVerification, t *kyc.Transition) {
	if s.d.Dispatch == nil {
		return
	}
	var evs []webhook.OutboxEvent
	if ev, err := webhook.VerificationOutbox(v, v.FinishedAt); err == nil {
		evs = append(evs, ev)
	}
	if t != nil {
		if ev, ok, err := webhook.OutboxOf(*t); err == nil && ok {
			evs = append(evs, ev)
		}
	}
	s.d.Dispatch(ctx, evs...)
}

// refused answers a confirmation whose claim was refused, by the verification as stored.
func (s *Service) refused(ctx context.Context, v kyc.HostedVerification, now time.Time) (Result, error) {
	switch {
	case v.StatusAt(now) != kyc.HostedPending || v.WrongCodes >= kyc.HostedMaxWrongCodes:
		return Result{}, errGone()
	case v.LeaseUntil.After(now):
		return Result{}, kyc.Errorf(kyc.ECONFLICT, "The code is being checked.")
	case v.CodeHash == "" || !now.Before(v.CodeExpiresAt):
		return Result{}, kyc.Errorf(kyc.EBADCODE, "No live code: send a new one.")
	}
	// A live code, and not this one: a wrong code, which counts.
	w, ok, err := s.d.Store.CountWrongHostedCode(ctx, v.ID, now)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{}, errGone()
	}
	if w.WrongCodes < kyc.HostedMaxWrongCodes {
		e := kyc.Errorf(kyc.EBADCODE, "The code is wrong.")
		e.Data = map[string]string{"remaining": strconv.Itoa(kyc.HostedMaxWrongCodes - w.WrongCodes)}
		return Result{}, e
	}
	w.Status, w.Reason, w.FinishedAt = kyc.HostedFailed, kyc.HostedReasonTooManyCodes, now
	if err := s.finish(ctx, w, "", kyc.Factor{}); err != nil {
		return Result{}, err
	}
	return Result{Status: w.Status, Redirect: Redirect(w.ReturnURL, w.ID, w.Status)}, nil
}

func errUnknown() error { return kyc.Errorf(kyc.ENOTFOUND, "Verification not found.") }

func errGone() error {
	return kyc.Errorf(kyc.EGONE, "This verification link has been used or has expired.")
}

// ticketBytes is the ticket's randomness: 256 bits.
const ticketBytes = 32

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// IDPrefix starts every verification id.
const IDPrefix = "hv"

func newTicket() (string, error) { return randomString(ticketBytes) }

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("hosted: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// idOf returns the id and hash (hex SHA-256) of ticket, ok false for a string that is no
// ticket (never looked up).
func idOf(ticket string) (id, hash string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(ticket)
	if err != nil || len(b) != ticketBytes || base64.RawURLEncoding.EncodeToString(b) != ticket {
		return "", "", false
	}
	sum := sha256.Sum256([]byte(ticket))
	return IDPrefix + idEncoding.EncodeToString(sum[:16]), hex.EncodeToString(sum[:]), true
}

func validID(id string) bool {
	if len(id) != len(IDPrefix)+26 || !strings.HasPrefix(id, IDPrefix) {
		return false
	}
	_, err := idEncoding.DecodeString(id[len(IDPrefix):])
	return err == nil
}

// CodeHash is how a verification's code is stored: SHA-256 of the id and the code (a code
// is only good for its verification, for 5 minutes and 5 tries).
func CodeHash(id, code string) string {
	sum := sha256.Sum256([]byte(id + "\x00" + kyc.PurposeVerify + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("hosted: code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}
