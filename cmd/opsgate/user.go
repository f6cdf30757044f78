package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsgate/opsgate"
	"github.com/opsgate/opsgate/store"
)

func init() { registerCLI((*Main).userCommand) }

// userCommand manages web UI accounts (docs/web-ui.md).
func (m *Main) userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage web UI accounts"}
	var u opsgate.User
	var role string
	var fromStdin bool
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a web UI account; a generated password is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := opsgate.ParseRole(role)
			if err != nil {
				return &exitError{code: 2, msg: opsgate.ErrorMessage(err)}
			}
			u.Role = r
			password, generated, err := m.password(fromStdin)
			if err != nil {
				return err
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewUserService(m.DB).CreateUser(actorContext(cmd.Context()), &u, password); err != nil {
				return err
			}
			if generated {
				fmt.Fprintf(m.Stdout, "user %s added (%s); the password is shown only now:\n%s\n", u.Name, u.Role, password)
				return nil
			}
			fmt.Fprintf(m.Stdout, "user %s added (%s)\n", u.Name, u.Role)
			return nil
		},
	}
	add.Flags().StringVar(&u.Name, "name", "", "the name to log in with (required)")
	add.Flags().StringVar(&role, "role", "", "admin, operator or viewer (required)")
	add.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of generating one")
	add.MarkFlagRequired("name")
	add.MarkFlagRequired("role")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List web UI accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			us, err := store.NewUserService(m.DB).FindUsers(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if us == nil {
					us = []*opsgate.User{}
				}
				return writeJSON(m, us)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tPASSWORD CHANGED")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, u.CreatedAt.Format(time.RFC3339), u.UpdatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a web UI account (its sessions end)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewUserService(m.DB).DeleteUser(actorContext(cmd.Context()), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "user %s deleted\n", args[0])
			return nil
		},
	}

	var passwdStdin bool
	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a web UI account's password (its other sessions end); a generated one is printed once",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, generated, err := m.password(passwdStdin)
			if err != nil {
				return err
			}
			if err := m.openDB(cmd.Context()); err != nil {
				return err
			}
			if err := store.NewUserService(m.DB).SetPassword(actorContext(cmd.Context()), args[0], password); err != nil {
				return err
			}
			if generated {
				fmt.Fprintf(m.Stdout, "password of %s changed; it is shown only now:\n%s\n", args[0], password)
				return nil
			}
			fmt.Fprintf(m.Stdout, "password of %s changed\n", args[0])
			return nil
		},
	}
	passwd.Flags().BoolVar(&passwdStdin, "password-stdin", false, "read the password from the first line of stdin instead of generating one")
	cmd.AddCommand(add, list, del, passwd)
	return cmd
}

// password reads one line from stdin, or generates a password (144 random bits) when fromStdin is false.
func (m *Main) password(fromStdin bool) (string, bool, error) {
	if !fromStdin {
		b := make([]byte, 18)
		rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(m.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false, fmt.Errorf("reading the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", false, usageErrorf("--password-stdin: stdin held no password")
	}
	return line, false, nil
}
