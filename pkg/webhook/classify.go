package webhook

import "net/http"

// Outcome is what a delivery attempt's result means for the delivery and the endpoint.
type Outcome int

// Outcomes of one attempt.
const (
	// Retry: schedule the next attempt (NextAttempt), or fail the delivery when none is left.
	Retry Outcome = iota
	// Delivered: the receiver answered 2xx.
	Delivered
	// Disable: the receiver answered 410 Gone, asking us to stop; the endpoint is disabled.
	Disable
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Disable:
		return "disable"
	default:
		return "retry"
	}
}

// Classify maps an attempt's status (0 when err != nil) or error to an Outcome, per the
// spec: 2xx delivered, 410 disable, anything else retry. A transport error (timeout,
// refused connection, TLS failure, an address the SSRF guard refused at dial time) is a
// retry: it may pass later, and the schedule bounds how long we keep trying. Redirects
// are not followed (NewClient), so a 3xx is a retry too, and the owner fixes the URL.
func Classify(status int, err error) Outcome {
	switch {
	case err != nil:
		return Retry
	case status >= 200 && status <= 299:
		return Delivered
	case status == http.StatusGone:
		return Disable
	default:
		return Retry
	}
}
