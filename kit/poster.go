package kit

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpproxy"
)

// Poster makes the API call on a platform's hot path (the reply every command posts) with
// fasthttp's client. net/http's client cost ~75 allocations (6 KB) and two goroutines per
// connection on every call, a quarter of what a busy server allocated per command; fasthttp
// reuses its requests, responses and buffers and reads the answer on the caller's goroutine
// (docs/performance.md). Other calls stay on Plumbing.HTTPClient.
//
// It dials through the proxy that HTTPS_PROXY / HTTP_PROXY name (NO_PROXY honoured, loopback
// never proxied), as net/http's default transport does; the proxy is chosen by port (443: the
// HTTPS one). It does not follow redirects: an API answering 3xx is an error, as any non-2xx.
type Poster struct {
	// Timeout bounds a call whose context has no earlier deadline (NewPoster: PostTimeout).
	Timeout time.Duration

	c   *fasthttp.Client
	now func() time.Time
}

// PostTimeout is a Poster's default Timeout.
const PostTimeout = 15 * time.Second

// NewPoster returns a Poster; now (nil: time.Now) reads Retry-After dates.
func NewPoster(now func() time.Time) *Poster {
	if now == nil {
		now = time.Now
	}
	d := &fasthttpproxy.Dialer{DialDualStack: true, Timeout: 10 * time.Second, ConnectTimeout: 10 * time.Second}
	dial, err := d.GetDialFunc(true)
	if err != nil {
		dial = func(string) (net.Conn, error) { return nil, err }
	}
	dial = withoutProxySecrets(dial)
	return &Poster{Timeout: PostTimeout, now: now, c: &fasthttp.Client{
		Name:                "opsgate",
		Dial:                dial,
		DialDualStack:       true,
		MaxConnsPerHost:     4 * APIIdleConns,
		MaxConnWaitTimeout:  5 * time.Second,
		MaxIdleConnDuration: 90 * time.Second,
		MaxResponseBodySize: maxAnswer,
		// fasthttp refuses an answer whose headers overflow its read buffer (net/http's reader
		// grows); Slack's run to 1-3 KB (its OAuth scope lists), so twice its 4 KB default.
		// A buffer is held only while its call reads.
		ReadBufferSize: 8 << 10,
	}}
}

// Post sends body as contentType to url, with the Authorization header auth ("" for none), within
// ctx's deadline (at most Timeout), and appends a 2xx answer to answer. Any other status is an
// *APIError naming platform and method. ctx is only read for its deadline and whether it ended
// before the call: fasthttp cannot abandon a call under way.
func (p *Poster) Post(ctx context.Context, platform, method, url, contentType, auth string, body []byte, answer *bytes.Buffer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline := time.Now().Add(p.Timeout) // fasthttp compares with the wall clock, not p.now
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.Header.SetMethod(http.MethodPost)
	req.Header.SetContentType(contentType)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.SetBodyRaw(body)
	if err := p.c.DoDeadline(req, resp, deadline); err != nil {
		if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
			return postTimeout{err}
		}
		return err
	}
	if code := resp.StatusCode(); code/100 != 2 {
		return &APIError{Platform: platform, Method: method, Status: code,
			RetryAfter: retryAfter(string(resp.Header.Peek("Retry-After")), p.now), Body: bytes.Clone(resp.Body())}
	}
	answer.Write(resp.Body())
	return nil
}

// postTimeout is a fasthttp timeout as the net.Error net/http's client returns, which Retry retries.
type postTimeout struct{ error }

func (postTimeout) Timeout() bool   { return true }
func (postTimeout) Temporary() bool { return true }

// proxyVars are the variables naming a proxy, whose values may hold a password.
var proxyVars = []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"}

// withoutProxySecrets returns dial with the proxy variables' values, and any password in them,
// taken out of its errors (the proxy library quotes a malformed one whole), so that a failed post
// never logs a proxy's credentials.
func withoutProxySecrets(dial fasthttp.DialFunc) fasthttp.DialFunc {
	var pairs []string
	for _, name := range proxyVars {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		pairs = append(pairs, v, "$"+name)
		if u, err := url.Parse(v); err == nil {
			if pw, ok := u.User.Password(); ok && pw != "" {
				pairs = append(pairs, pw, "********")
			}
		}
	}
	if len(pairs) == 0 {
		return dial
	}
	clean := strings.NewReplacer(pairs...)
	return func(addr string) (net.Conn, error) {
		c, err := dial(addr)
		if err != nil {
			if msg := clean.Replace(err.Error()); msg != err.Error() {
				return nil, cleanedError{msg, err}
			}
			return nil, err
		}
		return c, nil
	}
}

// cleanedError is a dial error with the proxy's secrets taken out of its text; the cause stays
// reachable (errors.Is: a dial timeout is still retried).
type cleanedError struct {
	msg string
	err error
}

func (e cleanedError) Error() string { return e.msg }
func (e cleanedError) Unwrap() error { return e.err }
