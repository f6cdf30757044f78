package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version returns the line `version` and `--version` print, from the build info the Go tool
// embeds: the module version (a tag when built with `go install ...@vX`, "(devel)" from a
// checkout) and the VCS revision (from a checkout built with `go build`).
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return versionLine("", "", "")
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	return versionLine(bi.Main.Version, rev, modified)
}

func versionLine(mainVersion, rev, modified string) string {
	if mainVersion == "" {
		mainVersion = "(devel)"
	}
	if rev == "" {
		rev = "unknown"
	} else if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += ", modified"
	}
	return fmt.Sprintf("opsgate %s (revision %s)", mainVersion, rev)
}

func (m *Main) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the module version and VCS revision opsgate was built from",
		Args:  cobra.NoArgs,
		// No configuration or database needed: it must work where nothing is set up.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(m.Stdout, version())
			return nil
		},
	}
}
