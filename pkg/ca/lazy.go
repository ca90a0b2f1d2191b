package ca

import (
	"context"
	"errors"
	"sync"
)

// Lazy is an Authority made on first use. A function holding the CA on AWS would
// otherwise make its network calls (KMS GetPublicKey, the CA certificate's read or
// creation) before its first poll of the Runtime API, which issue 10 keeps within 15 ms of
// the process start; made on the first request instead, the cost is that request's, once
// per instance. A failed making is not kept: the next request tries again.
type Lazy struct {
	mu   sync.Mutex
	a    *Authority
	load func(context.Context) (*Authority, error)
}

// NewLazy is the Authority load makes, made when first asked for.
func NewLazy(load func(context.Context) (*Authority, error)) *Lazy { return &Lazy{load: load} }

// Ready is a Lazy of an Authority already made (the local runner's, tests').
func Ready(a *Authority) *Lazy { return &Lazy{a: a} }

// Get returns the Authority, making it first if need be.
func (l *Lazy) Get(ctx context.Context) (*Authority, error) {
	if l == nil {
		return nil, errors.New("ca: no authority in this function")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.a != nil {
		return l.a, nil
	}
	if l.load == nil {
		return nil, errors.New("ca: no authority in this function")
	}
	a, err := l.load(ctx)
	if err != nil {
		return nil, err
	}
	l.a = a
	return a, nil
}
