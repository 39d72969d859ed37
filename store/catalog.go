package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"partnerhub"
)

// ImportCatalog writes a whole catalog in one transaction: a new home
// institution with its units, phases, partners, teams, agreements,
// activities and figures. Institutions already in the shared registry (same
// slug) are reused as they are. The catalog is validated first; a home
// institution that exists already is a conflict, and nothing is written.
func (db *DB) ImportCatalog(ctx context.Context, c *partnerhub.Catalog) error {
	if err := c.Validate(); err != nil {
		return err
	}
	// A schema older than the search index (the migration tests load data
	// into one) has no index to mark.
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		w := &writer{db: db, tx: tx, ctx: ctx, insts: map[string]int64{}, units: map[string]int64{},
			partners: map[string]int64{}, series: map[string]int64{}, now: dbTime(time.Now())}
		if err := w.catalog(c); err != nil {
			return err
		}
		if version < searchMigration {
			return nil
		}
		// Written without audit events: the search index builds this
		// home's part, and the registry it may have added to, again.
		return db.markSearchStale(ctx, tx, "home:"+strconv.FormatInt(w.home, 10), "institutions")
	})
}

type writer struct {
	db  *DB
	tx  *sql.Tx
	ctx context.Context

	home                           int64
	insts, units, partners, series map[string]int64
	now                            time.Time
}

func (w *writer) exec(query string, args ...any) error {
	_, err := w.tx.ExecContext(w.ctx, w.db.q(query), args...)
	return err
}

func (w *writer) insert(query string, args ...any) (int64, error) {
	var id int64
	err := w.tx.QueryRowContext(w.ctx, w.db.q(query+" RETURNING id"), args...).Scan(&id)
	return id, err
}

// null stores the zero value of an optional reference or number as NULL.
func null[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func (w *writer) catalog(c *partnerhub.Catalog) error {
	var exists int
	if err := w.tx.QueryRowContext(w.ctx, w.db.q(`SELECT count(*) FROM home_institutions WHERE slug = ?`), c.Home.Slug).Scan(&exists); err != nil {
		return err
	}
	if exists > 0 {
		return partnerhub.Errorf(partnerhub.EConflict, "error.home_exists", c.Home.Slug)
	}
	for _, in := range c.Institutions {
		var id int64
		err := w.tx.QueryRowContext(w.ctx, w.db.q(`SELECT id FROM institutions WHERE slug = ?`), in.Slug).Scan(&id)
		if err == sql.ErrNoRows {
			id, err = w.insert(`INSERT INTO institutions (slug, name_ja, name_en, acronym, country, city_ja, city_en, lat, lng, website, ror, established, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				in.Slug, in.Name.Ja, in.Name.En, in.Acronym, in.Country, in.City.Ja, in.City.En, in.Lat, in.Lng, in.Website, in.ROR, in.Established, max(in.Version, 1))
		}
		if err != nil {
			return fmt.Errorf("institution %s: %w", in.Slug, err)
		}
		w.insts[in.Slug] = id
	}
	var err error
	w.home, err = w.insert(`INSERT INTO home_institutions (slug, institution_id, programme_ja, programme_en) VALUES (?, ?, ?, ?)`,
		c.Home.Slug, w.insts[c.Home.Institution], c.Home.Programme.Ja, c.Home.Programme.En)
	if err != nil {
		return fmt.Errorf("home %s: %w", c.Home.Slug, err)
	}
	for i, u := range c.Units {
		id, err := w.insert(`INSERT INTO units (home_id, code, name_ja, name_en, abbr_ja, abbr_en, kind, position, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.home, u.Code, u.Name.Ja, u.Name.En, u.Abbr.Ja, u.Abbr.En, u.Kind, i, max(u.Version, 1))
		if err != nil {
			return fmt.Errorf("unit %s: %w", u.Code, err)
		}
		w.units[u.Code] = id
	}
	for _, p := range c.Phases {
		if err := w.exec(`INSERT INTO phases (home_id, number, start_year, end_year, total_partners, primary_partners, prospective_partners) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			w.home, p.Number, p.StartYear, p.EndYear, p.Declared.Total, p.Declared.Primary, p.Declared.Prospective); err != nil {
			return fmt.Errorf("phase %d: %w", p.Number, err)
		}
		for i, a := range p.Aims {
			if err := w.exec(`INSERT INTO phase_aims (home_id, phase, position, text_ja, text_en) VALUES (?, ?, ?, ?, ?)`, w.home, p.Number, i, a.Ja, a.En); err != nil {
				return fmt.Errorf("phase %d aim %d: %w", p.Number, i, err)
			}
		}
	}
	for i, p := range c.Partners {
		id, err := w.insert(`INSERT INTO partners (home_id, slug, name_ja, name_en, short_name, kind, summary_ja, summary_en, note_ja, note_en, position, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.home, p.Slug, p.Name.Ja, p.Name.En, p.ShortName, p.Kind, p.Summary.Ja, p.Summary.En, p.Note.Ja, p.Note.En, i, max(p.Version, 1))
		if err != nil {
			return fmt.Errorf("partner %s: %w", p.Slug, err)
		}
		w.partners[p.Slug] = id
		for j, m := range p.Members {
			if err := w.exec(`INSERT INTO partner_members (partner_id, institution_id, position) VALUES (?, ?, ?)`, id, w.insts[m], j); err != nil {
				return fmt.Errorf("partner %s member %s: %w", p.Slug, m, err)
			}
		}
	}
	for _, s := range c.Standings {
		if err := w.exec(`INSERT INTO standings (home_id, partner_id, phase, tier) VALUES (?, ?, ?, ?)`, w.home, w.partners[s.Partner], s.Phase, s.Tier); err != nil {
			return fmt.Errorf("standing %s/%d: %w", s.Partner, s.Phase, err)
		}
	}
	for i, t := range c.Teams {
		if err := w.exec(`INSERT INTO team_memberships (home_id, partner_id, unit_id, phase, lead, position) VALUES (?, ?, ?, ?, ?, ?)`,
			w.home, w.partners[t.Partner], w.units[t.Unit], t.Phase, t.Lead, i); err != nil {
			return fmt.Errorf("team %s/%s/%d: %w", t.Partner, t.Unit, t.Phase, err)
		}
	}
	for _, s := range c.Series {
		id, err := w.insert(`INSERT INTO series (home_id, slug, name_ja, name_en, partner_id, since, recurrence, alternates) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			w.home, s.Slug, s.Name.Ja, s.Name.En, null(w.partners[s.Partner]), s.Since.String(), s.Recurrence, s.Alternates)
		if err != nil {
			return fmt.Errorf("series %s: %w", s.Slug, err)
		}
		w.series[s.Slug] = id
	}
	for _, a := range c.Agreements {
		declared := a.Declared
		if declared == "" {
			declared = partnerhub.Unknown
		}
		id, err := w.insert(`INSERT INTO agreements (home_id, slug, partner_id, institution_id, kind, level, title_ja, title_en, signed, effective, expires,
				renewal, notice_days, home_signatory, partner_signatory, renews, stage, status, note_ja, note_en, published, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.home, a.Slug, w.partners[a.Partner], null(w.insts[a.Institution]), a.Kind, a.Level, a.Title.Ja, a.Title.En,
			a.Signed.String(), a.Effective.String(), a.Expires.String(), a.Renewal, a.NoticeDays, a.HomeSignatory, a.PartnerSignatory,
			a.Renews, a.Stage, declared, a.Note.Ja, a.Note.En, a.Published, max(a.Version, 1))
		if err != nil {
			return fmt.Errorf("agreement %s: %w", a.Slug, err)
		}
		for j, u := range a.Units {
			if err := w.exec(`INSERT INTO agreement_units (agreement_id, unit_id, position) VALUES (?, ?, ?)`, id, w.units[u], j); err != nil {
				return fmt.Errorf("agreement %s unit %s: %w", a.Slug, u, err)
			}
		}
	}
	for _, a := range c.Activities {
		var count, qual any
		if a.Participants != nil {
			count, qual = a.Participants.Value, string(a.Participants.Qualifier)
		}
		id, err := w.insert(`INSERT INTO activities (home_id, slug, kind, title_ja, title_en, summary_ja, summary_en, start_date, end_date, fiscal_year, phase,
			format, host_id, venue_ja, venue_en, participants, participants_qualifier, series_id, edition, published, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.home, a.Slug, a.Kind, a.Title.Ja, a.Title.En, a.Summary.Ja, a.Summary.En, a.Start.String(), a.End.String(), a.FiscalYear, a.Phase,
			a.Format, null(w.insts[a.Host]), a.Venue.Ja, a.Venue.En, count, qual, null(w.series[a.Series]), a.Edition, a.Published, max(a.Version, 1))
		if err != nil {
			return fmt.Errorf("activity %s: %w", a.Slug, err)
		}
		for j, p := range a.Partners {
			if err := w.exec(`INSERT INTO activity_partners (activity_id, partner_id, position) VALUES (?, ?, ?)`, id, w.partners[p], j); err != nil {
				return fmt.Errorf("activity %s partner %s: %w", a.Slug, p, err)
			}
		}
		for j, u := range a.Units {
			if err := w.exec(`INSERT INTO activity_units (activity_id, unit_id, position) VALUES (?, ?, ?)`, id, w.units[u], j); err != nil {
				return fmt.Errorf("activity %s unit %s: %w", a.Slug, u, err)
			}
		}
		for j, in := range a.Institutions {
			if err := w.exec(`INSERT INTO activity_institutions (activity_id, institution_id, position) VALUES (?, ?, ?)`, id, w.insts[in], j); err != nil {
				return fmt.Errorf("activity %s institution %s: %w", a.Slug, in, err)
			}
		}
	}
	for _, f := range c.Figures {
		if _, err := w.insert(`INSERT INTO figures (home_id, key, partner_id, value, qualifier, per_year, as_of, note_ja, note_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.home, f.Key, null(w.partners[f.Partner]), f.Value.Value, f.Value.Qualifier, f.PerYear, f.AsOf.String(), f.Note.Ja, f.Note.En); err != nil {
			return fmt.Errorf("figure %s: %w", f.Key, err)
		}
	}
	for _, f := range c.Funds {
		partners, _ := json.Marshal(nonNilSlice(f.Partners))
		contributions, _ := json.Marshal(nonNilSlice(f.Contributions))
		if err := w.exec(`INSERT INTO funds (home_id, slug, name_ja, name_en, summary_ja, summary_en, partners, partner_zone, home_currency,
			partner_currency, contributions, declared_calls, declared_projects, conflict_by_unit, reviews_open, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.home, f.Slug, f.Name.Ja, f.Name.En, f.Summary.Ja, f.Summary.En, string(partners), f.PartnerZone, f.HomeCurrency,
			f.PartnerCurrency, string(contributions), f.DeclaredCalls, f.DeclaredProjects, f.ConflictByUnit, f.ReviewsOpen,
			max(f.Version, 1), w.now, w.now); err != nil {
			return fmt.Errorf("fund %s: %w", f.Slug, err)
		}
	}
	return nil
}

// nonNilSlice stores an empty list as [] rather than null.
func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
