package matrix

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit/kittest"
	"github.com/opsgate/opsgate/matrixfake"
)

// dendriteVersion is the homeserver the real-server test builds (in its own module, from the
// module proxy: it is no dependency of opsgate).
const dendriteVersion = "v0.13.8"

// startDendrite builds and starts a Dendrite homeserver named localhost with open registration
// off, and returns its URL and its directory (configuration, keys, databases, log). It skips unless OPSGATE_TEST_DENDRITE=1: the first build downloads
// and compiles for several minutes (later ones take seconds) and needs a C compiler (SQLite).
func startDendrite(t *testing.T) (base, dir string) {
	t.Helper()
	if os.Getenv("OPSGATE_TEST_DENDRITE") != "1" {
		t.Skip("set OPSGATE_TEST_DENDRITE=1 to build Dendrite " + dendriteVersion + " and test against it")
	}
	bin := filepath.Join(os.TempDir(), "opsgate-test-dendrite-"+dendriteVersion)
	var pkgs []string
	for _, c := range []string{"dendrite", "create-account", "generate-keys", "generate-config"} {
		pkgs = append(pkgs, "github.com/matrix-org/dendrite/cmd/"+c+"@"+dendriteVersion)
	}
	build := exec.Command("go", append([]string{"install"}, pkgs...)...)
	build.Dir = os.TempDir() // outside opsgate's module
	build.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod", "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building Dendrite: %v\n%s", err, out)
	}
	dir = t.TempDir()
	run := func(name string, args ...string) string {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return string(out)
	}
	run("generate-keys", "--private-key", "matrix_key.pem")
	cfg := run("generate-config", "-ci", "-dir", dir, "-server", "localhost")
	cfg = strings.Replace(cfg, "registration_disabled: false", "registration_disabled: true", 1)
	if err := os.WriteFile(filepath.Join(dir, "dendrite.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	srv := exec.CommandContext(ctx, filepath.Join(bin, "dendrite"), "--config", "dendrite.yaml", "--http-bind-address", addr)
	srv.Dir = dir
	logf, _ := os.Create(filepath.Join(dir, "dendrite.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); srv.Wait(); logf.Close() })
	base = "http://" + addr
	waitFor(t, "Dendrite to answer", func() bool {
		resp, err := http.Get(base + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return base, dir
}

// login creates an account on the Dendrite at base (configured in dir) and logs it in.
func login(t *testing.T, base, dir, user string) *matrixfake.Client {
	t.Helper()
	bin := filepath.Join(os.TempDir(), "opsgate-test-dendrite-"+dendriteVersion)
	cmd := exec.Command(filepath.Join(bin, "create-account"), "-config", "dendrite.yaml", "-username", user, "-password", "pw-"+user+"-12345", "-url", base)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create-account %s: %v\n%s", user, err, out)
	}
	c := &matrixfake.Client{BaseURL: base}
	status, out := c.Do("POST", "/login", map[string]any{"type": "m.login.password",
		"identifier": map[string]any{"type": "m.id.user", "user": user}, "password": "pw-" + user + "-12345"})
	tok, _ := out["access_token"].(string)
	if status != 200 || tok == "" {
		t.Fatalf("login %s: %d %v", user, status, out)
	}
	c.Token = tok
	return c
}

// The bot against a real homeserver: it joins on invitation, reads a command with Matrix's
// identity, answers with an HTML notice in the thread, and opens a direct room for what only
// the asker may see, where commands need no prefix.
func TestAgainstDendrite(t *testing.T) {
	base, dir := startDendrite(t)
	botc, alice := login(t, base, dir, "opsgate"), login(t, base, dir, "alice")
	pipe := kittest.NewPipeline(t, func(req *opsgate.Request, _ []string) opsgate.Message {
		m := opsgate.Textf("**ran** `%s`", req.Text)
		m.InThread, m.Ephemeral = true, req.Text == "secret"
		return m
	})
	bot, err := New(Options{Homeserver: base, AccessToken: botc.Token, AutoJoin: true, Handle: pipe.Handle, SyncTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	defer func() { cancel(); <-done }()

	room := alice.CreateRoom("ops", "@opsgate:localhost")
	waitFor(t, "the bot to join", func() bool { return alice.Membership(room, "@opsgate:localhost") == "join" })
	cmd := alice.Say(room, "!whoami")
	req := pipe.Next()
	want := opsgate.Request{Platform: "matrix", OrgID: "localhost", OrgName: "localhost", ChannelID: room, ChannelName: "ops",
		UserID: "@alice:localhost", UserName: "@alice:localhost", ThreadID: cmd, Text: "whoami"}
	if *req != want {
		t.Fatalf("request\n got %+v\nwant %+v", *req, want)
	}
	n := botNotice(t, alice, room, "whoami")
	rel, _ := n["m.relates_to"].(map[string]any)
	if n["format"] != "org.matrix.custom.html" || !strings.Contains(fmt.Sprint(n["formatted_body"]), "<strong>ran</strong>") ||
		rel["rel_type"] != "m.thread" || rel["event_id"] != cmd {
		t.Fatalf("answer %v: want an HTML notice in the command's thread", n)
	}

	alice.Say(room, "!secret")
	pipe.Next()
	var dm string
	waitFor(t, "an invitation to a direct room", func() bool {
		if inv := alice.Invited(); len(inv) == 1 {
			dm = inv[0]
		}
		return dm != ""
	})
	if alice.Join(dm) != 200 {
		t.Fatal("alice cannot join the direct room")
	}
	botNotice(t, alice, dm, "secret")
	alice.Say(dm, "whoami")
	if req := pipe.Next(); !req.Direct || req.Text != "whoami" || req.ChannelID != dm {
		t.Fatalf("request in the direct room: %+v", req)
	}
}

// botNotice waits for the bot's notice in room whose body contains text, and returns its content.
func botNotice(t *testing.T, c *matrixfake.Client, room, text string) map[string]any {
	t.Helper()
	var found map[string]any
	waitFor(t, "the bot's notice with "+text, func() bool {
		for _, ev := range c.Messages(room) {
			content, _ := ev["content"].(map[string]any)
			if ev["sender"] == "@opsgate:localhost" && content["msgtype"] == "m.notice" && strings.Contains(fmt.Sprint(content["body"]), text) {
				found = content
				return true
			}
		}
		return false
	})
	return found
}

// Dendrite answers the checks matrixfake passes: the fake speaks the protocol as a homeserver does.
func TestDendriteConforms(t *testing.T) {
	base, dir := startDendrite(t)
	matrixfake.Conform(t, login(t, base, dir, "alice"), login(t, base, dir, "bob"), "@bob:localhost")
}
