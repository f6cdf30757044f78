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

// maxSSEEvent bounds one event (a line, or an event's data lines together). st2's announcements
// are far smaller; a stream that sends more (a broken proxy, a hostile endpoint) must not make
// opsgate buffer it without limit, so such an event is dropped and reading goes on.
const maxSSEEvent = 8 << 20

// sseReader parses the text/event-stream format (WHATWG HTML, "server-sent events").
type sseReader struct {
	r *bufio.Reader
	// onLine is called for every line read, heartbeats included, so the caller can tell a live
	// connection from a stalled one.
	onLine func()
	// onTooLarge is called for every event dropped for exceeding maxSSEEvent.
	onTooLarge func()
}

func newSSEReader(r io.Reader, onLine func()) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 64<<10), onLine: onLine}
}

// readLine returns the next line, or tooLong (and the line's start) when it exceeds maxSSEEvent,
// in which case the rest of it was read and discarded.
func (s *sseReader) readLine() (line []byte, tooLong bool, err error) {
	line, err = s.r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, false, err
	}
	// A long line: collect the rest of it, up to the limit.
	full := append([]byte(nil), line...)
	for err == bufio.ErrBufferFull {
		line, err = s.r.ReadSlice('\n')
		if !tooLong && len(full)+len(line) > maxSSEEvent {
			tooLong, full = true, full[:0:0]
		}
		if !tooLong {
			full = append(full, line...)
		}
	}
	return full, tooLong, err
}

// Next returns the next event with data; comments and heartbeats only feed onLine.
func (s *sseReader) Next() (sseEvent, error) {
	var (
		ev      sseEvent
		hasData bool
		tooBig  bool
		data    bytes.Buffer
	)
	for {
		line, tooLong, err := s.readLine()
		if err != nil {
			return sseEvent{}, err
		}
		if s.onLine != nil {
			s.onLine()
		}
		if tooLong {
			tooBig = true
			data = bytes.Buffer{}
			continue
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			if tooBig {
				if s.onTooLarge != nil {
					s.onTooLarge()
				}
				ev, hasData, tooBig = sseEvent{ID: ev.ID}, false, false
				continue
			}
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
			if tooBig {
				continue
			}
			if data.Len()+len(value)+1 > maxSSEEvent {
				tooBig = true
				data = bytes.Buffer{}
				continue
			}
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
