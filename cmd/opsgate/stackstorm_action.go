package main

import (
	"context"
	"errors"
	"time"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/alias"
	"github.com/opsgate/opsgate/stackstorm"
)

// runAction runs the st2 action of a local alias that has no `opsgate:` runner, with the bot's
// credentials (opsgate's grants and ACLs have already allowed the user): the matched strings are
// cast to the action's declared types, as st2 does for its own aliases, then the execution is
// waited for until it ends.
func (s *stackStorm) runAction(ctx context.Context, a *alias.Alias, params map[string]string) (*alias.Execution, error) {
	start := time.Now()
	types, err := s.client.ActionParameters(ctx, nil, a.ActionRef)
	if err != nil {
		return nil, st2Refusal(a, err)
	}
	cast, err := stackstorm.CastParameters(params, types)
	if err != nil {
		return nil, opsgate.Errorf(opsgate.EINVALID, "Alias %s: %v.", a.Ref(), err)
	}
	for k, v := range a.Typed(params) {
		if _, isString := v.(string); !isString {
			cast[k] = v // an immutable list or object is sent as it is; st2 casts only strings
		}
	}
	e, err := s.client.Execute(ctx, nil, a.ActionRef, cast)
	if err != nil {
		return nil, st2Refusal(a, err)
	}
	if e, err = s.client.WaitExecution(ctx, nil, e.ID, 500*time.Millisecond); err != nil {
		return nil, st2Refusal(a, err)
	}
	status := opsgate.StatusFailed
	if e.Status == "succeeded" {
		status = opsgate.StatusSucceeded
	}
	result, ok := e.Result.(map[string]any)
	if !ok {
		result = map[string]any{"result": e.Result}
	}
	result["web_url"] = e.WebURL
	return &alias.Execution{ID: e.ID, Status: status, Parameters: params, Result: result, Start: start, End: time.Now()}, nil
}

// st2Refusal shows st2's own words for a refused call; anything else stays internal.
func st2Refusal(a *alias.Alias, err error) error {
	var ae *stackstorm.APIError
	if errors.As(err, &ae) {
		return opsgate.Errorf(opsgate.EINVALID, "StackStorm refused %s (alias %s): %s", a.ActionRef, a.Ref(), ae.Faultstring)
	}
	return err
}
