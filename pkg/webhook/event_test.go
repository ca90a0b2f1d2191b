package webhook_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/webhook"
)

func TestEventMarshalsTypeTimestampData(t *testing.T) {
	at := time.Date(2026, 12, 5, 18, 30, 0, 123456000, time.FixedZone("CST", 8*3600))
	e := webhook.Event{Type: webhook.AccountApproved, Timestamp: at, Data: map[string]any{
		"account_id": "01jf2x3y4z5a6b7c8d9e0f1g2h", "state": "APPROVED", "previous_state": "PENDING_REVIEW",
	}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Type      string            `json:"type"`
		Timestamp string            `json:"timestamp"`
		Data      map[string]string `json:"data"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "account.approved" || got.Data["account_id"] != "01jf2x3y4z5a6b7c8d9e0f1g2h" || got.Data["state"] != "APPROVED" {
		t.Errorf("body = %s", b)
	}
	parsed, err := time.Parse(time.RFC3339, got.Timestamp)
	if err != nil || !parsed.Equal(at) || !strings.HasSuffix(got.Timestamp, "Z") {
		t.Errorf("timestamp %q is not the event's time in RFC 3339 UTC (%v)", got.Timestamp, err)
	}
	empty, err := json.Marshal(webhook.Event{Type: webhook.AccountSubmitted, Timestamp: at})
	if err != nil || !strings.Contains(string(empty), `"data":{}`) {
		t.Errorf("nil data = %s, %v; want an empty object", empty, err)
	}
}

func TestEventRefusesUnknownTypeAndZeroTime(t *testing.T) {
	for name, e := range map[string]webhook.Event{
		"unknown type": {Type: "account.deleted", Timestamp: time.Now()},
		"no type":      {Timestamp: time.Now()},
		"zero time":    {Type: webhook.AccountApproved},
	} {
		if b, err := json.Marshal(e); err == nil {
			t.Errorf("%s: marshalled %s", name, b)
		}
	}
	for _, typ := range webhook.EventTypes() {
		if _, err := json.Marshal(webhook.Event{Type: typ, Timestamp: time.Now()}); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
}

func TestCheckNoPIIAllowsIdsAndStates(t *testing.T) {
	ok := map[string]any{
		"id":             "01jf2x3y4z5a6b7c8d9e0f1g2h",
		"account_id":     "01jf2x3y4z5a6b7c8d9e0f1g2h",
		"certificate_id": "cert_01jf2x3y4z",
		"state":          "REJECTED",
		"previous_state": "PENDING_REVIEW",
		"status":         "VERIFIED",
		"result":         "passed",
		"account_type":   "company_account",
		"app_id":         "app-7f3a:prod",
	}
	if err := webhook.CheckNoPII(ok); err != nil {
		t.Fatal(err)
	}
}

func TestCheckNoPIIRefusesPersonalData(t *testing.T) {
	tests := map[string]map[string]any{
		"name key":                 {"name": "ZHANG"},
		"phone key":                {"tel": "01jf2x3y4z"},
		"id_number key":            {"id_number": "01jf"},
		"reason key":               {"reason": "blurry"},
		"document key":             {"front_of_id": "abc"},
		"unlisted id key":          {"reviewer_name_id": "abc"},
		"uppercase key":            {"Account_ID": "abc"},
		"name in an id":            {"account_id": "Zhang San"},
		"chinese name in an id":    {"account_id": "张三"},
		"email in an id":           {"account_id": "a@example.com"},
		"e164 phone":               {"account_id": "+8613800138000"},
		"bare phone":               {"account_id": "13800138000"},
		"phone inside a token":     {"account_id": "tel-13800138000"},
		"resident id":              {"account_id": "11010519491231002X"},
		"resident id lower x":      {"account_id": "11010519491231002x"},
		"credit code":              {"account_id": "91350100M000100Y43"},
		"too long":                 {"account_id": strings.Repeat("a", 129)},
		"empty value":              {"account_id": ""},
		"number value":             {"account_id": 13800138000},
		"nested":                   {"account_id": map[string]any{"name": "x"}},
		"list":                     {"account_ids": []any{"a"}},
		"document bytes as base64": {"account_id": "/9j/4AAQSkZJRgABAQ=="},
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			err := webhook.CheckNoPII(data)
			var e *kyc.Error
			if !errors.As(err, &e) || e.Code != kyc.EINVALID {
				t.Fatalf("CheckNoPII = %v, want an invalid field error", err)
			}
			for _, v := range data {
				if s, ok := v.(string); ok && s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error echoes the value: %v", err)
				}
			}
			if _, err := json.Marshal(webhook.Event{Type: webhook.AccountApproved, Timestamp: time.Now(), Data: data}); err == nil {
				t.Error("Event marshalled data CheckNoPII refuses")
			}
		})
	}
}

// Our own ids must always pass: a refused id would leave an event that cannot be sent.
func TestCheckNoPIIAcceptsEveryGeneratedID(t *testing.T) {
	var ids kyc.RandomIDs
	for range 20000 {
		id := ids.NewID()
		if err := webhook.CheckNoPII(map[string]any{"account_id": id}); err != nil {
			t.Fatalf("refused generated id %s: %v", id, err)
		}
	}
}
