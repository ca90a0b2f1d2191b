package lambdafn

import (
	"context"
	"os"

	"github.com/realname-kyc/realname/pkg/kyc"
	"github.com/realname-kyc/realname/pkg/users"
)

// GrantRoleInput is the GrantRole function's event.
type GrantRoleInput struct {
	Phone string `json:"phone"`
	Role  string `json:"role"`
}

// GrantRoleOutput is its result; it names the user by id only.
type GrantRoleOutput struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// grantRole is the GrantRole handler: the way to make the first reviewer or admin, since
// the admin route needs an admin already. A bad event is a function error whose message
// says what is wrong.
func grantRole(u *users.Service) func(context.Context, GrantRoleInput) (GrantRoleOutput, error) {
	return func(ctx context.Context, in GrantRoleInput) (GrantRoleOutput, error) {
		if in.Phone == "" {
			return GrantRoleOutput{}, kyc.FieldError(kyc.EMISSING, "phone", "required")
		}
		user, err := u.SetRoleByPhone(ctx, in.Phone, in.Role)
		if err != nil {
			return GrantRoleOutput{}, err
		}
		return GrantRoleOutput{UserID: user.ID, Role: string(user.Role)}, nil
	}
}

// MustGrantRole returns the GrantRole handler, or fails the init loudly.
func MustGrantRole() func(context.Context, GrantRoleInput) (GrantRoleOutput, error) {
	svc, err := Services(os.Getenv)
	if err != nil {
		failInit(GrantRole, err)
	}
	return grantRole(users.New(svc))
}
