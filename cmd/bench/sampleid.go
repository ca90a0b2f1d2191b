package main

import "github.com/realname-kyc/realname/pkg/idcheck/idchecktest"

// sampleResidentID is a synthetic resident ID number for the flows the bench drives; its
// check character is computed, so no ID-number literal sits in non-test code.
func sampleResidentID() string { return idchecktest.ResidentID("11010519491231002") }
