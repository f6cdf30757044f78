// Command announce measures opsgate's StackStorm announcement path: it is at the same time a
// StackStorm stream (GET /stream/v1/stream, framed byte for byte as st2stream and st2fake frame it:
// "event: st2.announcement__<route>\ndata: {"payload":{...},"trace_context":null}\n\n", no ids,
// bare "\n" heartbeats) publishing announcements at a fixed rate, and the Slack Web API stand-in
// opsgate posts them to (chat.postMessage). Each announcement's message carries its sequence
// number and publish time, so every post that arrives names its latency from publish to post.
//
// Publishing never waits for opsgate: events go to the connection through a large buffer, as st2
// queues them, so a slow reader shows as latency and, if it never catches up, as loss.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsgate/opsgate/bench/internal/proc"
)

const marker = "bench:" // message text: "announcement bench:<seq>:<publish unix nanos>"

func main() {
	st2Addr := flag.String("st2", "127.0.0.1:48082", "address the StackStorm stand-in (stream and api) listens on")
	stub := flag.String("stub", "127.0.0.1:48081", "address the Slack Web API stand-in listens on")
	route := flag.String("route", "opsgate", "announcement route (stackstorm.route)")
	channel := flag.String("channel", "slack:C0BENCH", "announcement channel")
	rate := flag.Float64("rate", 500, "announcements per second")
	warmup := flag.Duration("warmup", 2*time.Second, "publishing before measuring")
	duration := flag.Duration("duration", 10*time.Second, "measured publishing time")
	drain := flag.Duration("drain", 15*time.Second, "longest wait for the measured announcements after publishing stops")
	pidFile := flag.String("pidfile", "", "file holding opsgate's process id, read once opsgate opened the stream: CPU time (utime+stime) and RSS are read from /proc")
	label := flag.String("label", "opsgate", "name printed with the figures")
	flag.Parse()

	st := &stand{got: map[int64]time.Duration{}}
	ss := &st2{route: *route, conns: make(chan *sseConn, 1)}
	for _, srv := range []struct {
		addr string
		h    http.Handler
	}{{*stub, st}, {*st2Addr, ss}} {
		ln, err := net.Listen("tcp", srv.addr)
		if err != nil {
			log.Fatal(err)
		}
		go http.Serve(ln, srv.h)
	}
	var conn *sseConn
	select {
	case conn = <-ss.conns:
	case <-time.After(60 * time.Second):
		log.Fatal("announce: opsgate did not open the stream within 60s")
	}
	pidv := 0
	if *pidFile != "" {
		var err error
		for try := 0; try < 100; try++ { // the script writes it just after starting opsgate
			b, _ := os.ReadFile(*pidFile)
			if pidv, err = strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			log.Fatalf("announce: -pidfile: %v", err)
		}
	}
	pid := &pidv

	// Publish on a fixed schedule (catching up when late), never waiting for the reader.
	interval := time.Duration(float64(time.Second) / *rate)
	total := int64((*warmup + *duration) / interval)
	first := int64(*warmup / interval) // the measured ones are first..total-1
	var cpu0, cpu1 time.Duration
	var t0, t1 time.Time
	var rss int64
	rssDone := make(chan struct{})
	start := time.Now()
	for i := int64(0); i < total; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if i == first {
			t0, cpu0 = time.Now(), proc.CPU(*pid)
			st.count.Store(0)
			go func() { defer close(rssDone); rss = proc.PeakRSS(*pid, *duration) }()
		}
		conn.publish(i, *route, *channel)
	}
	t1, cpu1 = time.Now(), proc.CPU(*pid)
	inWindow := st.count.Load()
	<-rssDone

	// Drain: wait for the measured announcements, until all arrived or none arrived for 3 s.
	measured := total - first
	deadline := time.Now().Add(*drain)
	last, lastN := time.Now(), -1
	for time.Now().Before(deadline) {
		n := st.received(first)
		if int64(n) == measured {
			break
		}
		if n != lastN {
			last, lastN = time.Now(), n
		} else if time.Since(last) > 3*time.Second {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	lat, dups := st.latencies(first)
	slices.Sort(lat)
	secs := t1.Sub(t0).Seconds()
	perAnn := "-"
	if *pid > 0 && inWindow > 0 {
		// /proc/<pid>/stat counts in clock ticks (USER_HZ, 100 on Linux).
		perAnn = fmt.Sprintf("%.0fµs", float64((cpu1-cpu0).Microseconds())/float64(inWindow))
	}
	fmt.Printf("%-10s rate %5.0f/s  sent %6d  delivered/s %6.0f  lost %5d  dup %d  p50 %8.2fms  p99 %8.2fms  cpu/ann %s  cpu %.0f%%  rss %s\n",
		*label, float64(measured)/secs, measured, float64(inWindow)/secs, measured-int64(len(lat)), dups,
		proc.MS(proc.Pct(lat, 50)), proc.MS(proc.Pct(lat, 99)), perAnn, 100*(cpu1-cpu0).Seconds()/secs, proc.MB(rss))
	os.Exit(0)
}

// st2 is the StackStorm stand-in: the stream, and an empty rule list for opsgate's start-up check.
type st2 struct {
	route string
	conns chan *sseConn
}

// sseConn is opsgate's stream connection; events wait in ch (st2 buffers them the same way).
type sseConn struct{ ch chan []byte }

func (s *st2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/stream/v1/stream":
	case "/api/v1/rules":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"name":"notify-opsgate","pack":"chatops","enabled":true,"trigger":{"type":"core.st2.generic.notifytrigger"},`+
			`"criteria":{"trigger.route":{"pattern":"`+s.route+`","type":"equals"}},"action":{"ref":"chatops.post_result"}}]`)
		return
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"faultstring":"not found"}`)
		return
	}
	fl := w.(http.Flusher)
	c := &sseConn{ch: make(chan []byte, 1<<20)}
	w.Header().Set("Content-Type", "text/event-stream; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	select {
	case s.conns <- c:
	default:
		return // one stream per run: a reconnect would lose what the first buffered
	}
	hb := time.NewTicker(25 * time.Second)
	defer hb.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-hb.C:
			w.Write([]byte("\n"))
			fl.Flush()
		case b := <-c.ch:
			if _, err := w.Write(b); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func (c *sseConn) publish(seq int64, route, channel string) {
	payload, _ := json.Marshal(map[string]any{"payload": map[string]any{
		"channel": channel, "user": "", "whisper": false, "extra": map[string]any{},
		"message": "announcement " + marker + strconv.FormatInt(seq, 10) + ":" + strconv.FormatInt(time.Now().UnixNano(), 10),
	}, "trace_context": nil})
	c.ch <- []byte("event: st2.announcement__" + route + "\ndata: " + string(payload) + "\n\n")
}

// stand is the Slack Web API stand-in: every method answers ok; chat.postMessage is a delivery.
type stand struct {
	count atomic.Int64 // posts since the measurement began
	mu    sync.Mutex
	got   map[int64]time.Duration
	dups  int
}

func (s *stand) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
		io.WriteString(w, `{"ok":true,"channel":"C0BENCH","ts":"1.1"}`)
		seq, sent, ok := parseMarker(r.PostForm.Get("text"))
		if !ok {
			seq, sent, ok = parseMarker(r.PostForm.Get("blocks"))
		}
		if !ok {
			return
		}
		s.count.Add(1)
		s.mu.Lock()
		if _, seen := s.got[seq]; seen {
			s.dups++
		} else {
			s.got[seq] = now.Sub(time.Unix(0, sent))
		}
		s.mu.Unlock()
	case strings.HasSuffix(r.URL.Path, "/auth.test"):
		io.WriteString(w, `{"ok":true,"user_id":"U0BOT","team_id":"T0BENCH"}`)
	default:
		io.WriteString(w, `{"ok":true}`)
	}
}

func parseMarker(s string) (seq, sent int64, ok bool) {
	_, rest, found := strings.Cut(s, marker)
	if !found {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(rest, ":")
	end := strings.IndexFunc(b, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		b = b[:end]
	}
	seq, err1 := strconv.ParseInt(a, 10, 64)
	sent, err2 := strconv.ParseInt(b, 10, 64)
	return seq, sent, err1 == nil && err2 == nil
}

func (s *stand) received(from int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for seq := range s.got {
		if seq >= from {
			n++
		}
	}
	return n
}

func (s *stand) latencies(from int64) ([]time.Duration, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	for seq, d := range s.got {
		if seq >= from {
			out = append(out, d)
		}
	}
	return out, s.dups
}
