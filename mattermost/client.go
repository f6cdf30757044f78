package mattermost

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

	"github.com/opsgate/opsgate/kit"
)

// apiError is a failed REST v4 call; Mattermost answers errors as {"id","message","status_code"}.
type apiError struct {
	Status     int
	ID         string `json:"id"`
	Message    string `json:"message"`
	retryAfter time.Duration
}

func (e *apiError) Error() string {
	return fmt.Sprintf("mattermost: HTTP %d %s: %s", e.Status, e.ID, e.Message)
}

// call sends a JSON request to url (a REST v4 path on the server, or a response_url), decoding a
// 2xx answer into out. 429, 5xx and timeouts are retried with backoff, honouring Retry-After.
func (h *Handler) call(ctx context.Context, method, url string, body, out any, bearer bool) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return h.retry(ctx, func(ctx context.Context) error {
		return h.send(ctx, method, url, "application/json", raw, out, bearer)
	})
}

// retry runs f with the kit's retries, reading Mattermost's errors. Built per call: tests
// change Sleep after New.
func (h *Handler) retry(ctx context.Context, f func(context.Context) error) error {
	return h.retrier().Do(ctx, f)
}

func (h *Handler) retrier() kit.Retry {
	return kit.Retry{Attempts: h.Attempts, Sleep: h.Sleep, Read: readError}
}

func (h *Handler) send(ctx context.Context, method, url, contentType string, raw []byte, out any, bearer bool) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if bearer {
		req.Header.Set("Authorization", "Bearer "+h.APIToken)
	}
	resp, err := h.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		json.Unmarshal(b, e)
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.retryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// readError reads a failed REST v4 call for the kit's retries.
func readError(err error) (kit.Failure, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return kit.Failure{Status: ae.Status, RetryAfter: ae.retryAfter}, true
	}
	return kit.Failure{}, false
}

func (h *Handler) api(path string) string { return h.URL + "/api/v4" + path }
