package opsgate

import (
	"context"
	"time"
)

// Handler runs a command. A returned *Error with a code other than EINTERNAL marks the run
// "failed" and its message is shown to the user; any other error marks it "errored" and the user
// sees "Internal error.".
type Handler func(ctx context.Context, inv *Invocation) error

// Invocation is one run of a command.
type Invocation struct {
	Request *Request
	Route   *Route
	Out     Dispatcher
	Now     time.Time
}

// Param is a named parameter of a command, filled from positional arguments in order.
type Param struct {
	Name     string
	Help     string
	Optional bool
	// Choices, when set, lists what a user may pick when the parameter is missing (a menu).
	Choices func(ctx context.Context, inv *Invocation) ([]Choice, error)
}

// Route is what a message resolved to: the (sub)command access is checked for and the handler to run.
type Route struct {
	Command    string
	Subcommand string
	// Group is the plugin name Errbot-style ACLs match as "Group:command" ("opsgate" for built-ins).
	Group  string
	Args   []string          // words after the (sub)command
	Params map[string]string // named parameters (from Param definitions or an alias format)
	// Missing lists required params not given; a platform that can prompts for them.
	Missing []Param
	// PromptPrefix, when set, is the command text a prompt's answers are appended to (default:
	// the words as typed). Aliases set it to add a format's literal words before the missing value.
	PromptPrefix string
	Timeout      time.Duration // 0: the pipeline's default
	Run          Handler
	// Exempt routes skip the access grants (never the policies).
	Exempt bool
	// AdminOnly routes need bot-admin rights under Errbot ACLs (BOT_ADMINS).
	AdminOnly bool
	// Private routes show their errors only to the asker, like their replies (chat-side admin).
	Private bool
}

// HelpEntry is one line of help.
type HelpEntry struct {
	Command    string
	Subcommand string
	Usage      string // e.g. "network status <site>"
	Help       string
	Group      string
}

// Router resolves message text to a Route. The pipeline asks its routers in order.
type Router interface {
	// Route returns the route for words (text already split), nil when the first word is not one
	// of this router's commands, or an *Error (EINVALID: e.g. "matched more than one alias") shown to the user.
	Route(ctx context.Context, req *Request, words []string) (*Route, error)
	// Help lists what this router offers.
	Help() []HelpEntry
}

// RequestHandler hands a verified request to the command pipeline, which replies through out. It
// returns quickly (the run is queued); a non-empty refusal means the pipeline did not take the
// request (overloaded, restarting) and the platform should say so in its immediate answer.
type RequestHandler func(ctx context.Context, req *Request, out Dispatcher) (refusal string)

// Policy is an extra access check applied after the grants (Errbot ACLs); all must allow.
type Policy interface {
	// Allow returns "" when allowed, else the message the user sees. hidden reports that the
	// denial should be silent (HIDE_RESTRICTED_ACCESS).
	Allow(s Subject, r *Route, text string) (denial string, hidden bool)
	// Visible reports whether help should list the entry for s.
	Visible(s Subject, e HelpEntry) bool
}

// Command is a built-in command written in Go. A command either has subcommands or runs itself.
type Command struct {
	Name  string
	Help  string
	Group string // ACL plugin name; "" means "opsgate"
	// Exempt commands skip the access grants (whoami: people without grants need it to ask for one).
	Exempt bool
	// AdminOnly commands need bot-admin rights under Errbot ACLs (Errbot's admin_only flag).
	AdminOnly bool
	// Private commands' errors are shown only to the asker.
	Private     bool
	Params      []Param
	Run         Handler
	Subcommands []*Subcommand
}

// Subcommand is one action of a Command.
type Subcommand struct {
	Name    string
	Help    string
	Params  []Param
	Timeout time.Duration
	Run     Handler
}
