package http_test

import (
	"testing"
)

func putGrant(t *testing.T, url, token, id, body string) (int, map[string]any) {
	t.Helper()
	return sendJSON(t, "PUT", url+"/api/v1/grants/"+id, token, body)
}

func TestAPIUpdateGrant(t *testing.T) {
	url, _, token := adminAPI(t)
	if code, _ := postGrant(t, url, token, `{"command":"dns","type":"user","value":"U1"}`); code != 201 {
		t.Fatal(code)
	}
	code, g := putGrant(t, url, token, "1", `{"command":"dns","subcommand":"lookup","type":"user","value":"U1","name":"alice"}`)
	if code != 200 || g["subcommand"] != "lookup" || g["name"] != "alice" {
		t.Errorf("PUT: %d %v", code, g)
	}
	if code, g := putGrant(t, url, token, "9", `{"command":"dns","type":"user","value":"U1"}`); code != 404 {
		t.Errorf("PUT unknown id: %d %v, want 404", code, g)
	}
	if code, g := putGrant(t, url, token, "1", `{"command":"dns","type":"user","value":"U1","platform":"slak"}`); code != 400 {
		t.Errorf("PUT bad platform: %d %v, want 400", code, g)
	}
}
