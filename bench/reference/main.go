// Command reference is the least a Slack bot must do for a slash command, written by hand: verify
// the signature, parse the form, post chat.postEphemeral with a keep-alive client, then ack. It is
// the yardstick bench/compare.sh holds opsgate against.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"log"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to serve the slash command on")
	secret := flag.String("secret", "bench-signing-secret", "Slack signing secret")
	api := flag.String("api", "http://127.0.0.1:8091/api/", "Slack Web API base URL")
	token := flag.String("token", "xoxb-bench", "bot token")
	flag.Parse()
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	post := strings.TrimSuffix(*api, "/") + "/chat.postEphemeral"
	key := []byte(*secret)
	http.HandleFunc("POST /slash", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		ts := r.Header.Get("X-Slack-Request-Timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
			http.Error(w, "stale timestamp", http.StatusUnauthorized)
			return
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte("v0:" + ts + ":"))
		m.Write(body)
		want := "v0=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Slack-Signature"))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		reply := url.Values{"token": {*token}, "channel": {form.Get("channel_id")}, "user": {form.Get("user_id")},
			"text": {"Platform: slack, Organization: " + form.Get("team_id") + ", Channel: " + form.Get("channel_id") + ", User: " + form.Get("user_id")}}
		resp, err := client.PostForm(post, reply)
		if err != nil {
			log.Print(err)
			http.Error(w, "reply failed", http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.WriteHeader(http.StatusOK)
	})
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	log.Fatal(http.ListenAndServe(*listen, nil))
}
