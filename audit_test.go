package opsgate_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

// Before and After are JSON documents; in JSON output they are objects a program can read,
// not strings holding JSON.
func TestAuditEntryJSONHasObjects(t *testing.T) {
	e := opsgate.AuditEntry{ID: 1, Action: "update", Object: "grant", Before: `{"command":"dns"}`, After: `{"command":"dig"}`}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(b, &got)
	if before, ok := got["before"].(map[string]any); !ok || before["command"] != "dns" {
		t.Errorf("before: %s", b)
	}
	if after, ok := got["after"].(map[string]any); !ok || after["command"] != "dig" {
		t.Errorf("after: %s", b)
	}
	// A created object has no before; the key is left out as before.
	b, _ = json.Marshal(opsgate.AuditEntry{Action: "create", After: `{"a":1}`})
	if json.Unmarshal(b, &got); len(b) == 0 || string(b) == "" {
		t.Fatal("empty")
	}
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	if _, ok := m["before"]; ok {
		t.Errorf("create entry has before: %s", b)
	}
	// Reading it back gives the same strings.
	var back opsgate.AuditEntry
	if err := json.Unmarshal(b, &back); err != nil || back.After != `{"a":1}` {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

// A printed duration carries its unit: the command log's runtime is runtime_seconds in JSON,
// not a bare count of nanoseconds.
func TestCommandLogEntryRuntimeHasUnit(t *testing.T) {
	b, err := json.Marshal(&opsgate.CommandLogEntry{ID: 1, Runtime: 1500 * time.Millisecond, Command: "dns"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(b, &got)
	if _, bare := got["runtime"]; bare || got["runtime_seconds"] != 1.5 || got["command"] != "dns" {
		t.Errorf("%s", b)
	}
}
