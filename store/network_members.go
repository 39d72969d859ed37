package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"partnerhub"
)

// The members of a network deployment: its home institutions.

var _ partnerhub.MemberService = (*DB)(nil)

const memberSelect = `SELECT h.slug, i.slug, i.name_ja, i.name_en, h.programme_ja, h.programme_en, h.host, h.disabled, h.share_statistics, h.created_at
	FROM home_institutions h JOIN institutions i ON i.id = h.institution_id`

func scanMember(row rowScanner) (*partnerhub.Member, error) {
	var m partnerhub.Member
	if err := row.Scan(&m.Slug, &m.Institution, &m.Name.Ja, &m.Name.En, &m.Programme.Ja, &m.Programme.En,
		&m.Host, &m.Disabled, &m.ShareStatistics, &m.CreatedAt); err != nil {
		return nil, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return &m, nil
}

// Members are every member, disabled ones too, oldest first.
func (db *DB) Members(ctx context.Context) ([]partnerhub.Member, error) {
	rows, err := db.read.QueryContext(ctx, memberSelect+` ORDER BY h.id`)
	if err != nil {
		return nil, wrap("members", err)
	}
	defer rows.Close()
	var out []partnerhub.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, wrap("members", err)
		}
		out = append(out, *m)
	}
	return out, wrap("members", rows.Err())
}

// Member is one member by its slug.
func (db *DB) Member(ctx context.Context, slug string) (*partnerhub.Member, error) {
	m, err := scanMember(db.read.QueryRowContext(ctx, db.q(memberSelect+` WHERE h.slug = ?`), slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("error.home_not_found", slug)
	}
	return m, wrap("member", err)
}

// AddMember adds a home institution, and its institution to the registry
// when the registry has none of that slug. Everything is checked before
// anything is written; the addition is in the new member's audit log.
func (db *DB) AddMember(ctx context.Context, by *partnerhub.User, nm partnerhub.NewMember) (*partnerhub.Member, error) {
	if by != nil {
		if err := partnerhub.Authorize(by, partnerhub.ActionCreate, partnerhub.EntityMember, partnerhub.Facts{}); err != nil {
			return nil, err
		}
	}
	m := nm.Member
	m.Host = partnerhub.NormalizeHost(m.Host)
	if nm.Institution != nil {
		// The new institution's name is the member's; an institution the
		// registry already holds is used as it is.
		m.Institution = nm.Institution.Slug
	}
	errs := partnerhub.FieldErrors{}
	if err := addFields(errs, m.Validate()); err != nil {
		return nil, err
	}
	if nm.Institution != nil {
		if err := nm.Institution.Validate(); err != nil {
			var e *partnerhub.Error
			if !errors.As(err, &e) || e.Code != partnerhub.EInvalid {
				return nil, err
			}
			for f, fe := range e.Fields {
				errs.Add("institution."+f, fe.Key, fe.Args...)
			}
		}
	}
	var out *partnerhub.Member
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM home_institutions WHERE slug = ?`), m.Slug).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			errs.Add("slug", "taken")
		}
		if m.Host != "" {
			if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM home_institutions WHERE host = ?`), m.Host).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				errs.Add("host", "host_taken")
			}
		}
		var instID int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT id FROM institutions WHERE slug = ? AND deleted_at IS NULL`), m.Institution).Scan(&instID)
		switch {
		case errors.Is(err, sql.ErrNoRows) && nm.Institution == nil:
			if m.Institution != "" {
				errs.Add("institution", "unknown_member_institution", m.Institution)
			}
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if instID == 0 {
			in := nm.Institution
			if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO institutions (slug, name_ja, name_en, acronym, country, city_ja, city_en, lat, lng, website, ror, established, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
				in.Slug, in.Name.Ja, in.Name.En, in.Acronym, in.Country, in.City.Ja, in.City.En, in.Lat, in.Lng, in.Website, in.ROR, in.Established).Scan(&instID); err != nil {
				return err
			}
		}
		now := dbTime(time.Now())
		var homeID int64
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO home_institutions (slug, institution_id, programme_ja, programme_en, host, disabled, share_statistics, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), m.Slug, instID, m.Programme.Ja, m.Programme.En, m.Host, false, m.ShareStatistics, now).Scan(&homeID); err != nil {
			return err
		}
		got, err := scanMember(tx.QueryRowContext(ctx, db.q(memberSelect+` WHERE h.id = ?`), homeID))
		if err != nil {
			return err
		}
		out = got
		return db.auditMember(ctx, tx, homeID, by, partnerhub.ActionCreate, nil, got)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetMemberDisabled disables a member (its portal stops answering and the
// network's pages leave it out) or enables it again.
func (db *DB) SetMemberDisabled(ctx context.Context, by *partnerhub.User, slug string, disabled bool) error {
	if by != nil {
		if err := partnerhub.Authorize(by, partnerhub.ActionUpdate, partnerhub.EntityMember, partnerhub.Facts{}); err != nil {
			return err
		}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, slug)
		if err != nil {
			return err
		}
		before, err := scanMember(tx.QueryRowContext(ctx, db.q(memberSelect+` WHERE h.id = ?`), homeID))
		if err != nil {
			return err
		}
		if before.Disabled == disabled {
			return nil
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE home_institutions SET disabled = ? WHERE id = ?`), disabled, homeID); err != nil {
			return err
		}
		after := *before
		after.Disabled = disabled
		return db.auditMember(ctx, tx, homeID, by, partnerhub.ActionUpdate, before, &after)
	})
}

// UpdateMember changes a member's programme name, host and sharing of
// its figures. by nil is the command line.
func (db *DB) UpdateMember(ctx context.Context, by *partnerhub.User, slug string, set partnerhub.MemberSettings) (*partnerhub.Member, error) {
	var out *partnerhub.Member
	err := db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, slug)
		if err != nil {
			return err
		}
		before, err := scanMember(tx.QueryRowContext(ctx, db.q(memberSelect+` WHERE h.id = ?`), homeID))
		if err != nil {
			return err
		}
		after := *before
		after.Programme, after.Host, after.ShareStatistics = partnerhub.Text{Ja: strings.TrimSpace(set.Programme.Ja), En: strings.TrimSpace(set.Programme.En)}, partnerhub.NormalizeHost(set.Host), set.ShareStatistics
		if by != nil {
			f := partnerhub.Facts{Member: &partnerhub.MemberFacts{Home: slug, HostChanged: after.Host != before.Host}}
			if err := partnerhub.Authorize(by, partnerhub.ActionUpdate, partnerhub.EntityMember, f); err != nil {
				return err
			}
		}
		errs := partnerhub.FieldErrors{}
		if err := addFields(errs, after.Validate()); err != nil {
			return err
		}
		if after.Host != "" && after.Host != before.Host {
			var n int
			if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM home_institutions WHERE host = ? AND id <> ?`), after.Host, homeID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				errs.Add("host", "host_taken")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		out = &after
		if after == *before {
			return nil
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE home_institutions SET programme_ja = ?, programme_en = ?, host = ?, share_statistics = ? WHERE id = ?`),
			after.Programme.Ja, after.Programme.En, after.Host, after.ShareStatistics, homeID); err != nil {
			return err
		}
		return db.auditMember(ctx, tx, homeID, by, partnerhub.ActionUpdate, before, &after)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetMemberShareStatistics changes only whether a member's figures appear
// on their own in the network's statistics (they count in the totals
// either way), by the rules of UpdateMember.
func (db *DB) SetMemberShareStatistics(ctx context.Context, by *partnerhub.User, slug string, share bool) error {
	m, err := db.Member(ctx, slug)
	if err != nil {
		return err
	}
	_, err = db.UpdateMember(ctx, by, slug, partnerhub.MemberSettings{Programme: m.Programme, Host: m.Host, ShareStatistics: share})
	return err
}

// auditMember records a change of a member in its own audit log; by nil
// is the command line (the system).
func (db *DB) auditMember(ctx context.Context, tx *sql.Tx, homeID int64, by *partnerhub.User, action partnerhub.Action, before, after *partnerhub.Member) error {
	enc := func(m *partnerhub.Member) any {
		if m == nil {
			return nil
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	var userID any
	actor := "system"
	if by != nil {
		userID, actor = by.ID, by.Email
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`), homeID, dbTime(time.Now()), userID, actor, action, partnerhub.EntityMember, homeSlug(before, after), enc(before), enc(after))
	return err
}

func homeSlug(before, after *partnerhub.Member) string {
	if after != nil {
		return after.Slug
	}
	return before.Slug
}

// LatestWrite is the newest write of any home (its audit event's id): a
// deployment asks its members whether they changed only when it moves.
func (db *DB) LatestWrite(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT max(id) FROM audit_events`).Scan(&v)
	return v.Int64, wrap("latest write", err)
}
