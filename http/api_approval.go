package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

func (a *API) listApprovalRules(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.Approvals.FindApprovalRules(r.Context())
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []*opsgate.ApprovalRule{}
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (a *API) createApprovalRule(w http.ResponseWriter, r *http.Request) error {
	rule := &opsgate.ApprovalRule{}
	if err := decodeBody(r, "an approval rule", rule); err != nil {
		return err
	}
	rule.ID, rule.CreatedAt = 0, time.Time{}
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
	return writeJSON(w, http.StatusCreated, rule)
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
