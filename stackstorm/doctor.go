package stackstorm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// NotifyRule is the st2 rule that sends alias results back to opsgate: the chatops pack's notify
// rule with the route opsgate listens on. A missing or mismatched rule is the commonest reason
// results never reach chat.
func NotifyRule(route string) string {
	return fmt.Sprintf(`# /opt/stackstorm/packs/chatops/rules/notify_opsgate.yaml
---
name: "notify-opsgate"
pack: "chatops"
enabled: true
description: "Send results of alias executions started from opsgate back to chat"
trigger:
  type: "core.st2.generic.notifytrigger"
criteria:
  trigger.route:
    pattern: "%[1]s"
    type: "equals"
action:
  ref: chatops.post_result
  parameters:
    channel: "{{trigger.data.source_channel}}"
    user: "{{trigger.data.user}}"
    execution_id: "{{trigger.execution_id}}"
    context: "{{trigger.data.source_context}}"
    route: "{{trigger.route}}"
`, route)
}

// PostMessageExample shows how st2 (or anything) posts to chat through opsgate's route.
func PostMessageExample(route string) string {
	return fmt.Sprintf(`# From a rule or workflow: the route must be %[1]q, the channel "<platform>:<channel id>".
st2 run chatops.post_message route=%[1]s channel=slack:C0123456 message="Deploy finished"
# Over HTTP, without the stream (token: opsgate token add --platform webhook):
curl -H "Authorization: Bearer $TOKEN" -d '{"channel": "slack:C0123456", "message": "Deploy finished"}' <opsgate>/chatops/message
`, route)
}

// Doctor checks st2's endpoints, the bot's credentials, the stream and the notify rule, writing one
// line per check to w, then the rule and post_message route this configuration needs. It returns an
// error naming the failed checks.
func Doctor(ctx context.Context, c *Client, route string, w io.Writer) error {
	var failed []string
	check := func(name string, err error, okText string) {
		if err != nil {
			failed = append(failed, name)
			fmt.Fprintf(w, "FAIL  %-12s %v\n", name, err)
			return
		}
		fmt.Fprintf(w, "ok    %-12s %s\n", name, okText)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()

	// auth: any st2 answer to validate proves the endpoint is st2auth and reachable.
	_, err := c.ValidateToken(cctx, "opsgate-doctor")
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status < 500 && apiErr.Status != http.StatusNotFound {
		err = nil
	}
	check("auth_url", err, c.AuthURL+" answers")

	cred := Credential{}
	if c.Auth != nil {
		cred, err = c.Auth.Credential(cctx)
	}
	if err == nil {
		var user string
		user, err = c.Whoami(cctx, nil)
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
			_, _, err = c.ListAliases(cctx, nil, 1, 0) // st2 < 3.0 has no /user
			user = "(st2 < 3.0: user unknown)"
		}
		detail := "authenticated as " + user + " with " + strings.ReplaceAll(cred.Kind, "_", " ")
		if !cred.Until.IsZero() {
			detail += ", token valid until " + cred.Until.UTC().Format(time.RFC3339)
		}
		check("credentials", err, detail)
	} else {
		check("credentials", err, "")
	}

	_, total, err := c.ListAliases(cctx, nil, 1, 0)
	check("api_url", err, fmt.Sprintf("%s answers, %d action aliases", c.APIURL, total))

	err = streamProbe(cctx, c, route)
	check("stream_url", err, c.StreamURL+" streams text/event-stream for "+EventName(route))

	rules, err := c.Rules(cctx, nil)
	if err == nil {
		err = CheckNotifyRule(rules, route)
	}
	check("notify_rule", err, "a notify rule matches trigger.route == "+route)

	fmt.Fprintf(w, "\nst2 needs this notify rule for route %q:\n\n%s\n%s", route, NotifyRule(route), PostMessageExample(route))
	if len(failed) > 0 {
		return fmt.Errorf("stackstorm doctor: failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// streamProbe opens the stream and checks st2 accepts it as an event stream, then closes it.
func streamProbe(ctx context.Context, c *Client, route string) error {
	s := &Stream{Client: c, Route: route}
	cred := Credential{}
	if c.Auth != nil {
		var err error
		if cred, err = c.Auth.Credential(ctx); err != nil {
			return err
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := s.open(sctx, cred)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readAPIError(resp)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return fmt.Errorf("content type %q, not text/event-stream (a proxy buffering or rewriting the stream?)", ct)
	}
	return nil
}

func CheckNotifyRule(rules []Rule, route string) error {
	var seen []string
	for _, r := range rules {
		if str(r.Trigger["type"]) != "core.st2.generic.notifytrigger" && str(r.Trigger["ref"]) != "core.st2.generic.notifytrigger" {
			continue
		}
		crit, _ := r.Criteria["trigger.route"].(map[string]any)
		pattern := str(crit["pattern"])
		seen = append(seen, fmt.Sprintf("%s (route %q)", r.Ref, pattern))
		if pattern == route && r.Enabled {
			return nil
		}
	}
	if len(seen) == 0 {
		return fmt.Errorf("no notify rule (core.st2.generic.notifytrigger) found: results of commands will not reach chat")
	}
	return fmt.Errorf("no enabled notify rule for route %q; found %s: results of commands will not reach chat", route, strings.Join(seen, ", "))
}
