package localrun

import (
	"path/filepath"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/payoutprovide"
)

// addBank gives the local services bank verification (issue 15): the amount secret
// (BANK_VERIFY_SECRET, or the development key with the local store) and the payout
// provider, by default the sandbox writing <dir>/outbox/payouts.jsonl, where a developer
// reads the amount to confirm.
func addBank(b *Backends, dir string) error {
	secret, err := b.Config.BankSecret()
	if err != nil {
		return err
	}
	cfg := b.Config
	if cfg.PayoutProvider != app.PayoutHTTP && cfg.PayoutFile == "" {
		cfg.PayoutFile = filepath.Join(dir, "outbox", "payouts.jsonl")
	}
	p, name, err := payoutprovide.FromConfig(cfg)
	if err != nil {
		return err
	}
	b.Services.BankSecret, b.Services.Payouts, b.Services.Backends.Payout = secret, p, name
	where := "the payment provider at " + cfg.PayoutURL
	if cfg.PayoutProvider != app.PayoutHTTP {
		where = cfg.PayoutFile + " (amounts are written here, not paid)"
	}
	b.Describe["payout"] = name + " payout provider (PAYOUT_PROVIDER): " + where
	return nil
}
