package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"partnerhub"
)

// Catalog reads the whole programme of a home institution: the snapshot the
// read path serves from memory. It reads in one transaction so the snapshot
// is consistent even while another node writes.
func (db *DB) Catalog(ctx context.Context, home string) (*partnerhub.Catalog, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r := &reader{db: db, tx: tx, ctx: ctx}
	c, err := r.catalog(home)
	if err != nil {
		return nil, err
	}
	return c, tx.Commit()
}

type reader struct {
	db  *DB
	tx  *sql.Tx
	ctx context.Context
}

// each runs query and calls scan for every row.
func (r *reader) each(query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := r.tx.QueryContext(r.ctx, r.db.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func date(s string, into *partnerhub.PartialDate) error {
	d, err := partnerhub.ParsePartialDate(s)
	if err != nil {
		return fmt.Errorf("stored date: %w", err)
	}
	*into = d
	return nil
}

func (r *reader) catalog(home string) (*partnerhub.Catalog, error) {
	c := &partnerhub.Catalog{}
	var homeID int64
	err := r.tx.QueryRowContext(r.ctx, r.db.q(`SELECT h.id, h.slug, i.slug, h.programme_ja, h.programme_en
		FROM home_institutions h JOIN institutions i ON i.id = h.institution_id WHERE h.slug = ?`), home).
		Scan(&homeID, &c.Home.Slug, &c.Home.Institution, &c.Home.Programme.Ja, &c.Home.Programme.En)
	if err == sql.ErrNoRows {
		return nil, notFound("error.home_not_found", home)
	}
	if err != nil {
		return nil, err
	}
	h := []any{homeID}

	// The institutions of this home: its own, its partners' members, and
	// those its agreements and activities name.
	err = r.each(`SELECT slug, name_ja, name_en, acronym, country, city_ja, city_en, lat, lng, website, ror, established, version
		FROM institutions WHERE deleted_at IS NULL AND id IN (
			SELECT institution_id FROM home_institutions WHERE id = ?
			UNION SELECT m.institution_id FROM partner_members m JOIN partners p ON p.id = m.partner_id WHERE p.home_id = ? AND p.deleted_at IS NULL
			UNION SELECT institution_id FROM agreements WHERE home_id = ? AND institution_id IS NOT NULL AND deleted_at IS NULL
			UNION SELECT host_id FROM activities WHERE home_id = ? AND host_id IS NOT NULL AND deleted_at IS NULL
			UNION SELECT ai.institution_id FROM activity_institutions ai JOIN activities a ON a.id = ai.activity_id WHERE a.home_id = ? AND a.deleted_at IS NULL)
		ORDER BY slug`, []any{homeID, homeID, homeID, homeID, homeID}, func(rows *sql.Rows) error {
		var in partnerhub.Institution
		if err := rows.Scan(&in.Slug, &in.Name.Ja, &in.Name.En, &in.Acronym, &in.Country, &in.City.Ja, &in.City.En,
			&in.Lat, &in.Lng, &in.Website, &in.ROR, &in.Established, &in.Version); err != nil {
			return err
		}
		c.Institutions = append(c.Institutions, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("institutions: %w", err)
	}
	err = r.each(`SELECT code, name_ja, name_en, abbr_ja, abbr_en, kind, version FROM units WHERE home_id = ? AND deleted_at IS NULL ORDER BY position`, h, func(rows *sql.Rows) error {
		var u partnerhub.Unit
		if err := rows.Scan(&u.Code, &u.Name.Ja, &u.Name.En, &u.Abbr.Ja, &u.Abbr.En, &u.Kind, &u.Version); err != nil {
			return err
		}
		c.Units = append(c.Units, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("units: %w", err)
	}
	phaseAt := map[int]int{}
	err = r.each(`SELECT number, start_year, end_year, total_partners, primary_partners, prospective_partners FROM phases WHERE home_id = ? ORDER BY number`, h, func(rows *sql.Rows) error {
		var p partnerhub.Phase
		if err := rows.Scan(&p.Number, &p.StartYear, &p.EndYear, &p.Declared.Total, &p.Declared.Primary, &p.Declared.Prospective); err != nil {
			return err
		}
		p.Aims = []partnerhub.Text{}
		phaseAt[p.Number] = len(c.Phases)
		c.Phases = append(c.Phases, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("phases: %w", err)
	}
	err = r.each(`SELECT phase, text_ja, text_en FROM phase_aims WHERE home_id = ? ORDER BY phase, position`, h, func(rows *sql.Rows) error {
		var n int
		var t partnerhub.Text
		if err := rows.Scan(&n, &t.Ja, &t.En); err != nil {
			return err
		}
		p := &c.Phases[phaseAt[n]]
		p.Aims = append(p.Aims, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("phase aims: %w", err)
	}
	partnerAt := map[string]int{}
	err = r.each(`SELECT slug, name_ja, name_en, short_name, kind, summary_ja, summary_en, note_ja, note_en, version FROM partners
		WHERE home_id = ? AND deleted_at IS NULL ORDER BY position`, h, func(rows *sql.Rows) error {
		var p partnerhub.Partner
		if err := rows.Scan(&p.Slug, &p.Name.Ja, &p.Name.En, &p.ShortName, &p.Kind, &p.Summary.Ja, &p.Summary.En, &p.Note.Ja, &p.Note.En, &p.Version); err != nil {
			return err
		}
		partnerAt[p.Slug] = len(c.Partners)
		c.Partners = append(c.Partners, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("partners: %w", err)
	}
	err = r.each(`SELECT p.slug, i.slug FROM partner_members m JOIN partners p ON p.id = m.partner_id JOIN institutions i ON i.id = m.institution_id
		WHERE p.home_id = ? AND p.deleted_at IS NULL AND i.deleted_at IS NULL ORDER BY p.position, m.position`, h, func(rows *sql.Rows) error {
		var p, in string
		if err := rows.Scan(&p, &in); err != nil {
			return err
		}
		c.Partners[partnerAt[p]].Members = append(c.Partners[partnerAt[p]].Members, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("partner members: %w", err)
	}
	err = r.each(`SELECT p.slug, s.phase, s.tier FROM standings s JOIN partners p ON p.id = s.partner_id
		WHERE s.home_id = ? AND p.deleted_at IS NULL ORDER BY p.slug, s.phase`, h, func(rows *sql.Rows) error {
		var s partnerhub.Standing
		if err := rows.Scan(&s.Partner, &s.Phase, &s.Tier); err != nil {
			return err
		}
		c.Standings = append(c.Standings, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("standings: %w", err)
	}
	err = r.each(`SELECT p.slug, u.code, t.phase, t.lead FROM team_memberships t JOIN partners p ON p.id = t.partner_id JOIN units u ON u.id = t.unit_id
		WHERE t.home_id = ? AND p.deleted_at IS NULL AND u.deleted_at IS NULL ORDER BY t.position`, h, func(rows *sql.Rows) error {
		var t partnerhub.TeamMembership
		if err := rows.Scan(&t.Partner, &t.Unit, &t.Phase, &t.Lead); err != nil {
			return err
		}
		c.Teams = append(c.Teams, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	err = r.each(`SELECT s.slug, s.name_ja, s.name_en, COALESCE(p.slug, ''), s.since, s.recurrence, s.alternates
		FROM series s LEFT JOIN partners p ON p.id = s.partner_id AND p.deleted_at IS NULL WHERE s.home_id = ? ORDER BY s.slug`, h, func(rows *sql.Rows) error {
		var s partnerhub.Series
		var since string
		if err := rows.Scan(&s.Slug, &s.Name.Ja, &s.Name.En, &s.Partner, &since, &s.Recurrence, &s.Alternates); err != nil {
			return err
		}
		if err := date(since, &s.Since); err != nil {
			return err
		}
		c.Series = append(c.Series, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	if err := r.agreements(c, homeID); err != nil {
		return nil, fmt.Errorf("agreements: %w", err)
	}
	if err := r.activities(c, homeID); err != nil {
		return nil, fmt.Errorf("activities: %w", err)
	}
	err = r.each(`SELECT f.key, COALESCE(p.slug, ''), f.value, f.qualifier, f.per_year, f.as_of, f.note_ja, f.note_en
		FROM figures f LEFT JOIN partners p ON p.id = f.partner_id WHERE f.home_id = ? AND (p.id IS NULL OR p.deleted_at IS NULL) ORDER BY f.id`, h, func(rows *sql.Rows) error {
		var f partnerhub.Figure
		var asOf string
		if err := rows.Scan(&f.Key, &f.Partner, &f.Value.Value, &f.Value.Qualifier, &f.PerYear, &asOf, &f.Note.Ja, &f.Note.En); err != nil {
			return err
		}
		if err := date(asOf, &f.AsOf); err != nil {
			return err
		}
		c.Figures = append(c.Figures, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	err = r.each(`SELECT `+fundCols+` FROM funds f WHERE f.home_id = ? AND f.deleted_at IS NULL ORDER BY f.slug`, h, func(rows *sql.Rows) error {
		f, err := scanFund(rows)
		if err != nil {
			return err
		}
		c.Funds = append(c.Funds, f.fund)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("funds: %w", err)
	}
	c.Normalize()
	c.DeriveAgreementStatuses(partnerhub.Today(time.Now()))
	return c, nil
}

func (r *reader) agreements(c *partnerhub.Catalog, homeID int64) error {
	at := map[string]int{}
	err := r.each(`SELECT a.slug, p.slug, COALESCE(i.slug, ''), a.kind, a.level, a.title_ja, a.title_en, a.signed, a.effective, a.expires,
			a.renewal, a.notice_days, a.home_signatory, a.partner_signatory, a.renews, a.stage, a.status, a.review_chain, a.review_step, a.submitted_by,
			a.note_ja, a.note_en, a.published, a.version
		FROM agreements a JOIN partners p ON p.id = a.partner_id LEFT JOIN institutions i ON i.id = a.institution_id AND i.deleted_at IS NULL
		WHERE a.home_id = ? AND a.deleted_at IS NULL AND p.deleted_at IS NULL ORDER BY a.slug`, []any{homeID}, func(rows *sql.Rows) error {
		var a partnerhub.Agreement
		var signed, effective, expires, chain, submitted string
		var step int
		if err := rows.Scan(&a.Slug, &a.Partner, &a.Institution, &a.Kind, &a.Level, &a.Title.Ja, &a.Title.En, &signed, &effective, &expires,
			&a.Renewal, &a.NoticeDays, &a.HomeSignatory, &a.PartnerSignatory, &a.Renews, &a.Stage, &a.Declared, &chain, &step, &submitted,
			&a.Note.Ja, &a.Note.En, &a.Published, &a.Version); err != nil {
			return err
		}
		for _, d := range []struct {
			s string
			d *partnerhub.PartialDate
		}{{signed, &a.Signed}, {effective, &a.Effective}, {expires, &a.Expires}} {
			if err := date(d.s, d.d); err != nil {
				return err
			}
		}
		var err error
		if a.Review, err = decodeReview(chain, step, submitted); err != nil {
			return err
		}
		at[a.Slug] = len(c.Agreements)
		c.Agreements = append(c.Agreements, a)
		return nil
	})
	if err != nil {
		return err
	}
	return r.each(`SELECT a.slug, u.code FROM agreement_units au JOIN agreements a ON a.id = au.agreement_id JOIN units u ON u.id = au.unit_id
		WHERE a.home_id = ? AND u.deleted_at IS NULL ORDER BY a.slug, au.position`, []any{homeID}, func(rows *sql.Rows) error {
		var a, u string
		if err := rows.Scan(&a, &u); err != nil {
			return err
		}
		if _, ok := at[a]; !ok {
			return nil // the agreement is in the bin
		}
		c.Agreements[at[a]].Units = append(c.Agreements[at[a]].Units, u)
		return nil
	})
}

func (r *reader) activities(c *partnerhub.Catalog, homeID int64) error {
	h := []any{homeID}
	at := map[string]int{}
	err := r.each(`SELECT a.slug, a.kind, a.title_ja, a.title_en, a.summary_ja, a.summary_en, a.start_date, a.end_date, a.fiscal_year, a.phase,
			a.format, COALESCE(i.slug, ''), a.venue_ja, a.venue_en, a.participants, a.participants_qualifier, COALESCE(s.slug, ''), a.edition, a.published, a.version
		FROM activities a LEFT JOIN institutions i ON i.id = a.host_id AND i.deleted_at IS NULL LEFT JOIN series s ON s.id = a.series_id
		WHERE a.home_id = ? AND a.deleted_at IS NULL ORDER BY a.slug`, h, func(rows *sql.Rows) error {
		var a partnerhub.Activity
		var start, end string
		var count sql.NullInt64
		var qual sql.NullString
		if err := rows.Scan(&a.Slug, &a.Kind, &a.Title.Ja, &a.Title.En, &a.Summary.Ja, &a.Summary.En, &start, &end, &a.FiscalYear, &a.Phase,
			&a.Format, &a.Host, &a.Venue.Ja, &a.Venue.En, &count, &qual, &a.Series, &a.Edition, &a.Published, &a.Version); err != nil {
			return err
		}
		if err := date(start, &a.Start); err != nil {
			return err
		}
		if err := date(end, &a.End); err != nil {
			return err
		}
		if count.Valid {
			a.Participants = &partnerhub.Count{Value: int(count.Int64), Qualifier: partnerhub.Qualifier(qual.String)}
		}
		at[a.Slug] = len(c.Activities)
		c.Activities = append(c.Activities, a)
		return nil
	})
	if err != nil {
		return err
	}
	links := []struct {
		query string
		add   func(a *partnerhub.Activity, v string)
	}{
		{`SELECT a.slug, p.slug FROM activity_partners x JOIN activities a ON a.id = x.activity_id JOIN partners p ON p.id = x.partner_id
			WHERE a.home_id = ? AND p.deleted_at IS NULL ORDER BY a.slug, x.position`, func(a *partnerhub.Activity, v string) { a.Partners = append(a.Partners, v) }},
		{`SELECT a.slug, u.code FROM activity_units x JOIN activities a ON a.id = x.activity_id JOIN units u ON u.id = x.unit_id
			WHERE a.home_id = ? AND u.deleted_at IS NULL ORDER BY a.slug, x.position`, func(a *partnerhub.Activity, v string) { a.Units = append(a.Units, v) }},
		{`SELECT a.slug, i.slug FROM activity_institutions x JOIN activities a ON a.id = x.activity_id JOIN institutions i ON i.id = x.institution_id
			WHERE a.home_id = ? AND i.deleted_at IS NULL ORDER BY a.slug, x.position`, func(a *partnerhub.Activity, v string) { a.Institutions = append(a.Institutions, v) }},
	}
	for _, l := range links {
		err := r.each(l.query, h, func(rows *sql.Rows) error {
			var a, v string
			if err := rows.Scan(&a, &v); err != nil {
				return err
			}
			if i, ok := at[a]; ok { // else the activity is in the bin
				l.add(&c.Activities[i], v)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
