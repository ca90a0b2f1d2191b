package kyc

// RequiredSlots returns the document slots a submission of account type t must fill, in
// the order they are checked, so that a missing document is always reported by the same
// slot first. The content rules of each slot (formats, sizes) are pkg/filecheck's.
//
// The slice is new on each call: no caller can change another's rules.
func RequiredSlots(t AccountType) []string {
	if t == CompanyAccount {
		return []string{"licence", "confirmation"}
	}
	return []string{"frontOfID", "backOfID"}
}
