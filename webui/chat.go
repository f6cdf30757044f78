package webui

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opsgate/opsgate"
)

// Chat is the web chat's link to the pipeline and where its messages claim to come from.
type Chat struct {
	// Handle runs a request through the pipeline; done closes when its replies are sent.
	// refused is set when the pipeline did not take it (overloaded, stopping).
	Handle func(ctx context.Context, req *opsgate.Request, out opsgate.Dispatcher) (done <-chan struct{}, refused string)
	// OrgID and ChannelID are the organization and channel every web chat message is in.
	OrgID, ChannelID string
	// Wait bounds how long a post without JavaScript waits for replies before showing the page.
	Wait time.Duration
}

type chatData struct {
	Messages []chatMsg
	Last     int64
	Org      string
	Channel  string
	Enabled  bool
}

func (u *UI) chatPage(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	msgs, last := u.hub.conv(user.Name).snapshot()
	return u.render(w, r, user, "chat", "Chat", chatData{Messages: msgs, Last: last, Org: u.Chat.OrgID, Channel: u.Chat.ChannelID,
		Enabled: u.Chat.Handle != nil})
}

// chatText is the command a chat form sends: typed text, or a prompt's prefix followed by the
// quoted answer (a menu choice, a text answer, a dialog's fields in order), as the platforms do.
func chatText(r *http.Request) string {
	if t := strings.TrimSpace(r.PostFormValue("text")); t != "" {
		return t
	}
	prefix := strings.TrimSpace(r.PostFormValue("prefix"))
	if prefix == "" {
		return ""
	}
	if r.PostForm.Has("answer") {
		return prefix + " " + opsgate.QuoteWord(r.PostFormValue("answer"))
	}
	n, _ := strconv.Atoi(r.PostFormValue("fields"))
	words := []string{prefix}
	for i := range min(n, 50) {
		words = append(words, opsgate.QuoteWord(r.PostFormValue("f"+strconv.Itoa(i))))
	}
	return strings.Join(words, " ")
}

// chatSend runs a message as the logged-in user (platform web). A script's post gets 204 and the
// replies by server-sent events; a plain form waits for the replies and shows the page again.
func (u *UI) chatSend(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	if u.Chat.Handle == nil {
		return opsgate.Errorf(opsgate.ENOTFOUND, "The web chat is not available on this server.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	text := chatText(r)
	if text == "" {
		return opsgate.Errorf(opsgate.EINVALID, "Type a command to send.")
	}
	conv := u.hub.conv(user.Name)
	conv.add(true, template.HTML("<p>"+template.HTMLEscapeString(text)+"</p>"), user.Name)
	req := &opsgate.Request{Platform: Platform, OrgID: u.Chat.OrgID, ChannelID: u.Chat.ChannelID, UserID: user.Name,
		UserName: user.Name, Direct: true, Text: text}
	// The command outlives this request (a script's post returns at once).
	done, refusal := u.Chat.Handle(context.WithoutCancel(r.Context()), req, &dispatcher{u: u, conv: conv})
	if refusal != "" {
		conv.add(false, template.HTML("<p class=\"bad\">"+template.HTMLEscapeString(refusal)+"</p>"), "")
	}
	if r.Header.Get("X-Opsgate-Fetch") == "1" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	wait := u.Chat.Wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	if done != nil {
		select {
		case <-done:
		case <-time.After(wait):
		case <-r.Context().Done():
		}
	}
	back(w, r, "/ui/chat#end")
	return nil
}

// chatEvents streams the conversation's new messages (and deletions) after the page's last.
func (u *UI) chatEvents(w http.ResponseWriter, r *http.Request, user *opsgate.User) error {
	conv := u.hub.conv(user.Name)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		after = id
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": live\n\n")
	rc.Flush()
	wake, leave := conv.subscribe()
	defer leave()
	for {
		for _, e := range conv.since(after) {
			after = e.Seq
			if e.Deleted != 0 {
				fmt.Fprintf(w, "id: %d\nevent: delete\ndata: %d\n\n", e.Seq, e.Deleted)
				continue
			}
			var b bytes.Buffer
			if err := u.pages["chat"].ExecuteTemplate(&b, "msg", e.Msg); err != nil {
				return err
			}
			fmt.Fprintf(w, "id: %d\nevent: msg\n%s\n", e.Seq, sseData(b.String()))
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-u.Stopping:
			return nil
		case <-wake:
		case <-time.After(30 * time.Second): // a comment keeps proxies from closing an idle stream
			fmt.Fprint(w, ": ping\n\n")
		}
	}
}

// sseData writes s as server-sent event data lines (the browser joins them with newlines).
func sseData(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	return b.String()
}

// dispatcher is the web chat's opsgate.Dispatcher: what the pipeline sends lands in the user's
// conversation, rendered as HTML.
type dispatcher struct {
	u    *UI
	conv *conversation
}

func (d *dispatcher) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	html, err := d.u.renderMessage(m)
	if err != nil {
		return "", err
	}
	id := d.conv.add(false, html, "opsgate")
	return opsgate.MessageRef(strconv.FormatInt(id, 10)), nil
}

func (d *dispatcher) Delete(ctx context.Context, ref opsgate.MessageRef) error {
	id, err := strconv.ParseInt(string(ref), 10, 64)
	if err != nil {
		return opsgate.Errorf(opsgate.EINVALID, "Message %q is not a web chat message.", ref)
	}
	d.conv.remove(id)
	return nil
}

func (d *dispatcher) Busy(ctx context.Context) error { return nil }

// Announce returns a dispatcher into userID's web chat (announcements from StackStorm or a
// webhook); with no user, into every open conversation.
func (u *UI) Announce(userID string) opsgate.Dispatcher {
	if userID == "" {
		return &broadcast{u: u}
	}
	return &dispatcher{u: u, conv: u.hub.conv(userID)}
}

// broadcast posts to every conversation this replica holds.
type broadcast struct{ u *UI }

func (b *broadcast) Send(ctx context.Context, m opsgate.Message) (opsgate.MessageRef, error) {
	for _, c := range b.u.hub.all() {
		if _, err := (&dispatcher{u: b.u, conv: c}).Send(ctx, m); err != nil {
			return "", err
		}
	}
	return "", nil
}
func (b *broadcast) Delete(context.Context, opsgate.MessageRef) error { return nil }
func (b *broadcast) Busy(context.Context) error                       { return nil }
