package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"golang.org/x/text/width"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
)

// user runs "partnerhub user add|list|disable|enable|reset-password|network-admin".
func (a *app) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{a.p.T("cli.user_no_subcommand")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(a.stdout, a.p.T("cli.user_usage"))
		return nil
	case "add":
		return a.userAdd(ctx, args[1:])
	case "list":
		return a.userList(ctx, args[1:])
	case "disable":
		return a.userSetEnabled(ctx, args[1:], false)
	case "enable":
		return a.userSetEnabled(ctx, args[1:], true)
	case "reset-password":
		return a.userResetPassword(ctx, args[1:])
	case "signout":
		return a.userSignout(ctx, args[1:])
	case "reset-mfa":
		return a.userResetMFA(ctx, args[1:])
	case "network-admin":
		return a.userNetworkAdmin(ctx, args[1:])
	case "network-editor":
		return a.userNetworkEditor(ctx, args[1:])
	}
	return usageError{a.p.T("cli.user_unknown_subcommand", args[0])}
}

// stdinReader is where passwords are read from with -password-stdin.
func (a *app) stdinReader() io.Reader {
	if a.stdin != nil {
		return a.stdin
	}
	return os.Stdin
}

// userFlags are the flags every user command shares.
type userFlags struct {
	db, home *string
}

func (a *app) userFlagSet(name, usageKey string) (*flag.FlagSet, userFlags) {
	fs := a.flags("user "+name, usageKey)
	return fs, userFlags{db: a.dbFlag(fs), home: fs.String("home", "", a.p.T("cli.user_flag_home"))}
}

func (a *app) required(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return usageError{a.p.T("cli.user_flag_required", "-"+name)}
	}
	return nil
}

// openHome opens the database, brings its schema up to date and picks the
// home institution: -home, or the only one there is. With load, a database
// without any home gets the built-in data first, as serve does, so that the
// first command on a new machine can create the first admin.
func (a *app) openHome(ctx context.Context, f userFlags, load bool) (*store.DB, string, error) {
	db, err := a.open(ctx, *f.db, false)
	if err != nil {
		return nil, "", err
	}
	home, err := a.pickHome(ctx, db, *f.db, *f.home, load)
	if err != nil {
		db.Close()
		return nil, "", err
	}
	return db, home, nil
}

func (a *app) pickHome(ctx context.Context, db *store.DB, dbURL, home string, load bool) (string, error) {
	if err := db.Migrate(ctx); err != nil {
		return "", a.describeDB(dbURL, err)
	}
	homes, err := db.Homes(ctx)
	if err != nil {
		return "", a.describe(err)
	}
	if len(homes) == 0 {
		if !load {
			return "", errors.New(a.p.T("cli.no_home"))
		}
		c, err := dataset.Builtin()
		if err != nil {
			return "", a.describe(err)
		}
		if err := db.ImportCatalog(ctx, c); err != nil {
			return "", a.describe(err)
		}
		homes = []string{c.Home.Slug}
		fmt.Fprintln(a.stderr, a.p.T("cli.user_loaded_builtin", c.Home.Slug))
	}
	switch {
	case home == "" && len(homes) == 1:
		return homes[0], nil
	case home == "":
		return "", usageError{a.p.T("cli.user_home_required", strings.Join(homes, ", "))}
	case !slices.Contains(homes, home):
		return "", a.describe(partnerhub.Errorf(partnerhub.ENotFound, "error.home_not_found", home))
	}
	return home, nil
}

// password returns the password to set: one line read from stdin, or a
// new random one that the caller prints once.
func (a *app) password(fromStdin bool) (pw string, generated bool, err error) {
	if !fromStdin {
		return rand.Text(), true, nil // 26 characters of base32: 130 random bits
	}
	line, err := bufio.NewReader(a.stdinReader()).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false, err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", false, errors.New(a.p.T("cli.user_stdin_empty"))
	}
	return line, false, nil
}

// describeUser is describe, with the problem of each field named by the
// flag that set it, on one line.
func (a *app) describeUser(err error) error {
	var e *partnerhub.Error
	if !errors.As(err, &e) || e.Code != partnerhub.EInvalid || len(e.Fields) == 0 {
		return a.describe(err)
	}
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		name, _, _ := strings.Cut(f, "[")
		if name != "password" {
			name = "-" + name
		} else {
			name = a.p.T("cli.user_password_field")
		}
		parts = append(parts, name+": "+a.p.Field(e.Fields[f]))
	}
	return errors.New(a.p.Error(e) + " " + strings.Join(parts, " "))
}

func (a *app) userAdd(ctx context.Context, args []string) error {
	fs, f := a.userFlagSet("add", "cli.user_usage_add")
	email := fs.String("email", "", a.p.T("cli.user_flag_email"))
	name := fs.String("name", "", a.p.T("cli.user_flag_name"))
	role := fs.String("role", "", a.p.T("cli.user_flag_role"))
	units := fs.String("units", "", a.p.T("cli.user_flag_units"))
	fromStdin := fs.Bool("password-stdin", false, a.p.T("cli.user_flag_password_stdin"))
	networkAdmin := fs.Bool("network-admin", false, a.p.T("cli.user_flag_network_admin"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	for _, r := range []struct{ name, value string }{{"email", *email}, {"name", *name}, {"role", *role}} {
		if err := a.required(r.name, r.value); err != nil {
			return err
		}
	}
	pw, generated, err := a.password(*fromStdin)
	if err != nil {
		return err
	}
	db, home, err := a.openHome(ctx, f, true)
	if err != nil {
		return err
	}
	defer db.Close()
	// A generated password passes through the programme office: its holder
	// must replace it at the first sign-in.
	u := &partnerhub.User{Email: *email, Name: *name, Role: partnerhub.Role(strings.TrimSpace(*role)), MustChangePassword: generated, NetworkAdmin: *networkAdmin}
	for c := range strings.SplitSeq(*units, ",") {
		if c = strings.TrimSpace(c); c != "" {
			u.Units = append(u.Units, c)
		}
	}
	u, err = db.CreateUser(ctx, home, u, pw)
	if err != nil {
		return a.describeUser(err)
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.user_created", u.Email, u.Role, home))
	if generated {
		fmt.Fprintln(a.stdout, a.p.T("cli.user_password_once", pw))
	}
	return nil
}

func (a *app) userList(ctx context.Context, args []string) error {
	fs, f := a.userFlagSet("list", "cli.user_usage_list")
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	db, home, err := a.openHome(ctx, f, false)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := db.Users(ctx, home)
	if err != nil {
		return a.describe(err)
	}
	if len(users) == 0 {
		fmt.Fprintln(a.stdout, a.p.T("cli.user_none", home))
		return nil
	}
	rows := [][]string{{a.p.T("cli.user_col_email"), a.p.T("cli.user_col_name"), a.p.T("cli.user_col_role"), a.p.T("cli.user_col_units"), a.p.T("cli.user_col_status")}}
	for _, u := range users {
		status := a.p.T("cli.user_status_active")
		if u.Disabled {
			status = a.p.T("cli.user_status_disabled")
		}
		if u.NetworkAdmin {
			status += ", " + a.p.T("cli.user_status_network_admin")
		}
		if u.NetworkEditor {
			status += ", " + a.p.T("cli.user_status_network_editor")
		}
		units := strings.Join(u.Units, ",")
		if units == "" {
			units = "-"
		}
		rows = append(rows, []string{u.Email, u.Name, string(u.Role), units, status})
	}
	writeTable(a.stdout, rows)
	return nil
}

// writeTable prints rows in columns two spaces apart, counting East Asian
// wide characters (names in Japanese) as two columns.
func writeTable(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// userSetEnabled is user disable (enable false) and user enable.
func (a *app) userSetEnabled(ctx context.Context, args []string, enable bool) error {
	name, usage, done := "disable", "cli.user_usage_disable", "cli.user_disabled"
	if enable {
		name, usage, done = "enable", "cli.user_usage_enable", "cli.user_enabled"
	}
	return a.forUser(ctx, name, usage, args, nil, func(db *store.DB, home, email string) error {
		set := db.DisableUser
		if enable {
			set = db.EnableUser
		}
		if err := set(ctx, home, email); err != nil {
			return a.describe(err)
		}
		fmt.Fprintln(a.stdout, a.p.T(done, partnerhub.NormalizeEmail(email)))
		return nil
	})
}

// forUser runs a command that acts on one user, named by -email or as its
// first argument ("user signout EMAIL" reads naturally too): it parses the
// flags (flags adds the command's own, if any), opens the database of the
// home institution and calls act.
func (a *app) forUser(ctx context.Context, name, usage string, args []string, flags func(*flag.FlagSet), act func(db *store.DB, home, email string) error) error {
	fs, f := a.userFlagSet(name, usage)
	email := fs.String("email", "", a.p.T("cli.user_flag_email"))
	if flags != nil {
		flags(fs)
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append([]string{"-email", args[0]}, args[1:]...)
	}
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	if err := a.required("email", *email); err != nil {
		return err
	}
	db, home, err := a.openHome(ctx, f, false)
	if err != nil {
		return err
	}
	defer db.Close()
	return act(db, home, *email)
}

func (a *app) userResetPassword(ctx context.Context, args []string) error {
	fs, f := a.userFlagSet("reset-password", "cli.user_usage_reset")
	email := fs.String("email", "", a.p.T("cli.user_flag_email"))
	fromStdin := fs.Bool("password-stdin", false, a.p.T("cli.user_flag_password_stdin"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	if err := a.required("email", *email); err != nil {
		return err
	}
	pw, generated, err := a.password(*fromStdin)
	if err != nil {
		return err
	}
	db, home, err := a.openHome(ctx, f, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetPassword(ctx, home, *email, pw, generated); err != nil {
		return a.describeUser(err)
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.user_password_set", partnerhub.NormalizeEmail(*email)))
	if generated {
		fmt.Fprintln(a.stdout, a.p.T("cli.user_password_once", pw))
	}
	return nil
}

// userSignout ends every session of a user (a lost laptop, a shared
// computer); their password and API tokens stay.
func (a *app) userSignout(ctx context.Context, args []string) error {
	return a.forUser(ctx, "signout", "cli.user_usage_signout", args, nil, func(db *store.DB, home, email string) error {
		n, err := db.SignOutUser(ctx, home, email)
		if err != nil {
			return a.describe(err)
		}
		fmt.Fprintln(a.stdout, a.p.T("cli.user_signed_out", partnerhub.NormalizeEmail(email), n))
		return nil
	})
}
