// Package integrator holds the integrators of seed 004: apps an admin creates, each with
// a key and a secret (stored only as a hash); the short-lived bearer tokens an app gets
// for them (OAuth 2 client credentials); and the person accounts an app creates and owns.
// An app sees only its own accounts. Its store is declared here and kept by pkg/dynamo.
package integrator
