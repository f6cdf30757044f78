package webui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

type approvalsData struct {
	Rules     []*opsgate.ApprovalRule
	Requests  []*opsgate.ApprovalRequest
	Platforms []string
	Form      approvalForm
}

// approvalForm is the add form as typed, shown again when refused.
type approvalForm struct {
	Command, Subcommand, Platform, Approvers, Groups, Required, Timeout string
}

// requestsShown is how many recent approval requests the page lists.
const requestsShown = 50

func (u *UI) approvalsData(r *http.Request) (*approvalsData, error) {
	rules, err := u.Approvals.FindApprovalRules(r.Context())
	if err != nil {
		return nil, err
	}
	reqs, err := u.Approvals.FindApprovalRequests(r.Context(), "", requestsShown)
	if err != nil {
		return nil, err
	}
	return &approvalsData{Rules: rules, Requests: reqs, Platforms: kit.Names(kit.IsChat),
		Form: approvalForm{Required: "1", Timeout: opsgate.DefaultApprovalTimeout.String()}}, nil
}

func (u *UI) approvalsPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.approvalsData(r)
	if err != nil {
		return err
	}
	return u.render(w, r, user, "approvals", "Approvals", d)
}

// addApprovalRule reads the form as the admin API reads its JSON; the service validates the rule.
func (u *UI) addApprovalRule(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	f := approvalForm{Command: strings.TrimSpace(r.PostFormValue("command")), Subcommand: strings.TrimSpace(r.PostFormValue("subcommand")),
		Platform: strings.TrimSpace(r.PostFormValue("platform")), Approvers: r.PostFormValue("approvers"), Groups: r.PostFormValue("groups"),
		Required: strings.TrimSpace(r.PostFormValue("required")), Timeout: strings.TrimSpace(r.PostFormValue("timeout"))}
	rule := &opsgate.ApprovalRule{Command: f.Command, Subcommand: f.Subcommand, Approvers: strings.Fields(f.Approvers), Groups: strings.Fields(f.Groups)}
	err := error(nil)
	if f.Required != "" {
		if rule.Required, err = strconv.Atoi(f.Required); err != nil {
			err = opsgate.Errorf(opsgate.EINVALID, "Approvals required %q is not a number.", f.Required)
		}
	}
	if err == nil && f.Timeout != "" {
		if rule.Timeout, err = time.ParseDuration(f.Timeout); err != nil {
			err = opsgate.Errorf(opsgate.EINVALID, "Timeout %q is not a duration like 30m or 4h.", f.Timeout)
		}
	}
	if err == nil && f.Platform != "" {
		rule.Platform, err = kit.ChatPlatform(f.Platform)
	}
	if err == nil {
		err = u.Approvals.CreateApprovalRule(r.Context(), rule)
	}
	if err != nil {
		d, derr := u.approvalsData(r)
		if derr != nil {
			return derr
		}
		d.Form = f
		return u.refuse(w, r, user, "approvals", "Approvals", d, err)
	}
	u.flash(r, "Approval rule "+itoa(rule.ID)+" added.")
	back(w, r, "/ui/approvals")
	return nil
}

func (u *UI) deleteApprovalRule(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	id, err := formID(r)
	if err != nil {
		return err
	}
	if err := u.Approvals.DeleteApprovalRule(r.Context(), id); err != nil {
		return err
	}
	u.flash(r, "Approval rule "+itoa(id)+" deleted.")
	back(w, r, "/ui/approvals")
	return nil
}
