package kit

import (
	"errors"
	"io"
	"net/http"
)

// ReadBody reads r's body within limit bytes. A Content-Length over the limit is refused before
// anything is read, and a body longer than its Content-Length is refused as malformed: what was
// signed is exactly what was declared. On failure the request has been answered (400,
// body_too_large or malformed) and ok is false.
func (f *Refusals) ReadBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, ok bool) {
	body, err := readBody(w, r, limit)
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			f.Reject(w, http.StatusBadRequest, "body_too_large", "request body too large")
		} else {
			f.Reject(w, http.StatusBadRequest, "malformed", "cannot read request body")
		}
		return nil, false
	}
	return body, true
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	if r.ContentLength > 0 {
		// The declared length, into a buffer with room for one byte more: a byte more is a body
		// longer than declared. The length is within the limit, so no MaxBytesReader is needed.
		b := make([]byte, r.ContentLength+1)
		switch n, err := io.ReadFull(r.Body, b); {
		case err == nil:
			return nil, errors.New("body longer than Content-Length")
		case err == io.ErrUnexpectedEOF && int64(n) == r.ContentLength:
			return b[:n], nil
		default:
			return nil, err
		}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}
