// Command load drives a Slack slash command endpoint with signed /whoami commands over a fixed
// number of keep-alive connections, and is at the same time the Slack Web API stand-in the server
// replies to. It counts completions — chat.postEphemeral calls reaching the stand-in — never
// acknowledgements, and measures each one's latency from the moment its signed request was sent
// (carried in the user id, which every reply names) to the moment its reply arrived.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsgate/opsgate/bench/internal/proc"
)

func main() {
	target := flag.String("target", "", "slash command URL to load (required); several, comma-separated, take requests in turn")
	stub := flag.String("stub", "127.0.0.1:8091", "address the Slack Web API stand-in listens on")
	secret := flag.String("secret", "bench-signing-secret", "Slack signing secret")
	conns := flag.Int("conns", 64, "connections, each sending one request at a time")
	warmup := flag.Duration("warmup", 3*time.Second, "load before measuring")
	duration := flag.Duration("duration", 10*time.Second, "measured time")
	label := flag.String("label", "server", "name printed with the figures")
	pid := flag.Int("pid", 0, "server process whose RSS is sampled during the measurement")
	flag.Parse()
	if *target == "" {
		log.Fatal("load: -target is required")
	}

	st := &stand{}
	ln, err := net.Listen("tcp", *stub)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, st)

	tr := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	targets := strings.Split(*target, ",")
	for _, t := range targets {
		waitReady(client, t)
	}
	var turn atomic.Uint64

	var acked, refused, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch send(client, targets[turn.Add(1)%uint64(len(targets))], *secret, i) {
				case "ack":
					acked.Add(1)
				case "refused":
					refused.Add(1)
				default:
					failed.Add(1)
				}
			}
		}()
	}
	time.Sleep(*warmup)
	a0, r0, f0 := acked.Load(), refused.Load(), failed.Load()
	st.start()
	cpu0 := proc.CPU(*pid)
	rss := proc.MB(proc.PeakRSS(*pid, *duration))
	lat := st.stop()
	cpu := proc.CPU(*pid) - cpu0
	a1, r1, f1 := acked.Load(), refused.Load(), failed.Load()
	close(stop)
	secs := duration.Seconds()
	slices.Sort(lat)
	// CPU time per completion holds up when the machine is shared, where completions per second
	// follow whatever else runs on the core.
	perCmd := "-"
	if *pid > 0 && len(lat) > 0 {
		perCmd = fmt.Sprintf("%.0fus", float64(cpu.Microseconds())/float64(len(lat)))
	}
	fmt.Printf("%-10s completed/s %8.0f  acked/s %8.0f  refused/s %8.0f  failed/s %6.0f  p50 %7.2fms  p99 %7.2fms  cpu/cmd %s  rss %s\n",
		*label, float64(len(lat))/secs, float64(a1-a0)/secs, float64(r1-r0)/secs, float64(f1-f0)/secs,
		proc.MS(proc.Pct(lat, 50)), proc.MS(proc.Pct(lat, 99)), perCmd, rss)
	tr.CloseIdleConnections()
	os.Exit(0) // requests still in flight are not waited for
}

// send posts one signed /whoami; the user id carries the send time. Trigger ids differ, as
// Slack's do: with NATS a repeated one is a retry, stored once.
func send(c *http.Client, target, secret string, conn int) string {
	sent := time.Now().UnixNano()
	body := "token=bench&team_id=T0BENCH&team_domain=bench&channel_id=C0BENCH&channel_name=bench" +
		"&user_id=U" + strconv.FormatInt(sent, 10) + "&user_name=u" + strconv.Itoa(conn) +
		"&command=%2Fwhoami&text=&api_app_id=A0BENCH&trigger_id=1." + strconv.Itoa(conn) + "." + strconv.FormatInt(sent, 10) +
		"&response_url=" + url.QueryEscape("http://127.0.0.1:1/response")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest("POST", target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	resp, err := c.Do(req)
	if err != nil {
		time.Sleep(10 * time.Millisecond)
		return "error"
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode != 200:
		return "error"
	case len(bytes.TrimSpace(b)) > 0: // an immediate answer instead of work: a refusal
		return "refused"
	}
	return "ack"
}

func waitReady(c *http.Client, target string) {
	u, _ := url.Parse(target)
	for range 600 {
		if resp, err := c.Get(u.Scheme + "://" + u.Host + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatal("load: target not ready after 30s")
}

// stand is the Slack Web API stand-in: every method answers ok; chat.postEphemeral and
// chat.postMessage are completions.
type stand struct {
	mu  sync.Mutex
	on  bool
	lat []time.Duration
}

func (s *stand) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat.postEphemeral"), strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
		io.WriteString(w, `{"ok":true,"channel":"C0BENCH","ts":"1.1","message_ts":"1.1"}`)
		sent, err := strconv.ParseInt(strings.TrimPrefix(r.PostForm.Get("user"), "U"), 10, 64)
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.on {
			s.lat = append(s.lat, now.Sub(time.Unix(0, sent)))
		}
		s.mu.Unlock()
	case strings.HasSuffix(r.URL.Path, "/auth.test"):
		io.WriteString(w, `{"ok":true,"user_id":"U0BOT","team_id":"T0BENCH"}`)
	default:
		io.WriteString(w, `{"ok":true}`)
	}
}

func (s *stand) start() {
	s.mu.Lock()
	s.on, s.lat = true, make([]time.Duration, 0, 1<<19)
	s.mu.Unlock()
}

func (s *stand) stop() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on = false
	return s.lat
}
