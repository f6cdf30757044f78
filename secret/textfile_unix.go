//go:build unix

package secret

import (
	"os"
	"syscall"
)

// openFlags open a text-file secret without blocking: a named pipe would otherwise wait for a
// writer forever. It is refused after the open as not a regular file.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
