package webex_test

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/webexfake"
)

func TestEnsureWebhooks(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	f.SetPageSize(1) // every list is paged: the client must follow Link headers
	c, _ := newClient(f)
	const target, secret = "https://opsgate.example.com/api/plugins/chatops/webex/", "hook-secret"
	other := webexfake.Webhook{Name: "someone else's", TargetURL: "https://elsewhere.example.com/hook", Resource: "messages", Event: "created", Secret: "theirs"}
	f.AddWebhook(other)

	changes, err := c.EnsureWebhooks(ctx, target, secret)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Errorf("first run: %v, want two webhooks created", changes)
	}
	state := func() []string {
		var out []string
		for _, h := range f.Webhooks() {
			out = append(out, h.Resource+"/"+h.Event+" "+h.TargetURL+" "+h.Secret+" "+h.Status)
		}
		sort.Strings(out)
		return out
	}
	want := []string{
		"attachmentActions/created " + target + " " + secret + " active",
		"messages/created https://elsewhere.example.com/hook theirs active",
		"messages/created " + target + " " + secret + " active",
	}
	if got := state(); !reflect.DeepEqual(got, want) {
		t.Errorf("after the first run:\n got %q\nwant %q", got, want)
	}

	writes := func() int { return f.Calls("POST /v1/webhooks") + f.Calls("PUT /v1/webhooks/{id}") }
	before := writes()
	if changes, err := c.EnsureWebhooks(ctx, target, secret); err != nil || len(changes) != 0 || writes() != before {
		t.Errorf("second run: changes %v, err %v, %d writes; want nothing changed", changes, err, writes()-before)
	}

	// The secret was rotated in opsgate's configuration and the public URL moved; the others'
	// webhook is left alone.
	rotated, moved := "rotated-secret", "https://new.example.com/api/plugins/chatops/webex/"
	changes, err = c.EnsureWebhooks(ctx, moved, rotated)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Errorf("repair run: %v, want both repaired", changes)
	}
	want = []string{
		"attachmentActions/created " + moved + " " + rotated + " active",
		"messages/created https://elsewhere.example.com/hook theirs active",
		"messages/created " + moved + " " + rotated + " active",
	}
	if got := state(); !reflect.DeepEqual(got, want) {
		t.Errorf("after the repair:\n got %q\nwant %q", got, want)
	}
	for _, ch := range changes {
		if strings.Contains(ch, rotated) || strings.Contains(ch, secret) {
			t.Errorf("change line %q names a secret", ch)
		}
	}
	if _, err := c.EnsureWebhooks(ctx, "opsgate.example.com/webex", secret); opsgate.ErrorCode(err) != opsgate.EINVALID {
		t.Errorf("a relative public URL: %v, want EINVALID", err)
	}
}

func TestEnsureWebhooksReactivates(t *testing.T) {
	ctx := context.Background()
	f := webexfake.New(t)
	c, _ := newClient(f)
	const target, secret = "https://opsgate.example.com/api/plugins/chatops/webex/", "hook-secret"
	// Made by hand, as Nautobot's set-up guide says, then disabled by Webex after failed deliveries.
	f.AddWebhook(webexfake.Webhook{Name: "nautobot messages", TargetURL: target, Resource: "messages", Event: "created", Secret: secret, Status: "inactive"})
	f.AddWebhook(webexfake.Webhook{Name: "nautobot cards", TargetURL: target, Resource: "attachmentActions", Event: "created", Secret: secret})
	changes, err := c.EnsureWebhooks(ctx, target, secret)
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes %v, err %v; want the inactive one repaired", changes, err)
	}
	for _, h := range f.Webhooks() {
		if h.Status != "active" || (h.Resource == "messages" && h.Name != "nautobot messages") {
			t.Errorf("webhook %+v: want active, name kept", h)
		}
	}
	if n := len(f.Webhooks()); n != 2 {
		t.Errorf("%d webhooks, want 2: a hand-made webhook to the same URL is adopted, not duplicated", n)
	}
}
