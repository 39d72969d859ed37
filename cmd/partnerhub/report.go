package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/report"
	"partnerhub/worldmap"
)

// reportCmd runs "partnerhub report -year 2024 [-lang ja|en] -o FILE.pdf
// [-db URL] [-home SLUG]": the annual report of a home's published records,
// the same PDF /{lang}/report/{year}.pdf serves.
func (a *app) reportCmd(ctx context.Context, args []string) error {
	fs := a.flags("report", "cli.report_usage")
	dbURL := a.dbFlag(fs)
	home := fs.String("home", "", a.p.T("cli.user_flag_home"))
	yearFlag := fs.String("year", "", a.p.T("cli.report_flag_year"))
	lang := fs.String("lang", string(a.p.Lang), a.p.T("cli.report_flag_lang"))
	out := fs.String("o", "", a.p.T("cli.report_flag_o"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	year, err := strconv.Atoi(*yearFlag)
	if err != nil || len(*yearFlag) != 4 {
		return usageError{a.p.T("cli.report_bad_year", *yearFlag)}
	}
	l, ok := partnerhub.ParseLang(*lang)
	if !ok {
		return usageError{a.p.T("cli.report_bad_lang", *lang)}
	}
	if *out == "" {
		return usageError{a.p.T("cli.report_need_o")}
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
	// What the public portal shows: statuses as of today, published
	// records only.
	now := time.Now()
	c.DeriveAgreementStatuses(partnerhub.Today(now))
	x := partnerhub.NewIndex(c.Public())
	msgs := a.msgs.Printer(l)
	in := report.Input{Lang: l, Year: year, Index: x, P: msgs, Own: *home == dataset.BuiltinHome, Date: now.UTC().Truncate(time.Second)}
	if err := report.Gather(ctx, *home, report.Sources{Mobility: db, Calls: db, Projects: db}, &in); err != nil {
		return a.describe(err)
	}
	if !report.HasYear(x, in.Mobility, year) {
		first, last := report.Years(x, in.Mobility)
		return usageError{a.p.T("cli.report_no_year", year, first, last)}
	}
	w, err := worldmap.Load()
	if err != nil {
		return err
	}
	in.World = w.Draw(report.WorldView)
	var buf bytes.Buffer
	if err := report.Write(&buf, in); err != nil {
		return err
	}
	if err := a.writeNewFile(*out, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return err
	}
	pages := report.FixedPages + len(x.Partners(partnerhub.PartnerFilter{}))
	fmt.Fprintln(a.stdout, a.p.T("cli.report_done", year, fileSize(*out), pages, *out))
	return nil
}
