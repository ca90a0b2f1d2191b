package idcheck

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	tests := []struct{ name, in, want, reason string }{
		{name: "plain", in: "t4x0@ebaoquan.org", want: "t4x0@ebaoquan.org"},
		{name: "domain lower-cased, local kept", in: " Li.Ming+kyc@Example.COM\t", want: "Li.Ming+kyc@example.com"},
		{name: "subdomain and hyphen", in: "a@mail.ex-ample.com.cn", want: "a@mail.ex-ample.com.cn"},
		{name: "punycode domain", in: "a@xn--fiqs8s.xn--fiqs8s", want: "a@xn--fiqs8s.xn--fiqs8s"},
		{name: "specials", in: "o'neil_{x}=1@example.com", want: "o'neil_{x}=1@example.com"},

		{name: "empty", in: "", reason: errEmailForm.Error()},
		{name: "no at", in: "example.com", reason: errEmailForm.Error()},
		{name: "two ats", in: "a@b@example.com", reason: errEmailForm.Error()},
		{name: "no local", in: "@example.com", reason: errEmailForm.Error()},
		{name: "display name", in: "Li <li@example.com>", reason: reasonSpaces},
		{name: "leading dot", in: ".a@example.com", reason: errEmailLocal.Error()},
		{name: "double dot", in: "a..b@example.com", reason: errEmailLocal.Error()},
		{name: "quoted local", in: `"a b"@example.com`, reason: errEmailLocal.Error()},
		{name: "full-width at sign", in: "a＠example.com", reason: errEmailForm.Error()},
		{name: "full-width letter", in: "ａ@example.com", reason: reasonFullWidth},
		{name: "single-label domain", in: "a@localhost", reason: errEmailDomain.Error()},
		{name: "address literal", in: "a@[192.0.2.1]", reason: errEmailDomain.Error()},
		{name: "numeric TLD", in: "a@192.0.2.1", reason: errEmailDomain.Error()},
		{name: "hyphen at label edge", in: "a@-example.com", reason: errEmailDomain.Error()},
		{name: "empty label", in: "a@example..com", reason: errEmailDomain.Error()},
		{name: "Chinese domain", in: "a@例子.中国", reason: errEmailDomain.Error()},
		{name: "local too long", in: strings.Repeat("a", 65) + "@example.com", reason: errEmailLength.Error()},
		{name: "too long", in: "a@" + strings.Repeat(strings.Repeat("b", 60)+".", 5) + "com", reason: errEmailLength.Error()},
		{name: "label too long", in: "a@" + strings.Repeat("b", 64) + ".com", reason: errEmailDomain.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Email(tt.in)
			if tt.reason != "" {
				if err == nil || err.Error() != tt.reason {
					t.Fatalf("Email(%q) = %q, %v; want error %q", tt.in, got, err, tt.reason)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Email(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// FuzzEmail: never panics; an accepted address is ASCII with one @, at most 254 bytes,
// a lower-case domain, and is accepted again unchanged.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", " A@EXAMPLE.COM ", "a@b", "a@@b.c", "\xff@a.com", "a@b.c\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Email(s)
		if err != nil {
			if got != "" || err.Error() == "" {
				t.Fatalf("Email(%q) = %q, %v: an error must come with no value and a reason", s, got, err)
			}
			return
		}
		local, domain, _ := strings.Cut(got, "@")
		if len(got) > emailMax || strings.Count(got, "@") != 1 || domain != strings.ToLower(domain) || local == "" {
			t.Fatalf("Email(%q) = %q breaks the form", s, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] <= ' ' || got[i] >= 0x7f {
				t.Fatalf("Email(%q) = %q has byte %#x", s, got, got[i])
			}
		}
		if again, err := Email(got); err != nil || again != got {
			t.Fatalf("Email(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
