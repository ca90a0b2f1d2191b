package users_test

import (
	"testing"

	"github.com/realname-kyc/realname/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
