package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"partnerhub/transfer"
)

// homeImport is `partnerhub home import -slug S FILE.xlsx`: a member's
// onboarding workbook (its units, phases, partners and teams), written in
// one transaction, or, when anything is wrong, every problem listed by
// sheet, row and column and nothing written. The command line acts as the
// member's administrator, "system" in the audit log.
func (a *app) homeImport(ctx context.Context, args []string) error {
	fs := a.flags("home import", "onboard.cli_usage_import")
	dbURL := a.dbFlag(fs)
	slug := fs.String("slug", "", a.p.T("onboard.cli_flag_slug"))
	file, help, err := a.fileArg(fs, args, "onboard.cli_no_file")
	if help || err != nil {
		return err
	}
	if err := a.required("slug", *slug); err != nil {
		return err
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
	db, err := a.openMembers(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Member(ctx, *slug); err != nil {
		return a.describe(err)
	}
	o, problems := transfer.ReadOnboarding(f)
	if len(problems) == 0 {
		res, refused, err := db.Onboard(ctx, nil, *slug, o)
		if err != nil {
			return a.describe(err)
		}
		if len(refused) == 0 {
			var counts []string
			for _, sh := range transfer.OnboardSheets {
				counts = append(counts, a.p.T("onboard.cli_counts", a.p.T("onboard.sheet_"+sh), res.Created[sh], res.Updated[sh], res.Unchanged[sh]))
			}
			if res.Changed() {
				fmt.Fprintln(a.stdout, a.p.T("onboard.cli_done", file, *slug, strings.Join(counts, "; ")))
			} else {
				fmt.Fprintln(a.stdout, a.p.T("onboard.cli_same", file, *slug))
			}
			return nil
		}
		problems = refused
	}
	for _, p := range problems {
		sheet, col := p.Sheet, p.Column
		if sheet == "" {
			sheet = file
		}
		if col == "" {
			col = "-"
		}
		fmt.Fprintln(a.stderr, a.p.T("onboard.cli_problem", sheet, p.Row, col, a.p.T(p.Key, p.Args...)))
	}
	return errors.New(a.p.T("onboard.cli_rejected", len(problems)))
}
