// Package webhook holds the pure building blocks of signed webhook delivery (Standard
// Webhooks, https://www.standardwebhooks.com): endpoint secrets, signing and verifying,
// the event body and its no-personal-data guard, the retry schedule and its split into
// SQS-sized delays, the SSRF guard for endpoint URLs (at registration and again at dial
// time) and the classification of a delivery's response.
//
// Nothing here talks to DynamoDB, SQS or the HTTP routes: the outbox, the delivery queue,
// the worker and the endpoint routes are built on top of these functions.
package webhook
