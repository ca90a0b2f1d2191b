package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// SetRole gives the user a role (admin route and GrantRole function) and ends the user's
// sessions: a session carries the role it was opened with, so none may outlive a change
// (the user logs in again; an admin changing their own role ends their own session too).
// Setting the role the user has changes nothing and ends no session. Two store calls:
// the user with its sessions, then the new role with the end of the sessions in one
// atomic write (read again if the user changed or logged in meanwhile).
func (s *Service) SetRole(ctx context.Context, userID string, role string) (kyc.User, error) {
	r, err := parseRole(role)
	if err != nil {
		return kyc.User{}, err
	}
	changed := false
	u, err := s.store.ChangeUser(ctx, userID, func(u kyc.User) (kyc.User, bool, error) {
		changed = u.Role != r
		u.Role, u.UpdatedAt = r, s.clock.Now()
		return u, changed, nil
	})
	if err != nil {
		return kyc.User{}, fmt.Errorf("set role: %w", err)
	}
	if changed {
		s.log.InfoContext(ctx, "role set", slog.String("user_id", u.ID), slog.String("role", string(r)))
	}
	return u, nil
}

// SetRoleByPhone is SetRole for the user with this phone (the GrantRole function).
func (s *Service) SetRoleByPhone(ctx context.Context, rawPhone, role string) (kyc.User, error) {
	id, err := s.userIDByPhone(ctx, rawPhone)
	if err != nil {
		return kyc.User{}, err
	}
	return s.SetRole(ctx, id, role)
}

// SetFrozenByPhone is SetFrozen for the user with this phone (the FreezeUser function).
func (s *Service) SetFrozenByPhone(ctx context.Context, rawPhone string, frozen bool) (kyc.User, error) {
	id, err := s.userIDByPhone(ctx, rawPhone)
	if err != nil {
		return kyc.User{}, err
	}
	return s.SetFrozen(ctx, id, frozen)
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

// SetFrozen freezes or unfreezes the user. Freezing ends all the user's sessions in the
// same atomic write, so a frozen user's tokens stop working at once, and Login refuses a
// frozen user (EFORBIDDEN) until it is unfrozen. (Unfreezing ends sessions too: a frozen
// user has none.) Setting what the user already is changes nothing. Two store calls, as
// SetRole.
func (s *Service) SetFrozen(ctx context.Context, userID string, frozen bool) (kyc.User, error) {
	changed := false
	u, err := s.store.ChangeUser(ctx, userID, func(u kyc.User) (kyc.User, bool, error) {
		changed = u.Frozen != frozen
		u.Frozen, u.UpdatedAt = frozen, s.clock.Now()
		return u, changed, nil
	})
	if err != nil {
		return kyc.User{}, fmt.Errorf("set frozen: %w", err)
	}
	if changed {
		s.log.InfoContext(ctx, "frozen set", slog.String("user_id", u.ID), slog.Bool("frozen", frozen))
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
