package routeflow

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/realname-kyc/realname/pkg/payout"
)

// sampleBankAccountNo is the flow's bank account number: a repeated pattern, plainly not
// a real account (real-looking personal data stays in tests).
func sampleBankAccountNo() string { return strings.Repeat("1234", 4) }

// bankPayouts is the sandbox payouts file of the flow's services under dir.
func bankPayouts(dir string) string { return filepath.Join(dir, "payouts.jsonl") }

// bankSteps are the bank verification rows (issue 15): the company starts a verification
// of its bank account (the sandbox pays and writes the amount), answers a wrong amount
// (422), then the amount the sandbox file holds (VERIFIED).
func bankSteps(c *Client, accountID, companyName, dir string, jsonStep stepFunc) error {
	base := "/v1/accounts/" + accountID + "/bank-verification"
	if err := jsonStep(c, "company starts a bank verification", http.MethodPost, base,
		map[string]string{"bank_account_name": companyName, "bank_account_no": sampleBankAccountNo(), "bank_name": "Bench Bank"}, 200); err != nil {
		return err
	}
	lines, err := payout.ReadSandbox(bankPayouts(dir))
	if err != nil {
		return err
	}
	var amount string
	for _, l := range lines {
		if l.AccountID == accountID && l.Status == payout.Accepted {
			amount = l.Amount
		}
	}
	if amount == "" {
		return fmt.Errorf("the sandbox paid nothing to %s", accountID)
	}
	wrong := "0.01"
	if amount == wrong {
		wrong = "0.02"
	}
	if err := jsonStep(c, "company confirms a wrong amount (422)", http.MethodPost, base+"/confirm", map[string]string{"amount": wrong}, 422); err != nil {
		return err
	}
	return jsonStep(c, "company confirms the amount paid", http.MethodPost, base+"/confirm", map[string]string{"amount": amount}, 200)
}
