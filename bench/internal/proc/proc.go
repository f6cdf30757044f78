// Package proc reads what the benchmarks report of a server process from /proc (Linux): its CPU
// time and resident set, and the latency figures they print.
package proc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU is pid's user and system CPU time so far (clock ticks of 10 ms); 0 for pid 0 or unreadable.
func CPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count the fields after its closing parenthesis,
	// where utime (field 14) is the 12th and stime (15) the 13th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// PeakRSS waits d, reading pid's resident set every 250 ms, and returns the largest in kB (0 for
// pid 0).
func PeakRSS(pid int, d time.Duration) int64 {
	end := time.Now().Add(d)
	var peak int64
	for time.Now().Before(end) {
		time.Sleep(min(250*time.Millisecond, time.Until(end)))
		if pid > 0 {
			peak = max(peak, RSS(pid))
		}
	}
	return peak
}

// RSS reads pid's VmRSS, in kB.
func RSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// MB formats kB as megabytes, "-" for 0 (nothing measured).
func MB(kb int64) string {
	if kb == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fMB", float64(kb)/1024)
}

// Pct is the p-th percentile of sorted d (0 when empty).
func Pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, len(d)*p/100)]
}

// MS is d in milliseconds.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
