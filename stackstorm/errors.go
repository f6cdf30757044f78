package stackstorm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/opsgate/opsgate"
)

// APIError is a non-2xx answer from st2. Faultstring is st2's own message, shown to users as is:
// st2's wording ("Command 'x' matched no patterns") is what st2 admins search for.
type APIError struct {
	Status      int
	Faultstring string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("st2: status %d: %s", e.Status, e.Faultstring)
}

// IsUnauthorized reports whether err is st2 refusing the credentials (401).
func IsUnauthorized(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusUnauthorized
}

// readAPIError turns an error response into an *APIError. st2 answers {"faultstring": "..."}; a proxy
// in front of it may answer HTML, which is reduced to the status text rather than shown raw.
func readAPIError(resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var f struct {
		Faultstring string `json:"faultstring"`
	}
	if json.Unmarshal(body, &f) == nil && f.Faultstring != "" {
		return &APIError{Status: resp.StatusCode, Faultstring: f.Faultstring}
	}
	return &APIError{Status: resp.StatusCode, Faultstring: strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))}
}

// userError maps a client error to what the chat user sees: st2's faultstring as is, or a short
// statement that st2 could not be reached (details are logged, never shown).
func userError(err error) error {
	var e *APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e) && e.Status == http.StatusUnauthorized:
		return opsgate.Errorf(opsgate.EUNAUTHORIZED, "%s", e.Faultstring)
	case errors.As(err, &e) && e.Status == http.StatusForbidden:
		return opsgate.Errorf(opsgate.EFORBIDDEN, "%s", e.Faultstring)
	case errors.As(err, &e) && e.Status < 500:
		return opsgate.Errorf(opsgate.EINVALID, "%s", e.Faultstring)
	case errors.As(err, &e):
		return opsgate.Errorf(opsgate.EINVALID, "StackStorm failed: %s", e.Faultstring)
	case opsgate.ErrorCode(err) != opsgate.EINTERNAL:
		return err
	}
	return opsgate.Errorf(opsgate.ETIMEOUT, "StackStorm could not be reached; try again later.")
}
