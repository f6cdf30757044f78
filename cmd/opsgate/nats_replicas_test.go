package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/opsgate/opsgate"
	oslack "github.com/opsgate/opsgate/slack"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/store/storetest"
)

// natsBotUser turns on the test command `work` in a replica (in this process or a child).
const natsBotUser = "UNATSTEST"

// natsGateEnv names the test's gate URL for child replicas. Not OPSGATE_*: it is no setting.
const natsGateEnv = "NATS_TEST_GATE_URL"

func init() {
	registerModule(module{Name: "nats-test-commands", Order: 60, Setup: func(ctx context.Context, m *Main) error {
		if m.Config.Slack.BotUserID != natsBotUser {
			return nil
		}
		gate := os.Getenv(natsGateEnv)
		// work TAG waits at the test's gate (when there is one), then replies "done TAG": the test
		// decides when commands finish, so it can kill a replica while they run.
		m.Pipeline.Register(&opsgate.Command{Name: "work", Help: "wait at the gate", Params: []opsgate.Param{{Name: "tag", Help: "a tag"}},
			Run: func(ctx context.Context, inv *opsgate.Invocation) error {
				tag := inv.Route.Params["tag"]
				if gate != "" {
					req, _ := http.NewRequestWithContext(ctx, "GET", gate+"?pid="+fmt.Sprint(os.Getpid())+"&tag="+url.QueryEscape(tag), nil)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						return err
					}
					resp.Body.Close()
				}
				_, err := inv.Out.Send(ctx, opsgate.Textf("done %s", tag))
				return err
			}})
		return nil
	}})
}

// TestServeChild is not a test: it is `opsgate serve` in a child process of a test that kills it
// (TestNATSReplicasSurviveSIGKILL, TestServeAfterACrashRefusesWhatItCannotVouchFor). It runs only
// when such a test starts it.
func TestServeChild(t *testing.T) {
	args := os.Getenv("NATS_TEST_CHILD_ARGS")
	if args == "" {
		t.Skip("runs only as a child of a test that kills it")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	m := NewMain()
	var env []string
	for _, kv := range m.Environ {
		if !strings.HasPrefix(kv, "NATS_TEST_") {
			env = append(env, kv)
		}
	}
	m.Environ = env
	os.Exit(m.Run(ctx, strings.Fields(args)))
}

// testNATS returns the machine's NATS (JetStream) URL: required when CI=true, else the test skips.
func testNATS(t *testing.T) string {
	t.Helper()
	u := "nats://127.0.0.1:4222"
	nc, err := nats.Connect(u, nats.Timeout(2*time.Second))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS is required when CI=true but unreachable at %s: %v", u, err)
		}
		t.Skipf("skipping: NATS unreachable at %s (%v); set CI=true to require it", u, err)
	}
	nc.Close()
	return u
}

// natsPrefix returns a stream prefix of this test alone, and deletes its stream afterwards.
func testNATSPrefix(t *testing.T, natsURL string) string {
	var b [6]byte
	rand.Read(b[:])
	p := "T" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if nc, err := nats.Connect(natsURL); err == nil {
			js, _ := nc.JetStream()
			js.DeleteStream(p + "_COMMANDS")
			for name := range js.KeyValueStoreNames() { // the claims' and leases' buckets
				if strings.HasPrefix(name, p+"_") {
					js.DeleteKeyValue(name)
				}
			}
			nc.Close()
		}
	})
	return p
}

// gate holds `work` commands until opened, counting the waiting ones by replica pid.
type gate struct {
	mu      sync.Mutex
	open    chan struct{}
	waiting map[string]int
}

func newGate(t *testing.T) (*gate, string) {
	g := &gate{open: make(chan struct{}), waiting: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pid := r.URL.Query().Get("pid")
		g.mu.Lock()
		g.waiting[pid]++
		g.mu.Unlock()
		select {
		case <-g.open:
		case <-r.Context().Done():
		}
		g.mu.Lock()
		g.waiting[pid]--
		g.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return g, srv.URL
}

func (g *gate) at(pid int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting[fmt.Sprint(pid)]
}

// serveChild is an `opsgate serve` child process (of this test binary, see TestServeChild).
type serveChild struct {
	cmd  *exec.Cmd
	base string
}

func startServeChild(t *testing.T, env []string) *serveChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.v=false")
	cmd.Env = append(os.Environ(), append(env, "NATS_TEST_CHILD_ARGS=serve")...)
	stdout, _ := cmd.StdoutPipe()
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening on (https?://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case base := <-found:
		return &serveChild{cmd: cmd, base: base}
	case <-time.After(60 * time.Second):
		t.Fatalf("replica did not start: %s", stderr.String())
	}
	return nil
}

func slashCommand(user, text, trigger string) string {
	return url.Values{"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"ops"},
		"user_id": {user}, "user_name": {"pat"}, "command": {"/work"}, "text": {text}, "trigger_id": {trigger}}.Encode()
}

// Three replicas on one PostgreSQL database and one NATS stream take signed slash commands spread
// across them; one is SIGKILLed while it runs commands it acknowledged, and more commands arrive
// after. Every acknowledged command is replied to exactly once: the dead replica's commands by the
// others, after the ack wait.
func TestNATSReplicasSurviveSIGKILL(t *testing.T) {
	natsURL := testNATS(t)
	dsn := storetest.DSN(t, store.Postgres)
	addGrants(t, dsn, [][]string{{"work", "*", "organization", "T1", "acme"}, {"work", "*", "channel", "*", "any"}, {"work", "*", "user", "*", "any"}})
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	g, gateURL := newGate(t)
	prefix := testNATSPrefix(t, natsURL)
	env := []string{"OPSGATE_DATABASE=" + dsn, "OPSGATE_LISTEN=127.0.0.1:0", "OPSGATE_LOG_LEVEL=warn",
		"OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET=" + e2eSecret, "OPSGATE_SLACK_BOT_TOKEN=xoxb-test",
		"OPSGATE_SLACK_API_URL=" + fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID=" + natsBotUser,
		"OPSGATE_NATS_URL=" + natsURL, "OPSGATE_NATS_STREAM_PREFIX=" + prefix, "OPSGATE_NATS_ACK_WAIT=3s",
		natsGateEnv + "=" + gateURL}
	reps := []*serveChild{startServeChild(t, env), startServeChild(t, env), startServeChild(t, env)}
	for _, r := range reps {
		waitUntil(t, "replica ready", 30*time.Second, func() bool { c, _ := getQuiet(r.base + "/readyz"); return c == 200 })
	}

	var mu sync.Mutex
	acked := map[string]bool{}
	send := func(i int) {
		r := reps[i%len(reps)]
		tag := fmt.Sprintf("c%03d", i)
		code, body, err := slackPostQuiet(r.base, oslack.PathSlashCommand, slashCommand("U1", tag, fmt.Sprintf("trig.%d", i)))
		if err != nil { // the killed replica: not acknowledged
			return
		}
		if code != 200 || body != "" {
			t.Errorf("%s via %s: %d %q", tag, r.base, code, body)
			return
		}
		mu.Lock()
		acked[tag] = true
		mu.Unlock()
	}
	var wg sync.WaitGroup
	load := func(from, to int) {
		for i := from; i < to; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); send(i) }()
		}
		wg.Wait()
	}
	load(0, 60)
	victim := reps[1]
	waitUntil(t, "the victim to run commands", 30*time.Second, func() bool { return g.at(victim.cmd.Process.Pid) > 0 })
	held := g.at(victim.cmd.Process.Pid)
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	close(g.open)
	load(60, 120) // a third of these reach the dead replica and are refused by the network

	waitUntil(t, "a reply to every acknowledged command", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		got := replies(rec)
		for tag := range acked {
			if got[tag] == 0 {
				return false
			}
		}
		return true
	})
	// Once the stream is empty every command was acked: nothing more can be redelivered.
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	waitUntil(t, "the stream to drain", 30*time.Second, func() bool {
		info, err := js.StreamInfo(prefix + "_COMMANDS")
		return err == nil && info.State.Msgs == 0
	})
	mu.Lock()
	defer mu.Unlock()
	got := replies(rec)
	if len(acked) < 90 {
		t.Fatalf("only %d commands acknowledged", len(acked))
	}
	for tag := range acked {
		if got[tag] != 1 {
			t.Errorf("%s: replied %d times, want exactly once", tag, got[tag])
		}
	}
	for tag, n := range got {
		if !acked[tag] {
			t.Errorf("%s: replied %d times but never acknowledged", tag, n)
		}
	}
	t.Logf("%d commands acknowledged, each replied once; the killed replica was running %d", len(acked), held)
}

var doneTag = regexp.MustCompile(`done ([a-z]\w*)`)

// replies counts the "done TAG" posts by tag.
func replies(rec *recorder) map[string]int {
	got := map[string]int{}
	for _, c := range rec.count("/chat.postMessage") {
		if m := doneTag.FindStringSubmatch(c.Form.Get("text")); m != nil {
			got[m[1]]++
		}
	}
	return got
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

func getQuiet(u string) (int, string) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// slackPostQuiet is slackPost for goroutines: errors are returned, not fatal.
func slackPostQuiet(base, path, body string) (int, string, error) {
	ts := fmt.Sprint(time.Now().Unix())
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", oslack.Sign(e2eSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// natsServer is a nats-server of the test's own, so it can be stopped and started again.
type natsServer struct {
	t    *testing.T
	addr string
	dir  string
	cmd  *exec.Cmd
}

func startNATSServer(t *testing.T, addr, dir string) *natsServer {
	t.Helper()
	const bin = "/usr/sbin/nats-server"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required when CI=true: %v", bin, err)
		}
		t.Skipf("skipping: %s not installed; set CI=true to require it", bin)
	}
	host, port, _ := strings.Cut(addr, ":")
	s := &natsServer{t: t, addr: addr, dir: dir, cmd: exec.Command(bin, "-js", "-a", host, "-p", port, "-sd", dir)}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	waitUntil(t, "nats-server to listen", 30*time.Second, func() bool {
		nc, err := nats.Connect("nats://" + addr)
		if err == nil {
			nc.Close()
		}
		return err == nil
	})
	return s
}

func (s *natsServer) stop() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		s.cmd.Wait()
	}
}

// When NATS goes away a replica refuses new commands at once with a clear answer and /readyz says
// why; commands it acknowledged before still get their one reply; when NATS is back it takes
// commands again by itself.
func TestNATSUnreachableAndBack(t *testing.T) {
	addr := freePort(t)
	dir := t.TempDir()
	ns := startNATSServer(t, addr, dir)
	rec := &recorder{}
	fs := newFakeSlackAPI(t, rec)
	g, gateURL := newGate(t)
	t.Setenv(natsGateEnv, gateURL) // read by the test command's setup in this process
	dsn := sqliteDSN(t)
	addGrants(t, dsn, [][]string{{"work", "*", "organization", "T1", "acme"}, {"work", "*", "channel", "*", "any"}, {"work", "*", "user", "*", "any"}})
	base, _ := startServer(t, dsn, "OPSGATE_SLACK_ENABLED=true", "OPSGATE_SLACK_SIGNING_SECRET="+e2eSecret,
		"OPSGATE_SLACK_BOT_TOKEN=xoxb-test", "OPSGATE_SLACK_API_URL="+fs.GetAPIURL(), "OPSGATE_SLACK_BOT_USER_ID="+natsBotUser,
		"OPSGATE_NATS_URL=nats://"+addr, "OPSGATE_NATS_ACK_WAIT=2s")
	waitUntil(t, "ready", 30*time.Second, func() bool { c, _ := getQuiet(base + "/readyz"); return c == 200 })

	slash := func(tag string) (int, string) {
		code, body, err := slackPostQuiet(base, oslack.PathSlashCommand, slashCommand("U1", tag, "trig."+tag))
		if err != nil {
			t.Fatal(err)
		}
		return code, body
	}
	for i := range 5 {
		if code, body := slash(fmt.Sprintf("c%d", i)); code != 200 || body != "" {
			t.Fatalf("before the outage: %d %q", code, body)
		}
	}
	waitUntil(t, "the commands to run", 30*time.Second, func() bool { return g.at(os.Getpid()) == 5 })

	ns.stop()
	waitUntil(t, "/readyz to say NATS is down", 30*time.Second, func() bool {
		c, body := getQuiet(base + "/readyz")
		return c == 503 && strings.Contains(body, "nats: not ready: NATS is unreachable")
	})
	code, body := slash("c5")
	if code != 200 || !strings.Contains(body, "its message queue (NATS) is unreachable") || !strings.Contains(body, `"ephemeral"`) {
		t.Fatalf("during the outage: %d %q, want the refusal as an ephemeral answer", code, body)
	}
	if _, m := getQuiet(base + "/metrics"); !strings.Contains(m, `opsgate_queue_refused_total{reason="unreachable"}`) {
		t.Error("the refusal is not counted in opsgate_queue_refused_total")
	}
	close(g.open) // the commands taken before the outage finish and reply while NATS is away
	waitUntil(t, "the replies of commands taken before the outage", 30*time.Second, func() bool { return len(replies(rec)) == 5 })

	startNATSServer(t, addr, dir)
	waitUntil(t, "the replica to recover", 60*time.Second, func() bool { c, _ := getQuiet(base + "/readyz"); return c == 200 })
	if code, body := slash("c6"); code != 200 || body != "" {
		t.Fatalf("after the outage: %d %q", code, body)
	}
	waitUntil(t, "the reply after the outage", 30*time.Second, func() bool { return replies(rec)["c6"] == 1 })
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := nc.JetStream()
	waitUntil(t, "the stream to drain", 30*time.Second, func() bool {
		info, err := js.StreamInfo("OPSGATE_COMMANDS")
		return err == nil && info.State.Msgs == 0
	})
	got := replies(rec)
	for _, tag := range []string{"c0", "c1", "c2", "c3", "c4", "c6"} {
		if got[tag] != 1 {
			t.Errorf("%s: replied %d times, want once", tag, got[tag])
		}
	}
	if got["c5"] != 0 {
		t.Errorf("the refused command was run")
	}
}
