package webhook_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

// TestTransitionEvent is the table of which state change announces which event: every
// audit action a transition writes, the kind and who decided, and that the body carries
// ids and states only (it marshals through CheckNoPII, with the account's name, phone and
// ID number set so that a leak would show).
func TestTransitionEvent(t *testing.T) {
	at := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		action           string
		from, to         kyc.State
		wantType         string
		wantKind, wantBy string
	}{
		{kyc.ActionSubmit, kyc.StateUnverified, kyc.StateSubmitted, webhook.AccountSubmitted, "application", "owner"},
		{kyc.ActionApprove, kyc.StatePendingReview, kyc.StateApproved, webhook.AccountApproved, "application", "reviewer"},
		{kyc.ActionReject, kyc.StatePendingReview, kyc.StateRejected, webhook.AccountRejected, "application", "reviewer"},
		{kyc.ActionAutomatedChecks, kyc.StateSubmitted, kyc.StateRejected, webhook.AccountRejected, "application", "system"},
		{kyc.ActionAutomatedChecks, kyc.StateSubmitted, kyc.StatePendingReview, "", "", ""},
		{kyc.ActionSubmitUndone, kyc.StateSubmitted, kyc.StateUnverified, "", "", ""},
		{"modify", kyc.StateApproved, kyc.StateApproved, webhook.AccountModified, "modification", "owner"},
		{kyc.ActionApproveChange, kyc.StateApproved, kyc.StateApproved, webhook.AccountApproved, "enterprise_change", "reviewer"},
		{kyc.ActionRejectChange, kyc.StateApproved, kyc.StateApproved, webhook.AccountRejected, "enterprise_change", "reviewer"},
		{kyc.ActionBankVerified, kyc.StatePendingReview, kyc.StateApproved, webhook.AccountApproved, "bank_verification", "system"},
		{kyc.ActionBankVerified, kyc.StatePendingReview, kyc.StatePendingReview, "", "", ""},
		{kyc.ActionApproveAwaitingBank, kyc.StatePendingReview, kyc.StatePendingReview, "", "", ""},
		{"read", kyc.StatePendingReview, kyc.StatePendingReview, "", "", ""},
		// The bank's verdict announces an approval only when it is the one that approves.
		{kyc.ActionBankVerified, kyc.StatePendingReview, kyc.StateApproved, webhook.AccountApproved, "bank_verification", "system"},
		{kyc.ActionBankVerified, kyc.StatePendingReview, kyc.StatePendingReview, "", "", ""},
		{kyc.ActionBankVerified, kyc.StateApproved, kyc.StateApproved, "", "", ""},
	} {
		t.Run(tt.action+":"+string(tt.from)+"->"+string(tt.to), func(t *testing.T) {
			acct := kyc.Account{ID: "01jf2x3y4z5a6b7c8d9e0f1g2h", Type: kyc.CompanyAccount, State: tt.to,
				Name: "Placeholder Name", Tel: "placeholder-tel", IDNumber: "placeholder-number", Organization: "Placeholder Co"}
			if tt.to == kyc.StateRejected {
				acct.RejectType = kyc.RejectRetry
			}
			tr := kyc.Transition{Account: acct, FromState: tt.from, FromVersion: 4,
				Audit: kyc.AuditRecord{Action: tt.action, At: at, Reason: "a reviewer's words"}}
			id, e, ok := webhook.TransitionEvent(tr)
			if ok != (tt.wantType != "") {
				t.Fatalf("ok = %v, want an event: %v", ok, tt.wantType != "")
			}
			if !ok {
				return
			}
			if id != "evt_01jf2x3y4z5a6b7c8d9e0f1g2h_5" || webhook.CheckMessageID(id) != nil {
				t.Errorf("id = %q, want evt_<account>_<new version>", id)
			}
			if e.Type != tt.wantType || !e.Timestamp.Equal(at) {
				t.Errorf("event %s at %s, want %s at %s", e.Type, e.Timestamp, tt.wantType, at)
			}
			want := map[string]any{"account_id": acct.ID, "state": string(tt.to), "previous_state": string(tt.from),
				"kind": tt.wantKind, "by": tt.wantBy, "account_type": "company_account"}
			if tt.to == kyc.StateRejected {
				want["reject_type"] = "RETRY"
			}
			if len(e.Data) != len(want) {
				t.Errorf("data = %v, want %v", e.Data, want)
			}
			for k, v := range want {
				if e.Data[k] != v {
					t.Errorf("data[%s] = %v, want %v", k, e.Data[k], v)
				}
			}
			body, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			for _, pii := range []string{"Placeholder", "placeholder", "reviewer's words"} {
				if strings.Contains(string(body), pii) {
					t.Errorf("body %s holds %q", body, pii)
				}
			}
		})
	}
}

// An event id is a valid webhook-id and deterministic for any account id, including ones
// a webhook-id could not hold as they are.
func TestEventIDAlwaysValid(t *testing.T) {
	for _, acct := range []string{"01jf2x3y4z5a6b7c8d9e0f1g2h", "a.b", "a_b", strings.Repeat("x", 200), ""} {
		id := webhook.EventID(acct, 7)
		if err := webhook.CheckMessageID(id); err != nil {
			t.Errorf("EventID(%q) = %q: %v", acct, id, err)
		}
		if again := webhook.EventID(acct, 7); again != id {
			t.Errorf("EventID(%q) not deterministic: %q then %q", acct, id, again)
		}
		if other := webhook.EventID(acct, 8); other == id {
			t.Errorf("EventID(%q) same for versions 7 and 8", acct)
		}
	}
}
