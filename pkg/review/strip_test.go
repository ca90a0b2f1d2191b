package review_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/realname-kyc/realname/pkg/filecheck/filechecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// Documents as a phone camera and an editor leave them: a JPEG front with a GPS position
// in its Exif, a PNG back with text chunks, both naming their owner; and what they are
// without that.
var (
	plainFrontJPEG = filechecktest.JPEG(64, 40)
	plainBackPNG   = filechecktest.PNG(64, 43)
	gpsFrontJPEG   = filechecktest.JPEGWithMetadata(plainFrontJPEG)
	textBackPNG    = filechecktest.PNGWithMetadata(plainBackPNG)
)

func metadataDocs() []doc {
	return []doc{{slot: "frontOfID", content: gpsFrontJPEG}, {slot: "backOfID", content: textBackPNG}}
}

// stored reads the object key back from the bucket.
func stored(t *testing.T, key string) ([]byte, kyc.ObjectInfo) {
	t.Helper()
	r, info, err := docsOf(t).Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

// wantStripped checks that the account's documents are stored without their metadata,
// with their content types, and that the sizes the account records are the stored ones.
func (f *fixture) wantStripped(t *testing.T, id string) {
	t.Helper()
	got := f.account(t, id)
	for slot, want := range map[string]struct {
		plain []byte
		ct    string
	}{"frontOfID": {plainFrontJPEG, "image/jpeg"}, "backOfID": {plainBackPNG, "image/png"}} {
		d := got.Documents[slot]
		b, info := stored(t, d.Key)
		if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte(filechecktest.Owner)) {
			t.Errorf("%s: the stored object still has its metadata", slot)
		}
		if !bytes.Equal(b, want.plain) {
			t.Errorf("%s: stored %d bytes, want the %d of the file without its metadata", slot, len(b), len(want.plain))
		}
		if d.Size != int64(len(b)) || info.Size != d.Size {
			t.Errorf("%s: the account records %d bytes; stored %d (HEAD %d)", slot, d.Size, len(b), info.Size)
		}
		if info.ContentType != want.ct || d.ContentType != want.ct {
			t.Errorf("%s: content type stored %q, recorded %q; want %q", slot, info.ContentType, d.ContentType, want.ct)
		}
		if d.Check != "ok" {
			t.Errorf("%s: check %q, want ok", slot, d.Check)
		}
	}
}

// The worker writes a document that passes back without its metadata (the GPS position
// of a phone photo, its owner's name) before the account reaches reviewers, and the
// account records the new size.
func TestHandleStripsMetadata(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, metadataDocs()...)
	if failed := handle(t, f.worker(), messageFor(t, "m", a)); len(failed) != 0 {
		t.Fatalf("BatchItemFailures = %v", failed)
	}
	got := f.account(t, a.ID)
	if got.State != kyc.StatePendingReview {
		t.Fatalf("state %s %q, want PENDING_REVIEW", got.State, got.Reasons)
	}
	f.wantStripped(t, a.ID)
	if got.Documents["frontOfID"].Size >= a.Documents["frontOfID"].Size {
		t.Errorf("recorded size %d, want less than the %d submitted", got.Documents["frontOfID"].Size, a.Documents["frontOfID"].Size)
	}
}

// A document that fails its check is left as it is: nothing is written for a file that
// is to be uploaded again; the documents that pass are still stripped.
func TestHandleStripsOnlyDocumentsThatPass(t *testing.T) {
	f := newFixture(t)
	broken := filechecktest.JPEGWithMetadata(plainFrontJPEG)
	broken = broken[:len(broken)-100] // cut off: corrupt
	a := f.submitted(t, kyc.PersonalAccount, doc{slot: "frontOfID", content: broken}, doc{slot: "backOfID", content: textBackPNG})
	if failed := handle(t, f.worker(), messageFor(t, "m", a)); len(failed) != 0 {
		t.Fatalf("BatchItemFailures = %v", failed)
	}
	got := f.account(t, a.ID)
	if got.State != kyc.StateRejected || got.Documents["frontOfID"].Check != "corrupt" {
		t.Fatalf("state %s %q, want REJECTED for corrupt:frontOfID", got.State, got.Reasons)
	}
	if b, _ := stored(t, got.Documents["frontOfID"].Key); !bytes.Equal(b, broken) || got.Documents["frontOfID"].Size != int64(len(broken)) {
		t.Error("the refused document was rewritten")
	}
	back := got.Documents["backOfID"]
	if b, _ := stored(t, back.Key); !bytes.Equal(b, plainBackPNG) || back.Size != int64(len(plainBackPNG)) {
		t.Errorf("the back (%d bytes recorded) is not stored without its metadata", back.Size)
	}
}

// A delivery after one that wrote the documents back and then failed before its
// transition (or a concurrent one) finds objects smaller than the submission recorded:
// they are the worker's own stripped copies, not corrupt ones.
func TestHandleAfterWriteBackWithoutTransition(t *testing.T) {
	f := newFixture(t)
	a := f.submitted(t, kyc.PersonalAccount, metadataDocs()...)
	f.workerStore = &crashStore{WorkerStore: f.store}
	if failed := handle(t, f.worker(), received(t, "m", a, 1)); len(failed) != 1 {
		t.Fatalf("first delivery: failures %v, want the failed transition", failed)
	}
	if b, _ := stored(t, a.Documents["frontOfID"].Key); !bytes.Equal(b, plainFrontJPEG) {
		t.Fatal("the first delivery did not write the front back before it failed")
	}
	if failed := handle(t, f.worker(), received(t, "m", a, 2)); len(failed) != 0 {
		t.Fatalf("redelivery: failures %v", failed)
	}
	if got := f.account(t, a.ID); got.State != kyc.StatePendingReview {
		t.Fatalf("state %s %q, want PENDING_REVIEW", got.State, got.Reasons)
	}
	f.wantStripped(t, a.ID)
}
