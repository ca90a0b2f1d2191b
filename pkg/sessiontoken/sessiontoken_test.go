package sessiontoken

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/realname-kyc/realname/pkg/kyc"
)

func codec(t *testing.T, secret string) *Codec {
	t.Helper()
	c, err := New([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSealOpen(t *testing.T) {
	c := codec(t, "a secret of the store, 32 bytes!")
	now := time.Unix(1_800_000_000, 0)
	p := kyc.Principal{UserID: "u_01", AccountID: "a_01", Role: kyc.RoleReviewer}
	tok, err := c.Seal(p, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, Prefix) || strings.Contains(tok, "u_01") || strings.Contains(tok, "reviewer") {
		t.Fatalf("token %q is not opaque", tok)
	}
	got, err := c.Open(tok, now)
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.TokenHash = Hash(tok)
	if got != want {
		t.Fatalf("Open = %+v, want %+v", got, want)
	}
	again, _ := c.Seal(p, now.Add(time.Hour))
	if again == tok {
		t.Fatal("two seals of one caller gave the same token")
	}
}

func TestOpenRefuses(t *testing.T) {
	c := codec(t, "a secret of the store, 32 bytes!")
	other := codec(t, "another secret entirely, 32 byte")
	now := time.Unix(1_800_000_000, 0)
	p := kyc.Principal{UserID: "u_01", AccountID: "a_01", Role: kyc.RoleAdmin}
	tok, _ := c.Seal(p, now.Add(time.Hour))
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, Prefix))
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 1
	cases := map[string]struct {
		codec *Codec
		token string
		at    time.Time
	}{
		"expired":          {c, tok, now.Add(time.Hour)},
		"other key":        {other, tok, now},
		"altered":          {c, Prefix + base64.RawURLEncoding.EncodeToString(flipped), now},
		"no prefix":        {c, strings.TrimPrefix(tok, Prefix), now},
		"random old token": {c, Prefix + base64.RawURLEncoding.EncodeToString(make([]byte, 32)), now},
		"not base64":       {c, Prefix + "!!!", now},
		"empty":            {c, "", now},
		"too long":         {c, tok + strings.Repeat("A", maxTokenLen), now},
	}
	for name, tc := range cases {
		if got, err := tc.codec.Open(tc.token, tc.at); err != ErrInvalid {
			t.Errorf("%s: Open = %+v, %v; want ErrInvalid", name, got, err)
		}
	}
}

func TestSealRefusesEmptyFields(t *testing.T) {
	c := codec(t, "s")
	if _, err := c.Seal(kyc.Principal{UserID: "u", Role: kyc.RoleUser}, time.Now().Add(time.Hour)); err == nil {
		t.Fatal("sealed a principal without an account")
	}
	if _, err := New(nil); err == nil {
		t.Fatal("New accepted an empty secret")
	}
}

func FuzzOpen(f *testing.F) {
	c, _ := New([]byte("fuzz secret"))
	now := time.Unix(1_800_000_000, 0)
	tok, _ := c.Seal(kyc.Principal{UserID: "u", AccountID: "a", Role: kyc.RoleUser}, now.Add(time.Hour))
	f.Add(tok)
	f.Add(Prefix)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := c.Open(s, now)
		if err == nil && (p.UserID == "" || p.AccountID == "" || p.Role == "" || p.TokenHash != Hash(s)) {
			t.Fatalf("Open(%q) = %+v without error", s, p)
		}
	})
}
