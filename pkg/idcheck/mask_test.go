package idcheck

import "testing"

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "1101**********002X"},
		{"91350100M000100Y43", "9135**********0Y43"},
		{"110108000000016", "1101*******0016"},
		{"123456789012", "1234****9012"},
		{"12345678901", "***********"},
		{"12345678", "********"},
		{"1", "*"},
		{"", ""},
		{"一二三四五六七八九十百千", "一二三四****九十百千"},
		{"ab\xffcdefghijkl", "ab\uFFFDc*****ijkl"},
	}
	for _, tc := range tests {
		if got := MaskID(tc.in); got != tc.want {
			t.Errorf("MaskID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
