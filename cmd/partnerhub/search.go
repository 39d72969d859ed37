package main

// search: "partnerhub search reindex", the search index built again from
// the records.

import (
	"context"
	"fmt"
	"time"
)

func (a *app) search(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{a.p.T("cli.search_no_subcommand")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(a.stdout, a.p.T("cli.search_usage"))
		return nil
	case "reindex":
		return a.searchReindex(ctx, args[1:])
	}
	return usageError{a.p.T("cli.search_unknown_subcommand", args[0])}
}

// searchReindex runs "partnerhub search reindex [-db URL]": after a bulk
// load, or to be sure. The schema is brought up to date first, as serve
// does. Searches go on meanwhile; writes wait for its one transaction.
func (a *app) searchReindex(ctx context.Context, args []string) error {
	fs := a.flags("search reindex", "cli.search_usage_reindex")
	dbURL := a.dbFlag(fs)
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	db, err := a.open(ctx, *dbURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return a.describe(err)
	}
	start := time.Now()
	n, err := db.RebuildSearch(ctx)
	if err != nil {
		return a.describe(err)
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.search_reindexed", n, time.Since(start).Round(time.Millisecond).String()))
	return nil
}
