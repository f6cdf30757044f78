package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"testing"
)

func init() {
	registerModule(module{Name: "pprof", Order: 1, Setup: setupPprof})
}

// setupPprof serves CPU, heap and allocation profiles on pprof_listen, a listener of its own so
// that profiles (which reveal internals) are never reachable through the public address.
//
// Without it nobody can read a heap profile, so none is sampled: the runtime's sampling (on by
// default) kept a table of allocation sites that was over a megabyte of a busy server's memory.
func setupPprof(ctx context.Context, m *Main) error {
	if m.Config.PprofListen == "" || !m.Serving {
		if m.Serving && !testing.Testing() { // go test -memprofile still sees the benchmarks' serve
			runtime.MemProfileRate = 0
		}
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.PprofListen)
	if err != nil {
		return errors.New("pprof_listen: " + err.Error())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	m.Logger.Info("pprof listening", "addr", ln.Addr().String())
	m.OnStop(func(ctx context.Context) error { return srv.Close() })
	return nil
}
