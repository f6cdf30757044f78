package main

import (
	"context"
	"errors"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/terminal"
)

func runTerminalChat(ctx context.Context, m *Main, template opsgate.Request, prompt string) error {
	c := &terminal.Chat{
		Template: template,
		In:       m.Stdin,
		Out:      m.Stdout,
		Prompt:   prompt,
		Handle: func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) terminal.Waiter {
			return m.Pipeline.Handle(ctx, req, out)
		},
	}
	if err := c.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	// Ctrl-C ends a chat like Ctrl-D does: it is how a person leaves, not a failure.
	return nil
}
