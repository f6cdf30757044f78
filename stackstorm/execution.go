package stackstorm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// finished are the st2 execution statuses that never change again.
var finished = map[string]bool{"succeeded": true, "failed": true, "timeout": true, "abandoned": true, "canceled": true}

// Execute runs an action directly: POST /api/v1/executions {"action", "parameters"} (201).
func (c *Client) Execute(ctx context.Context, auth Auth, action string, params map[string]any) (*Execution, error) {
	var out Execution
	body := map[string]any{"action": action, "parameters": params}
	if _, err := c.api(ctx, auth, http.MethodPost, "/executions", nil, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetExecution runs GET /api/v1/executions/<id>.
func (c *Client) GetExecution(ctx context.Context, auth Auth, id string) (*Execution, error) {
	var out Execution
	if _, err := c.api(ctx, auth, http.MethodGet, "/executions/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitExecution polls an execution every interval until it has finished or ctx ends.
func (c *Client) WaitExecution(ctx context.Context, auth Auth, id string, every time.Duration) (*Execution, error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		e, err := c.GetExecution(ctx, auth, id)
		if err != nil || finished[e.Status] {
			return e, err
		}
		select {
		case <-ctx.Done():
			return e, ctx.Err()
		case <-t.C:
		}
	}
}

// ActionParameters runs GET /api/v1/actions/<ref> and returns each parameter's JSON schema type.
func (c *Client) ActionParameters(ctx context.Context, auth Auth, ref string) (map[string]string, error) {
	var out struct {
		Parameters map[string]struct {
			Type string `json:"type"`
		} `json:"parameters"`
	}
	if _, err := c.api(ctx, auth, http.MethodGet, "/actions/"+url.PathEscape(ref), nil, nil, &out); err != nil {
		return nil, err
	}
	types := make(map[string]string, len(out.Parameters))
	for name, p := range out.Parameters {
		types[name] = p.Type
	}
	return types, nil
}

// CastParameters turns the strings an alias matched into the types the action declares, as st2
// does for alias executions: integer, number, boolean (true/false, yes/no, on/off, 1/0), array
// (a JSON list, or comma-separated) and object (JSON). Undeclared parameters stay strings.
func CastParameters(params map[string]string, types map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(params))
	for name, v := range params {
		var err error
		switch types[name] {
		case "integer":
			out[name], err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		case "number":
			out[name], err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		case "boolean":
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true", "yes", "on", "1":
				out[name] = true
			case "false", "no", "off", "0":
				out[name] = false
			default:
				err = fmt.Errorf("not a boolean")
			}
		case "array":
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
				var list []any
				err = json.Unmarshal([]byte(t), &list)
				out[name] = list
			} else {
				items := strings.Split(v, ",")
				list := make([]any, len(items))
				for i, it := range items {
					list[i] = strings.TrimSpace(it)
				}
				out[name] = list
			}
		case "object":
			var obj map[string]any
			err = json.Unmarshal([]byte(v), &obj)
			out[name] = obj
		default:
			out[name] = v
		}
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %q is not a valid %s", name, v, types[name])
		}
	}
	return out, nil
}
