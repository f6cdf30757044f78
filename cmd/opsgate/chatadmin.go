package main

import (
	"context"
	"time"

	"github.com/opsgate/opsgate/chatadmin"
)

func init() {
	registerModule(module{Name: "chat admin", Order: 6, Setup: func(_ context.Context, m *Main) error {
		a := &chatadmin.Admin{Grants: m.Grants, Groups: m.Groups, Tokens: m.Tokens, Approvals: m.Approvals, Auth: m.Auth, Now: time.Now}
		for _, c := range a.Commands() {
			m.Pipeline.Register(c)
		}
		return nil
	}})
}
