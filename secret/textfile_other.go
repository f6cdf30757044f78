//go:build !unix

package secret

import "os"

// openFlags: elsewhere there are no named pipes to block on in a directory tree.
const openFlags = os.O_RDONLY
