package discord

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// optionText is the slash commands' one option: the rest of the line.
const optionText = "text"

// maxCommands is Discord's limit of chat-input commands per application (and per guild).
const maxCommands = 100

// commandName is Discord's rule for a chat-input command's name (lower case).
var commandName = regexp.MustCompile(`^[-_\p{Ll}\p{Lo}\p{N}]{1,32}$`)

// appCommand is a chat-input application command as bulk overwrite takes it.
type appCommand struct {
	Name        string      `json:"name"`
	Type        int         `json:"type"` // 1: chat input
	Description string      `json:"description"`
	Options     []appOption `json:"options,omitempty"`
}

type appOption struct {
	Type        int    `json:"type"` // 3: string
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
}

// Commands are the slash commands for entries: one per first word of a usage (the word a person
// types first: a built-in, the StackStorm prefix, an alias's first word), sorted, at most
// Discord's 100. Names Discord would refuse are skipped and returned in skipped.
func Commands(entries []opsgate.HelpEntry) (cmds []appCommand, skipped []string) {
	help := map[string]string{}
	for _, e := range entries {
		name := strings.ToLower(strings.Fields(kit.FirstNonEmpty(e.Usage, e.Command, "-"))[0])
		if !commandName.MatchString(name) {
			skipped = append(skipped, name)
			continue
		}
		if _, seen := help[name]; !seen || help[name] == "" {
			help[name] = e.Help
		}
	}
	names := make([]string, 0, len(help))
	for n := range help {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		if i == maxCommands {
			skipped = append(skipped, names[i:]...)
			break
		}
		cmds = append(cmds, appCommand{Name: n, Type: 1, Description: kit.Truncate(kit.FirstNonEmpty(strings.TrimSpace(help[n]), "Run "+n+"."), 100),
			Options: []appOption{{Type: 3, Name: optionText, Description: "The rest of the command line", Required: false}}})
	}
	return cmds, skipped
}

// RegisterCommands replaces the application's slash commands with those for entries (bulk
// overwrite: running it again with the same entries changes nothing), in GuildID when set, else
// globally. It returns the names registered.
func (h *Handler) RegisterCommands(ctx context.Context, entries []opsgate.HelpEntry) ([]string, error) {
	cmds, skipped := Commands(entries)
	if len(skipped) > 0 {
		h.Logger.Warn("discord: commands not registered (names Discord refuses, or past its 100)", "names", skipped)
	}
	path := "/applications/" + h.ApplicationID + "/commands"
	if h.GuildID != "" {
		path = "/applications/" + h.ApplicationID + "/guilds/" + h.GuildID + "/commands"
	}
	if cmds == nil {
		cmds = []appCommand{}
	}
	if err := h.call(ctx, "PUT", path, cmds, nil, true); err != nil {
		return nil, fmt.Errorf("discord: registering slash commands: %w", err)
	}
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.Name
	}
	return names, nil
}
