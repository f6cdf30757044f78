// Package discordfake is a stand-in for Discord, for tests: a real HTTP server speaking the REST
// API opsgate uses (bulk overwrite of application commands, interaction follow-ups and edits of
// the original answer, channel messages, direct message channels, typing) and a signer that
// sends interactions to an endpoint as Discord does, Ed25519-signed with a generated key, or
// forged in each way Discord's own checks forge them.
package discordfake

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsgate/opsgate/kit/kittest"
)

// Posted is a message opsgate sent to the fake.
type Posted struct {
	// Kind is "followup" (POST /webhooks/{app}/{token}), "original" (PATCH .../messages/@original)
	// or "channel" (POST /channels/{id}/messages).
	Kind string
	// Where is the interaction token (followup, original) or the channel id.
	Where   string
	Content string
	Flags   int
	Body    map[string]any
}

// Server is the fake Discord. Its API base is URL + "/api/v10".
type Server struct {
	*httptest.Server
	AppID    string
	BotToken string
	Public   ed25519.PublicKey
	// Now is the signing clock (X-Signature-Timestamp); default time.Now.
	Now func() time.Time

	private ed25519.PrivateKey
	mu      sync.Mutex
	posted  kittest.Log[Posted]
	global  []any
	guild   map[string][]any
	puts    int
	deleted []string
	nextID  int
	// Throttle makes the next n bot calls answer 429 with retry_after.
	throttle int
}

// New starts a fake with application appID and bot token botToken, closed by Close.
func New(appID, botToken string) *Server {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	s := &Server{AppID: appID, BotToken: botToken, Public: pub, private: priv, Now: time.Now, guild: map[string][]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /api/v10/applications/{app}/commands", s.bot(s.putCommands))
	mux.HandleFunc("PUT /api/v10/applications/{app}/guilds/{guild}/commands", s.bot(s.putCommands))
	mux.HandleFunc("POST /api/v10/webhooks/{app}/{token}", s.hook(s.followup))
	mux.HandleFunc("PATCH /api/v10/webhooks/{app}/{token}/messages/@original", s.hook(s.editOriginal))
	mux.HandleFunc("DELETE /api/v10/webhooks/{app}/{token}/messages/{id}", s.hook(s.deleteMessage))
	mux.HandleFunc("POST /api/v10/channels/{channel}/messages", s.bot(s.channelMessage))
	mux.HandleFunc("DELETE /api/v10/channels/{channel}/messages/{id}", s.bot(s.deleteMessage))
	mux.HandleFunc("POST /api/v10/channels/{channel}/typing", s.bot(func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("POST /api/v10/users/@me/channels", s.bot(s.createDM))
	s.Server = httptest.NewServer(mux)
	return s
}

// APIURL is the base for discord.api_url.
func (s *Server) APIURL() string { return s.URL + "/api/v10" }

// PublicKeyHex is the key for discord.public_key.
func (s *Server) PublicKeyHex() string { return hex.EncodeToString(s.Public) }

func apiError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}

func readJSON(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body := map[string]any{}
	b, _ := io.ReadAll(r.Body)
	if len(b) == 0 {
		return body, true
	}
	if err := json.Unmarshal(b, &body); err != nil {
		// Bulk overwrite takes an array.
		var arr []any
		if err2 := json.Unmarshal(b, &arr); err2 != nil {
			apiError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
			return nil, false
		}
		body["_array"] = arr
	}
	return body, true
}

// bot authenticates "Authorization: Bot <token>" (401 code 0 otherwise, as Discord does).
func (s *Server) bot(f func(http.ResponseWriter, *http.Request, map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bot "+s.BotToken {
			apiError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
			return
		}
		s.mu.Lock()
		throttled := s.throttle > 0
		if throttled {
			s.throttle--
		}
		s.mu.Unlock()
		if throttled {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message": "You are being rate limited.", "retry_after": 0.25, "global": false}`)
			return
		}
		body, ok := readJSON(w, r)
		if ok {
			f(w, r, body)
		}
	}
}

// hook serves interaction webhooks: authenticated by the token in the path, no Authorization.
func (s *Server) hook(f func(http.ResponseWriter, *http.Request, map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("app") != s.AppID || !strings.HasPrefix(r.PathValue("token"), "itok-") {
			apiError(w, http.StatusNotFound, 10015, "Unknown Webhook")
			return
		}
		body, ok := readJSON(w, r)
		if ok {
			f(w, r, body)
		}
	}
}

// Throttle makes the next n bot-authenticated calls answer 429.
func (s *Server) Throttle(n int) { s.mu.Lock(); s.throttle = n; s.mu.Unlock() }

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request, body map[string]any) {
	if r.PathValue("app") != s.AppID {
		apiError(w, http.StatusForbidden, 50001, "Missing Access")
		return
	}
	arr, ok := body["_array"].([]any)
	if !ok {
		apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
		return
	}
	s.mu.Lock()
	s.puts++
	var out []any
	for _, c := range arr {
		m, _ := c.(map[string]any)
		if m == nil || m["name"] == nil || m["description"] == nil {
			s.mu.Unlock()
			apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
			return
		}
		s.nextID++
		m["id"] = strconv.Itoa(900000 + s.nextID)
		m["application_id"] = s.AppID
		out = append(out, m)
	}
	if g := r.PathValue("guild"); g != "" {
		s.guild[g] = out
	} else {
		s.global = out
	}
	s.mu.Unlock()
	writeJSON(w, out)
}

func (s *Server) record(kind, where string, body map[string]any) string {
	p := Posted{Kind: kind, Where: where, Body: body}
	p.Content, _ = body["content"].(string)
	if f, ok := body["flags"].(float64); ok {
		p.Flags = int(f)
	}
	s.posted.Add(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return strconv.Itoa(100000 + s.nextID)
}

func checkContent(w http.ResponseWriter, body map[string]any) bool {
	c, _ := body["content"].(string)
	if len([]rune(c)) > 2000 {
		apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body: content must be 2000 or fewer in length.")
		return false
	}
	if c == "" && body["components"] == nil && body["embeds"] == nil {
		apiError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return false
	}
	return true
}

func (s *Server) followup(w http.ResponseWriter, r *http.Request, body map[string]any) {
	if checkContent(w, body) {
		writeJSON(w, map[string]any{"id": s.record("followup", r.PathValue("token"), body), "content": body["content"]})
	}
}

func (s *Server) editOriginal(w http.ResponseWriter, r *http.Request, body map[string]any) {
	if checkContent(w, body) {
		writeJSON(w, map[string]any{"id": s.record("original", r.PathValue("token"), body), "content": body["content"]})
	}
}

func (s *Server) channelMessage(w http.ResponseWriter, r *http.Request, body map[string]any) {
	if f, _ := body["flags"].(float64); int(f)&64 != 0 {
		apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body: flags")
		return
	}
	if checkContent(w, body) {
		writeJSON(w, map[string]any{"id": s.record("channel", r.PathValue("channel"), body), "channel_id": r.PathValue("channel")})
	}
}

func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request, _ map[string]any) {
	s.mu.Lock()
	s.deleted = append(s.deleted, r.PathValue("id"))
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// createDM returns the direct message channel with recipient_id: "dm-" + the user id.
func (s *Server) createDM(w http.ResponseWriter, r *http.Request, body map[string]any) {
	id, _ := body["recipient_id"].(string)
	if id == "" {
		apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
		return
	}
	writeJSON(w, map[string]any{"id": "dm-" + id, "type": 1, "recipients": []any{map[string]any{"id": id}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Posted returns the messages opsgate sent so far.
func (s *Server) Posted() []Posted { return s.posted.All() }

// WaitPosted waits until at least n messages were posted (5 s at most) and returns them all.
func (s *Server) WaitPosted(n int) []Posted { return s.posted.Wait(n) }

// Commands returns the registered commands (guild "" for the global ones) and how many bulk
// overwrites were made.
func (s *Server) Commands(guild string) ([]any, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if guild == "" {
		return s.global, s.puts
	}
	return s.guild[guild], s.puts
}

// Sign returns the signature headers Discord sends with body at time ts.
func (s *Server) Sign(body []byte, ts time.Time) http.Header {
	t := strconv.FormatInt(ts.Unix(), 10)
	sig := ed25519.Sign(s.private, append([]byte(t), body...))
	return http.Header{"X-Signature-Ed25519": {hex.EncodeToString(sig)}, "X-Signature-Timestamp": {t}}
}

// Send posts body to url with header, returning the status and the answer's body.
func Send(url string, body []byte, header http.Header) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

// Interaction is an interaction to send; New* fill the ids and the token.
type Interaction map[string]any

// Token is the interaction's token (the follow-up webhook's).
func (in Interaction) Token() string { s, _ := in["token"].(string); return s }

func (s *Server) next() (id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return strconv.Itoa(500000 + s.nextID), fmt.Sprintf("itok-%d", s.nextID)
}

// Who says where and by whom an interaction is sent: in guild (a member) or, with guild "", in a
// direct message.
type Who struct{ Guild, Channel, UserID, UserName string }

func (s *Server) base(typ int, who Who, data any) Interaction {
	id, tok := s.next()
	in := Interaction{"id": id, "application_id": s.AppID, "type": typ, "token": tok, "version": 1,
		"channel_id": who.Channel, "channel": map[string]any{"id": who.Channel, "name": "ch-" + who.Channel}, "data": data}
	u := map[string]any{"id": who.UserID, "username": who.UserName, "global_name": who.UserName}
	if who.Guild != "" {
		in["guild_id"] = who.Guild
		in["member"] = map[string]any{"user": u, "roles": []any{}}
	} else {
		in["user"] = u
	}
	return in
}

// Ping is Discord's endpoint check (type 1).
func (s *Server) Ping() Interaction {
	id, tok := s.next()
	return Interaction{"id": id, "application_id": s.AppID, "type": 1, "token": tok, "version": 1}
}

// Command is a slash command /name with option text (omitted when "").
func (s *Server) Command(who Who, name, text string) Interaction {
	data := map[string]any{"id": "cmd-" + name, "name": name, "type": 1}
	if text != "" {
		data["options"] = []any{map[string]any{"name": "text", "type": 3, "value": text}}
	}
	return s.base(2, who, data)
}

// Component is a click on a button (values nil) or a pick in a select menu, on message.
func (s *Server) Component(who Who, customID string, values []string, message map[string]any) Interaction {
	data := map[string]any{"custom_id": customID, "component_type": 2}
	if values != nil {
		data["component_type"], data["values"] = 3, values
	}
	in := s.base(3, who, data)
	in["message"] = message
	return in
}

// ModalSubmit submits a modal with text input values by custom_id, in action rows.
func (s *Server) ModalSubmit(who Who, customID string, values map[string]string) Interaction {
	var rows []any
	for id, v := range values {
		rows = append(rows, map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": id, "value": v}}})
	}
	return s.base(5, who, map[string]any{"custom_id": customID, "components": rows})
}

// Interact sends in to url signed now, as Discord does; it returns the status and the response.
func (s *Server) Interact(url string, in Interaction) (int, map[string]any, error) {
	body, _ := json.Marshal(in)
	code, b, err := Send(url, body, s.Sign(body, s.Now()))
	if err != nil {
		return 0, nil, err
	}
	var resp map[string]any
	json.Unmarshal(b, &resp)
	return code, resp, nil
}
