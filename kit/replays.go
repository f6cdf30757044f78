package kit

import (
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"time"
)

// Replays tells a signed request seen before from a new one, in this process's memory alone,
// with no database write on the request's path. It is exact only while this process is the one
// receiving the platform's requests (a single `serve` holding its SQLite database, see
// store.LockServe): a request is keyed by its signature and filed under the second it was signed,
// and a request signed at or before Floor is refused as unverifiable, because a copy of it may have
// been forgotten (to stay within max keys) or seen by the process before this one.
type Replays struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	now     func() time.Time
	floor   int64                         // signed at or before this unix second: refused
	seconds []int64                       // the seconds with keys, ascending
	keys    map[int64]map[uint64]struct{} // signed second -> signature keys
	n       int
	sealed  bool // handed over: the next process decides from now on
}

// Verdict is what Replays.See decides.
type Verdict int

const (
	Fresh        Verdict = iota // first time seen: run it
	Replay                      // seen before
	Unverifiable                // signed at or before the floor: cannot be told from a replay
)

// DefaultReplayKeys bounds Replays' memory (~1 MB): 8 s of requests at 6,000 a second, a window no
// genuine request outlives on its way (requests signed earlier are refused as unverifiable).
const DefaultReplayKeys = 50_000

// NewReplays remembers up to max keys (DefaultReplayKeys when <= 0), each for window after its
// signed second; now is the clock (nil: time.Now). Its floor starts at now: requests signed
// before this process started are unverifiable until Restore says what the previous one saw.
func NewReplays(max int, window time.Duration, now func() time.Time) *Replays {
	if max <= 0 {
		max = DefaultReplayKeys
	}
	if now == nil {
		now = time.Now
	}
	return &Replays{max: max, window: window, now: now, floor: now().Unix() - 1, keys: map[int64]map[uint64]struct{}{}}
}

// See records key, signed at unix second at, and says whether it is fresh.
func (r *Replays) See(at int64, key uint64) Verdict {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at <= r.floor || r.sealed {
		return Unverifiable
	}
	set := r.keys[at]
	if _, ok := set[key]; ok {
		return Replay
	}
	if set == nil {
		set = map[uint64]struct{}{}
		r.keys[at] = set
		i, _ := slices.BinarySearch(r.seconds, at)
		r.seconds = slices.Insert(r.seconds, i, at)
	}
	set[key] = struct{}{}
	r.n++
	r.forget()
	return Fresh
}

// forget drops the oldest seconds while over max (raising the floor past them) and the seconds
// past the window (whose requests the signature check refuses anyway).
func (r *Replays) forget() {
	expired := r.now().Add(-r.window).Unix()
	for len(r.seconds) > 0 && (r.n > r.max || r.seconds[0] < expired) {
		sec := r.seconds[0]
		r.n -= len(r.keys[sec])
		delete(r.keys, sec)
		r.seconds = r.seconds[1:]
		r.floor = max(r.floor, sec)
	}
}

// RefuseThrough raises the floor to sec: requests signed at or before it are refused as
// unverifiable (after a previous process died, up to the second this one took over).
func (r *Replays) RefuseThrough(sec int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.floor = max(r.floor, sec)
}

// Floor is the last unix second whose requests are refused as unverifiable.
func (r *Replays) Floor() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.floor
}

// Len is how many keys are remembered.
func (r *Replays) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Handover is what the next process needs to go on exactly where this one stops: the floor and
// every key remembered (16 bytes each). From then on See refuses everything as unverifiable: a
// request still arriving here is one the next process would not know of.
func (r *Replays) Handover() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sealed = true
	b := make([]byte, 0, 16+16*r.n)
	b = binary.BigEndian.AppendUint64(b, uint64(r.floor))
	b = binary.BigEndian.AppendUint64(b, uint64(r.n))
	for _, sec := range r.seconds {
		for k := range r.keys[sec] {
			b = binary.BigEndian.AppendUint64(b, uint64(sec))
			b = binary.BigEndian.AppendUint64(b, k)
		}
	}
	return b
}

// errHandover: the bytes are not a Handover (cut short, or from something else).
var errHandover = errors.New("replay handover is malformed")

// Restore takes over what the previous process handed over: its keys and, when higher than this
// one's, its floor, so a request it ran is refused here too. On an error nothing changes.
func (r *Replays) Restore(b []byte) error {
	if len(b) < 16 || (len(b)-16)%16 != 0 || binary.BigEndian.Uint64(b[8:]) != uint64((len(b)-16)/16) {
		return errHandover
	}
	floor := int64(binary.BigEndian.Uint64(b))
	r.mu.Lock()
	defer r.mu.Unlock()
	// Keys the handover holds are known: the floor may come down to the previous process's, which
	// then decides (a request it never saw is fresh here).
	r.floor = floor
	for b = b[16:]; len(b) > 0; b = b[16:] {
		sec, key := int64(binary.BigEndian.Uint64(b)), binary.BigEndian.Uint64(b[8:])
		if sec <= r.floor {
			continue
		}
		set := r.keys[sec]
		if set == nil {
			set = map[uint64]struct{}{}
			r.keys[sec] = set
			i, _ := slices.BinarySearch(r.seconds, sec)
			r.seconds = slices.Insert(r.seconds, i, sec)
		}
		if _, ok := set[key]; !ok {
			set[key] = struct{}{}
			r.n++
		}
	}
	r.forget()
	return nil
}
