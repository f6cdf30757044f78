package st2fake

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// aliasJSON is st2's ActionAliasAPI.
func aliasJSON(a *Alias) map[string]any {
	formats := make([]any, 0, len(a.Formats))
	for _, f := range a.Formats {
		formats = append(formats, f)
	}
	m := map[string]any{
		"id": fmt.Sprintf("%024x", len(a.Pack+a.Name)), "ref": a.Pack + "." + a.Name, "uid": "action:" + a.Pack + ":" + a.Name,
		"pack": a.Pack, "name": a.Name, "description": a.Description, "enabled": !a.Disabled,
		"action_ref": a.ActionRef, "formats": formats,
	}
	if a.Ack != nil {
		m["ack"] = a.Ack
	}
	if a.Result != nil {
		m["result"] = a.Result
	}
	return m
}

// paging reads limit/offset as st2 does: limit <= 100 unless the user is an admin (403 otherwise).
func (s *Server) paging(w http.ResponseWriter, r *http.Request, user string, def int) (limit, offset int, ok bool) {
	limit, offset = def, 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fault(w, http.StatusBadRequest, fmt.Sprintf("Limit, \"%s\" specified, must be a positive number.", v))
			return 0, 0, false
		}
		limit = n
	}
	if v := r.URL.Query().Get("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	s.mu.Lock()
	admin := s.users[user] != nil && s.users[user].Admin
	s.mu.Unlock()
	if limit > 100 && !admin {
		fault(w, http.StatusForbidden, fmt.Sprintf("Limit \"%d\" specified, maximum value is \"100\"", limit))
		return 0, 0, false
	}
	return limit, offset, true
}

// listAliases is GET /api/v1/actionalias (paged; X-Total-Count, X-Limit).
func (s *Server) listAliases(w http.ResponseWriter, r *http.Request, user string) {
	limit, offset, ok := s.paging(w, r, user, 50)
	if !ok {
		return
	}
	s.mu.Lock()
	all := make([]map[string]any, 0, len(s.aliases))
	for _, a := range s.aliases {
		all = append(all, aliasJSON(a))
	}
	s.mu.Unlock()
	w.Header().Set("X-Total-Count", strconv.Itoa(len(all)))
	w.Header().Set("X-Limit", strconv.Itoa(limit))
	writeJSON(w, http.StatusOK, window(all, limit, offset))
}

func window[T any](all []T, limit, offset int) []T {
	if offset > len(all) {
		offset = len(all)
	}
	all = all[offset:]
	if limit > 0 && limit < len(all) {
		all = all[:limit]
	}
	return all
}

// aliasHelp is GET /api/v1/actionalias/help?filter=&pack=&limit=&offset=.
func (s *Server) aliasHelp(w http.ResponseWriter, r *http.Request, user string) {
	limit, offset, ok := s.paging(w, r, user, 0)
	if !ok {
		return
	}
	q := r.URL.Query()
	var filter *regexp.Regexp
	if f := q.Get("filter"); f != "" {
		var err error
		if filter, err = regexp.Compile("(?i)" + f); err != nil {
			fault(w, http.StatusBadRequest, "Invalid filter: "+err.Error())
			return
		}
	}
	var all []map[string]any
	s.mu.Lock()
	for _, a := range s.aliases {
		if a.Disabled || (q.Get("pack") != "" && a.Pack != q.Get("pack")) {
			continue
		}
		for _, f := range a.Formats {
			var display string
			switch f := f.(type) {
			case string:
				display = f
			case Format:
				display = f.Display // representation-only formats are hidden from help
			}
			if display == "" {
				continue
			}
			if filter != nil && !filter.MatchString(display) && !filter.MatchString(a.Description) {
				continue
			}
			all = append(all, map[string]any{"pack": a.Pack, "display": display, "description": a.Description})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"available": len(all), "helpstrings": window(all, limit, offset)})
}

// matchAlias is POST /api/v1/actionalias/match {"command"}.
func (s *Server) matchAlias(w http.ResponseWriter, r *http.Request, user string) {
	command, _ := bodyOf(r)["command"].(string)
	s.mu.Lock()
	ms := s.matches(command)
	s.mu.Unlock()
	if m, ok := oneMatch(w, command, ms); ok {
		writeJSON(w, http.StatusOK, map[string]any{"actionalias": aliasJSON(m.alias), "display": m.display, "representation": m.representation})
	}
}

func oneMatch(w http.ResponseWriter, command string, ms []match) (match, bool) {
	switch len(ms) {
	case 0:
		fault(w, http.StatusBadRequest, fmt.Sprintf("Command '%s' matched no patterns", command))
		return match{}, false
	case 1:
		return ms[0], true
	}
	fault(w, http.StatusBadRequest, fmt.Sprintf("Command '%s' matched more than 1 pattern", command))
	return match{}, false
}

// matchAndExecute is POST /api/v1/aliasexecution/match_and_execute.
func (s *Server) matchAndExecute(w http.ResponseWriter, r *http.Request, user string) {
	body := bodyOf(r)
	command, _ := body["command"].(string)
	if command == "" {
		fault(w, http.StatusBadRequest, "'command' is a required property")
		return
	}
	apiUser, _ := body["user"].(string)
	channel, _ := body["source_channel"].(string)
	route, _ := body["notification_route"].(string)
	s.mu.Lock()
	ms := s.matches(command)
	s.mu.Unlock()
	m, ok := oneMatch(w, command, ms)
	if !ok {
		return
	}
	id := randHex(12)
	params := map[string]any{}
	for k, v := range m.params {
		params[k] = v
	}
	exe := map[string]any{
		"id": id, "status": "requested", "action": map[string]any{"ref": m.alias.ActionRef},
		"parameters": params, "start_timestamp": s.Now().UTC().Format(isoFormat),
		"context": map[string]any{"user": user, "api_user": apiUser, "source_channel": channel,
			"action_alias_ref": m.alias.Pack + "." + m.alias.Name},
		"web_url": s.URL + "/#/history/" + id + "/general",
	}
	s.mu.Lock()
	s.executions[id] = exe
	s.mu.Unlock()
	result := map[string]any{"execution": exe, "actionalias": aliasJSON(m.alias)}
	if f, _ := m.alias.Ack["format"].(string); f != "" && s.RenderAck {
		msg, err := render(f, result)
		if err != nil {
			msg = "Cannot render \"format\" in field \"ack\" for alias. " + err.Error()
		}
		result["message"] = msg
	}
	if extra, ok := m.alias.Ack["extra"]; ok {
		result["extra"] = extra
	}
	writeJSON(w, http.StatusCreated, map[string]any{"results": []any{result}})
	if s.NotifyRoute != "" && route == s.NotifyRoute {
		go s.finish(id, m.alias, params, apiUser, channel)
	}
}

// finish completes an execution and announces its result as chatops.post_result does.
func (s *Server) finish(id string, a *Alias, params map[string]any, user, channel string) {
	var res any = map[string]any{"stdout": "ok"}
	if s.Run != nil {
		res = s.Run(a.ActionRef, params)
	}
	s.mu.Lock()
	exe := s.executions[id]
	exe["status"] = "succeeded"
	exe["result"] = res
	exe["end_timestamp"] = s.Now().UTC().Format(isoFormat)
	s.mu.Unlock()
	if en, ok := a.Result["enabled"].(bool); ok && !en {
		return
	}
	msg := fmt.Sprintf("Execution %s succeeded.", id)
	if f, _ := a.Result["format"].(string); f != "" {
		out, err := render(f, map[string]any{"execution": exe})
		if err != nil {
			out = "Cannot render \"format\" in field \"result\" for alias. " + err.Error()
		}
		msg = out
	}
	payload := map[string]any{"channel": channel, "user": user, "message": msg, "whisper": false,
		"extra": a.Result["extra"], "context": map[string]any{"execution_id": id}}
	s.Announce(s.NotifyRoute, payload)
}

func render(tpl string, vars map[string]any) (string, error) {
	t, err := gonja.FromString(tpl)
	if err != nil {
		return "", err
	}
	return t.ExecuteToString(exec.NewContext(vars))
}

// createExecution is POST /api/v1/executions {"action": ref, "parameters": {...}}: 201 with the
// execution "requested"; it then runs (Run, or {"stdout": "ok"}) and ends "succeeded".
func (s *Server) createExecution(w http.ResponseWriter, r *http.Request, user string) {
	raw := bodyOf(r)
	var body struct {
		Action     string
		Parameters map[string]any
	}
	body.Action, _ = raw["action"].(string)
	body.Parameters, _ = raw["parameters"].(map[string]any)
	if body.Action == "" {
		fault(w, http.StatusBadRequest, "'action' is a required property")
		return
	}
	s.mu.Lock()
	types, known := s.actions[body.Action]
	s.mu.Unlock()
	if !known {
		fault(w, http.StatusBadRequest, fmt.Sprintf("Action \"%s\" cannot be found.", body.Action))
		return
	}
	for name, v := range body.Parameters {
		if !jsonType(v, types[name]) {
			fault(w, http.StatusBadRequest, fmt.Sprintf("%q is not of type '%s'", fmt.Sprint(v), types[name]))
			return
		}
	}
	id := randHex(12)
	exe := map[string]any{
		"id": id, "status": "requested", "action": map[string]any{"ref": body.Action},
		"parameters": body.Parameters, "start_timestamp": s.Now().UTC().Format(isoFormat),
		"context": map[string]any{"user": user}, "web_url": s.URL + "/#/history/" + id + "/general",
	}
	s.mu.Lock()
	s.executions[id] = exe
	reply := maps.Clone(exe)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, reply)
	go func() {
		var res any = map[string]any{"stdout": "ok"}
		if s.Run != nil {
			res = s.Run(body.Action, body.Parameters)
		}
		s.mu.Lock()
		exe["status"], exe["result"], exe["end_timestamp"] = "succeeded", res, s.Now().UTC().Format(isoFormat)
		s.mu.Unlock()
	}()
}

// jsonType reports whether v, decoded from JSON, has the JSON schema type t ("" accepts anything).
func jsonType(v any, t string) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return true
}

// getAction is GET /api/v1/actions/<ref>: the action with its parameters' schema.
func (s *Server) getAction(w http.ResponseWriter, r *http.Request, user string) {
	ref := r.PathValue("ref")
	s.mu.Lock()
	types, ok := s.actions[ref]
	s.mu.Unlock()
	if !ok {
		fault(w, http.StatusNotFound, fmt.Sprintf("Resource with a reference or id \"%s\" not found", ref))
		return
	}
	params := map[string]any{}
	for name, t := range types {
		params[name] = map[string]any{"type": t}
	}
	pack, name, _ := strings.Cut(ref, ".")
	writeJSON(w, http.StatusOK, map[string]any{"ref": ref, "pack": pack, "name": name, "parameters": params, "enabled": true})
}

// getExecution is GET /api/v1/executions/<id>.
func (s *Server) getExecution(w http.ResponseWriter, r *http.Request, user string) {
	s.mu.Lock()
	exe, ok := s.executions[r.PathValue("id")]
	exe = maps.Clone(exe) // the run may still be writing it
	s.mu.Unlock()
	if !ok {
		fault(w, http.StatusNotFound, fmt.Sprintf("Resource with a reference or id \"%s\" not found", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, exe)
}

// whoami is GET /api/v1/user.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request, user string) {
	method := "authentication token"
	if r.Header.Get("St2-Api-Key") != "" || r.URL.Query().Get("st2-api-key") != "" {
		method = "api key"
	}
	s.mu.Lock()
	admin := s.users[user] != nil && s.users[user].Admin
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"username": user, "authentication": map[string]any{"method": method, "location": "header"},
		"rbac": map[string]any{"enabled": false, "roles": []string{}, "is_admin": admin}, "nicknames": map[string]any{}})
}

// listRules is GET /api/v1/rules: the chatops notify rule when NotifyRoute is set.
func (s *Server) listRules(w http.ResponseWriter, r *http.Request, user string) {
	rules := []map[string]any{}
	if s.NotifyRoute != "" {
		rules = append(rules, map[string]any{
			"ref": "chatops.notify", "pack": "chatops", "name": "notify", "enabled": true,
			"trigger":  map[string]any{"type": "core.st2.generic.notifytrigger", "ref": "core.st2.generic.notifytrigger", "parameters": map[string]any{}},
			"criteria": map[string]any{"trigger.route": map[string]any{"pattern": s.NotifyRoute, "type": "equals"}},
			"action": map[string]any{"ref": "chatops.post_result", "parameters": map[string]any{
				"channel": "{{ action_context.parameters.source_channel }}", "user": "{{ action_context.parameters.user }}",
				"execution_id": "{{ trigger.execution_id }}"}},
		})
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(len(rules)))
	writeJSON(w, http.StatusOK, rules)
}
