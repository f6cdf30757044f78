package webui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// logScan is how many of the newest command log entries the filters search.
const logScan = 1000

type logFilter struct{ User, Command, Status, Platform, Since string }

func (f logFilter) match(e *opsgate.CommandLogEntry, since time.Time) bool {
	has := func(field, want string) bool {
		return want == "" || strings.Contains(strings.ToLower(field), strings.ToLower(want))
	}
	return has(e.UserID+" "+e.UserName, f.User) && has(e.Command+" "+e.Subcommand, f.Command) &&
		(f.Status == "" || e.Status == f.Status) && (f.Platform == "" || e.Platform == f.Platform) &&
		(since.IsZero() || !e.Start.Before(since))
}

type logData struct {
	Filter   logFilter
	Entries  []*opsgate.CommandLogEntry
	Statuses []string
	Query    template.URL
}

func (u *UI) logQuery(r *http.Request) (logFilter, time.Time, error) {
	q := r.URL.Query()
	f := logFilter{User: strings.TrimSpace(q.Get("user")), Command: strings.TrimSpace(q.Get("command")), Status: q.Get("status"),
		Platform: q.Get("platform"), Since: strings.TrimSpace(q.Get("since"))}
	var since time.Time
	if f.Since != "" {
		if d, err := time.ParseDuration(f.Since); err == nil {
			since = u.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, f.Since); err == nil {
			since = t
		} else {
			return f, since, opsgate.Errorf(opsgate.EINVALID, "Since %q is neither a duration like 1h nor an RFC 3339 time.", f.Since)
		}
	}
	return f, since, nil
}

func (u *UI) findLog(r *http.Request, f logFilter, since time.Time) ([]*opsgate.CommandLogEntry, error) {
	all, err := u.CommandLog.FindCommandLogEntries(r.Context(), logScan)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(e *opsgate.CommandLogEntry) bool { return !f.match(e, since) }), nil
}

func (u *UI) logPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	f, since, err := u.logQuery(r)
	d := logData{Filter: f, Statuses: []string{opsgate.StatusSucceeded, opsgate.StatusFailed, opsgate.StatusErrored, opsgate.StatusBlocked},
		Query: template.URL(r.URL.RawQuery)}
	if err != nil {
		refused.WithLabelValues(opsgate.EINVALID).Inc()
		u.renderStatus(w, r, user, http.StatusBadRequest, "log", "Command log", d, opsgate.ErrorMessage(err))
		return nil
	}
	if d.Entries, err = u.findLog(r, f, since); err != nil {
		return err
	}
	return u.render(w, r, user, "log", "Command log", d)
}

// logPoll is how often the live tail looks for new entries; the command log is written by every
// replica, so the database is where they meet.
var logPoll = time.Second

// logEvents streams entries newer than the page's (matching its filters) as table rows, one
// server-sent event each, until the browser leaves.
func (u *UI) logEvents(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	f, since, err := u.logQuery(r)
	if err != nil {
		return err
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": live\n\n")
	rc.Flush()
	row := u.pages["log"].Lookup("row")
	tick := time.NewTicker(logPoll)
	defer tick.Stop()
	for {
		es, err := u.findLog(r, f, since)
		if err != nil {
			u.Logger.Warn("web ui: log tail", "err", err)
		}
		for i := len(es) - 1; i >= 0; i-- { // oldest first, so rows stack newest on top
			if es[i].ID <= after {
				continue
			}
			after = es[i].ID
			var b bytes.Buffer
			if err := row.Execute(&b, es[i]); err != nil {
				return err
			}
			fmt.Fprintf(w, "id: %d\nevent: row\ndata: %s\n\n", es[i].ID, strings.ReplaceAll(b.String(), "\n", ""))
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-u.Stopping:
			return nil
		case <-tick.C:
		}
	}
}

type auditData struct {
	Object, Actor string
	Objects       []string
	Entries       []*opsgate.AuditEntry
}

func (u *UI) auditPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	q := r.URL.Query()
	d := auditData{Object: q.Get("object"), Actor: strings.TrimSpace(q.Get("actor")),
		Objects: []string{"grant", "token", "secret", "secrets_group", "alias", "user"}}
	es, err := u.Audit.FindAuditEntries(r.Context(), d.Object, 500)
	if err != nil {
		return err
	}
	d.Entries = slices.DeleteFunc(es, func(e *opsgate.AuditEntry) bool {
		return d.Actor != "" && !strings.Contains(strings.ToLower(e.Actor), strings.ToLower(d.Actor))
	})
	return u.render(w, r, user, "audit", "Audit log", d)
}
