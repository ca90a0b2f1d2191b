package s3docs_test

import (
	"bytes"
	"slices"
	"testing"
)

// List returns exactly the keys under a prefix, in key order: not a sibling folder whose
// name starts the same, not the folder above; a prefix with nothing under it is empty.
func TestList(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	keys := []string{key(t, "acct/frontOfID/b"), key(t, "acct/frontOfID/a"), key(t, "acct/frontOfIDx/c"), key(t, "acct/portrait/d")}
	for _, k := range keys {
		if err := s.Put(ctx, k, "image/png", bytes.NewReader([]byte("x"))); err != nil {
			t.Fatalf("Put %s: %v", k, err)
		}
	}
	got, err := s.List(ctx, key(t, "acct/frontOfID/"))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if want := []string{key(t, "acct/frontOfID/a"), key(t, "acct/frontOfID/b")}; !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if got, err := s.List(ctx, key(t, "nothing/")); err != nil || len(got) != 0 {
		t.Errorf("List of an empty prefix = %q, %v; want none", got, err)
	}
}
