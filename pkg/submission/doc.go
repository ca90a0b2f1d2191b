// Package submission is the document side of verification: presigned uploads, personal
// and company submissions (from upload keys or from the seed's multipart form), the
// account view, document downloads for owners and reviewers, the avatar, and the
// platform's sample confirmation file.
//
// Who may submit, and what a submission does to the account, are pkg/kyc's transitions
// (MaySubmit, Submit, UndoSubmit) and its RequiredSlots; this package validates the
// input, stores the documents, writes the transition and queues the account for review.
//
// Object keys are always server-chosen: presigned uploads land under uploads/ (a staging
// prefix the bucket's lifecycle rule empties after a day), and a submission copies what it
// accepts to accounts/<id>/<slot>/<random>, so nothing a user names or abandons is kept.
package submission
