package idcheck

import (
	"errors"
	"strings"
	"unicode/utf8"
)

var (
	errUSCCChars     = errors.New("must contain only digits and the letters A-Z except I, O, S, V and Z")
	errUSCCLength    = errors.New("must be 18 characters")
	errUSCCAuthority = errors.New("the 1st character (registration authority code) must be one of 1-9, A, N or Y")
	errUSCCDivision  = errors.New("characters 3 to 8 (administrative division code) must be digits")
	errUSCCCheck     = errors.New("check character does not match")
)

// usccAlphabet lists the GB 32100 code characters in value order: a character's index is
// its value in the check computation (I, O, S, V and Z are left out, being too easily
// confused with 1, 0, 5, U and 2).
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the GB 32100 weights of the first 17 characters (3^i mod 31 at 0-based
// position i).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccTypes maps each registration authority code (1st character) to the organization
// type codes (2nd character) that authority assigns. A pair not listed here is refused.
//
// Source: the table of registration authority and organization type codes of GB
// 32100-2015 (登记管理部门代码 / 机构类别代码), with the authorities A and N that were
// added to it later, as the table is published and reproduced (identically, in several
// independent validators and articles; the text of the standard itself was not at hand).
// When a registration authority or type is added, add it here and to
// idchecktest.USCCTypes: until then a real code using it is refused with
// errUSCCAuthority or the type reason, which names the character.
var usccTypes = map[byte]string{
	'1': "1239",   // 机构编制 (staffing): 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
	'2': "19",     // 外交 (foreign affairs): 外国常驻新闻机构, 其他
	'3': "123459", // 司法行政 (justice): 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
	'4': "19",     // 文化 (culture): 外国在华文化中心, 其他
	'5': "1239",   // 民政 (civil affairs): 社会团体, 民办非企业单位, 基金会, 其他
	'6': "129",    // 旅游 (tourism): 外国旅游部门常驻代表机构, 港澳台地区旅游部门常驻内地(大陆)代表机构, 其他
	'7': "129",    // 宗教 (religious affairs): 宗教活动场所, 宗教院校, 其他
	'8': "19",     // 工会 (trade unions): 基层工会, 其他
	'9': "123",    // 工商 (market regulation): 企业, 个体工商户, 农民专业合作社
	'A': "19",     // 中央军委改革和编制办公室 (CMC reform and staffing office): 军队事业单位, 其他
	'N': "1239",   // 农业 (agriculture): 组级, 村级, 乡镇级集体经济组织, 其他
	'Y': "1",      // 其他 (other authorities): not divided, always 1
}

// usccTypeErrs holds, per registration authority, the reason given for a type code that
// authority does not assign; it lists the ones it does.
var usccTypeErrs = func() map[byte]error {
	m := make(map[byte]error, len(usccTypes))
	for auth, types := range usccTypes {
		list := ""
		for i := 0; i < len(types); i++ {
			switch {
			case i == 0:
			case i == len(types)-1:
				list += " or "
			default:
				list += ", "
			}
			list += types[i : i+1]
		}
		m[auth] = errors.New("the 2nd character (organization type code) must be " + list +
			" for registration authority " + string(auth))
	}
	return m
}()

// USCC validates and normalises a unified social credit code (GB 32100-2015). Surrounding
// whitespace is trimmed and ASCII lower-case letters are upper-cased (the code is
// case-free and people type it either way); inner spaces, hyphens and full-width
// characters are refused. The result is 18 characters over usccAlphabet:
//
//   - 1st, the registration authority code, and 2nd, the organization type code: a pair
//     of usccTypes (unlisted pairs are refused);
//   - 3rd to 8th, the administrative division code of the registration authority (GB/T
//     2260): 6 digits. Only that: the code need not be a division that exists today, as
//     codes keep the division of the authority that issued them, and divisions are
//     renamed and merged (the same reason ResidentID checks no county code). 000000 is
//     not refused either: GB 32100 only refers to GB/T 2260 and has no rule singling it
//     out (national authorities use 100000), so refusing it, and no other code absent
//     from GB/T 2260, would be arbitrary;
//   - 9th to 17th, the organization's subject code (its GB 11714 organization code):
//     characters of usccAlphabet;
//   - 18th, the check character: 31 - (weighted sum mod 31), a result of 31 written 0.
//
// The structure is checked before the check character so that the reason names the
// wrong part: a typo in the first 8 characters usually breaks the structure too.
//
// The organization code embedded at positions 9-17 is not checked against its own GB
// 11714 check character: the outer check character already detects every
// single-character error and every adjacent transposition, and an inner rule that some
// issued code turns out not to satisfy would lock a real company out with no way to fix
// its input.
func USCC(s string) (string, error) {
	s = strings.TrimSpace(s)
	b := make([]byte, 0, 18)
	for _, r := range s {
		if r < utf8.RuneSelf {
			if c := upperASCII(byte(r)); strings.IndexByte(usccAlphabet, c) >= 0 {
				b = append(b, c)
				continue
			}
		}
		return "", errors.New(charReason(r, errUSCCChars.Error()))
	}
	if len(b) != 18 {
		return "", errUSCCLength
	}
	types, ok := usccTypes[b[0]]
	if !ok {
		return "", errUSCCAuthority
	}
	if strings.IndexByte(types, b[1]) < 0 {
		return "", usccTypeErrs[b[0]]
	}
	for _, c := range b[2:8] {
		if !isDigit(c) {
			return "", errUSCCDivision
		}
	}
	if b[17] != usccCheckChar(b[:17]) {
		return "", errUSCCCheck
	}
	return string(b), nil
}

// usccCheckChar computes the check character of 17 characters over usccAlphabet.
func usccCheckChar(code []byte) byte {
	sum := 0
	for i, c := range code[:17] {
		sum += strings.IndexByte(usccAlphabet, c) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}
