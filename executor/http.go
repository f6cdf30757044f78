package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// runHTTP sends the templated request, retrying connection errors, 429 and 5xx with exponential
// backoff (or the server's Retry-After), each attempt bounded by the timeout.
func (e *Executor) runHTTP(ctx context.Context, s *Spec, params map[string]string) (*Result, error) {
	method := "GET"
	if s.Method != "" {
		m, err := render(ctx, s.Method, params, nil)
		if err != nil {
			return nil, templateError("method", err)
		}
		method = strings.ToUpper(strings.TrimSpace(m))
	}
	u, err := render(ctx, s.URL, params, e.Resolve)
	if err != nil {
		return nil, templateError("url", err)
	}
	body, err := render(ctx, s.Body, params, e.Resolve)
	if err != nil {
		return nil, templateError("body", err)
	}
	headers := http.Header{}
	for k, v := range s.Headers {
		hv, err := render(ctx, v, params, e.Resolve)
		if err != nil {
			return nil, templateError("headers."+k, err)
		}
		headers.Set(k, hv)
	}
	client := sameOriginRedirects(e.Client)

	res := &Result{Start: e.now()}
	var (
		resp    *http.Response
		data    *limitedBuffer
		lastErr error
		attempt int
	)
	for attempt = 0; attempt <= s.Retries; attempt++ {
		resp, data, lastErr = e.attempt(ctx, client, s, method, u, body, headers)
		retry := lastErr != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if !retry || attempt == s.Retries || ctx.Err() != nil {
			break
		}
		wait := backoff(attempt)
		if resp != nil {
			if ra, ok := retryAfter(resp.Header.Get("Retry-After"), e.now()); ok {
				wait = ra
			}
		}
		if err := e.sleep(ctx, wait); err != nil {
			break
		}
	}
	res.End = e.now()
	out := map[string]any{"attempts": min(attempt+1, s.Retries+1)}
	res.Output = out
	if lastErr != nil {
		res.Status = opsgate.StatusFailed
		// The URL may hold a secret (a token in the query): name the host only.
		out["error"] = fmt.Sprintf("request to %s failed: %s", hostOf(u), errorReason(lastErr))
		out["body"] = ""
		out["status_code"] = 0
		return res, nil
	}
	text := data.text()
	out["status_code"] = resp.StatusCode
	out["body"] = text
	out["body_truncated"] = data.truncated()
	hs := map[string]any{}
	for k := range resp.Header {
		hs[k] = resp.Header.Get(k)
	}
	out["headers"] = hs
	var parsed any
	if !data.truncated() && json.Unmarshal(data.buf, &parsed) == nil {
		out["json"] = parsed
	}
	res.Status = opsgate.StatusSucceeded
	// A 3xx here is a redirect that was not followed (to another host, or without a Location).
	if resp.StatusCode >= 300 {
		res.Status = opsgate.StatusFailed
	}
	return res, nil
}

func (e *Executor) attempt(ctx context.Context, client *http.Client, s *Spec, method, u, body string, headers http.Header) (*http.Response, *limitedBuffer, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rb)
	if err != nil {
		return nil, nil, err
	}
	req.Header = headers.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	buf := &limitedBuffer{max: s.maxOutput(DefaultHTTPOutput), partial: true}
	// Read a little past the limit to know it was exceeded, then stop: the body may be endless.
	if _, err := io.Copy(buf, io.LimitReader(resp.Body, int64(buf.max)+1)); err != nil {
		return nil, nil, err
	}
	return resp, buf, nil
}

// sameOriginRedirects returns a copy of c (nil: http.DefaultClient) that follows redirects only
// within the scheme, host and port of the first request. The alias file fixes where a request
// goes; a redirect to elsewhere (the server's, or an open redirect on it reached through a
// templated path) would otherwise take the request there, and Go forwards every header but
// Authorization and Cookie, so a secret in X-Api-Key or the like with it. The 3xx is the result.
func sameOriginRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	next := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

func backoff(attempt int) time.Duration {
	d := defaultBackoff << attempt
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfterHonored), true
}

func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		if k := strings.LastIndex(rest, "@"); k >= 0 {
			rest = rest[k+1:]
		}
		return rest
	}
	return "?"
}

// errorReason describes a transport error without the URL net/http puts in it.
func errorReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}
