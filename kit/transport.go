package kit

import "net/http"

// APIIdleConns is how many idle connections APITransport keeps per API host: at least as many
// as pipeline workers reply at once, so each reply reuses a connection instead of dialling anew
// (net/http's default keeps 2, leaving a socket in TIME_WAIT for most replies under load).
const APIIdleConns = 128

// APITransport is the keep-alive transport platform API clients share.
var APITransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = APIIdleConns
	t.MaxIdleConns = 4 * APIIdleConns
	return t
}()
