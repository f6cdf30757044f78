package webex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// DefaultAPIURL is Webex's REST API base (webex.api_url).
const DefaultAPIURL = "https://webexapis.com/v1"

// Client calls Webex's REST API as the bot. Safe for concurrent use once configured.
type Client struct {
	// APIURL is the API base, without a trailing slash; DefaultAPIURL when empty.
	APIURL string
	// Token is the bot access token, sent only as a bearer token to APIURL and never logged or
	// put into an error.
	Token string
	// HTTPClient defaults to a client with a 15 s timeout.
	HTTPClient *http.Client
	// Attempts bounds tries per call when Webex answers 429 or 5xx (default 3).
	Attempts int
	// MaxWait caps one Retry-After wait (default 30 s): a longer one fails the call instead.
	MaxWait time.Duration
	// Sleep waits between attempts; tests replace it to record the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxAge, when set, refuses (ErrStale) a message or card submission created longer ago than
	// this by Now (default time.Now): the handler sets it to how long it remembers deliveries.
	MaxAge time.Duration
	Now    func() time.Time

	meMu sync.Mutex
	me   *Person
}

// APIError is a failed call: Webex's status and message (never the request's token).
type APIError struct {
	Method, Path string
	Status       int
	Message      string
	TrackingID   string
	RetryAfter   time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("webex: %s %s: HTTP %d: %s (trackingId %s)", e.Method, e.Path, e.Status, e.Message, e.TrackingID)
}

func (c *Client) base() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return strings.TrimRight(c.APIURL, "/")
}

// call sends body (JSON, when not nil) to path (relative to APIURL, or an absolute URL on the
// same API from a Link header) and decodes a 2xx answer into out. It returns the response header.
// 429 (and 5xx and timeouts, except for POST) are retried up to Attempts with the kit, waiting
// what Retry-After says (backoff from 1 s when absent); a wait longer than MaxWait fails the call
// at once.
func (c *Client) call(ctx context.Context, method, path string, body, out any) (http.Header, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	maxWait := c.MaxWait
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	retry := kit.Retry{Attempts: c.Attempts, Sleep: c.Sleep, Backoff: time.Second, MaxWait: maxWait, GiveUpPastMax: true,
		Read: func(err error) (kit.Failure, bool) {
			var ae *APIError
			if !errors.As(err, &ae) {
				// A POST that timed out may have been delivered: not sent twice.
				return kit.Failure{Final: method == "POST"}, method == "POST"
			}
			// A 5xx may come after the work was done: only idempotent calls are retried on one.
			return kit.Failure{Status: ae.Status, RetryAfter: ae.RetryAfter, Final: ae.Status >= 500 && method == "POST"}, true
		}}
	if retry.Attempts <= 0 {
		retry.Attempts = 3
	}
	var h http.Header
	err := retry.Do(ctx, func(ctx context.Context) error {
		var err error
		h, err = c.once(ctx, method, path, raw, out)
		return err
	})
	return h, err
}

func (c *Client) once(ctx context.Context, method, path string, raw []byte, out any) (http.Header, error) {
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = c.base() + path
	}
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		// url.Error names the URL only; the token travels in a header, so it cannot leak here.
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode/100 != 2 {
		e := &APIError{Method: method, Path: pathOnly(u), Status: resp.StatusCode}
		var eb struct {
			Message    string `json:"message"`
			TrackingID string `json:"trackingId"`
		}
		if json.Unmarshal(b, &eb) == nil {
			e.Message, e.TrackingID = eb.Message, eb.TrackingID
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return resp.Header, e
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("webex: %s %s: decoding the answer: %w", method, pathOnly(u), err)
		}
	}
	return resp.Header, nil
}

var defaultHTTPClient = &http.Client{Timeout: 15 * time.Second}

func pathOnly(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return u
}

// Me returns the bot's own person, fetched once (GET /people/me) and then cached: it decides
// which messages are the bot's own on every event. A failed fetch is not cached.
func (c *Client) Me(ctx context.Context) (*Person, error) {
	c.meMu.Lock()
	defer c.meMu.Unlock()
	if c.me != nil {
		return c.me, nil
	}
	var p Person
	if _, err := c.call(ctx, "GET", "/people/me", nil, &p); err != nil {
		return nil, err
	}
	if p.ID == "" {
		return nil, errors.New("webex: GET /people/me answered no id")
	}
	c.me = &p
	return c.me, nil
}

// Message fetches a message's content (GET /messages/{id}): webhooks carry only its id.
func (c *Client) Message(ctx context.Context, id string) (*Message, error) {
	var m Message
	if _, err := c.call(ctx, "GET", "/messages/"+url.PathEscape(id), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// AttachmentAction fetches a card submission (GET /attachment/actions/{id}).
func (c *Client) AttachmentAction(ctx context.Context, id string) (*AttachmentAction, error) {
	var a AttachmentAction
	if _, err := c.call(ctx, "GET", "/attachment/actions/"+url.PathEscape(id), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Post creates a message (POST /messages) and returns it as Webex stored it.
func (c *Client) Post(ctx context.Context, p Post) (*Message, error) {
	if n := btoi(p.RoomID != "") + btoi(p.ToPersonID != "") + btoi(p.ToPersonEmail != ""); n != 1 {
		return nil, opsgate.Errorf(opsgate.EINVALID, "A Webex message needs exactly one of a room or a person.")
	}
	var m Message
	if _, err := c.call(ctx, "POST", "/messages", p, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Delete removes a message the bot posted (DELETE /messages/{id}).
func (c *Client) Delete(ctx context.Context, id string) error {
	_, err := c.call(ctx, "DELETE", "/messages/"+url.PathEscape(id), nil, nil)
	return err
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// Webhooks lists every webhook the bot owns, following the Link header's next pages.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var all []Webhook
	next := "/webhooks?max=100"
	for page := 0; next != "" && page < 100; page++ {
		var out struct {
			Items []Webhook `json:"items"`
		}
		h, err := c.call(ctx, "GET", next, nil, &out)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Items...)
		next = ""
		if m := linkNext.FindStringSubmatch(h.Get("Link")); m != nil {
			// Follow only links on our own API: the bearer token must not go anywhere else.
			if strings.HasPrefix(m[1], c.base()+"/") {
				next = m[1]
			}
		}
	}
	return all, nil
}
