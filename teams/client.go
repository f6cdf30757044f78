package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Retry limits for 429 answers: three tries in all, Retry-After honoured up to 30 s.
const (
	attempts      = 3
	maxRetryAfter = 30 * time.Second
)

// Client sends activities to the Bot Connector. Its bearer token goes only to service URLs the
// caller marked as trusted (Trust), because they arrived in a verified activity: an attacker who
// could make opsgate post to a URL of their choosing would otherwise collect the bot's token.
type Client struct {
	Tokens *TokenSource
	HTTP   *http.Client
	// Sleep waits between retries; tests may shorten it.
	Sleep func(ctx context.Context, d time.Duration) error

	mu      sync.RWMutex
	trusted map[string]bool
}

// NewClient returns a client using tokens.
func NewClient(tokens *TokenSource, client *http.Client) *Client {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{Tokens: tokens, HTTP: client, Sleep: kit.Sleep, trusted: map[string]bool{}}
}

// Trust records serviceURL as one the token may be sent to. Call it only with the serviceUrl of a
// verified activity (or a conversation reference stored from one). Returns EFORBIDDEN for a URL
// that is not https (plain http is allowed to loopback hosts only, for local stand-ins).
func (c *Client) Trust(serviceURL string) error {
	key, err := normalize(serviceURL)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.trusted[key] = true
	c.mu.Unlock()
	return nil
}

// Trusted reports whether serviceURL may receive the token.
func (c *Client) Trusted(serviceURL string) bool {
	key, err := normalize(serviceURL)
	if err != nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.trusted[key]
}

// normalize returns the service URL without a trailing slash, refusing anything but https and
// http to loopback.
func normalize(serviceURL string) (string, error) {
	u, err := url.Parse(serviceURL)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", opsgate.Errorf(opsgate.EFORBIDDEN, "Teams service URL %q is not a valid URL", serviceURL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return "", opsgate.Errorf(opsgate.EFORBIDDEN, "Teams service URL %q is not https; the bot token is never sent over plain http", serviceURL)
	}
	return strings.ToLower(u.Scheme+"://"+u.Host) + strings.TrimRight(u.EscapedPath(), "/"), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send posts a to the conversation and returns the new activity's id ("" when none is given).
// Returns EFORBIDDEN when serviceURL is not trusted, before any token is fetched.
func (c *Client) Send(ctx context.Context, serviceURL, conversationID string, a *Activity) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.call(ctx, http.MethodPost, serviceURL, activitiesPath(conversationID), a, &out)
	return out.ID, err
}

func activitiesPath(conversationID string) string {
	return "/v3/conversations/" + url.PathEscape(conversationID) + "/activities"
}

// Update replaces the activity activityID the bot posted (a prompt closed once answered).
func (c *Client) Update(ctx context.Context, serviceURL, conversationID, activityID string, a *Activity) error {
	a.ID = activityID
	return c.call(ctx, http.MethodPut, serviceURL, activitiesPath(conversationID)+"/"+url.PathEscape(activityID), a, nil)
}

// Delete removes the activity activityID the bot posted.
func (c *Client) Delete(ctx context.Context, serviceURL, conversationID, activityID string) error {
	return c.call(ctx, http.MethodDelete, serviceURL, activitiesPath(conversationID)+"/"+url.PathEscape(activityID), nil, nil)
}

// Typing shows the typing indicator in the conversation.
func (c *Client) Typing(ctx context.Context, serviceURL, conversationID string) error {
	_, err := c.Send(ctx, serviceURL, conversationID, &Activity{Type: TypeTyping})
	return err
}

// ConversationParameters creates a conversation (a 1:1 chat with a user, for ephemeral replies
// and proactive messages).
type ConversationParameters struct {
	IsGroup     bool             `json:"isGroup"`
	Bot         *ChannelAccount  `json:"bot,omitempty"`
	Members     []ChannelAccount `json:"members,omitempty"`
	TenantID    string           `json:"tenantId,omitempty"`
	ChannelData *ChannelData     `json:"channelData,omitempty"`
}

// Personal returns the parameters of a 1:1 conversation between the bot and the sender of a:
// where ephemeral output goes, since Teams has no ephemeral messages.
func Personal(a *Activity) ConversationParameters {
	p := ConversationParameters{Bot: a.Recipient, TenantID: a.TenantID()}
	if a.From != nil {
		p.Members = []ChannelAccount{{ID: a.From.ID}}
	}
	if t := a.TenantID(); t != "" {
		p.ChannelData = &ChannelData{Tenant: &IDName{ID: t}}
	}
	return p
}

// CreateConversation creates a conversation (or returns the existing 1:1 one) and returns its id.
func (c *Client) CreateConversation(ctx context.Context, serviceURL string, p ConversationParameters) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, serviceURL, "/v3/conversations", p, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", fmt.Errorf("teams: create conversation: no id in the answer")
	}
	return out.ID, nil
}

// call sends body (nil: none) as JSON with the bearer token, retrying a 429 after its
// Retry-After (bounded) and a 401 once with a fresh token.
func (c *Client) call(ctx context.Context, method, serviceURL, path string, body, out any) error {
	base, err := normalize(serviceURL)
	if err != nil {
		return err
	}
	c.mu.RLock()
	ok := c.trusted[base]
	c.mu.RUnlock()
	if !ok {
		return opsgate.Errorf(opsgate.EFORBIDDEN, "Teams service URL %q did not arrive in a verified activity; not sending the bot token there", serviceURL)
	}
	var b []byte
	if body != nil {
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	refreshed := false
	retry := kit.Retry{Attempts: attempts, Sleep: c.Sleep, Backoff: time.Second, MaxWait: maxRetryAfter, Read: readError}
	return retry.Do(ctx, func(ctx context.Context) error {
		for {
			err := c.once(ctx, method, base, path, b, out)
			var se *statusError
			if errors.As(err, &se) && se.status == http.StatusUnauthorized && !refreshed {
				// The connector refused a token it may have revoked early: once with a fresh one.
				refreshed = true
				c.Tokens.Invalidate()
				continue
			}
			return err
		}
	})
}

// statusError is the connector's answer to a failed call.
type statusError struct {
	method     string
	path       string
	status     int
	statusText string
	code       string
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("teams: %s %s: %s: %s", e.method, e.path, e.statusText, e.code)
}

// readError reads the connector's answers for the kit's retries: only a 429 is retried, since a
// 5xx or a timeout may come after the activity was posted.
func readError(err error) (kit.Failure, bool) {
	var se *statusError
	if !errors.As(err, &se) {
		return kit.Failure{Final: true}, true // a timed-out POST may have been delivered
	}
	if se.status != http.StatusTooManyRequests {
		return kit.Failure{Status: se.status, Final: true}, true
	}
	return kit.Failure{Status: se.status, RetryAfter: se.retryAfter}, true
}

// once sends body with the current bearer token.
func (c *Client) once(ctx context.Context, method, base, path string, body []byte, out any) error {
	tok, err := c.Tokens.Token(ctx)
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("teams: %s %s: %w", method, path, err)
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			_ = json.Unmarshal(data, out) // an id is a nicety; the post succeeded
		}
		return nil
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		return opsgate.Errorf(opsgate.EINVALID, "Teams refused the message as too large")
	}
	return &statusError{method: method, path: path, status: resp.StatusCode, statusText: resp.Status, code: errorCode(data),
		retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
}

// retryAfter reads Retry-After (seconds or an HTTP date); 1 s when absent or past.
func retryAfter(v string) time.Duration {
	d := time.Second
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	return max(d, time.Nanosecond)
}

// errorCode returns the connector's error code ({"error":{"code":...}}) for the log line.
func errorCode(data []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error.Code != "" {
		return e.Error.Code
	}
	return "no error code"
}
