// Package terminal is opsgate's built-in chat platform: a line-oriented chat on a terminal
// (like Errbot's Text backend) that goes through the same pipeline as every other platform.
package terminal

import (
	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/kit"
)

// Render turns a message into plain text for a terminal (kit.PlainText): menus and buttons
// become numbered choices the user answers on the next line.
func Render(m opsgate.Message) string { return kit.PlainText(m) }
