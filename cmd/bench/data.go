package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/realname-kyc/realname/pkg/idcheck/idchecktest"
	"github.com/realname-kyc/realname/pkg/kyc"
)

// personNames are synthetic names that pass idcheck.PersonName.
var personNames = []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"}

// residentID returns a synthetic resident ID number unique to i (below 36.5 million)
// that passes idcheck.ResidentID: Beijing Dongcheng, born i/1000 days after 1970-01-01,
// sequence i%1000; idchecktest computes the check character.
func residentID(i int) string {
	birth := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000)
	return idchecktest.ResidentID("110101" + birth.Format("20060102") + fmt.Sprintf("%03d", i%1000))
}

// benchAccount is account i in state, submitted at `at`, all synthetic: a real-looking
// item of the size the store writes (documents, reasons), not a minimal one. Its
// documents' keys and sizes are placeholders; the review part points them at real objects.
func benchAccount(i int, typ kyc.AccountType, state kyc.State, at time.Time) kyc.Account {
	a := kyc.Account{
		ID:        fmt.Sprintf("bench-%07d", i),
		OwnerID:   fmt.Sprintf("bench-user-%07d", i),
		Type:      typ,
		Name:      personNames[i%len(personNames)],
		Tel:       fmt.Sprintf("1390%07d", i),
		Address:   fmt.Sprintf("%d Bench Road, Test District", i),
		IDNumber:  residentID(i),
		State:     state,
		CreatedAt: at.Add(-24 * time.Hour),
		UpdatedAt: at,
		Version:   1,
	}
	if typ == kyc.CompanyAccount {
		a.Organization = fmt.Sprintf("Bench Test Company %d Ltd", i)
	}
	if state == kyc.StateUnverified {
		return a
	}
	a.SubmittedAt, a.Attempts, a.Version = at, 1, 3
	a.Documents = map[string]kyc.Document{}
	check := "ok"
	if state == kyc.StateSubmitted {
		check, a.Version = "", 2
	}
	for _, slot := range kyc.RequiredSlots(typ) {
		a.Documents[slot] = kyc.Document{Slot: slot, Key: "accounts/" + a.ID + "/" + slot + "/0123456789abcdef",
			ContentType: "image/png", Size: 48213, UploadedAt: at.Add(-time.Minute), Check: check}
	}
	if state == kyc.StateRejected {
		a.RejectType, a.Version = kyc.RejectRetry, 4
		slot := slices.Sorted(maps.Keys(a.Documents))[0]
		a.Reasons, a.ReuploadSlots = []string{"corrupt:" + slot}, []string{slot}
	}
	return a
}

// latency summarises repeated timings in milliseconds.
type latency struct {
	N      int     `json:"n"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Max    float64 `json:"max"`
}

func summarize(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return latency{N: len(s), Min: ms(s[0]), Median: ms(at(0.5)), P90: ms(at(0.9)), Max: ms(s[len(s)-1])}
}

var started = time.Now()

// progress prints a line to stderr with the time since the program started.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
}
