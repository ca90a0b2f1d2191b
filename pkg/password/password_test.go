package password_test

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/realname-kyc/realname/pkg/password"
)

// cheap are parameters that make a hash in microseconds, for tests that are not about
// the cost.
var cheap = password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1, SaltLen: 16, KeyLen: 32}

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestOWASPParams(t *testing.T) {
	want := password.Params{MemoryKiB: 19456, Passes: 2, Lanes: 1, SaltLen: 16, KeyLen: 32}
	if got := password.OWASP(); got != want {
		t.Errorf("OWASP() = %+v, want %+v", got, want)
	}
}

// The stored form is PHC argon2id with the OWASP parameters, a 16-byte salt and a 32-byte
// key, and two hashes of one password differ (random salt) yet both verify.
func TestHashFormatOWASP(t *testing.T) {
	h1, err := password.Hash("correct horse battery", password.OWASP())
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	h2, err := password.Hash("correct horse battery", password.OWASP())
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not start with $argon2id$v=19$m=19456,t=2,p=1$", h1)
	}
	m := phc.FindStringSubmatch(h1)
	if m == nil {
		t.Fatalf("hash %q is not PHC argon2id", h1)
	}
	salt, err := base64.RawStdEncoding.DecodeString(m[4])
	if err != nil || len(salt) != 16 {
		t.Errorf("salt %q: %d bytes, %v; want 16 bytes of unpadded base64", m[4], len(salt), err)
	}
	key, err := base64.RawStdEncoding.DecodeString(m[5])
	if err != nil || len(key) != 32 {
		t.Errorf("key %q: %d bytes, %v; want 32 bytes of unpadded base64", m[5], len(key), err)
	}
	if h1 == h2 {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	for _, h := range []string{h1, h2} {
		if ok, err := password.Verify("correct horse battery", h); !ok || err != nil {
			t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
		}
	}
	if ok, err := password.Verify("correct horse batterY", h1); ok || err != nil {
		t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
	}
	if password.NeedsRehash(h1, password.OWASP()) {
		t.Errorf("NeedsRehash(OWASP hash, OWASP) = true")
	}
}

func TestVerify(t *testing.T) {
	good, err := password.Hash("pässwörd-ünïcode-密码", cheap)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"same", "pässwörd-ünïcode-密码", true},
		{"one rune off", "pässwörd-ünïcode-密马", false},
		{"case", "Pässwörd-ünïcode-密码", false},
		{"prefix", "pässwörd-ünïcode-", false},
		{"trailing space", "pässwörd-ünïcode-密码 ", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := password.Verify(tt.pw, good)
			if err != nil || ok != tt.want {
				t.Errorf("Verify = %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	good, err := password.Hash("a good password", cheap)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"empty":            "",
		"bcrypt":           "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":          with(1, "argon2i"),
		"version 16":       with(2, "v=16"),
		"no version":       with(2, "x"),
		"zero memory":      with(3, "m=0,t=1,p=1"),
		"zero passes":      with(3, "m=64,t=0,p=1"),
		"zero lanes":       with(3, "m=64,t=1,p=0"),
		"huge memory":      with(3, "m=99999999,t=1,p=1"),
		"huge passes":      with(3, "m=64,t=1000,p=1"),
		"params garbage":   with(3, "m=a,t=b,p=c"),
		"salt not base64":  with(4, "!!!!!!!!!!!!"),
		"short salt":       with(4, base64.RawStdEncoding.EncodeToString([]byte("1234567"))),
		"short key":        with(5, base64.RawStdEncoding.EncodeToString([]byte("123456789012345"))),
		"padded key":       with(5, parts[5]+"="),
		"extra field":      good + "$x",
		"missing key":      strings.Join(parts[:5], "$"),
		"leading garbage":  "x" + good,
		"test placeholder": "test-hash",
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := password.Verify("a good password", h)
			if ok || !errors.Is(err, password.ErrMalformedHash) {
				t.Errorf("Verify(%q) = %v, %v; want false, ErrMalformedHash", h, ok, err)
			}
			if !password.NeedsRehash(h, cheap) {
				t.Errorf("NeedsRehash(%q) = false, want true for an unreadable hash", h)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	h, err := password.Hash("a good password", cheap)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	tests := []struct {
		name string
		want password.Params
		need bool
	}{
		{"same", cheap, false},
		{"more memory", password.Params{MemoryKiB: 128, Passes: 1, Lanes: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more passes", password.Params{MemoryKiB: 64, Passes: 2, Lanes: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more lanes", password.Params{MemoryKiB: 64, Passes: 1, Lanes: 2, SaltLen: 16, KeyLen: 32}, true},
		{"longer salt", password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1, SaltLen: 32, KeyLen: 32}, true},
		{"shorter key", password.Params{MemoryKiB: 64, Passes: 1, Lanes: 1, SaltLen: 16, KeyLen: 16}, true},
		{"OWASP", password.OWASP(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := password.NeedsRehash(h, tt.want); got != tt.need {
				t.Errorf("NeedsRehash = %v, want %v", got, tt.need)
			}
		})
	}
}

func TestProblem(t *testing.T) {
	const phone = "13800138000"
	tests := []struct {
		name    string
		pw      string
		phone   string
		wantSub string // "" means acceptable
	}{
		{"7 chars", "Xk9#mQ2", phone, "at least 8"},
		{"8 chars", "Xk9#mQ2v", phone, ""},
		{"64 chars", strings.Repeat("Xk9#mQ2v", 8), phone, ""},
		{"65 chars", strings.Repeat("Xk9#mQ2v", 8) + "z", phone, "at most 64"},
		{"empty", "", phone, "at least 8"},
		// Characters, not bytes: 8 CJK characters are 24 bytes and enough; 65 are too many.
		{"8 CJK chars", "我的密码很安全啊", phone, ""},
		{"7 CJK chars", "我的密码很安全", phone, "at least 8"},
		{"64 CJK chars", strings.Repeat("密", 64), phone, ""},
		{"65 CJK chars", strings.Repeat("密", 65), phone, "at most 64"},
		{"common", "password123", phone, "too common"},
		{"common, other case", "PassWord123", phone, "too common"},
		{"common digits", "12345678", phone, "too common"},
		{"contains the phone", "pw" + phone + "!", phone, "phone"},
		{"is the phone", phone, phone, "phone"},
		{"contains another phone", "pw13900139000!", phone, ""},
		{"no phone given", "pw" + phone + "!", "", ""},
		{"invalid UTF-8", "abcdefgh\xff", phone, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := password.Problem(tt.pw, tt.phone)
			if tt.wantSub == "" && got != "" {
				t.Errorf("Problem(%q) = %q, want acceptable", tt.pw, got)
			}
			if tt.wantSub != "" && !strings.Contains(got, tt.wantSub) {
				t.Errorf("Problem(%q) = %q, want a reason containing %q", tt.pw, got, tt.wantSub)
			}
		})
	}
}

func TestIsCommon(t *testing.T) {
	tests := []struct {
		pw   string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"password123", true},
		{"p@ssw0rd", true},
		{"qwertyuiop", true},
		{"password123 ", false},
		{"", false},
		{"unusual-passphrase-42", false},
	}
	for _, tt := range tests {
		if got := password.IsCommon(tt.pw); got != tt.want {
			t.Errorf("IsCommon(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

// BenchmarkHash is the cost of one OWASP hash, which every login and registration pays.
func BenchmarkHash(b *testing.B) {
	p := password.OWASP()
	for b.Loop() {
		if _, err := password.Hash("correct horse battery", p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}
