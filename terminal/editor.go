package terminal

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/chzyer/readline"
)

// historyName is the history file's name in the directory PrepareHistory is given.
const historyName = "chat_history"

// PrepareHistory creates dir (0700) and the history file in it (0600: lines typed in a chat can
// carry values nobody else should read) and returns the file's path.
func PrepareHistory(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	p := filepath.Join(dir, historyName)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return "", err
	}
	return p, f.Close()
}

// Editor is a line editor on the process's terminal: arrows, Ctrl-R search and a history kept
// in a file across chats.
type Editor struct{ rl *readline.Instance }

// NewEditor starts a line editor printing prompt, with history in historyFile ("" for none).
func NewEditor(prompt, historyFile string) (*Editor, error) {
	rl, err := readline.NewEx(&readline.Config{Prompt: prompt, HistoryFile: historyFile, HistoryLimit: 1000,
		InterruptPrompt: "\n", EOFPrompt: "\n"})
	if err != nil {
		return nil, err
	}
	return &Editor{rl: rl}, nil
}

// ReadLine reads one line (for Chat.ReadLine). Ctrl-C on an empty line, like Ctrl-D, ends the chat.
func (e *Editor) ReadLine() (string, error) {
	for {
		s, err := e.rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			if s == "" {
				return "", io.EOF
			}
			continue // Ctrl-C with text typed drops the line, as in a shell
		}
		return s, err
	}
}

// Close restores the terminal.
func (e *Editor) Close() error { return e.rl.Close() }
