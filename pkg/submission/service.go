package submission

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Lifetimes of what this package hands out.
const (
	UploadURLTTL    = 10 * time.Minute
	UploadRecordTTL = 24 * time.Hour // matches the bucket's lifecycle rule for uploads/
	DownloadTTL     = 5 * time.Minute
	// PortraitURLTTL is the life of the portrait link SetPortrait returns; the profile
	// (pkg/users' Me) links the portrait for as long.
	PortraitURLTTL = time.Hour
)

// UploadGrantsPerHour is how many upload grants (POST /v1/uploads) one user gets per
// clock hour (UTC) by default (Deps.UploadGrantsPerHour, UPLOAD_GRANTS_PER_HOUR); the
// next is 429 / 1022 until the hour ends. A submission needs two
// to six files and a portrait one, so this leaves room for several tries and
// corrections, while bounding what one user can make the service sign and record, and
// store in the bucket's staging prefix (up to 10 MiB an upload, kept a day). The windows
// are fixed hours (one counter each, see uploadGrantsLimit), so a user may get up to twice
// the limit across the turn of an hour, never more.
const UploadGrantsPerHour = 20

// Store is what the service reads and writes; any kyc.Store is one.
type Store interface {
	GetAccount(ctx context.Context, id string) (kyc.Account, error)
	Transition(ctx context.Context, t kyc.Transition) (kyc.Account, error)
	AppendAudit(ctx context.Context, r kyc.AuditRecord) error
	PutUploadCounted(ctx context.Context, u kyc.Upload, limit kyc.Limit, now time.Time) error
	GetUpload(ctx context.Context, key string, now time.Time) (kyc.Upload, error)
	GetAccountAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, map[string]kyc.Upload, error)
	SetUserPortrait(ctx context.Context, userID, key string, at time.Time) (old string, err error)
	GetAccountChangeAndUploads(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, kyc.EnterpriseChange, map[string]kyc.Upload, error)
	PutChange(ctx context.Context, acct kyc.Account, c kyc.EnterpriseChange) (kyc.EnterpriseChange, error)
	GetAccountAndProfiles(ctx context.Context, accountID string) (kyc.Account, []kyc.ProfileVersion, error)
	GetAccountProfileUploadsAndCert(ctx context.Context, accountID string, keys []string, now time.Time) (kyc.Account, *kyc.ProfileVersion, map[string]kyc.Upload, *kyc.LiveCert, error)
}

// Objects is what the submissions and the portrait do with the stored files: check an
// upload (Head, the first bytes), copy it to its final place with metadata of the
// server's choosing (CopyAs: nothing the uploader sent with it), write a file sent in the
// request, delete what a failed request wrote. Any kyc.Documents is one.
type Objects interface {
	Head(ctx context.Context, key string) (kyc.ObjectInfo, error)
	GetRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	CopyAs(ctx context.Context, src, dst, contentType string) error
	Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error
	Delete(ctx context.Context, key string) error
}

// Queue takes the review messages of the submissions; any kyc.Queue is one.
type Queue interface {
	Send(ctx context.Context, body string) (id string, err error)
}

// The domain ports satisfy the narrow interfaces, so any adapter of theirs can be given.
var (
	_ Store         = kyc.Store(nil)
	_ Objects       = kyc.Documents(nil)
	_ SampleObjects = kyc.Documents(nil)
	_ Queue         = kyc.Queue(nil)
)

// Deps are what the service is built from. Store, Clock, IDs and Log serve every method
// but ConfirmationURL; Presigner, Objects and Queue only the methods named, and are nil
// in a function whose routes do not call those (such a method then fails, before it
// reads or writes anything, with an internal error).
type Deps struct {
	Store Store
	// Presigner signs the upload grants (CreateUpload), the downloads (DownloadURL,
	// ConfirmationURL) and the new portrait's link (SetPortrait). It needs no S3 client.
	Presigner kyc.Presigner
	// Objects is used by SubmitPersonal, SubmitCompany and SetPortrait only: a function
	// that only presigns (upload grants, downloads, the account view) is built without it
	// and without the S3 client it would bring.
	Objects Objects
	// Queue is used by SubmitPersonal and SubmitCompany only.
	Queue Queue
	Clock kyc.Clock
	// IDs names upload keys and document keys.
	IDs kyc.IDs
	Log *slog.Logger
	// MaxAttempts is how many submissions an account may make; the account view shows it.
	MaxAttempts int
	// UploadGrantsPerHour is the upload quota; 0 means UploadGrantsPerHour.
	UploadGrantsPerHour int
	// RequireBankVerification (REQUIRE_BANK_VERIFICATION) makes an app user's company
	// submission need a VERIFIED bank verification as well as a reviewer's approval, as
	// an integrator's company always does (kyc.Account.BankRequired).
	RequireBankVerification bool
}

// Service implements the document routes.
type Service struct {
	store       Store
	presigner   kyc.Presigner
	objects     Objects
	queue       Queue
	clock       kyc.Clock
	ids         kyc.IDs
	log         *slog.Logger
	maxAttempts int
	grants      int64
	requireBank bool
}

// New returns the service over d.
func New(d Deps) *Service {
	return &Service{store: d.Store, presigner: d.Presigner, objects: d.Objects, queue: d.Queue, clock: d.Clock,
		ids: d.IDs, log: d.Log, maxAttempts: d.MaxAttempts, grants: int64(cmp.Or(d.UploadGrantsPerHour, UploadGrantsPerHour)), requireBank: d.RequireBankVerification}
}

// Errors of a service built without what a method needs: the method fails before it
// reads or writes anything, rather than panic halfway.
var (
	errNoPresigner = errors.New("submission: this route needs a Presigner (Deps.Presigner)")
	errNoObjects   = errors.New("submission: this route needs the object store (Deps.Objects)")
	errNoQueue     = errors.New("submission: this route needs the review queue (Deps.Queue)")
)
