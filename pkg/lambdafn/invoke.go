package lambdafn

import (
	"context"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/realname-kyc/realname/pkg/app"
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
	return withRequestID(func(ctx context.Context, in GrantRoleInput) (GrantRoleOutput, error) {
		if in.Phone == "" {
			return GrantRoleOutput{}, kyc.FieldError(kyc.EMISSING, "phone", "required")
		}
		user, err := u.SetRoleByPhone(ctx, users.Operator(app.RequestID(ctx)), in.Phone, in.Role)
		if err != nil {
			return GrantRoleOutput{}, err
		}
		return GrantRoleOutput{UserID: user.ID, Role: string(user.Role)}, nil
	})
}

// FreezeUserInput is the FreezeUser function's event. Frozen is required, so an event
// that forgot it does not unfreeze anyone by default.
type FreezeUserInput struct {
	Phone  string `json:"phone"`
	Frozen *bool  `json:"frozen"`
}

// FreezeUserOutput is its result; it names the user by id only.
type FreezeUserOutput struct {
	UserID string `json:"user_id"`
	Frozen bool   `json:"frozen"`
}

// freezeUser is the FreezeUser handler: an operator's way to stop a user at once (their
// sessions end) and to let them back in.
func freezeUser(u *users.Service) func(context.Context, FreezeUserInput) (FreezeUserOutput, error) {
	return withRequestID(func(ctx context.Context, in FreezeUserInput) (FreezeUserOutput, error) {
		switch {
		case in.Phone == "":
			return FreezeUserOutput{}, kyc.FieldError(kyc.EMISSING, "phone", "required")
		case in.Frozen == nil:
			return FreezeUserOutput{}, kyc.FieldError(kyc.EMISSING, "frozen", "required (true or false)")
		}
		user, err := u.SetFrozenByPhone(ctx, users.Operator(app.RequestID(ctx)), in.Phone, *in.Frozen)
		if err != nil {
			return FreezeUserOutput{}, err
		}
		return FreezeUserOutput{UserID: user.ID, Frozen: user.Frozen}, nil
	})
}

// withRequestID puts the Lambda request id where the logger finds it, for functions
// invoked without API Gateway (whose handlers get it from the proxy context).
func withRequestID[In, Out any](f func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ctx = app.WithRequestID(ctx, lc.AwsRequestID)
		}
		return f(ctx, in)
	}
}
