package st2fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type event struct {
	id   int
	name string
	data []byte
}

type streamConn struct {
	events map[string]bool // nil: all
	ch     chan event
	done   chan struct{}
}

// stream is GET /stream/v1/stream?events=a,b: text/event-stream frames "event: NAME\ndata: JSON\n\n"
// and a bare "\n" heartbeat every HeartbeatInterval, as st2stream writes them.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, user string) {
	fl, ok := w.(http.Flusher)
	if !ok {
		fault(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	c := &streamConn{ch: make(chan event, 8192), done: make(chan struct{})}
	if ev := r.URL.Query().Get("events"); ev != "" {
		c.events = map[string]bool{}
		for _, e := range strings.Split(ev, ",") {
			c.events[strings.TrimSpace(e)] = true
		}
	}
	s.mu.Lock()
	var replay []event
	if s.EventIDs {
		if last, err := strconv.Atoi(r.Header.Get("Last-Event-ID")); err == nil {
			for _, e := range s.history {
				if e.id > last {
					replay = append(replay, e)
				}
			}
		}
	}
	s.streams[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.streams, c)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	write := func(e event) error {
		if c.events != nil && !c.events[e.name] {
			return nil
		}
		var err error
		if s.EventIDs {
			_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.id, e.name, e.data)
		} else {
			_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.name, e.data)
		}
		fl.Flush()
		return err
	}
	for _, e := range replay {
		if write(e) != nil {
			return
		}
	}
	hb := time.NewTicker(s.HeartbeatInterval)
	defer hb.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.done:
			return
		case <-hb.C:
			s.mu.Lock()
			paused := s.paused
			s.mu.Unlock()
			if paused {
				continue
			}
			if _, err := w.Write([]byte("\n")); err != nil {
				return
			}
			fl.Flush()
		case e := <-c.ch:
			if write(e) != nil {
				return
			}
		}
	}
}

// Publish sends an event to every open stream (and to the replay history when EventIDs is set).
// Events published while a stream is paused wait in its buffer.
func (s *Server) Publish(name string, body any) {
	data, _ := json.Marshal(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	e := event{id: s.nextID, name: name, data: data}
	if s.EventIDs {
		s.history = append(s.history, e)
	}
	for c := range s.streams {
		c.ch <- e
	}
}

// Announce publishes st2.announcement__<route> with st2's body {"payload": ..., "trace_context": null},
// as chatops.post_message does.
func (s *Server) Announce(route string, payload map[string]any) {
	s.Publish("st2.announcement__"+route, map[string]any{"payload": payload, "trace_context": nil})
}

// Streams returns the number of open stream connections.
func (s *Server) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// DropStreams ends every open stream connection (st2stream restarted, or a proxy timed out).
func (s *Server) DropStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.streams {
		close(c.done)
		delete(s.streams, c)
	}
}

// PauseHeartbeats stops (true) or resumes heartbeats: with no events either, a client sees a silent,
// half-dead connection.
func (s *Server) PauseHeartbeats(p bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = p
}
