package opsgate

import "context"

type actorKey struct{}

// NewContextWithActor returns ctx carrying who is acting (a chat user "slack:U123", "cli:alice", "api:token-3").
// Services record it in the audit log.
func NewContextWithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext returns the actor stored in ctx, or "unknown".
func ActorFromContext(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "unknown"
}
