package seal

import "github.com/realname-kyc/realname/pkg/app"

// Provide gives e the seal drawer. Only the seal function's main names it, so no other
// binary carries the font.
func Provide(e *app.Env) error {
	e.DrawSeal = Draw
	e.Backends.Seal = "embedded font"
	return nil
}
