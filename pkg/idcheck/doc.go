// Package idcheck validates and normalises the identifiers of DOMAIN.md: mainland mobile
// numbers, resident ID numbers (GB 11643), unified social credit codes (GB 32100),
// organization codes (GB 11714), business registration numbers (ISO 7064 MOD 11,10) and
// names. Each validator returns the normalised value or a reason safe to show the user.
package idcheck
