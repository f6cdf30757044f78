package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxAnswer bounds what is read of an API's answer.
const maxAnswer = 1 << 20

// APIError is a platform API's answer other than 2xx.
type APIError struct {
	Platform, Method string
	Status           int
	// RetryAfter is the Retry-After header, in seconds or as an HTTP date (0: none).
	RetryAfter time.Duration
	// Body is the answer (at most 1 MiB), for the platform to read its own error fields.
	Body []byte
}

// Error names the platform, method and status and the start of the answer; never the URL, which
// may hold a credential (Discord's interaction webhooks do).
func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s: HTTP %d: %s", e.Platform, e.Method, e.Status, TruncateBytes(string(bytes.TrimSpace(e.Body)), 200))
}

// CallJSON makes one call to a platform API: body (nil: none) sent as JSON with header, a 2xx
// answer decoded into out (nil: ignored), anything else returned as an *APIError. Retries are
// the caller's (Retry, reading APIError).
func (p *Plumbing) CallJSON(ctx context.Context, platform, method, url string, header http.Header, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 != 2 {
		return &APIError{Platform: platform, Method: method, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), p.Now), Body: b}
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s: %s: answer is not the JSON expected: %v", platform, method, err)
		}
	}
	return nil
}

// retryAfter reads a Retry-After header: seconds (fractions allowed, as Discord sends) or an
// HTTP date.
func retryAfter(v string, now func() time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && now != nil {
		return max(t.Sub(now()), 0)
	}
	return 0
}

// ReadAPIError reads a failed call made with method for Retry. A 429 was not carried out and is
// retried (after Retry-After). Otherwise only calls that may safely run twice (GET, PUT, DELETE)
// are retried after a 5xx or a timeout: a POST that failed so may have been carried out, and a
// message posted twice is worse than a failed delivery said once.
func ReadAPIError(method string, err error) (Failure, bool) {
	idempotent := method == http.MethodGet || method == http.MethodPut || method == http.MethodDelete
	var ae *APIError
	if !errors.As(err, &ae) {
		if idempotent {
			return Failure{}, false // Retry retries timeouts
		}
		return Failure{Final: true}, true
	}
	return Failure{Status: ae.Status, RetryAfter: ae.RetryAfter, Final: !idempotent && ae.Status != http.StatusTooManyRequests}, true
}
