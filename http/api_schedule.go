package http

import (
	"net/http"
	"strconv"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

func (a *API) listSchedules(w http.ResponseWriter, r *http.Request) error {
	ss, err := a.Schedules.FindSchedules(r.Context())
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []*opsgate.Schedule{}
	}
	return writeJSON(w, http.StatusOK, ss)
}

func (a *API) createSchedule(w http.ResponseWriter, r *http.Request) error {
	var s opsgate.Schedule
	if err := decodeBody(r, "a schedule", &s); err != nil {
		return err
	}
	s.ID = 0
	if s.Platform != "" {
		p, err := kit.ChatPlatform(s.Platform)
		if err != nil {
			return err
		}
		s.Platform = p
	}
	if err := a.Schedules.CreateSchedule(r.Context(), &s); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s)
}

func (a *API) deleteSchedule(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "Schedule id %q is not a number.", r.PathValue("id"))
	}
	if err := a.Schedules.DeleteSchedule(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
