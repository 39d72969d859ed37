package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"partnerhub"
	"partnerhub/store"
)

// home runs "partnerhub home add|list|disable|enable": the members of a
// network deployment, each a home institution with its own portal.
func (a *app) home(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{a.p.T("cli.home_no_subcommand")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(a.stdout, a.p.T("cli.home_usage"))
		return nil
	case "add":
		return a.homeAdd(ctx, args[1:])
	case "list":
		return a.homeList(ctx, args[1:])
	case "set":
		return a.homeSet(ctx, args[1:])
	case "disable":
		return a.homeSetDisabled(ctx, args[1:], true)
	case "enable":
		return a.homeSetDisabled(ctx, args[1:], false)
	case "import":
		return a.homeImport(ctx, args[1:])
	}
	return usageError{a.p.T("cli.home_unknown_subcommand", args[0])}
}

// openMembers opens the database with its schema up to date; a database
// without any home gets the built-in one first, as serve does, so that
// the members added come beside it.
func (a *app) openMembers(ctx context.Context, dbURL string) (*store.DB, error) {
	db, err := a.open(ctx, dbURL, true)
	if err != nil {
		return nil, err
	}
	if _, err := a.pickHome(ctx, db, dbURL, "", true); err != nil {
		var u usageError
		if !errors.As(err, &u) { // several homes: no home is needed here
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func (a *app) homeAdd(ctx context.Context, args []string) error {
	fs := a.flags("home add", "cli.home_usage_add")
	dbURL := a.dbFlag(fs)
	slug := fs.String("slug", "", a.p.T("cli.home_flag_slug"))
	inst := fs.String("institution", "", a.p.T("cli.home_flag_institution"))
	nameJa := fs.String("name-ja", "", a.p.T("cli.home_flag_name_ja"))
	nameEn := fs.String("name-en", "", a.p.T("cli.home_flag_name_en"))
	country := fs.String("country", "JP", a.p.T("cli.home_flag_country"))
	website := fs.String("website", "", a.p.T("cli.home_flag_website"))
	progJa := fs.String("programme-ja", "", a.p.T("cli.home_flag_programme_ja"))
	progEn := fs.String("programme-en", "", a.p.T("cli.home_flag_programme_en"))
	host := fs.String("host", "", a.p.T("cli.home_flag_host"))
	share := fs.Bool("share-statistics", false, a.p.T("cli.home_flag_share_statistics"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	for _, r := range []struct{ name, value string }{{"slug", *slug}, {"programme-ja", *progJa}, {"programme-en", *progEn}} {
		if err := a.required(r.name, r.value); err != nil {
			return err
		}
	}
	if *inst == "" {
		*inst = *slug
	}
	nm := partnerhub.NewMember{Member: partnerhub.Member{Slug: strings.TrimSpace(*slug), Institution: strings.TrimSpace(*inst),
		Programme: partnerhub.Text{Ja: strings.TrimSpace(*progJa), En: strings.TrimSpace(*progEn)},
		Host:      *host, ShareStatistics: *share}}
	if *nameJa != "" || *nameEn != "" {
		// Names given: the institution is new to the registry.
		nm.Institution = &partnerhub.Institution{Slug: nm.Member.Institution, Name: partnerhub.Text{Ja: strings.TrimSpace(*nameJa), En: strings.TrimSpace(*nameEn)},
			Country: strings.ToUpper(strings.TrimSpace(*country)), Website: strings.TrimSpace(*website)}
	}
	db, err := a.openMembers(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.AddMember(ctx, nil, nm)
	if err != nil {
		return a.describeMember(err)
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.home_added", m.Slug, a.text(m.Name)))
	return nil
}

// describeMember names each field's problem by the flag that sets it.
func (a *app) describeMember(err error) error {
	var e *partnerhub.Error
	if errors.As(err, &e) && e.Code == partnerhub.EInvalid {
		renamed := partnerhub.FieldErrors{}
		for f, fe := range e.Fields {
			// Fields are programme.ja, institution.name.en and the
			// like; each is named by its flag.
			parts := strings.Split(strings.TrimPrefix(f, "institution."), ".")
			switch {
			case f == "institution.slug":
				f = "institution"
			case len(parts) == 2 && (parts[1] == "ja" || parts[1] == "en"):
				f = parts[0] + "-" + parts[1]
			case f == "programme" || parts[0] == "name":
				f = parts[0] + "-ja"
			case strings.HasPrefix(f, "institution.") && len(parts) == 1:
				f = parts[0]
			}
			renamed[f] = fe
		}
		return a.describeUser(&partnerhub.Error{Code: e.Code, Message: e.Message, Args: e.Args, Fields: renamed})
	}
	return a.describe(err)
}

func (a *app) homeList(ctx context.Context, args []string) error {
	fs := a.flags("home list", "cli.home_usage_list")
	dbURL := a.dbFlag(fs)
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	db, err := a.openMembers(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	members, err := db.Members(ctx)
	if err != nil {
		return a.describe(err)
	}
	rows := [][]string{{a.p.T("cli.home_col_slug"), a.p.T("cli.home_col_name"), a.p.T("cli.home_col_programme"), a.p.T("cli.home_col_host"), a.p.T("cli.home_col_status")}}
	for _, m := range members {
		status := a.p.T("cli.home_status_active")
		if m.Disabled {
			status = a.p.T("cli.home_status_disabled")
		}
		host := m.Host
		if host == "" {
			host = "-"
		}
		rows = append(rows, []string{m.Slug, a.text(m.Name), a.text(m.Programme), host, status})
	}
	writeTable(a.stdout, rows)
	return nil
}

// homeSet changes the settings named by the flags given, and no other.
func (a *app) homeSet(ctx context.Context, args []string) error {
	fs := a.flags("home set", "cli.home_usage_set")
	dbURL := a.dbFlag(fs)
	slug := fs.String("slug", "", a.p.T("cli.home_flag_slug"))
	progJa := fs.String("programme-ja", "", a.p.T("cli.home_flag_programme_ja"))
	progEn := fs.String("programme-en", "", a.p.T("cli.home_flag_programme_en"))
	host := fs.String("host", "", a.p.T("cli.home_flag_host"))
	share := fs.Bool("share-statistics", false, a.p.T("cli.home_flag_share_statistics"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	if err := a.required("slug", *slug); err != nil {
		return err
	}
	db, err := a.openMembers(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Member(ctx, *slug)
	if err != nil {
		return a.describe(err)
	}
	set := partnerhub.MemberSettings{Programme: m.Programme, Host: m.Host, ShareStatistics: m.ShareStatistics}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "programme-ja":
			set.Programme.Ja = *progJa
		case "programme-en":
			set.Programme.En = *progEn
		case "host":
			set.Host = *host
		case "share-statistics":
			set.ShareStatistics = *share
		}
	})
	if _, err := db.UpdateMember(ctx, nil, *slug, set); err != nil {
		return a.describeMember(err)
	}
	fmt.Fprintln(a.stdout, a.p.T("cli.home_set", *slug))
	return nil
}

func (a *app) homeSetDisabled(ctx context.Context, args []string, disabled bool) error {
	name, usage, done := "home enable", "cli.home_usage_enable", "cli.home_enabled"
	if disabled {
		name, usage, done = "home disable", "cli.home_usage_disable", "cli.home_disabled"
	}
	fs := a.flags(name, usage)
	dbURL := a.dbFlag(fs)
	slug := fs.String("slug", "", a.p.T("cli.home_flag_slug"))
	if help, err := a.parse(fs, args); help || err != nil {
		return err
	}
	if err := a.required("slug", *slug); err != nil {
		return err
	}
	db, err := a.openMembers(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetMemberDisabled(ctx, nil, *slug, disabled); err != nil {
		return a.describe(err)
	}
	fmt.Fprintln(a.stdout, a.p.T(done, *slug))
	return nil
}

// text is a Text in the terminal's language, else in the other.
func (a *app) text(t partnerhub.Text) string {
	s, _ := t.In(a.p.Lang)
	return s
}
