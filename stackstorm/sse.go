package stackstorm

import (
	"bufio"
	"bytes"
	"io"
)

// sseEvent is one server-sent event. st2 frames events as "event: NAME\ndata: JSON\n\n" and sends a
// bare "\n" as heartbeat every 25 s; it sends no "id:" lines, but they are honoured if a proxy or a
// later st2 adds them.
type sseEvent struct {
	ID    string
	Name  string
	Data  []byte
	Retry string
}

// sseReader parses the text/event-stream format (WHATWG HTML, "server-sent events").
type sseReader struct {
	r *bufio.Reader
	// onLine is called for every line read, heartbeats included, so the caller can tell a live
	// connection from a stalled one.
	onLine func()
}

func newSSEReader(r io.Reader, onLine func()) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 64<<10), onLine: onLine}
}

// Next returns the next event with data; comments and heartbeats only feed onLine.
func (s *sseReader) Next() (sseEvent, error) {
	var (
		ev      sseEvent
		hasData bool
		data    bytes.Buffer
	)
	for {
		line, err := s.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A long data line: collect the rest of it.
			full := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = s.r.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if err != nil {
			return sseEvent{}, err
		}
		if s.onLine != nil {
			s.onLine()
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			if hasData {
				ev.Data = data.Bytes()
				return ev, nil
			}
			ev = sseEvent{ID: ev.ID} // heartbeat, or an event without data: nothing to dispatch
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Name = string(value)
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		case "id":
			if !bytes.Contains(value, []byte{0}) {
				ev.ID = string(value)
			}
		case "retry":
			ev.Retry = string(value)
		}
	}
}
