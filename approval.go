package opsgate

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"time"
)

// Statuses of a command held for two-person approval, in the command and audit logs.
const (
	StatusAwaitingApproval = "awaiting_approval"
	StatusApproved         = "approved"
	StatusDenied           = "denied"
	StatusExpired          = "expired"
)

// ApprovalRule holds the commands it matches (command and subcommand patterns as in grants,
// optionally on one platform) until Required people among Approvers (user ids) and the members
// of Groups approve; never the requester. A request waits at most Timeout.
type ApprovalRule struct {
	ID         int64         `json:"id,omitempty"`
	Platform   string        `json:"platform,omitempty"`
	Command    string        `json:"command"`
	Subcommand string        `json:"subcommand"`
	Approvers  []string      `json:"approvers,omitempty"`
	Groups     []string      `json:"groups,omitempty"`
	Required   int           `json:"required"`
	Timeout    time.Duration `json:"-"` // "timeout" as a duration string: see MarshalJSON
	CreatedAt  time.Time     `json:"created_at,omitzero"`
}

// DefaultApprovalTimeout is how long a request waits when a rule does not say.
const DefaultApprovalTimeout = time.Hour

// Normalize applies the defaults every way of creating a rule shares.
func (r *ApprovalRule) Normalize() {
	r.Platform = strings.ToLower(strings.TrimSpace(r.Platform))
	if strings.TrimSpace(r.Subcommand) == "" {
		r.Subcommand = Wildcard
	}
	if r.Required == 0 {
		r.Required = 1
	}
	if r.Timeout == 0 {
		r.Timeout = DefaultApprovalTimeout
	}
}

// Validate returns EINVALID naming the first problem with r.
func (r *ApprovalRule) Validate() error {
	switch {
	case strings.TrimSpace(r.Command) == "":
		return Errorf(EINVALID, "Approval rule command is required (use * for all commands).")
	case r.Command == Wildcard && r.Subcommand != Wildcard:
		return Errorf(EINVALID, "A rule for all commands (*) must also be for all subcommands (*), not %q.", r.Subcommand)
	case len(r.Approvers)+len(r.Groups) == 0:
		return Errorf(EINVALID, "Approval rule needs at least one approver or group.")
	case r.Required < 1 || r.Required > 10:
		return Errorf(EINVALID, "Approvals required must be between 1 and 10, not %d.", r.Required)
	case r.Timeout < time.Minute || r.Timeout > 30*24*time.Hour:
		return Errorf(EINVALID, "Approval timeout must be between 1m and 720h, not %s.", r.Timeout)
	case len(r.Groups) == 0 && len(r.Approvers) < r.Required:
		return Errorf(EINVALID, "%d approvals are required but only %d approvers are named.", r.Required, len(r.Approvers))
	}
	if _, err := path.Match(r.Subcommand, ""); err != nil {
		return Errorf(EINVALID, "Approval rule subcommand %q is not a valid pattern.", r.Subcommand)
	}
	for _, a := range r.Approvers {
		if err := ValidateMember(a); err != nil {
			return err
		}
	}
	for _, g := range r.Groups {
		if err := ValidateGroupName(g); err != nil {
			return err
		}
	}
	for _, f := range []string{r.Platform, r.Command, r.Subcommand} {
		if err := ValidateText("Approval rule", f); err != nil {
			return err
		}
	}
	return nil
}

// Matches reports whether the rule holds command/subcommand on platform.
func (r *ApprovalRule) Matches(platform, command, subcommand string) bool {
	if r.Platform != "" && r.Platform != platform {
		return false
	}
	if r.Command != Wildcard && r.Command != command {
		return false
	}
	if r.Subcommand == Wildcard {
		return true
	}
	ok, _ := path.Match(r.Subcommand, subcommand)
	return ok
}

// ApprovalRequest is one held command: who asked, where, the full text, and the decisions so far.
type ApprovalRequest struct {
	ID      int64   `json:"id"`
	RuleID  int64   `json:"rule_id"`
	Status  string  `json:"status"`
	Request Request `json:"request"`
	// Command and Subcommand are what the request routed to, for the command log.
	Command    string    `json:"command"`
	Subcommand string    `json:"subcommand,omitempty"`
	Required   int       `json:"required"`
	Approvals  []string  `json:"approvals"`
	DecidedBy  string    `json:"decided_by,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Approved reports whether user has already approved a.
func (a *ApprovalRequest) Approved(user string) bool { return slices.Contains(a.Approvals, user) }

// ApprovalService stores approval rules and held requests. Decisions change a request only while
// it awaits approval, in one transaction, so a request decided on two replicas at once is decided once.
type ApprovalService interface {
	FindApprovalRules(ctx context.Context) ([]*ApprovalRule, error)
	// CreateApprovalRule validates and stores r; audited.
	CreateApprovalRule(ctx context.Context, r *ApprovalRule) error
	// DeleteApprovalRule removes a rule; audited. ENOTFOUND if it does not exist.
	DeleteApprovalRule(ctx context.Context, id int64) error

	// CreateApprovalRequest stores a held request (status awaiting_approval); audited.
	CreateApprovalRequest(ctx context.Context, a *ApprovalRequest) error
	// FindApprovalRequests returns requests newest first; status "" for all.
	FindApprovalRequests(ctx context.Context, status string, limit int) ([]*ApprovalRequest, error)
	// FindApprovalRequest returns one request, ENOTFOUND if there is none.
	FindApprovalRequest(ctx context.Context, id int64) (*ApprovalRequest, error)
	// Decide records approver's decision on a waiting request: an approval (moving it to approved
	// once enough are in), or status denied or expired with reason. It returns the request as it
	// now stands and whether this call moved it out of awaiting_approval (true on exactly one
	// replica). ECONFLICT when it was already decided; audited.
	Decide(ctx context.Context, id int64, approver, status, reason string) (*ApprovalRequest, bool, error)
}

// Gate holds permitted requests that need approval. The pipeline asks it after grants and
// policies allow a request with all its parameters.
type Gate interface {
	// Holds reports, from memory, whether req must wait for approval.
	Holds(req *Request, route *Route) bool
	// Hold stores the held request and returns what the chat is told, and the command log's details.
	Hold(ctx context.Context, req *Request, route *Route) (msg Message, details string, err error)
}

// approvalRuleJSON is ApprovalRule with its timeout as a duration string ("30m0s"), how the CLI
// and the admin API show it and the API reads it.
type approvalRuleJSON struct {
	ID         int64     `json:"id,omitempty"`
	Platform   string    `json:"platform,omitempty"`
	Command    string    `json:"command"`
	Subcommand string    `json:"subcommand"`
	Approvers  []string  `json:"approvers,omitempty"`
	Groups     []string  `json:"groups,omitempty"`
	Required   int       `json:"required"`
	Timeout    string    `json:"timeout"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

// MarshalJSON writes the timeout as a duration string.
func (r ApprovalRule) MarshalJSON() ([]byte, error) {
	return json.Marshal(approvalRuleJSON{r.ID, r.Platform, r.Command, r.Subcommand, r.Approvers, r.Groups, r.Required, r.Timeout.String(), r.CreatedAt})
}

// UnmarshalJSON reads the timeout as a duration string ("" keeps the default) and refuses
// unknown fields.
func (r *ApprovalRule) UnmarshalJSON(b []byte) error {
	var in approvalRuleJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	*r = ApprovalRule{ID: in.ID, Platform: in.Platform, Command: in.Command, Subcommand: in.Subcommand, Approvers: in.Approvers,
		Groups: in.Groups, Required: in.Required, CreatedAt: in.CreatedAt}
	if in.Timeout != "" {
		d, err := time.ParseDuration(in.Timeout)
		if err != nil {
			return Errorf(EINVALID, "Timeout %q is not a duration like 30m or 4h", in.Timeout)
		}
		r.Timeout = d
	}
	return nil
}
