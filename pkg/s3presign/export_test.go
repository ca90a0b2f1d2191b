package s3presign

import "time"

// SetNow makes p sign as if the time were now(): the comparison with the SDK needs a
// fixed signing time, and the expiry tests a past one (no sleeping).
func SetNow(p *Presigner, now func() time.Time) { p.now = now }
