package main

import (
	"strings"
	"testing"
)

func TestMatrixConfigValidation(t *testing.T) {
	on := []string{"OPSGATE_MATRIX_ENABLED=true"}
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"OPSGATE_MATRIX_ACCESS_TOKEN=syt_x"}, "matrix.homeserver is required"},
		{[]string{"OPSGATE_MATRIX_HOMESERVER=https://matrix.example.org"}, "matrix.access_token is required"},
		{[]string{"OPSGATE_MATRIX_HOMESERVER=matrix.example.org", "OPSGATE_MATRIX_ACCESS_TOKEN=syt_x"}, `matrix.homeserver: "matrix.example.org" is not an http(s) URL`},
		{[]string{"OPSGATE_MATRIX_HOMESERVER=https://m.example.org", "OPSGATE_MATRIX_ACCESS_TOKEN=syt_x", "OPSGATE_MATRIX_USER_ID=opsgate"},
			`matrix.user_id "opsgate" is not a Matrix user id like @opsgate:example.org (set by environment variable OPSGATE_MATRIX_USER_ID)`},
		{[]string{"OPSGATE_MATRIX_HOMESERVER=https://m.example.org", "OPSGATE_MATRIX_ACCESS_TOKEN=syt_x", "OPSGATE_MATRIX_PREFIX= !"}, "matrix.prefix"},
		{[]string{"OPSGATE_MATRIX_AUTO_JOIN=sure"}, "OPSGATE_MATRIX_AUTO_JOIN (matrix.auto_join): \"sure\" is not true or false"},
	} {
		_, err := LoadConfig("", append(on, c.env...))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "syt_x") {
			t.Errorf("%v: err = %v, want %q without the token", c.env, err, c.want)
		}
	}
	cfg, err := LoadConfig("", append(on, "OPSGATE_MATRIX_HOMESERVER=https://matrix.example.org", "OPSGATE_MATRIX_ACCESS_TOKEN=syt_x",
		"OPSGATE_MATRIX_USER_ID=@opsgate:example.org", "OPSGATE_MATRIX_PREFIX=!st2 ", "OPSGATE_MATRIX_AUTO_JOIN=true"))
	if err != nil || cfg.Matrix.Prefix != "!st2 " || !cfg.Matrix.AutoJoin || cfg.Matrix.UserID != "@opsgate:example.org" {
		t.Fatalf("valid config: %v %+v", err, cfg.Matrix)
	}
}
