package opsgate

// Request is one message to the bot, after a platform adapter has verified and parsed it.
// IDs are the platform's own; names are for display and for the denial message.
type Request struct {
	Platform    string // "slack", "mattermost", "terminal", ...
	OrgID       string // Slack team, Mattermost team, Teams tenant, ...
	OrgName     string
	ChannelID   string
	ChannelName string
	UserID      string
	UserName    string
	Direct      bool   // a direct (private) message to the bot rather than a room
	ThreadID    string // reply in this thread when set
	Text        string // the command text, without the slash command or bot mention
	// ID is the platform's id of this request (event id, trigger id), when it has one: a queued
	// command is stored and run once per ID.
	ID string `json:",omitempty"`
	// Approval is the id of the approval request under which this request runs (0: none): set
	// only by opsgate itself when a held request is approved, never from a platform's input.
	Approval int64 `json:",omitempty"`
	// Schedule is the id of the schedule that sent this request (0: a person did).
	Schedule int64 `json:",omitempty"`
}

// Subject returns who and where the request comes from, for access decisions.
func (r *Request) Subject() Subject {
	return Subject{Platform: r.Platform, OrgID: r.OrgID, OrgName: r.OrgName, ChannelID: r.ChannelID,
		ChannelName: r.ChannelName, UserID: r.UserID, UserName: r.UserName, Direct: r.Direct}
}

// Subject identifies the caller of a command: platform, organization, channel and user.
type Subject struct {
	Platform    string
	OrgID       string
	OrgName     string
	ChannelID   string
	ChannelName string
	UserID      string
	UserName    string
	Direct      bool
}
