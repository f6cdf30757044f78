package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
	"github.com/opsgate/opsgate/terminal"
)

func runTerminalChat(ctx context.Context, m *Main, template opsgate.Request, prompt string) error {
	fmt.Fprintln(m.Stderr, chatBanner(template, m.Config.Database))
	c := &terminal.Chat{
		Template: template,
		In:       m.Stdin,
		Out:      m.Stdout,
		Prompt:   prompt,
		Handle: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) terminal.Waiter {
			return m.Pipeline.Handle(ctx, req, out)
		},
	}
	if f, ok := m.Stdin.(*os.File); ok && isTerminal(f) {
		// A person at a terminal gets line editing and history; pipes and tests read plain lines.
		ed, err := terminal.NewEditor(prompt, historyFile(m))
		if err != nil {
			return fmt.Errorf("line editor: %w", err)
		}
		defer ed.Close()
		c.ReadLine = ed.ReadLine
	}
	if err := c.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	// Ctrl-C ends a chat like Ctrl-D does: it is how a person leaves, not a failure.
	return nil
}

// chatBanner is the chat's first line: who the messages come from and which database decides.
func chatBanner(r opsgate.Request, dsn string) string {
	return fmt.Sprintf("opsgate chat as user %s in organization %s, channel %s on platform %s; database %s (Ctrl-D to leave)",
		nameID(r.UserName, r.UserID), nameID(r.OrgName, r.OrgID), nameID(r.ChannelName, r.ChannelID), r.Platform, store.RedactDSN(dsn))
}

// historyFile is the chat history in the user's cache directory (never the working directory,
// where it would land in repositories); "" (no history kept) when there is none.
func historyFile(m *Main) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	p, err := terminal.PrepareHistory(filepath.Join(dir, "opsgate"))
	if err != nil {
		if m.Logger != nil {
			m.Logger.Warn("chat history not kept", "err", err)
		}
		return ""
	}
	return p
}
