package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// apiRule is an approval rule as the API reads and writes it: the timeout as a duration string.
type apiRule struct {
	ID         int64     `json:"id,omitempty"`
	Platform   string    `json:"platform,omitempty"`
	Command    string    `json:"command"`
	Subcommand string    `json:"subcommand"`
	Approvers  []string  `json:"approvers,omitempty"`
	Groups     []string  `json:"groups,omitempty"`
	Required   int       `json:"required"`
	Timeout    string    `json:"timeout"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

func toAPIRule(r *opsgate.ApprovalRule) apiRule {
	return apiRule{r.ID, r.Platform, r.Command, r.Subcommand, r.Approvers, r.Groups, r.Required, r.Timeout.String(), r.CreatedAt}
}

func (a *API) listApprovalRules(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.Approvals.FindApprovalRules(r.Context())
	if err != nil {
		return err
	}
	out := make([]apiRule, 0, len(rs))
	for _, r := range rs {
		out = append(out, toAPIRule(r))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) createApprovalRule(w http.ResponseWriter, r *http.Request) error {
	var in apiRule
	if err := decodeBody(r, "an approval rule", &in); err != nil {
		return err
	}
	rule := &opsgate.ApprovalRule{Platform: in.Platform, Command: in.Command, Subcommand: in.Subcommand, Approvers: in.Approvers,
		Groups: in.Groups, Required: in.Required}
	if in.Timeout != "" {
		d, err := time.ParseDuration(in.Timeout)
		if err != nil {
			return opsgate.Errorf(opsgate.EINVALID, "Timeout %q is not a duration like 30m or 4h.", in.Timeout)
		}
		rule.Timeout = d
	}
	if rule.Platform != "" {
		p, err := kit.ChatPlatform(rule.Platform)
		if err != nil {
			return err
		}
		rule.Platform = p
	}
	if err := a.Approvals.CreateApprovalRule(r.Context(), rule); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toAPIRule(rule))
}

func (a *API) deleteApprovalRule(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "Approval rule id %q is not a number.", r.PathValue("id"))
	}
	if err := a.Approvals.DeleteApprovalRule(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listApprovalRequests(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	as, err := a.Approvals.FindApprovalRequests(r.Context(), r.URL.Query().Get("status"), min(max(limit, 0), 1000))
	if err != nil {
		return err
	}
	if as == nil {
		as = []*opsgate.ApprovalRequest{}
	}
	return writeJSON(w, http.StatusOK, as)
}
