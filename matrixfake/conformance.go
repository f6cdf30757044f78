package matrixfake

import (
	"fmt"
	"net/url"
	"testing"
)

// Conform checks the Client-Server API behaviour opsgate relies on, as alice and bob (bob's user
// id is bobID) on one homeserver: run against this package's Server and against a real
// homeserver, it shows the fake answers as the real one does.
func Conform(t *testing.T, alice, bob *Client, bobID string) {
	t.Helper()
	check := func(what string, ok bool, got ...any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: got %v", what, got)
		}
	}
	status, out := bob.Do("GET", "/account/whoami", nil)
	check("whoami", status == 200 && out["user_id"] == bobID, status, out)
	status, out = (&Client{BaseURL: bob.BaseURL, Token: "syt_no_such_token"}).Do("GET", "/account/whoami", nil)
	check("unknown token", status == 401 && out["errcode"] == "M_UNKNOWN_TOKEN", status, out)

	room := alice.CreateRoom("conformance", bobID)
	check("createRoom", len(room) > 1 && room[0] == '!', room)
	status, out = bob.Do("PUT", "/rooms/"+url.PathEscape(room)+"/send/m.room.message/early", map[string]any{"msgtype": "m.text", "body": "x"})
	check("send before joining", status == 403 && out["errcode"] == "M_FORBIDDEN", status, out)
	status, out = bob.Do("GET", "/sync?timeout=0", nil)
	invite, _ := dig(out, "rooms", "invite", room)["invite_state"].(map[string]any)
	check("invitation in sync", status == 200 && invite != nil, status, out)
	since, _ := out["next_batch"].(string)
	check("join", bob.Join(room) == 200)

	path := "/rooms/" + url.PathEscape(room) + "/send/m.room.message/txn1"
	_, first := alice.Do("PUT", path, map[string]any{"msgtype": "m.text", "body": "!whoami"})
	_, again := alice.Do("PUT", path, map[string]any{"msgtype": "m.text", "body": "!whoami"})
	check("send twice with one transaction id", first["event_id"] != nil && first["event_id"] == again["event_id"], first, again)

	// Long-polls return what came after since (a homeserver may need more than one to catch up),
	// and a message comes once.
	n := 0
	for i := 0; i < 10 && n == 0; i++ {
		status, out = bob.Do("GET", "/sync?timeout=5000&since="+url.QueryEscape(since), nil)
		n += count(out, room, first["event_id"])
		since, _ = out["next_batch"].(string)
	}
	status, out = bob.Do("GET", "/sync?timeout=0&since="+url.QueryEscape(since), nil)
	n += count(out, room, first["event_id"])
	check("the message in incremental syncs, once", status == 200 && n == 1, n, out)
	since, _ = out["next_batch"].(string)

	status, out = bob.Do("GET", "/user/"+url.PathEscape(bobID)+"/account_data/m.direct", nil)
	check("account data not set", status == 404 && out["errcode"] == "M_NOT_FOUND", status, out)
	direct := map[string]any{"@alice:x": []any{room}}
	status, _ = bob.Do("PUT", "/user/"+url.PathEscape(bobID)+"/account_data/m.direct", direct)
	_, got := bob.Do("GET", "/user/"+url.PathEscape(bobID)+"/account_data/m.direct", nil)
	check("account data set", status == 200 && fmt.Sprint(got) == fmt.Sprint(direct), status, got)
	status, out = bob.Do("GET", "/sync?timeout=5000&since="+url.QueryEscape(since), nil)
	found := false
	for i := 0; i < 10 && !found; i++ {
		acc, _ := out["account_data"].(map[string]any)
		list, _ := acc["events"].([]any)
		for _, e := range list {
			if e, _ := e.(map[string]any); e["type"] == "m.direct" {
				found = true
			}
		}
		if !found {
			since, _ = out["next_batch"].(string)
			status, out = bob.Do("GET", "/sync?timeout=5000&since="+url.QueryEscape(since), nil)
		}
	}
	check("account data in sync", status == 200 && found, status, out)
}

// count is how many times the sync response out holds the m.text event id in room.
func count(out map[string]any, room string, id any) int {
	n := 0
	evs, _ := dig(out, "rooms", "join", room, "timeline")["events"].([]any)
	for _, e := range evs {
		e, _ := e.(map[string]any)
		c, _ := e["content"].(map[string]any)
		if e["type"] == "m.room.message" && c["msgtype"] == "m.text" && e["sender"] != nil && e["event_id"] == id && e["origin_server_ts"] != nil {
			n++
		}
	}
	return n
}

// dig follows keys through nested JSON objects, returning an empty object where one is missing.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		m = next
	}
	return m
}
