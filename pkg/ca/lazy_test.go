package ca

import (
	"context"
	"errors"
	"testing"
)

func TestLazyMakesOnceAndRetriesFailures(t *testing.T) {
	made := &Authority{}
	calls := 0
	fail := true
	l := NewLazy(func(context.Context) (*Authority, error) {
		calls++
		if fail {
			return nil, errors.New("kms unreachable")
		}
		return made, nil
	})
	if _, err := l.Get(t.Context()); err == nil {
		t.Fatal("a failed making gave an authority")
	}
	fail = false
	for range 3 {
		a, err := l.Get(t.Context())
		if err != nil || a != made {
			t.Fatalf("Get = %p, %v", a, err)
		}
	}
	if calls != 2 {
		t.Errorf("load called %d times, want 2 (the failure, then once)", calls)
	}
	if a, err := Ready(made).Get(t.Context()); err != nil || a != made {
		t.Errorf("Ready: %p, %v", a, err)
	}
	var none *Lazy
	if _, err := none.Get(t.Context()); err == nil {
		t.Error("a nil Lazy gave an authority")
	}
}
