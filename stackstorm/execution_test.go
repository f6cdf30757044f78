package stackstorm

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCastParameters(t *testing.T) {
	types := map[string]string{"count": "integer", "ratio": "number", "force": "boolean", "hosts": "array", "tags": "array", "opts": "object", "name": "string"}
	got, err := CastParameters(map[string]string{"count": "3", "ratio": "0.5", "force": "yes", "hosts": "web1, web2", "tags": `["a",1]`,
		"opts": `{"x": true}`, "name": "42", "extra": "kept"}, types)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"count": int64(3), "ratio": 0.5, "force": true, "hosts": []any{"web1", "web2"}, "tags": []any{"a", float64(1)},
		"opts": map[string]any{"x": true}, "name": "42", "extra": "kept"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	for _, bad := range []map[string]string{{"count": "three"}, {"force": "maybe"}, {"opts": "{"}, {"tags": "[1,"}} {
		if _, err := CastParameters(bad, types); err == nil || !strings.Contains(err.Error(), "is not a valid") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// An action run directly (not through an st2 alias): its parameters are cast to the declared
// types, st2 accepts them, and the run is waited for until it ends.
func TestExecuteAndWait(t *testing.T) {
	s := newFake(t, nil)
	s.AddAction("core.local", map[string]string{"cmd": "string", "timeout": "integer"})
	s.Run = func(ref string, params map[string]any) any {
		return map[string]any{"stdout": "ran " + params["cmd"].(string)}
	}
	c := newClient(s, nil)
	ctx := context.Background()
	types, err := c.ActionParameters(ctx, nil, "core.local")
	if err != nil || types["timeout"] != "integer" {
		t.Fatalf("action parameters: %v %v", types, err)
	}
	params, _ := CastParameters(map[string]string{"cmd": "uptime", "timeout": "30"}, types)
	e, err := c.Execute(ctx, nil, "core.local", params)
	if err != nil || e.ID == "" {
		t.Fatalf("execute: %+v %v", e, err)
	}
	done, err := c.WaitExecution(ctx, nil, e.ID, 5*time.Millisecond)
	if err != nil || done.Status != "succeeded" || done.Result.(map[string]any)["stdout"] != "ran uptime" {
		t.Fatalf("wait: %+v %v", done, err)
	}
	// Uncast strings are refused by st2, as the real one refuses them.
	if _, err := c.Execute(ctx, nil, "core.local", map[string]any{"timeout": "30"}); err == nil || !strings.Contains(err.Error(), "is not of type 'integer'") {
		t.Fatalf("uncast parameter: %v", err)
	}
	if _, err := c.ActionParameters(ctx, nil, "nope.nothing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("unknown action: %v", err)
	}
}
