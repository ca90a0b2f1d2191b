package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

// Profile is GET /v1/user/me's data (seed 003's user details).
type Profile struct {
	ID                  string    `json:"id"`
	Account             string    `json:"account"`
	Status              int       `json:"status"`
	AuthenticationState int       `json:"authenticationState"`
	Portrait            string    `json:"portrait"`
	Role                kyc.Role  `json:"role"`
	CreatedAt           time.Time `json:"created_at"`
}

// Me returns the caller's profile: the user and the account the session names, in one
// read.
func (s *Service) Me(ctx context.Context, p kyc.Principal) (Profile, error) {
	u, acct, err := s.store.GetUserAndAccount(ctx, p.UserID, p.AccountID)
	if err != nil {
		return Profile{}, err
	}
	portrait := ""
	if u.Portrait != "" {
		if s.presigner == nil {
			return Profile{}, errors.New("users: Me needs a presigner for the portrait")
		}
		// The avatar is private like every document: the app gets a short-lived link.
		if portrait, err = s.presigner.PresignGet(ctx, u.Portrait, time.Hour, "portrait"); err != nil {
			return Profile{}, fmt.Errorf("presign portrait: %w", err)
		}
	}
	return Profile{ID: u.ID, Account: u.Phone, Status: Status(u, acct), AuthenticationState: AuthenticationState(acct),
		Portrait: portrait, Role: u.Role, CreatedAt: u.CreatedAt}, nil
}

// Status is seed 003's user status: 0 approved, 1 frozen, 2 not yet submitted,
// 3 rejected, 4 under review (5, deleted, is never served).
func Status(u kyc.User, a kyc.Account) int {
	switch {
	case u.Frozen:
		return 1
	case a.State == kyc.StateApproved:
		return 0
	case a.State == kyc.StateRejected:
		return 3
	case a.State == kyc.StateSubmitted || a.State == kyc.StatePendingReview:
		return 4
	}
	return 2
}

// AuthenticationState is 1 only when the account is approved.
func AuthenticationState(a kyc.Account) int {
	if a.State == kyc.StateApproved {
		return 1
	}
	return 0
}

// Actor is who asks for a change of a user, as the audit trail names them: an admin (the
// admin route) or the operator (the invoke-only functions, ID "operator").
type Actor struct {
	ID        string
	Role      kyc.Role
	RequestID string
}

// Operator is the actor of the invoke-only functions: whoever may invoke them in the AWS
// account (IAM decides), so the trail names the role, not a person.
func Operator(requestID string) Actor { return Actor{ID: "operator", RequestID: requestID} }

// record returns the audit of a change by the actor at now, whose Reason says what
// changed.
func (by Actor) record(at time.Time, action string, what func(was, now kyc.User) string) func(was, now kyc.User) kyc.AuditRecord {
	return func(was, now kyc.User) kyc.AuditRecord {
		return kyc.AuditRecord{At: at, Actor: by.ID, ActorRole: by.Role, Action: action, Reason: what(was, now), RequestID: by.RequestID}
	}
}

// Audit actions of user changes.
const (
	ActionRoleSet   = "role.set"
	ActionFrozenSet = "frozen.set"
)

// SetRole gives the user a role (admin route and GrantRole function) and ends the user's
// sessions: a session carries the role it was opened with, so none may outlive a change.
// Nobody changes their own role (ECONFLICT, reason own_role: another admin must), and no
// change may leave the product without an active admin (ECONFLICT, reason last_admin, from
// the store's count). Every change is an audit record in the user's account trail naming
// the actor, written with the change itself. Setting the role the user has changes
// nothing, ends no session and records nothing. Two store calls: the user with its
// sessions, then the new role, the end of the sessions and the record in one atomic
// write (read again if the user changed or logged in meanwhile).
func (s *Service) SetRole(ctx context.Context, by Actor, userID string, role string) (kyc.User, error) {
	r, err := parseRole(role)
	if err != nil {
		return kyc.User{}, err
	}
	if by.ID == userID {
		return kyc.User{}, &kyc.Error{Code: kyc.ECONFLICT, Message: "You cannot change your own role; ask another admin.", Reason: "own_role"}
	}
	changed := false
	var from kyc.Role
	now := s.clock.Now()
	u, err := s.store.ChangeUserAudited(ctx, userID, by.record(now, ActionRoleSet, func(was, now kyc.User) string {
		return string(was.Role) + "->" + string(now.Role)
	}), func(u kyc.User) (kyc.User, bool, error) {
		changed, from = u.Role != r, u.Role
		u.Role, u.UpdatedAt = r, now
		return u, changed, nil
	})
	if err != nil {
		return kyc.User{}, fmt.Errorf("set role: %w", err)
	}
	if changed {
		s.log.InfoContext(ctx, "role set", slog.String("user_id", u.ID), slog.String("from", string(from)),
			slog.String("role", string(r)), slog.String("actor", by.ID))
	}
	return u, nil
}

// SetRoleByPhone is SetRole for the user with this phone (the GrantRole function).
func (s *Service) SetRoleByPhone(ctx context.Context, by Actor, rawPhone, role string) (kyc.User, error) {
	id, err := s.userIDByPhone(ctx, rawPhone)
	if err != nil {
		return kyc.User{}, err
	}
	return s.SetRole(ctx, by, id, role)
}

// SetFrozenByPhone is SetFrozen for the user with this phone (the FreezeUser function).
func (s *Service) SetFrozenByPhone(ctx context.Context, by Actor, rawPhone string, frozen bool) (kyc.User, error) {
	id, err := s.userIDByPhone(ctx, rawPhone)
	if err != nil {
		return kyc.User{}, err
	}
	return s.SetFrozen(ctx, by, id, frozen)
}

// userIDByPhone finds the operator functions' user from the phone item alone (one
// GetItem; the change that follows reads the user itself): ENOTFOUND for an unknown phone.
func (s *Service) userIDByPhone(ctx context.Context, rawPhone string) (string, error) {
	phone, err := phoneField("phone", rawPhone)
	if err != nil {
		return "", err
	}
	id, _, _, err := s.store.PhoneAndCounter(ctx, phone, "", s.clock.Now())
	if err != nil {
		return "", fmt.Errorf("look up phone: %w", err)
	}
	if id == "" {
		return "", kyc.Errorf(kyc.ENOTFOUND, "user not found")
	}
	return id, nil
}

// SetFrozen freezes or unfreezes the user (the FreezeUser function). Freezing ends all the
// user's sessions in the same atomic write, so a frozen user's tokens stop working at once,
// and Login refuses a frozen user (EFORBIDDEN) until it is unfrozen. (Unfreezing ends
// sessions too: a frozen user has none.) Freezing the last active admin is refused
// (ECONFLICT, last_admin); each change is audited as SetRole's. Setting what the user
// already is changes nothing. Two store calls, as SetRole.
func (s *Service) SetFrozen(ctx context.Context, by Actor, userID string, frozen bool) (kyc.User, error) {
	changed := false
	now := s.clock.Now()
	u, err := s.store.ChangeUserAudited(ctx, userID, by.record(now, ActionFrozenSet, func(_, now kyc.User) string {
		return strconv.FormatBool(now.Frozen)
	}), func(u kyc.User) (kyc.User, bool, error) {
		changed = u.Frozen != frozen
		u.Frozen, u.UpdatedAt = frozen, now
		return u, changed, nil
	})
	if err != nil {
		return kyc.User{}, fmt.Errorf("set frozen: %w", err)
	}
	if changed {
		s.log.InfoContext(ctx, "frozen set", slog.String("user_id", u.ID), slog.Bool("frozen", frozen), slog.String("actor", by.ID))
	}
	return u, nil
}

func parseRole(role string) (kyc.Role, error) {
	switch r := kyc.Role(role); r {
	case kyc.RoleUser, kyc.RoleReviewer, kyc.RoleAdmin:
		return r, nil
	case "":
		return "", kyc.FieldError(kyc.EMISSING, "role", "required")
	}
	return "", kyc.FieldError(kyc.EINVALID, "role", "must be user, reviewer or admin")
}
