// Package company holds the rules of a company's real-name profile (seed 001) and of an
// approved personal account's change into a company (seed 002), as API.md "Enterprise"
// and DOMAIN.md describe them: which fields and documents are required for which kind of
// organization, how each identifier is validated, what a modification or re-application
// may change, and which preconditions an enterprise change must meet.
//
// It is pure domain, like pkg/kyc: no I/O, no store, no HTTP. Routes parse the request
// into the maps and structs here, call these functions, and write what they return; the
// errors are *kyc.Error values naming the field, so the one error mapping of pkg/httpapi
// answers 997, 1006 or 1021 without knowing about companies.
//
// What the company form requires (ParseProfile), by identificationType (0 multi-certificate,
// 1 unified) and organizationType (0 enterprise, 1 public institution):
//
//	always:               emailOrMobile (an email), name, organizationType, identificationType,
//	                      organizationRegNo, organizationRegImg (slot licence), legalName
//	identificationType 1: organizationRegNo is a unified social credit code (GB 32100)
//	identificationType 0: organizationRegNo is a 15-digit registration number (enterprise) or
//	                      a 12-digit institution certificate number (public institution);
//	                      organizationCode (GB 11714) and organizationCodeImg are required;
//	                      taxCertificateImg too, unless the organization is a public institution
//	optional:             legalIdentityCard (GB 11643), legalMobile, legalIdentityFrontImg and
//	                      legalIdentityBackImg (both or neither), signImg (generated when
//	                      absent), address, authorizeName, authorizeCard and
//	                      authorizeMobilePhone (the last two need authorizeName),
//	                      signApplication
//
// A seed-002 enterprise change (CheckEnterpriseChange) is judged on the request first, then
// on the account, whose unmet preconditions are all named (the Fail* constants).
package company
