package alias

import "github.com/opsgate/opsgate/jinja"

// Render renders an ack or result template (Jinja, as in st2) with data. Templates come from
// alias files written by operators; chat text only ever reaches them as data, never as source.
func Render(src string, data map[string]any) (string, error) { return jinja.Render(src, data) }
