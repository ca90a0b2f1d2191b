package main

import (
	"fmt"
	"os"
	"slices"
	"time"
)

// personNames are synthetic names that pass idcheck.PersonName.
var personNames = []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"}

// residentID returns a synthetic resident ID number unique to i (below 36.5 million)
// that passes idcheck.ResidentID: Beijing Dongcheng, born i/1000 days after 1970-01-01,
// sequence i%1000, and the GB 11643 check character.
func residentID(i int) string {
	birth := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000)
	body := "110101" + birth.Format("20060102") + fmt.Sprintf("%03d", i%1000)
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := range 17 {
		sum += int(body[k]-'0') * weights[k]
	}
	return body + string("10X98765432"[sum%11])
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
