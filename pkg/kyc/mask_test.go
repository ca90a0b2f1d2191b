package kyc

import "testing"

func TestMaskPhone(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"13800005678", "138****5678"},
		{"+8613800005678", "+86*******5678"},
		{"12345678", "123*5678"},
		{"1234567", "*******"},
		{"", ""},
		{"１３８０００５６７８９", "１３８****６７８９"}, // full-width digits are runes, not bytes
	} {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"张三", "张*"},
		{"张小明", "张*明"},
		{"欧阳娜娜", "欧**娜"},
		{"阿依古丽·买买提", "阿******提"},
		{"张", "*"},
		{"", ""},
		{"Li Lei", "L****i"},
	} {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
