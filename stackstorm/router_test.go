package stackstorm

import (
	"context"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
)

func termReq(text string) *opsgate.Request {
	return &opsgate.Request{Platform: "terminal", OrgID: "T1", ChannelID: "C1", ChannelName: "ops", UserID: "U1", UserName: "alice-chat", Text: text}
}

// run routes text and runs the route, as the pipeline would after the access check.
func run(t *testing.T, r *Router, req *opsgate.Request) (*opsgate.Route, string, error) {
	t.Helper()
	ctx := context.Background()
	route, err := r.Route(ctx, req, opsgate.SplitWords(req.Text))
	if err != nil || route == nil {
		return route, "", err
	}
	out := &recorder{}
	err = route.Run(ctx, &opsgate.Invocation{Request: req, Route: route, Out: out})
	return route, out.text(), err
}

func TestRouterMatchingAlias(t *testing.T) {
	s := newFake(t, nil)
	r := &Router{Client: newClient(s, nil)}
	route, out, err := run(t, r, termReq(`st2 pack install “st2-slack”`))
	if err != nil {
		t.Fatal(err)
	}
	if route.Command != "st2" || route.Subcommand != "pack_install" || route.Group != "st2" {
		t.Fatalf("route = %s/%s/%s", route.Command, route.Subcommand, route.Group)
	}
	// st2 rendered ack.format; append_url adds the execution's web_url.
	if !strings.Contains(out, "Installing st2-slack. (details available at "+s.URL+"/#/history/") {
		t.Fatalf("ack = %q", out)
	}
	call := s.CallsTo("/api/v1/aliasexecution/match_and_execute")[0]
	if call.Body["command"] != `pack install "st2-slack"` || call.Body["source_channel"] != "terminal:C1" ||
		call.Body["user"] != "terminal:U1" || call.Body["notification_route"] != "opsgate" || call.User != "bot" {
		t.Fatalf("match_and_execute call = %+v", call)
	}
}

func TestRouterAckRenderedLocallyWhenSt2SendsNoMessage(t *testing.T) {
	s := newFake(t, nil)
	s.RenderAck = false
	r := &Router{Client: newClient(s, nil)}
	_, out, err := run(t, r, termReq(`st2 pack install foo`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Installing foo.") {
		t.Fatalf("ack = %q", out)
	}
}

func TestRouterAckDisabled(t *testing.T) {
	s := newFake(t, nil)
	r := &Router{Client: newClient(s, nil)}
	route, out, err := run(t, r, termReq(`st2 say hi`))
	if err != nil || route.Subcommand != "say_hi" || out != "" {
		t.Fatalf("route %v out %q err %v", route, out, err)
	}
}

func TestRouterNoMatchAndAmbiguous(t *testing.T) {
	s := newFake(t, nil)
	r := &Router{Client: newClient(s, nil)}
	_, _, err := run(t, r, termReq(`st2 make coffee`))
	if opsgate.ErrorMessage(err) != "Command 'make coffee' matched no patterns" {
		t.Fatalf("no match: %v", err)
	}
	_, _, err = run(t, r, termReq(`st2 run uptime on web1`))
	if opsgate.ErrorMessage(err) != "Command 'run uptime on web1' matched more than 1 pattern" {
		t.Fatalf("ambiguous: %v", err)
	}
	if n := len(s.CallsTo("/api/v1/aliasexecution/match_and_execute")); n != 0 {
		t.Fatalf("executed %d times", n)
	}
	// Not ours.
	if route, err := r.Route(context.Background(), termReq("deploy"), []string{"deploy"}); route != nil || err != nil {
		t.Fatalf("foreign command routed: %v %v", route, err)
	}
}

func TestRouterHelp(t *testing.T) {
	s := newFake(t, nil)
	r := &Router{Client: newClient(s, nil)}
	route, out, err := run(t, r, termReq(`st2help`))
	if err != nil || route.Command != "st2help" {
		t.Fatal(route, err)
	}
	want := "*[packs]*\n`st2 pack install {{packs}}` - Install a pack."
	if !strings.Contains(out, want) || !strings.Contains(out, "*[core]*\n`st2 say hi {{ who = world }}` - Greets.") {
		t.Fatalf("help = %q", out)
	}
	_, out, _ = run(t, r, termReq(`st2help --pack core --limit 1`))
	if strings.Contains(out, "packs") || !strings.Contains(out, "Showing 1-1 of 3: `st2help --offset 1` for more.") {
		t.Fatalf("paged help = %q", out)
	}
	_, out, _ = run(t, r, termReq(`st2help --filter=install`))
	if !strings.Contains(out, "pack install") || strings.Contains(out, "say hi") {
		t.Fatalf("filtered help = %q", out)
	}
	if _, _, err := run(t, r, termReq(`st2help --bogus`)); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Fatalf("bad flag: %v", err)
	}
}

func TestRouterOversizedAckSplits(t *testing.T) {
	s := newFake(t, nil)
	s.RenderAck = false
	r := &Router{Client: newClient(s, nil), Limits: map[string]int{"terminal": 100}}
	long := strings.Repeat("word ", 100)
	s.AddAlias(stAlias("big", "big", "{{ '"+long+"' }}"))
	_, out, err := run(t, r, termReq(`st2 big`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(strings.ReplaceAll(out, "\n", ""), "word"); got != 100 {
		t.Fatalf("words delivered = %d, want 100 (split, not truncated)", got)
	}
}
