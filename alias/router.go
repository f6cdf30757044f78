package alias

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// Execution is one run of an alias's action, shaped like st2's execution object so st2 result
// templates ({{ execution.result.stdout }}, {{ execution.status }}) work unchanged.
type Execution struct {
	ID         string
	Status     string // opsgate.StatusSucceeded or opsgate.StatusFailed
	Parameters map[string]string
	Result     map[string]any
	Start, End time.Time
}

// Executor runs an alias's action with its parameters. An *opsgate.Error is shown to the user
// (e.g. "this action needs StackStorm"); other errors are internal.
type Executor func(ctx context.Context, a *Alias, params map[string]string) (*Execution, error)

// Router routes chat text to aliases for the pipeline: the alias's pack is the command and
// group (Errbot ACL "pack:name"), its name the subcommand, and the matched values the params.
type Router struct {
	// Aliases returns the current alias set (e.g. Dir.Set, which follows reloads).
	Aliases func() *Set
	Execute Executor
	Now     func() time.Time
	// Timeout, when set, gives the pipeline's run timeout for an alias (0: the pipeline default).
	Timeout func(a *Alias) time.Duration
}

var _ opsgate.Router = (*Router)(nil)

// Route matches req's text against the aliases. Text that matches no alias is not this
// router's (nil, nil); an ambiguous match or an immutable parameter given is an EINVALID error
// with st2's text, followed by the aliases involved.
func (r *Router) Route(ctx context.Context, req *opsgate.Request, words []string) (*opsgate.Route, error) {
	if len(words) == 0 {
		return nil, nil
	}
	text := opsgate.NormalizeText(req.Text)
	m, err := r.Aliases().Match(text)
	var ae *AmbiguityError
	switch {
	case errors.As(err, &ae) && len(ae.Matches) == 0:
		return r.partialRoute(text, words), nil
	case ae != nil:
		return nil, opsgate.Errorf(opsgate.EINVALID, "%s\n%s", ae.Error(), strings.TrimRight(ae.Names(), "\n"))
	case err != nil:
		return nil, opsgate.Errorf(opsgate.EINVALID, "%s", err.Error())
	}
	sets := make([]map[string]string, 0, len(m.Params))
	for _, p := range m.Params {
		p, err := m.Alias.ApplyImmutable(p)
		if err != nil {
			return nil, opsgate.Errorf(opsgate.EINVALID, "%s", err.Error())
		}
		sets = append(sets, p)
	}
	route := &opsgate.Route{
		Command:    m.Alias.Pack,
		Subcommand: m.Alias.Name,
		Group:      m.Alias.Pack,
		Args:       words[1:],
		Params:     sets[0],
		Run:        r.handler(m.Alias, sets),
	}
	if r.Timeout != nil {
		route.Timeout = r.Timeout(m.Alias)
	}
	return route, nil
}

// partialRoute routes text that names an alias but lacks required values to a prompt for them
// (the pipeline checks access first); nil when text names no alias.
func (r *Router) partialRoute(text string, words []string) *opsgate.Route {
	p := r.Aliases().Partial(text)
	if p == nil {
		return nil
	}
	route := &opsgate.Route{Command: p.Alias.Pack, Subcommand: p.Alias.Name, Group: p.Alias.Pack, Args: words[1:],
		Params: map[string]string{}, PromptPrefix: p.Prefix,
		Run: func(context.Context, *opsgate.Invocation) error {
			return opsgate.Errorf(opsgate.EINVALID, "Alias %s needs %s.", p.Alias.Ref(), strings.Join(p.Missing, ", "))
		}}
	for _, name := range p.Missing {
		route.Missing = append(route.Missing, opsgate.Param{Name: name})
	}
	return route
}

// Help lists the display forms of the enabled aliases.
func (r *Router) Help() []opsgate.HelpEntry {
	var out []opsgate.HelpEntry
	for _, h := range r.Aliases().Help() {
		out = append(out, opsgate.HelpEntry{Command: h.Alias.Pack, Subcommand: h.Alias.Name, Usage: h.Display,
			Help: h.Alias.Description, Group: h.Alias.Pack})
	}
	return out
}

func (r *Router) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// handler runs the action once per parameter set (several for match_multiple), sending the ack
// first and the rendered result after. A failed execution's result comes back as the run's error
// so the pipeline logs the run as failed and shows it.
func (r *Router) handler(a *Alias, sets []map[string]string) opsgate.Handler {
	return func(ctx context.Context, inv *opsgate.Invocation) error {
		var failures []string
		for _, params := range sets {
			id := newID()
			if a.AckEnabled() && a.Ack.Format != "" {
				ack, err := Render(a.Ack.Format, templateData(a, inv.Request, &Execution{ID: id, Status: "requested", Parameters: params, Start: r.now()}))
				if err != nil {
					return opsgate.Errorf(opsgate.EINVALID, "Alias %s: ack template: %s", a.Ref(), strings.TrimPrefix(err.Error(), "template: "))
				}
				if _, err := inv.Out.Send(ctx, splitMessage(ack)); err != nil {
					return err
				}
			}
			if r.Execute == nil {
				return opsgate.Errorf(opsgate.EINVALID, "Alias %s cannot run here: no executor for action %s.", a.Ref(), a.ActionRef)
			}
			ex, err := r.Execute(ctx, a, params)
			if err != nil {
				return err
			}
			if ex.ID == "" {
				ex.ID = id
			}
			if ex.Parameters == nil {
				ex.Parameters = params
			}
			text := ""
			if a.ResultEnabled() {
				if a.Result.Format != "" {
					if text, err = Render(a.Result.Format, templateData(a, inv.Request, ex)); err != nil {
						return opsgate.Errorf(opsgate.EINVALID, "Alias %s: result template: %s", a.Ref(), strings.TrimPrefix(err.Error(), "template: "))
					}
				} else {
					text = defaultResult(a, ex)
				}
			}
			if ex.Status != opsgate.StatusSucceeded {
				if text == "" {
					text = fmt.Sprintf("Action %s %s.", a.ActionRef, ex.Status)
				}
				failures = append(failures, strings.ReplaceAll(text, "{~}", "\n"))
				continue
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			if _, err := inv.Out.Send(ctx, splitMessage(text)); err != nil {
				return err
			}
		}
		if len(failures) > 0 {
			return opsgate.Errorf(opsgate.EINVALID, "%s", strings.Join(failures, "\n"))
		}
		return nil
	}
}

// splitMessage turns "pretext{~}body" (hubot-stackstorm's convention) into two text blocks.
func splitMessage(s string) opsgate.Message {
	var m opsgate.Message
	pre, body, found := strings.Cut(s, "{~}")
	if !found {
		pre, body = "", s
	}
	if strings.TrimSpace(pre) != "" {
		m.Blocks = append(m.Blocks, opsgate.Text{Markdown: strings.TrimSpace(pre)})
	}
	if strings.TrimSpace(body) != "" {
		m.Blocks = append(m.Blocks, opsgate.Text{Markdown: strings.TrimSpace(body)})
	}
	return m
}

// defaultResult shows what a result template-less alias produced: output for a program, the
// body for an HTTP call.
func defaultResult(a *Alias, ex *Execution) string {
	out := ""
	for _, k := range []string{"stdout", "body"} {
		if v, ok := ex.Result[k]; ok {
			out = fmt.Sprint(v)
			break
		}
	}
	if ex.Status != opsgate.StatusSucceeded {
		if se, ok := ex.Result["stderr"]; ok && fmt.Sprint(se) != "" {
			if strings.TrimSpace(out) != "" {
				out = strings.TrimRight(out, "\n") + "\n"
			}
			out += fmt.Sprint(se)
		}
		head := fmt.Sprintf("Action %s %s", a.ActionRef, ex.Status)
		if rc, ok := ex.Result["return_code"]; ok {
			head += fmt.Sprintf(" (exit status %v)", rc)
		}
		if strings.TrimSpace(out) == "" {
			return head + "."
		}
		return head + ":{~}```\n" + strings.TrimRight(out, "\n") + "\n```"
	}
	if strings.TrimSpace(out) == "" {
		return ""
	}
	return "```\n" + strings.TrimRight(out, "\n") + "\n```"
}

// templateData is what ack and result templates see, named as in st2.
func templateData(a *Alias, req *opsgate.Request, ex *Execution) map[string]any {
	params := map[string]any{}
	for k, v := range ex.Parameters {
		params[k] = v
	}
	execution := map[string]any{
		"id":         ex.ID,
		"status":     ex.Status,
		"parameters": params,
		"result":     ex.Result,
		"action":     map[string]any{"ref": a.ActionRef},
	}
	if !ex.Start.IsZero() {
		execution["start_timestamp"] = ex.Start.UTC().Format(time.RFC3339Nano)
	}
	if !ex.End.IsZero() {
		execution["end_timestamp"] = ex.End.UTC().Format(time.RFC3339Nano)
		execution["elapsed_seconds"] = ex.End.Sub(ex.Start).Seconds()
	}
	aliasData := map[string]any{"name": a.Name, "pack": a.Pack, "ref": a.Ref(), "description": a.Description,
		"action_ref": a.ActionRef, "extra": a.Extra}
	data := map[string]any{"execution": execution, "actionalias": aliasData, "alias": aliasData}
	if req != nil {
		data["user"] = req.UserName
		data["source_channel"] = req.ChannelName
		execution["context"] = map[string]any{"user": req.UserName, "source_channel": req.ChannelName, "platform": req.Platform}
	}
	return data
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
