package webui

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
)

type usersData struct {
	Users    []*opsgate.User
	Roles    []opsgate.Role
	New      string // a generated password, shown once
	NewUser  string
	FormName string
}

func (u *UI) usersData(r *http.Request) (*usersData, error) {
	us, err := u.Users.FindUsers(r.Context())
	if err != nil {
		return nil, err
	}
	return &usersData{Users: us, Roles: opsgate.Roles[:]}, nil
}

func (u *UI) usersPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.usersData(r)
	if err != nil {
		return err
	}
	return u.render(w, r, user, "users", "Users", d)
}

// addUser creates an account; an empty password field generates one, shown once on this answer.
func (u *UI) addUser(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	nu := opsgate.User{Name: strings.TrimSpace(r.PostFormValue("name")), Role: opsgate.Role(r.PostFormValue("role"))}
	password, generated := r.PostFormValue("password"), false
	if password == "" {
		b := make([]byte, 18)
		rand.Read(b)
		password, generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	err := u.Users.CreateUser(r.Context(), &nu, password)
	d, derr := u.usersData(r)
	if derr != nil {
		return derr
	}
	if err != nil {
		d.FormName = nu.Name
		refused.WithLabelValues(opsgate.ErrorCode(err)).Inc()
		u.renderStatus(w, r, user, statusFor(err), "users", "Users", d, opsgate.ErrorMessage(err))
		return nil
	}
	if !generated {
		u.flash(r, "User "+nu.Name+" added.")
		back(w, r, "/ui/users")
		return nil
	}
	d.New, d.NewUser = password, nu.Name
	return u.render(w, r, user, "users", "Users", d)
}

func (u *UI) deleteUser(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	name := r.PathValue("name")
	if strings.EqualFold(name, user.Name) {
		return opsgate.Errorf(opsgate.EINVALID, "You cannot delete your own account here (use opsgate user delete).")
	}
	if err := u.Users.DeleteUser(r.Context(), name); err != nil {
		return err
	}
	u.flash(r, "User "+name+" deleted.")
	back(w, r, "/ui/users")
	return nil
}
