package http

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
	"github.com/opsgate/opsgate/metrics"
)

var apiRejected = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "opsgate_api_rejected_total", Help: "Admin API requests refused, by reason.",
}, []string{"reason"})

// AdminPlatform is the command-token platform whose tokens may use the admin API.
const AdminPlatform = "admin"

// maxAPIBody bounds admin API request bodies.
const maxAPIBody = 64 << 10

// API is the admin REST API: grants, access decisions with explanations, and the logs.
// Every call needs `Authorization: Bearer <token>` with a command token of platform "admin".
type API struct {
	Grants     opsgate.GrantService
	Tokens     opsgate.TokenService
	Auth       opsgate.Authorizer
	Audit      opsgate.AuditService
	CommandLog opsgate.CommandLogService
	Approvals  opsgate.ApprovalService // nil: no approval endpoints
	Groups     opsgate.GroupService    // nil: no group endpoints
	Schedules  opsgate.ScheduleService // nil: no schedule endpoints
	Logger     *slog.Logger
	// Guard limits refused admin tokens per client address; nil: kit's defaults.
	Guard *kit.Guard
}

// Register adds the API's routes to s.
func (a *API) Register(s *Server) {
	if a.Guard == nil {
		a.Guard = kit.NewGuard(kit.GuardOptions{})
	}
	s.Handle("GET /api/v1/grants", a.authed(a.listGrants))
	s.Handle("POST /api/v1/grants", a.authed(a.createGrant))
	s.Handle("PUT /api/v1/grants/{id}", a.authed(a.updateGrant))
	s.Handle("DELETE /api/v1/grants/{id}", a.authed(a.deleteGrant))
	s.Handle("GET /api/v1/access/check", a.authed(a.check))
	s.Handle("GET /api/v1/commandlog", a.authed(a.commandLog))
	s.Handle("GET /api/v1/audit", a.authed(a.audit))
	if a.Groups != nil {
		s.Handle("GET /api/v1/groups", a.authed(a.listGroups))
		s.Handle("POST /api/v1/groups", a.authed(a.createGroup))
		s.Handle("DELETE /api/v1/groups/{name}", a.authed(a.deleteGroup))
		s.Handle("POST /api/v1/groups/{name}/members", a.authed(a.addMembers))
		s.Handle("DELETE /api/v1/groups/{name}/members/{user}", a.authed(a.removeMember))
	}
	if a.Schedules != nil {
		s.Handle("GET /api/v1/schedules", a.authed(a.listSchedules))
		s.Handle("POST /api/v1/schedules", a.authed(a.createSchedule))
		s.Handle("DELETE /api/v1/schedules/{id}", a.authed(a.deleteSchedule))
	}
	if a.Approvals != nil {
		s.Handle("GET /api/v1/approval-rules", a.authed(a.listApprovalRules))
		s.Handle("POST /api/v1/approval-rules", a.authed(a.createApprovalRule))
		s.Handle("DELETE /api/v1/approval-rules/{id}", a.authed(a.deleteApprovalRule))
		s.Handle("GET /api/v1/approval-requests", a.authed(a.listApprovalRequests))
	}
}

type apiHandler func(w http.ResponseWriter, r *http.Request) error

func (a *API) authed(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The token is checked first: a valid one is served whatever others behind the same
		// address did; only refusals count against the address, so guessing stays slow.
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			a.refuse(w, r, "missing_token", "Missing Authorization: Bearer token.")
			return
		}
		t, err := a.Tokens.VerifyToken(r.Context(), AdminPlatform, token)
		if err != nil && opsgate.ErrorCode(err) != opsgate.EUNAUTHORIZED {
			// The store could not answer: the token may be fine, so not 401 but retry later.
			apiRejected.WithLabelValues("token_check_failed").Inc()
			adminRejected.WithLabelValues("token_check_failed").Inc()
			if a.Logger != nil {
				a.Logger.Error("admin api: token check failed", "path", r.URL.Path, "err", err)
			}
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "Cannot check the admin token now; try again later."})
			return
		}
		if err != nil {
			a.refuse(w, r, "unknown_token", "Unknown admin token.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
		ctx := opsgate.NewContextWithActor(r.Context(), "api:token-"+strconv.FormatInt(t.ID, 10))
		if err := h(w, r.WithContext(ctx)); err != nil {
			apiRejected.WithLabelValues(opsgate.ErrorCode(err)).Inc()
			if opsgate.ErrorCode(err) == opsgate.EINTERNAL && a.Logger != nil {
				a.Logger.Error("admin api", "path", r.URL.Path, "err", err)
			}
			writeError(w, err)
		}
	})
}

// adminRejected counts refused admin credentials with the chat platforms' refusals.
var adminRejected = metrics.RequestsRejected.MustCurryWith(prometheus.Labels{"platform": AdminPlatform})

// refuse answers a missing or unknown admin token: 401, or 429 once the client address is past
// its limit of refusals.
func (a *API) refuse(w http.ResponseWriter, r *http.Request, reason, msg string) {
	if ok, wait := a.Guard.Refuse(r); !ok {
		reason = "guess_limited"
		apiRejected.WithLabelValues(reason).Inc()
		adminRejected.WithLabelValues(reason).Inc()
		kit.SetRetryAfter(w, wait)
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Too many refused tokens from your address; retry later."})
		return
	}
	apiRejected.WithLabelValues(reason).Inc()
	adminRejected.WithLabelValues(reason).Inc()
	if a.Logger != nil {
		a.Logger.Warn("admin api: refused", "reason", reason, "client", a.Guard.ClientIP(r))
	}
	writeError(w, opsgate.Errorf(opsgate.EUNAUTHORIZED, "%s", msg))
}

func (a *API) listGrants(w http.ResponseWriter, r *http.Request) error {
	gs, err := a.Grants.FindGrants(r.Context(), opsgate.GrantFilter{Platform: r.URL.Query().Get("platform"), Command: r.URL.Query().Get("command")})
	if err != nil {
		return err
	}
	if gs == nil {
		gs = []*opsgate.Grant{}
	}
	return writeJSON(w, http.StatusOK, gs)
}

// decodeBody reads a JSON object of what into v, refusing unknown fields and oversized bodies.
func decodeBody(r *http.Request, what string, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return opsgate.Errorf(opsgate.EINVALID, "Request body is larger than %d bytes.", maxAPIBody)
		}
		return opsgate.Errorf(opsgate.EINVALID, "Request body is not %s: %s.", what, jsonError(err))
	}
	return nil
}

func decodeGrant(r *http.Request) (opsgate.Grant, error) {
	var g opsgate.Grant
	err := decodeBody(r, "a grant", &g)
	return g, err
}

func (a *API) createGrant(w http.ResponseWriter, r *http.Request) error {
	g, err := decodeGrant(r)
	if err != nil {
		return err
	}
	g.ID = 0 // the service checks the rest, platform included, as for the CLI and the web UI
	if err := a.Grants.CreateGrant(r.Context(), &g); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, g)
}

// updateGrant replaces a grant with the body (every field: a missing one is its zero value).
func (a *API) updateGrant(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "Grant id %q is not a number.", r.PathValue("id"))
	}
	g, err := decodeGrant(r)
	if err != nil {
		return err
	}
	g.ID = id
	if err := a.Grants.UpdateGrant(r.Context(), &g); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g)
}

func (a *API) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "Grant id %q is not a number.", r.PathValue("id"))
	}
	if err := a.Grants.DeleteGrant(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) check(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	s := opsgate.Subject{Platform: q.Get("platform"), OrgID: q.Get("org"), ChannelID: q.Get("channel"), UserID: q.Get("user"),
		OrgName: q.Get("org_name"), ChannelName: q.Get("channel_name"), UserName: q.Get("user_name")}
	if s.OrgID == "" || s.ChannelID == "" || s.UserID == "" || q.Get("command") == "" {
		return opsgate.Errorf(opsgate.EINVALID, "Query needs org, channel, user and command.")
	}
	d := a.Auth.Decide(s, q.Get("command"), q.Get("subcommand"))
	out := map[string]any{"allowed": d.Allowed}
	matched := map[string]int64{}
	for i, t := range opsgate.GrantTypes {
		if d.Matched[i] != 0 {
			matched[string(t)] = d.Matched[i]
		}
	}
	out["matched_grants"] = matched
	if !d.Allowed {
		out["message"], out["failed_scope"], out["fix"] = d.Message, d.Failed, d.Fix
		if d.Unmet != 0 {
			out["unmet_grant"], out["unmet_condition"] = d.Unmet, d.UnmetCondition
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) commandLog(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	es, err := a.CommandLog.FindCommandLogEntries(r.Context(), min(max(limit, 0), 1000))
	if err != nil {
		return err
	}
	if es == nil {
		es = []*opsgate.CommandLogEntry{}
	}
	return writeJSON(w, http.StatusOK, es)
}

func (a *API) audit(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	es, err := a.Audit.FindAuditEntries(r.Context(), r.URL.Query().Get("object"), min(max(limit, 0), 1000))
	if err != nil {
		return err
	}
	if es == nil {
		es = []*opsgate.AuditEntry{}
	}
	return writeJSON(w, http.StatusOK, es)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

var statusOf = map[string]int{
	opsgate.EINVALID: http.StatusBadRequest, opsgate.EUNAUTHORIZED: http.StatusUnauthorized, opsgate.EFORBIDDEN: http.StatusForbidden,
	opsgate.ENOTFOUND: http.StatusNotFound, opsgate.ECONFLICT: http.StatusConflict, opsgate.ETIMEOUT: http.StatusGatewayTimeout,
}

// writeError answers {"error": message}; internal errors say only "Internal error.".
func writeError(w http.ResponseWriter, err error) {
	status, ok := statusOf[opsgate.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, map[string]string{"error": opsgate.ErrorMessage(err)})
}
