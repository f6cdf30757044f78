package main

import (
	"fmt"
	"strings"
)

// MatrixConfig configures the Matrix platform (see docs/matrix.md).
type MatrixConfig struct {
	Enabled bool `yaml:"enabled"`
	// Homeserver is the client-server API's base URL (https://matrix.example.org).
	Homeserver string `yaml:"homeserver"`
	// UserID is the bot's Matrix ID (@opsgate:example.org); default: whoever the access token
	// belongs to. When set, start-up checks that the token is this user's.
	UserID string `yaml:"user_id"`
	// AccessToken is the bot account's access token (best as ${secret:NAME}).
	AccessToken string `yaml:"access_token"`
	// Prefix starts a command in a room; default "!". Direct rooms need none.
	Prefix string `yaml:"prefix"`
	// AutoJoin accepts every invitation to a room.
	AutoJoin bool `yaml:"auto_join"`
}

// Validate checks the matrix section.
func (c MatrixConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	switch {
	case c.Homeserver == "":
		return fmt.Errorf("matrix.homeserver is required when matrix.enabled is true")
	case c.AccessToken == "":
		return fmt.Errorf("matrix.access_token is required when matrix.enabled is true")
	case c.UserID != "" && (!strings.HasPrefix(c.UserID, "@") || !strings.Contains(c.UserID, ":")):
		return fmt.Errorf("matrix.user_id %q is not a Matrix user id like @opsgate:example.org", c.UserID)
	case c.Prefix != strings.TrimLeft(c.Prefix, " \t"):
		return fmt.Errorf("matrix.prefix %q must not start with a space", c.Prefix)
	}
	if err := checkURL(c.Homeserver); err != nil {
		return fmt.Errorf("matrix.homeserver: %v", err)
	}
	return nil
}
