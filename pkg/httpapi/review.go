package httpapi

import (
	"net/http"

	"github.com/realname-kyc/realname/pkg/app"
	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/review"
)

func reviewer(r *http.Request) review.Reviewer {
	p, _ := PrincipalFrom(r.Context())
	return review.Reviewer{UserID: p.UserID, Role: p.Role, AccountID: p.AccountID, RequestID: app.RequestID(r.Context()), TokenHash: p.TokenHash}
}

// listPending returns the handler of one type's reviewer list (seed 000's
// getUnAuthored*Account): masked items, and the page's read audited under the reviewer.
func listPending(typ kyc.AccountType) func(*API, http.ResponseWriter, *http.Request) error {
	return func(a *API, w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		page, err := a.review.ListPending(r.Context(), reviewer(r), typ, q.Get("limit"), q.Get("cursor"))
		if err != nil {
			return err
		}
		total := page.Total
		writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodeOK, Msg: "get list data success", Data: page.Items, TotalCount: &total, NextCursor: page.NextCursor})
		return nil
	}
}

func (a *API) accountDetail(w http.ResponseWriter, r *http.Request) error {
	d, err := a.review.Detail(r.Context(), reviewer(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "ok", d)
	return nil
}

func (a *API) authorizeAccount(w http.ResponseWriter, r *http.Request) error {
	state, err := a.review.Approve(r.Context(), reviewer(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if state != kyc.StateApproved {
		// A company that needs a bank verification: the approval is kept and the account
		// is APPROVED when its bank verification is VERIFIED.
		writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodePersonalAccepted, Msg: "approved by the reviewer; waiting for the bank verification",
			Data: map[string]string{"state": string(state), "waiting_for": "bank_verification"}})
		return nil
	}
	writeJSON(w, http.StatusOK, Envelope{ErrorCode: CodePersonalAccepted, Msg: "account certified"})
	return nil
}

func (a *API) rejectAccount(w http.ResponseWriter, r *http.Request) error {
	f, err := readFields(r, "documents")
	if err != nil {
		return err
	}
	if err := f.require("reason"); err != nil {
		return err
	}
	in := review.RejectInput{Reason: f["reason"], RejectType: f["reject_type"], Documents: f.list("documents")}
	if err := a.review.Reject(r.Context(), reviewer(r), r.PathValue("id"), in); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "account rejected", nil)
	return nil
}
