package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
)

// audited returns the actors of the audit entries about object, newest first.
func audited(t *testing.T, e *env, object string) []string {
	t.Helper()
	es, err := store.NewAuditService(e.db).FindAuditEntries(context.Background(), object, 20)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range es {
		out = append(out, en.Actor+" "+en.Action)
	}
	return out
}

func TestGroupsFromTheBrowser(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	_, page := b.get("/ui/groups")
	for _, l := range []string{"Group name", "Group platform", "Members"} {
		if !strings.Contains(page, ">"+l+"</label>") {
			t.Errorf("group form lacks the label %q", l)
		}
	}
	if resp, _ := b.post("/ui/groups", url.Values{"name": {"oncall"}, "platform": {"web"}, "members": {"U1 U2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add group: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/ui/groups/oncall/members", url.Values{"member": {"U3"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add member: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/ui/groups/oncall/members", url.Values{"member": {"U1"}, "remove": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove member: %d", resp.StatusCode)
	}
	_, page = b.get("/ui/groups")
	if !strings.Contains(page, "U1 removed from group oncall.") || !strings.Contains(page, "<code>U2</code> <code>U3</code>") || strings.Contains(page, "<code>U1</code>") {
		t.Errorf("groups page after changes:\n%s", page)
	}
	resp, page := b.post("/ui/groups", url.Values{"name": {"on call"}, "members": {"U9"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "may hold only letters") || !strings.Contains(page, `value="U9"`) {
		t.Errorf("bad name: %d; want 400, the reason and the form kept:\n%s", resp.StatusCode, page)
	}
	if resp, page := b.post("/ui/groups/nosuch/members", url.Values{"member": {"U1"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("member of a missing group: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := b.post("/ui/groups/oncall/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if gs, _ := store.NewGroupService(e.db).FindGroups(context.Background(), ""); len(gs) != 0 {
		t.Errorf("groups left: %+v", gs)
	}
	for _, a := range audited(t, e, "group") {
		if !strings.HasPrefix(a, "ui:operator ") {
			t.Errorf("audit entry %q; want the UI user as actor", a)
		}
	}
	if n := len(audited(t, e, "group")); n < 4 {
		t.Errorf("%d group audit entries; want create, two member changes and delete", n)
	}
}

func TestGrantForGroupWithCondition(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("admin", adminPassword)
	_, page := b.get("/ui/grants")
	for _, l := range []string{"Group", "Conditions"} {
		if !strings.Contains(page, ">"+l+"</label>") {
			t.Errorf("grant form lacks the label %q", l)
		}
	}
	b.post("/ui/groups", url.Values{"name": {"netops"}, "members": {"U1"}})
	resp, page := b.post("/ui/grants", url.Values{"command": {"network"}, "type": {"user"}, "group": {"netops"}, "when": {"channel=C1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add grant: %d\n%s", resp.StatusCode, page)
	}
	gs, _ := e.grants.FindGrants(context.Background(), opsgate.GrantFilter{})
	if len(gs) != 1 || gs[0].Group != "netops" || len(gs[0].Conditions) != 1 || gs[0].Conditions[0].String() != "channel=C1" {
		t.Fatalf("stored grants %+v", gs)
	}
	_, page = b.get("/ui/grants")
	if !strings.Contains(page, "group <code>netops</code>") || !strings.Contains(page, "<code>channel=C1</code>") {
		t.Errorf("grant list lacks the group or the condition:\n%s", page)
	}
	_, page = b.get("/ui/grants?edit=1")
	if !strings.Contains(page, `name="when" value="channel=C1"`) || !strings.Contains(page, `name="group" value="netops"`) {
		t.Errorf("edit form lacks the group or condition")
	}
	resp, page = b.post("/ui/grants", url.Values{"command": {"x"}, "type": {"user"}, "value": {"U1"}, "when": {"room=C1"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "not one of organization, channel, user") || !strings.Contains(page, `value="room=C1"`) {
		t.Errorf("bad condition: %d; want 400 with the reason and the form kept:\n%s", resp.StatusCode, page)
	}
}

func TestApprovalRulesAndRequestsFromTheBrowser(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("admin", adminPassword)
	resp, page := b.post("/ui/approvals", url.Values{"command": {"deploy"}, "platform": {"web"}, "approvers": {"U2 U3"}, "required": {"2"}, "timeout": {"30m"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add rule: %d\n%s", resp.StatusCode, page)
	}
	svc := store.NewApprovalService(e.db)
	rs, _ := svc.FindApprovalRules(context.Background())
	if len(rs) != 1 || rs[0].Subcommand != "*" || rs[0].Required != 2 || rs[0].Timeout != 30*time.Minute || rs[0].Platform != "web" {
		t.Fatalf("stored rules %+v", rs)
	}
	resp, page = b.post("/ui/approvals", url.Values{"command": {"deploy"}, "approvers": {"U2"}, "required": {"2"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "2 approvals are required but only 1 approvers are named.") {
		t.Errorf("too few approvers: %d\n%s", resp.StatusCode, page)
	}
	ctx := opsgate.NewContextWithActor(context.Background(), "test")
	req := &opsgate.ApprovalRequest{RuleID: rs[0].ID, Command: "deploy", Required: 2, ExpiresAt: time.Now().Add(time.Hour),
		Request: opsgate.Request{Platform: "web", UserID: "U1", Text: "deploy web"}}
	if err := svc.CreateApprovalRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	_, page = b.get("/ui/approvals")
	for _, want := range []string{"awaiting_approval", "<code>deploy web</code>", "<code>U1</code>", "0/2", "<code>U2</code> <code>U3</code>"} {
		if !strings.Contains(page, want) {
			t.Errorf("approvals page lacks %q", want)
		}
	}
	if resp, _ := b.post("/ui/approvals/"+itoa(rs[0].ID)+"/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if a := audited(t, e, "approval_rule"); len(a) != 2 || a[0] != "ui:admin delete" || a[1] != "ui:admin create" {
		t.Errorf("audit %q; want create and delete by ui:admin", a)
	}
}

func TestSchedulesFromTheBrowser(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("operator", adminPassword)
	form := url.Values{"cron": {"0 9 * * 1-5"}, "tz": {"Europe/Paris"}, "platform": {"web"}, "org": {"T1"}, "channel": {"C1"}, "as": {"U1"}, "text": {"uptime"}, "missed": {"run_once"}}
	if resp, page := b.post("/ui/schedules", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add schedule: %d\n%s", resp.StatusCode, page)
	}
	_, page := b.get("/ui/schedules")
	for _, want := range []string{"Schedule 1 added.", "<code>0 9 * * 1-5</code>", "Europe/Paris", "<code>uptime</code>", "run_once"} {
		if !strings.Contains(page, want) {
			t.Errorf("schedules page lacks %q", want)
		}
	}
	form.Set("cron", "0 25 * * *")
	if resp, page := b.post("/ui/schedules", form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `value="0 25 * * *"`) {
		t.Errorf("bad cron: %d; want 400 with the form kept\n%s", resp.StatusCode, page)
	}
	form.Set("cron", "@daily")
	form.Set("platform", "irc")
	if resp, page := b.post("/ui/schedules", form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "is not a chat platform opsgate knows") {
		t.Errorf("bad platform: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := b.post("/ui/schedules/1/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if a := audited(t, e, "schedule"); len(a) != 2 || a[0] != "ui:operator delete" {
		t.Errorf("audit %q; want create and delete by ui:operator", a)
	}
}

func TestViewerSeesButCannotChangeGroupsApprovalsSchedules(t *testing.T) {
	e := newUI(t, false)
	b := newBrowser(t, e.url)
	b.login("viewer", adminPassword)
	for _, p := range []string{"/ui/groups", "/ui/approvals", "/ui/schedules"} {
		resp, page := b.get(p)
		if resp.StatusCode != 200 || strings.Contains(page, `method="post" action="`+p+`"`) {
			t.Errorf("viewer GET %s: %d (want 200 without the add form)", p, resp.StatusCode)
		}
	}
	for path, form := range map[string]url.Values{
		"/ui/groups":    {"name": {"g"}, "members": {"U1"}},
		"/ui/approvals": {"command": {"x"}, "approvers": {"U1"}},
		"/ui/schedules": {"cron": {"@daily"}, "platform": {"web"}, "channel": {"C1"}, "as": {"U1"}, "text": {"uptime"}},
	} {
		if resp, _ := b.post(path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", path, resp.StatusCode)
		}
	}
	if es, _ := store.NewAuditService(e.db).FindAuditEntries(context.Background(), "", 50); len(es) != 3 { // the three test accounts
		t.Errorf("viewer changed something: %d audit entries", len(es))
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
