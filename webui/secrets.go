package webui

import (
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
)

type secretsData struct {
	Secrets     []*opsgate.Secret
	Groups      []*opsgate.SecretsGroup
	Limit       opsgate.SecretConstraint
	Providers   []string
	Checked     string // the secret just checked
	Result      string // "ok", or the error class and message
	Form        opsgate.Secret
	FormParams  string
	AccessTypes []opsgate.SecretAccessType
	SecretTypes []opsgate.SecretType
}

func (u *UI) secretsData(r *http.Request, user *opsgate.User) (*secretsData, error) {
	if u.Secrets == nil {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Secrets are not available on this server.")
	}
	ss, err := u.Secrets.FindSecrets(r.Context())
	if err != nil {
		return nil, err
	}
	gs, err := u.Secrets.FindSecretsGroups(r.Context())
	if err != nil {
		return nil, err
	}
	return &secretsData{Secrets: ss, Groups: gs, Limit: u.SecretLimits[user.Role], Providers: u.SecretProviders,
		AccessTypes: opsgate.SecretAccessTypes, SecretTypes: opsgate.SecretTypes}, nil
}

func (u *UI) secretsPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.secretsData(r, user)
	if err != nil {
		return err
	}
	return u.render(w, r, user, "secrets", "Secrets", d)
}

// parseParams reads "key=value" lines.
func parseParams(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, opsgate.Errorf(opsgate.EINVALID, "Parameter line %q must be key=value.", line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// addSecret stores a reference (never a value), within the role's constraint on secrets.
func (u *UI) addSecret(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	d, err := u.secretsData(r, user)
	if err != nil {
		return err
	}
	d.Form = opsgate.Secret{Name: strings.TrimSpace(r.PostFormValue("name")), Provider: strings.TrimSpace(r.PostFormValue("provider")),
		Description: strings.TrimSpace(r.PostFormValue("description"))}
	d.FormParams = r.PostFormValue("params")
	d.Form.Parameters, err = parseParams(d.FormParams)
	if err == nil && !d.Limit.Allows(&d.Form) {
		err = opsgate.Errorf(opsgate.EFORBIDDEN, "Your role (%s) may only add secrets of provider %s whose %s starts with %q.",
			user.Role, d.Limit.Provider, d.Limit.Param, d.Limit.Prefix)
	}
	if err == nil && u.ValidateSecret != nil {
		err = u.ValidateSecret(&d.Form)
	}
	if err == nil {
		err = u.Secrets.CreateSecret(r.Context(), &d.Form)
	}
	if err != nil {
		refused.WithLabelValues(opsgate.ErrorCode(err)).Inc()
		u.renderStatus(w, r, user, statusFor(err), "secrets", "Secrets", d, opsgate.ErrorMessage(err))
		return nil
	}
	u.flash(r, "Secret "+d.Form.Name+" added.")
	back(w, r, "/ui/secrets")
	return nil
}

// secretFor returns the named secret when the role's constraint reaches it.
func (u *UI) secretFor(r *http.Request, user *opsgate.User) (*opsgate.Secret, error) {
	if u.Secrets == nil {
		return nil, opsgate.Errorf(opsgate.ENOTFOUND, "Secrets are not available on this server.")
	}
	s, err := u.Secrets.FindSecretByName(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	if limit := u.SecretLimits[user.Role]; !limit.Allows(s) {
		return nil, opsgate.Errorf(opsgate.EFORBIDDEN, "Your role (%s) may only use secrets of provider %s whose %s starts with %q.",
			user.Role, limit.Provider, limit.Param, limit.Prefix)
	}
	return s, nil
}

func (u *UI) deleteSecret(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	s, err := u.secretFor(r, user)
	if err != nil {
		return err
	}
	if err := u.Secrets.DeleteSecret(r.Context(), s.Name); err != nil {
		return err
	}
	u.flash(r, "Secret "+s.Name+" deleted.")
	back(w, r, "/ui/secrets")
	return nil
}

// checkSecret resolves a secret and shows ok or the error's class and message, never the value.
func (u *UI) checkSecret(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	s, err := u.secretFor(r, user)
	if err != nil {
		return err
	}
	if u.CheckSecret == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "Checking secrets is not available on this server.")
	}
	result, err := u.CheckSecret(r.Context(), s.Name)
	if err != nil {
		return err
	}
	d, err := u.secretsData(r, user)
	if err != nil {
		return err
	}
	d.Checked, d.Result = s.Name, result
	return u.render(w, r, user, "secrets", "Secrets", d)
}
