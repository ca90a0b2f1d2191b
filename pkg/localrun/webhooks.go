package localrun

import (
	"fmt"
	"path/filepath"

	"github.com/realname-kyc/realname/pkg/localqueue"
	"github.com/realname-kyc/realname/pkg/secretbox"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// addWebhooks gives the local services the webhook side (issue 13): an in-process webhook
// queue with SQS's delays (in both local modes: the delays are timers, and a message
// waiting on one when the runner stops is made good by the sweeper), a secret box on a key
// file created on first use (<dir>/webhook.key, 0600), and the SSRF guard relaxed for
// loopback so a receiver on 127.0.0.1 can be registered over http.
func addWebhooks(b *Backends, dir string) error {
	box, err := secretbox.Open(filepath.Join(dir, "webhook.key"))
	if err != nil {
		return fmt.Errorf("webhook secret box: %w", err)
	}
	dlq := localqueue.New(localqueue.Options{Visibility: localVisibility})
	q := localqueue.New(localqueue.Options{Visibility: localVisibility, MaxReceives: localMaxReceives, DeadLetter: dlq})
	b.webhookQueue = q
	b.Services.WebhookQueue = localqueue.Delayed{Queue: q}
	b.Services.Secrets = box
	b.Services.WebhookOptions = webhook.Options{AllowLoopbackHTTP: true}
	b.Describe["webhooks"] = "in-process queue; secrets sealed with " + filepath.Join(dir, "webhook.key") + "; http://127.0.0.1 receivers allowed"
	return nil
}
