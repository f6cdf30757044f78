// Package matrix connects opsgate to Matrix as a bot account (maunium.net/go/mautrix): a /sync
// loop reads m.text messages that start with the prefix in the rooms the bot is in (and every
// message in its direct rooms), and answers with m.notice messages carrying HTML, in a thread
// under the command. Matrix has no buttons or ephemeral messages: menus are numbered choices
// answered by the next message, and what only the asker should see goes to a direct room.
// End-to-end encrypted rooms are not supported: the bot neither reads nor sends encrypted events.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Defaults.
const (
	DefaultPrefix      = "!"
	DefaultSyncTimeout = 30 * time.Second
	// DefaultCatchUp is how old a message may be, when the loop starts, and still be answered: a
	// command sent while the previous holder of the loop was stopping is not lost, and the
	// history of a room is not replayed.
	DefaultCatchUp = 2 * time.Minute
	// DefaultMaxText bounds a command; a longer message is refused with a notice.
	DefaultMaxText = 4096
	// promptTTL is how long a numbered menu waits for its answer.
	promptTTL = 15 * time.Minute
)

// refusals counts messages refused before reaching the pipeline, by reason.
var refusals = kit.NewRefusals("matrix")

// Options configure a Bot.
type Options struct {
	// Homeserver is the client-server API's base URL (https://matrix.example.org).
	Homeserver string
	// UserID is the bot's Matrix ID; when empty it is asked of the homeserver (whoami). Its
	// server name is the organization of every request.
	UserID string
	// AccessToken is the bot account's access token.
	AccessToken string
	// Prefix starts a command in a room ("!": "!whoami"); in a direct room it may be left out.
	Prefix string
	// AutoJoin accepts every invitation to a room.
	AutoJoin bool
	Handle   opsgate.RequestHandler
	// Claim, when set, makes "a message is handled once" hold across replicas (store.DB.Claim).
	Claim func(ctx context.Context, key string) (bool, error)
	// SyncTimeout is how long one /sync long-poll waits for news.
	SyncTimeout time.Duration
	// CatchUp: see DefaultCatchUp.
	CatchUp time.Duration
	// MaxText bounds a command in bytes.
	MaxText int
	// Plumbing: the clock, logger, API client (its timeout must exceed SyncTimeout) and retries.
	kit.Plumbing
}

// Bot is the Matrix platform. Create it with New; Run runs the sync loop, while Conversation
// (announcements) works without it.
type Bot struct {
	Options
	cli     *mautrix.Client
	once    *kit.Once
	prompts *kit.Prompts[waiting]

	mu     sync.Mutex
	me     id.UserID
	direct event.DirectChatsEventContent // nil until loaded
	names  map[id.RoomID]string
	dmMu   sync.Mutex // one direct room per user, even when two whispers race
}

// New returns a Bot with defaults filled in.
func New(o Options) (*Bot, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.SyncTimeout <= 0 {
		o.SyncTimeout = DefaultSyncTimeout
	}
	if o.CatchUp <= 0 {
		o.CatchUp = DefaultCatchUp
	}
	if o.MaxText <= 0 {
		o.MaxText = DefaultMaxText
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.SyncTimeout + 30*time.Second}
	}
	o.Defaults(1 << 20)
	cli, err := mautrix.NewClient(o.Homeserver, id.UserID(o.UserID), o.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("matrix: homeserver %q: %v", o.Homeserver, err)
	}
	cli.Client = o.HTTPClient
	cli.UserAgent = "opsgate"
	b := &Bot{Options: o, cli: cli, me: id.UserID(o.UserID), names: map[id.RoomID]string{},
		prompts: kit.NewPrompts[waiting](0, promptTTL, o.Now)}
	b.once = kit.NewOnce(kit.OnceOptions{Name: "matrix: message", TTL: time.Hour, Now: o.Now, Logger: o.Logger,
		Claim: func(ctx context.Context, key string) (bool, error) {
			if b.Claim == nil {
				return true, nil
			}
			return b.Claim(ctx, key)
		}})
	return b, nil
}

// Whoami asks the homeserver whose access token this is, checks it against UserID and returns it.
func (b *Bot) Whoami(ctx context.Context) (id.UserID, error) {
	b.mu.Lock()
	me := b.me
	b.mu.Unlock()
	var resp *mautrix.RespWhoami
	err := b.retry(ctx, func(ctx context.Context) (err error) {
		resp, err = b.cli.Whoami(ctx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("matrix: whoami: %w", err)
	}
	if me != "" && resp.UserID != me {
		return "", fmt.Errorf("%w (%s, not %s)", errWrongUser, resp.UserID, me)
	}
	b.mu.Lock()
	b.me, b.cli.UserID = resp.UserID, resp.UserID
	b.mu.Unlock()
	return resp.UserID, nil
}

// self is the bot's user id, asked of the homeserver the first time.
func (b *Bot) self(ctx context.Context) (id.UserID, error) {
	b.mu.Lock()
	me := b.me
	b.mu.Unlock()
	if me != "" {
		return me, nil
	}
	return b.Whoami(ctx)
}

// Run syncs until ctx ends (it then returns ctx's error) or the homeserver refuses the access
// token (or it is another user's than UserID). An unreachable homeserver, at start or later, is
// tried again with backoff, honouring M_LIMIT_EXCEEDED's retry_after_ms. Run is what a lease
// starts and stops when several replicas share a database: one loop at a time.
func (b *Bot) Run(ctx context.Context) error {
	var me id.UserID
	for failures := 1; ; failures++ {
		var err error
		if me, err = b.Whoami(ctx); err == nil {
			break
		}
		if fatal(err) {
			return err
		}
		if err := b.backoff(ctx, "whoami", err, failures); err != nil {
			return err
		}
	}
	b.Logger.Info("matrix: syncing", "user", me, "homeserver", b.Homeserver)
	start := b.Now()
	since := ""
	failures := 0
	for {
		timeout := int(b.SyncTimeout / time.Millisecond)
		if since == "" {
			timeout = 0 // the first sync answers at once with where things stand
		}
		resp, err := b.cli.SyncRequest(ctx, timeout, since, "", false, "")
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if fatal(err) {
				return fmt.Errorf("matrix: sync: %w", err)
			}
			failures++
			if err := b.backoff(ctx, "sync", err, failures); err != nil {
				return err
			}
			continue
		}
		if failures > 0 {
			b.Logger.Info("matrix: sync works again", "failures", failures)
			failures = 0
		}
		b.handleSync(ctx, resp, since == "", start)
		since = resp.NextBatch
	}
}

// fatal reports whether err will not go away by trying again: the homeserver refused the access
// token, or it belongs to another user than matrix.user_id.
func fatal(err error) bool {
	f, _ := readError(err)
	return f.Status == http.StatusUnauthorized || errors.Is(err, errWrongUser)
}

var errWrongUser = errors.New("matrix: the access token belongs to another user than matrix.user_id")

// backoff logs the first failure of an outage and waits before the next try: a doubling backoff
// from 1 s to a minute, or as long as M_LIMIT_EXCEEDED asks. It returns ctx's error when ctx ends.
func (b *Bot) backoff(ctx context.Context, what string, err error, failures int) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if failures == 1 {
		b.Logger.Warn("matrix: "+what+" failed; retrying", "err", err)
	}
	wait, ok := kit.Retry{Backoff: time.Second, Read: readError}.Wait(err, failures)
	if !ok {
		wait = min(time.Second<<min(failures-1, 6), kit.MaxRetryAfter)
	}
	return b.Sleep(ctx, wait)
}

// retry runs f with the kit's retries, reading the homeserver's errors.
func (b *Bot) retry(ctx context.Context, f func(context.Context) error) error {
	return kit.Retry{Attempts: b.Attempts, Sleep: b.Sleep, Read: readError}.Do(ctx, f)
}

// readError reads a failed Client-Server API call: its status and, for M_LIMIT_EXCEEDED, the
// wait the homeserver asked for.
func readError(err error) (kit.Failure, bool) {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return kit.Failure{}, false
	}
	f := kit.Failure{Status: he.Response.StatusCode}
	if he.RespError != nil {
		if ms, ok := he.RespError.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
			f.RetryAfter = time.Duration(ms) * time.Millisecond
		}
	}
	return f, true
}

// errcode is the Matrix error code of err ("M_FORBIDDEN"), or "".
func errcode(err error) string {
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.RespError != nil {
		return he.RespError.ErrCode
	}
	return ""
}

// serverName is the server part of a user id ("@bot:example.org" -> "example.org").
func serverName(u id.UserID) string {
	_, server, ok := strings.Cut(string(u), ":")
	if !ok {
		return string(u)
	}
	return server
}
