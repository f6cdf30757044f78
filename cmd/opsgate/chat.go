package main

import (
	"context"

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
	return c.Run(ctx)
}
