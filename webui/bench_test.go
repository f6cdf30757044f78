package webui

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/opsgate/opsgate"
)

// BenchmarkGrantsPage renders the grants page with 1,000 grants.
func BenchmarkGrantsPage(b *testing.B) {
	u := &UI{}
	if err := u.parse(); err != nil {
		b.Fatal(err)
	}
	d := &grantsData{Types: opsgate.GrantTypes[:], Platforms: []string{"slack", "web"}, Expired: func(*opsgate.Grant) bool { return false }}
	for i := range 1000 {
		d.Grants = append(d.Grants, &opsgate.Grant{ID: int64(i + 1), Command: "network", Subcommand: "redeploy", Type: opsgate.GrantUser,
			Value: "U" + strconv.Itoa(i), Name: "user" + strconv.Itoa(i), CreatedAt: time.Now()})
	}
	p := page{Title: "Grants", Nav: "grants", User: &opsgate.User{Name: "admin", Role: opsgate.RoleAdmin}, Data: d}
	for b.Loop() {
		if err := u.pages["grants"].ExecuteTemplate(io.Discard, "layout", p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderMessage renders a chat reply holding a 100-row table.
func BenchmarkRenderMessage(b *testing.B) {
	u := &UI{}
	if err := u.parse(); err != nil {
		b.Fatal(err)
	}
	t := opsgate.Table{Header: []string{"name", "site", "status"}}
	for i := range 100 {
		t.Rows = append(t.Rows, []string{"csr" + strconv.Itoa(i), "nyc", "active"})
	}
	m := opsgate.Message{Blocks: []opsgate.Block{opsgate.Text{Markdown: "*Devices* in `nyc`"}, t}}
	for b.Loop() {
		if _, err := u.renderMessage(m); err != nil {
			b.Fatal(err)
		}
	}
}
