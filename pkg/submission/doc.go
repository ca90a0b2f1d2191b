// Package submission is the document side of verification: presigned uploads, personal
// and company submissions (from upload keys or from the seed's multipart form), the
// account view, document downloads for owners and reviewers, the avatar, and the
// platform's sample confirmation file.
//
// A Service is built from explicit dependencies (Deps): the store methods it calls
// (Store, which any kyc.Store satisfies), a URL signer (kyc.Presigner), the object calls
// of the submissions and the portrait (Objects), the review queue's Send (Queue), the
// clock, the id maker, the logger and the attempt limit. The routes that only hand out
// URLs or read the account (CreateUpload, DownloadURL, ConfirmationURL, Account) never
// touch Objects or Queue, so their Lambda functions are wired with a signer alone and
// link no S3 client; SubmitPersonal, SubmitCompany and SetPortrait need Objects (the
// submissions the Queue too) and fail, before reading or writing anything, without.
//
// Who may submit, and what a submission does to the account, are pkg/kyc's transitions
// (MaySubmit, Submit, UndoSubmit) and its RequiredSlots; this package validates the
// input, stores the documents, writes the transition and queues the account for review.
//
// Each route is a handful of store calls: a submission reads the account and its upload
// records together (kyc.Store's GetAccountAndUploads) and writes the transition, and the
// portrait reads its upload record and swaps the user's portrait in one write
// (SetUserPortrait), and an upload grant is counted against the user's hourly quota
// (UploadGrantsPerHour) in the write that records it (PutUploadCounted), so that no
// route's success costs more than three DynamoDB calls, counting the session lookup of
// the request (pkg/dynamo's documentation counts them).
//
// Object keys are always server-chosen: presigned uploads land under uploads/ (a staging
// prefix the bucket's lifecycle rule empties after a day), and a submission copies what it
// accepts to accounts/<id>/<slot>/<random>, so nothing a user names or abandons is kept.
// The copy's metadata is the server's (CopyAs: the accepted type, Cache-Control no-store),
// never what the uploader sent with the file.
//
// A reviewer's download is audited before its URL is returned; a document the review
// worker found bad (Document.Check other than "" and "ok") is refused to reviewers unless
// they ask for it for forensics (Viewer.Forensic), which the audit record says.
package submission
