package webui

import (
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

type schedulesData struct {
	Schedules []*opsgate.Schedule
	Platforms []string
	Form      opsgate.Schedule
}

func (u *UI) schedulesData(r *http.Request) (*schedulesData, error) {
	ss, err := u.Schedules.FindSchedules(r.Context())
	if err != nil {
		return nil, err
	}
	return &schedulesData{Schedules: ss, Platforms: kit.Names(kit.IsChat), Form: opsgate.Schedule{TimeZone: "UTC", Missed: opsgate.MissedSkip}}, nil
}

func (u *UI) schedulesPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.schedulesData(r)
	if err != nil {
		return err
	}
	return u.render(w, r, user, "schedules", "Schedules", d)
}

// addSchedule stores a schedule through the schedule service, whose Check parses the cron
// expression as for the CLI and the admin API.
func (u *UI) addSchedule(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	s := opsgate.Schedule{Cron: v("cron"), TimeZone: v("tz"), Platform: v("platform"), OrgID: v("org"), ChannelID: v("channel"),
		UserID: v("as"), Text: v("text"), Missed: v("missed")}
	err := error(nil)
	if s.Platform != "" {
		s.Platform, err = kit.ChatPlatform(s.Platform)
	}
	if err == nil {
		err = u.Schedules.CreateSchedule(r.Context(), &s)
	}
	if err != nil {
		d, derr := u.schedulesData(r)
		if derr != nil {
			return derr
		}
		d.Form = s
		return u.refuse(w, r, user, "schedules", "Schedules", d, err)
	}
	u.flash(r, "Schedule "+itoa(s.ID)+" added.")
	back(w, r, "/ui/schedules")
	return nil
}

func (u *UI) deleteSchedule(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	id, err := formID(r)
	if err != nil {
		return err
	}
	if err := u.Schedules.DeleteSchedule(r.Context(), id); err != nil {
		return err
	}
	u.flash(r, "Schedule "+itoa(id)+" deleted.")
	back(w, r, "/ui/schedules")
	return nil
}
