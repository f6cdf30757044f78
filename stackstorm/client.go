package stackstorm

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to st2's three services: auth (/auth/v1), api (/api/v1) and stream (/stream/v1).
type Client struct {
	AuthURL   string // e.g. https://st2.example.com/auth/v1
	APIURL    string // e.g. https://st2.example.com/api/v1
	StreamURL string // e.g. https://st2.example.com/stream/v1
	// Auth is the bot's own credentials, used when a request has no user credentials.
	Auth Auth
	// HTTP is used for auth and api calls (it should have a timeout); the stream uses StreamHTTP.
	HTTP       *http.Client
	StreamHTTP *http.Client
	Now        func() time.Time
}

// NewHTTPClients returns clients for API calls (with timeout) and for the stream (none: it is
// long-lived; the stream has its own heartbeat watchdog). verify=false skips TLS verification.
func NewHTTPClients(verify bool, timeout time.Duration) (api, stream *http.Client) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if !verify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the operator's explicit choice (verify_cert: false)
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: keepCredentialsOnHost},
		&http.Client{Transport: tr, CheckRedirect: keepCredentialsOnHost}
}

// keepCredentialsOnHost drops st2's credential headers from a redirect to another host or from
// https to http: Go itself strips only Authorization and Cookie, so a token or API key would
// follow a redirect anywhere.
func keepCredentialsOnHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) || (via[0].URL.Scheme == "https" && req.URL.Scheme != "https") {
		req.Header.Del("X-Auth-Token")
		req.Header.Del("St2-Api-Key")
	}
	return nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// send runs req and decodes a 2xx JSON answer into out (when not nil); anything else is an *APIError.
func (c *Client) send(req *http.Request, out any) error {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readAPIError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("st2 %s %s: decode: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// api runs an authenticated API call with auth (nil: the bot's), retrying once with a fresh
// token when st2 refuses an expired or revoked one. It returns the response headers for paging.
func (c *Client) api(ctx context.Context, auth Auth, method, path string, query url.Values, in, out any) (http.Header, error) {
	if auth == nil {
		auth = c.Auth
	}
	var buf []byte
	if in != nil {
		buf, _ = json.Marshal(in)
	}
	u := strings.TrimRight(c.APIURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	for attempt := 0; ; attempt++ {
		cred := Credential{}
		if auth != nil {
			var err error
			if cred, err = auth.Credential(ctx); err != nil {
				return nil, err
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(buf))
		if err != nil {
			return nil, err
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		cred.apply(req.Header)
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 && auth != nil && auth.Invalidate(cred) {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return resp.Header, readAPIError(resp)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				return resp.Header, fmt.Errorf("st2 %s %s: decode: %w", method, path, err)
			}
		}
		return resp.Header, nil
	}
}

// Whoami runs GET /api/v1/user (st2 3.x) and returns the st2 user auth authenticates as.
func (c *Client) Whoami(ctx context.Context, auth Auth) (string, error) {
	var out struct {
		Username string `json:"username"`
	}
	_, err := c.api(ctx, auth, http.MethodGet, "/user", nil, nil, &out)
	return out.Username, err
}

// totalCount reads st2's X-Total-Count paging header (-1 when absent).
func totalCount(h http.Header) int {
	n, err := strconv.Atoi(h.Get("X-Total-Count"))
	if err != nil {
		return -1
	}
	return n
}
