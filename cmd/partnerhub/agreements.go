package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/transfer"
)

// importAgreements is `partnerhub import agreements [-home H] FILE`: an
// office's register of agreements (CSV or XLSX, the layout of the
// template), added in one transaction, or, when any row is wrong, its
// problems listed by row and column and nothing added.
func (a *app) importAgreements(ctx context.Context, args []string) error {
	fs := a.flags("import agreements", "cli.register_import_usage")
	dbURL := a.dbFlag(fs)
	home := fs.String("home", "", a.p.T("cli.user_flag_home"))
	file, help, err := a.fileArg(fs, args, "cli.import_need_file")
	if help || err != nil {
		return err
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(file)), ".")
	if format != "csv" && format != "xlsx" {
		return usageError{a.p.T("cli.mobility_format", file)}
	}
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return errors.New(a.p.T("cli.import_no_file", file))
	}
	if err != nil {
		return errors.New(a.p.T("cli.import_read", file, oneLine(err)))
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.IsDir() {
		return errors.New(a.p.T("cli.import_read", file, a.p.T("cli.import_is_folder")))
	}
	db, err := a.open(ctx, *dbURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if *home, err = a.pickHome(ctx, db, *dbURL, *home, true); err != nil {
		return err
	}
	c, err := db.Catalog(ctx, *home)
	if err != nil {
		return a.describe(err)
	}
	taken := map[string]bool{}
	for _, ag := range c.Agreements {
		taken[ag.Slug] = true
	}
	in := &readErrors{r: f}
	reg, errs := transfer.ReadRegister(in, format, transfer.RegisterOptions{
		Resolver: transfer.NewResolver(partnerhub.NewIndex(c)), Taken: func(s string) bool { return taken[s] }})
	if in.err != nil {
		return errors.New(a.p.T("cli.import_read", file, oneLine(in.err)))
	}
	var lines []string
	line := func(row int, column, msg string) {
		s := file
		if row > 0 {
			s += fmt.Sprintf(":%d", row)
		}
		if column != "" {
			s += " [" + column + "]"
		}
		lines = append(lines, s+": "+msg)
	}
	for _, e := range errs {
		line(e.Row, e.Column, a.p.T(e.Key, e.Args...))
	}
	if len(errs) == 0 {
		rows := make([]store.RegisterRow, len(reg.Rows))
		for i, r := range reg.Rows {
			rows[i] = store.RegisterRow{Row: r.Row, Agreement: r.Agreement}
		}
		// The command line acts for the programme office, recorded in the
		// audit log as "system", as the mobility import does.
		actor := &partnerhub.User{Email: "system", Role: partnerhub.RoleAdmin, Home: *home}
		n, problems, err := db.ImportAgreements(ctx, actor, *home, rows)
		for _, p := range problems {
			line(p.Row, reg.Column(p.Field), a.p.T(p.Key, p.Args...))
		}
		if len(problems) == 0 {
			if err != nil {
				return a.describe(err)
			}
			fmt.Fprintln(a.stdout, a.p.T("cli.register_done", n, file))
			return nil
		}
	}
	fmt.Fprintln(a.stderr, strings.Join(lines, "\n"))
	return errors.New(a.p.T("cli.register_refused", file, len(lines)))
}

// exportAgreements is `partnerhub export agreements [-home H] [-lang ja|en]
// -o FILE.xlsx`: every agreement of a home, drafts too, in the register's
// layout, which import agreements reads back.
func (a *app) exportAgreements(ctx context.Context, args []string) error {
	fs := a.flags("export agreements", "cli.register_export_usage")
	dbURL := a.dbFlag(fs)
	home := fs.String("home", "", a.p.T("cli.user_flag_home"))
	lang := fs.String("lang", string(a.p.Lang), a.p.T("cli.register_flag_lang"))
	out := fs.String("o", "", a.p.T("cli.export_flag_o"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	l, ok := partnerhub.ParseLang(*lang)
	if !ok {
		return usageError{a.p.T("cli.register_bad_lang", *lang)}
	}
	if *out == "" {
		return usageError{a.p.T("cli.register_need_o")}
	}
	if err := a.checkNewFile(*out); err != nil {
		return err
	}
	if err := a.existingSQLite(*dbURL, "cli.export_no_database"); err != nil {
		return err
	}
	db, err := a.open(ctx, *dbURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if *home, err = a.pickHome(ctx, db, *dbURL, *home, false); err != nil {
		return err
	}
	c, err := db.Catalog(ctx, *home)
	if err != nil {
		return a.describe(err)
	}
	if err := a.writeNewFile(*out, func(w io.Writer) error {
		return transfer.WriteRegister(w, partnerhub.NewIndex(c), l, c.Agreements)
	}); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.register_exported", len(c.Agreements), *out))
	return nil
}
