package store

// How each kind of record is loaded and saved by Apply.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"partnerhub"
)

func loadInstitution(e *editTx, key string) (*state[*partnerhub.Institution], error) {
	var in partnerhub.Institution
	var deleted sql.NullTime
	err := e.row(`SELECT slug, name_ja, name_en, acronym, country, city_ja, city_en, lat, lng, website, ror, established, version, deleted_at
		FROM institutions WHERE slug = ?`, key).Scan(&in.Slug, &in.Name.Ja, &in.Name.En, &in.Acronym, &in.Country, &in.City.Ja, &in.City.En,
		&in.Lat, &in.Lng, &in.Website, &in.ROR, &in.Established, &in.Version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return &state[*partnerhub.Institution]{&in, in.Version, deleted.Valid}, err
}

func saveInstitution(e *editTx, in *partnerhub.Institution, create bool, version int) (partnerhub.FieldErrors, error) {
	_, err := e.upsert(create, "institutions", "slug", in.Slug, false,
		[]string{"slug", "name_ja", "name_en", "acronym", "country", "city_ja", "city_en", "lat", "lng", "website", "ror", "established"},
		[]any{in.Slug, in.Name.Ja, in.Name.En, in.Acronym, in.Country, in.City.Ja, in.City.En, in.Lat, in.Lng, in.Website, in.ROR, in.Established}, version)
	return nil, err
}

func loadUnit(e *editTx, key string) (*state[*partnerhub.Unit], error) {
	var u partnerhub.Unit
	var deleted sql.NullTime
	err := e.row(`SELECT code, name_ja, name_en, abbr_ja, abbr_en, kind, version, deleted_at FROM units WHERE home_id = ? AND code = ?`, e.homeID, key).
		Scan(&u.Code, &u.Name.Ja, &u.Name.En, &u.Abbr.Ja, &u.Abbr.En, &u.Kind, &u.Version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return &state[*partnerhub.Unit]{&u, u.Version, deleted.Valid}, err
}

func saveUnit(e *editTx, u *partnerhub.Unit, create bool, version int) (partnerhub.FieldErrors, error) {
	errs := partnerhub.FieldErrors{}
	var clash string
	err := e.row(`SELECT code FROM units WHERE home_id = ? AND abbr_ja = ? AND code <> ? AND deleted_at IS NULL`, e.homeID, u.Abbr.Ja, u.Code).Scan(&clash)
	if err == nil {
		errs.Add("abbr.ja", "duplicate_mark", u.Abbr.Ja, clash)
		return errs, nil
	} else if err != sql.ErrNoRows {
		return nil, err
	}
	cols := []string{"code", "name_ja", "name_en", "abbr_ja", "abbr_en", "kind"}
	vals := []any{u.Code, u.Name.Ja, u.Name.En, u.Abbr.Ja, u.Abbr.En, u.Kind}
	if create {
		var pos int
		if err := e.row(`SELECT COALESCE(max(position), -1) + 1 FROM units WHERE home_id = ?`, e.homeID).Scan(&pos); err != nil {
			return nil, err
		}
		cols, vals = append(cols, "position"), append(vals, pos)
	}
	_, err = e.upsert(create, "units", "code", u.Code, true, cols, vals, version)
	return errs, err
}

func loadPartner(e *editTx, key string) (*state[*partnerhub.Partner], error) {
	var p partnerhub.Partner
	var deleted sql.NullTime
	var id int64
	err := e.row(`SELECT id, slug, name_ja, name_en, short_name, kind, summary_ja, summary_en, note_ja, note_en, version, deleted_at
		FROM partners WHERE home_id = ? AND slug = ?`, e.homeID, key).Scan(&id, &p.Slug, &p.Name.Ja, &p.Name.En, &p.ShortName, &p.Kind,
		&p.Summary.Ja, &p.Summary.En, &p.Note.Ja, &p.Note.En, &p.Version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if p.Members, err = e.strings(`SELECT i.slug FROM partner_members m JOIN institutions i ON i.id = m.institution_id
		WHERE m.partner_id = ? ORDER BY m.position`, id); err != nil {
		return nil, err
	}
	return &state[*partnerhub.Partner]{&p, p.Version, deleted.Valid}, nil
}

func savePartner(e *editTx, p *partnerhub.Partner, create bool, version int) (partnerhub.FieldErrors, error) {
	errs := partnerhub.FieldErrors{}
	members, err := e.resolve(errs, "members", "institutions", "slug", false, p.Members, "unknown_institution")
	if err != nil || len(errs) > 0 {
		return errs, err
	}
	cols := []string{"slug", "name_ja", "name_en", "short_name", "kind", "summary_ja", "summary_en", "note_ja", "note_en"}
	vals := []any{p.Slug, p.Name.Ja, p.Name.En, p.ShortName, p.Kind, p.Summary.Ja, p.Summary.En, p.Note.Ja, p.Note.En}
	if create {
		var pos int
		if err := e.row(`SELECT COALESCE(max(position), -1) + 1 FROM partners WHERE home_id = ?`, e.homeID).Scan(&pos); err != nil {
			return nil, err
		}
		cols, vals = append(cols, "position"), append(vals, pos)
	}
	id, err := e.upsert(create, "partners", "slug", p.Slug, true, cols, vals, version)
	if err != nil {
		return nil, err
	}
	return errs, e.replaceLinks("partner_members", "partner_id", id, "institution_id", members)
}

func splitTeamKey(key string) (string, int, bool) {
	p, ph, ok := strings.Cut(key, "/")
	n, err := strconv.Atoi(ph)
	return p, n, ok && err == nil
}

// A team's record exists while its partner does; its version is the partner's.
func loadTeam(e *editTx, key string) (*state[*partnerhub.TeamDoc], error) {
	slug, phase, ok := splitTeamKey(key)
	if !ok {
		return nil, nil
	}
	var id int64
	var version int
	var deleted sql.NullTime
	err := e.row(`SELECT id, version, deleted_at FROM partners WHERE home_id = ? AND slug = ?`, e.homeID, slug).Scan(&id, &version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t := &partnerhub.TeamDoc{Partner: slug, Phase: phase, Version: version}
	var tier sql.NullString
	if err := e.row(`SELECT tier FROM standings WHERE partner_id = ? AND phase = ?`, id, phase).Scan(&tier); err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	t.Tier = partnerhub.Tier(tier.String)
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(`SELECT u.code, t.lead FROM team_memberships t JOIN units u ON u.id = t.unit_id
		WHERE t.partner_id = ? AND t.phase = ? AND u.deleted_at IS NULL ORDER BY t.position`), id, phase)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t.Units = []string{}
	for rows.Next() {
		var code string
		var lead bool
		if err := rows.Scan(&code, &lead); err != nil {
			return nil, err
		}
		t.Units = append(t.Units, code)
		if lead {
			t.Lead = code
		}
	}
	return &state[*partnerhub.TeamDoc]{t, version, deleted.Valid}, rows.Err()
}

func saveTeam(e *editTx, t *partnerhub.TeamDoc, create bool, version int) (partnerhub.FieldErrors, error) {
	errs := partnerhub.FieldErrors{}
	var n int
	if err := e.row(`SELECT count(*) FROM phases WHERE home_id = ? AND number = ?`, e.homeID, t.Phase).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		errs.Add("phase", "unknown_phase", t.Phase)
	}
	partnerID, err := e.id("partners", "slug", t.Partner, true)
	if err != nil {
		return nil, err
	}
	if partnerID == 0 {
		errs.Add("partner", "unknown_partner", t.Partner)
	}
	units, err := e.resolve(errs, "units", "units", "code", true, t.Units, "unknown_unit")
	if err != nil || len(errs) > 0 {
		return errs, err
	}
	// The team's version is its partner's: bump it, at the version read.
	if err := e.mustChangeOne(`UPDATE partners SET version = ? WHERE id = ? AND version = ?`, version, partnerID, version-1); err != nil {
		return nil, err
	}
	if _, err := e.exec(`DELETE FROM standings WHERE partner_id = ? AND phase = ?`, partnerID, t.Phase); err != nil {
		return nil, err
	}
	if t.Tier != "" {
		if _, err := e.exec(`INSERT INTO standings (home_id, partner_id, phase, tier) VALUES (?, ?, ?, ?)`, e.homeID, partnerID, t.Phase, t.Tier); err != nil {
			return nil, err
		}
	}
	if _, err := e.exec(`DELETE FROM team_memberships WHERE partner_id = ? AND phase = ?`, partnerID, t.Phase); err != nil {
		return nil, err
	}
	for i, u := range units {
		if _, err := e.exec(`INSERT INTO team_memberships (home_id, partner_id, unit_id, phase, lead, position) VALUES (?, ?, ?, ?, ?, ?)`,
			e.homeID, partnerID, u, t.Phase, t.Units[i] == t.Lead, i); err != nil {
			return nil, err
		}
	}
	return errs, nil
}

func loadAgreement(e *editTx, key string) (*state[*partnerhub.Agreement], error) {
	var a partnerhub.Agreement
	var deleted sql.NullTime
	var id int64
	var signed, effective, expires, chain string
	var step int
	var submitted string
	err := e.row(`SELECT a.id, a.slug, p.slug, COALESCE(i.slug, ''), a.kind, a.level, a.title_ja, a.title_en, a.signed, a.effective, a.expires,
			a.renewal, a.notice_days, a.home_signatory, a.partner_signatory, a.renews, a.stage, a.status, a.review_chain, a.review_step, a.submitted_by,
			a.note_ja, a.note_en, a.published, a.version, a.deleted_at
		FROM agreements a JOIN partners p ON p.id = a.partner_id LEFT JOIN institutions i ON i.id = a.institution_id
		WHERE a.home_id = ? AND a.slug = ?`, e.homeID, key).Scan(&id, &a.Slug, &a.Partner, &a.Institution, &a.Kind, &a.Level, &a.Title.Ja, &a.Title.En,
		&signed, &effective, &expires, &a.Renewal, &a.NoticeDays, &a.HomeSignatory, &a.PartnerSignatory, &a.Renews, &a.Stage, &a.Declared,
		&chain, &step, &submitted, &a.Note.Ja, &a.Note.En, &a.Published, &a.Version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		s string
		d *partnerhub.PartialDate
	}{{signed, &a.Signed}, {effective, &a.Effective}, {expires, &a.Expires}} {
		if err := date(d.s, d.d); err != nil {
			return nil, err
		}
	}
	if a.Review, err = decodeReview(chain, step, submitted); err != nil {
		return nil, err
	}
	if a.Units, err = e.strings(`SELECT u.code FROM agreement_units x JOIN units u ON u.id = x.unit_id WHERE x.agreement_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	a.Status = a.StatusOn(partnerhub.Today(e.now), false)
	return &state[*partnerhub.Agreement]{&a, a.Version, deleted.Valid}, nil
}

func saveAgreement(e *editTx, a *partnerhub.Agreement, create bool, version int) (partnerhub.FieldErrors, error) {
	errs := partnerhub.FieldErrors{}
	partnerID, err := e.id("partners", "slug", a.Partner, true)
	if err != nil {
		return nil, err
	}
	if partnerID == 0 {
		errs.Add("partner", "unknown_partner", a.Partner)
	}
	var instID any
	if a.Institution != "" {
		id, err := e.id("institutions", "slug", a.Institution, false)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			errs.Add("institution", "unknown_institution", a.Institution)
		}
		instID = id
	}
	if a.Renews != "" {
		id, err := e.id("agreements", "slug", a.Renews, true)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			errs.Add("renews", "unknown_agreement", a.Renews)
		}
	}
	units, err := e.resolve(errs, "units", "units", "code", true, a.Units, "unknown_unit")
	if err != nil || len(errs) > 0 {
		return errs, err
	}
	chain, step, submitted, err := encodeReview(a.Review)
	if err != nil {
		return nil, err
	}
	declared := a.Declared
	if declared == "" {
		declared = partnerhub.Unknown
	}
	id, err := e.upsert(create, "agreements", "slug", a.Slug, true,
		[]string{"slug", "partner_id", "institution_id", "kind", "level", "title_ja", "title_en", "signed", "effective", "expires",
			"renewal", "notice_days", "home_signatory", "partner_signatory", "renews", "stage", "status", "review_chain", "review_step", "submitted_by",
			"note_ja", "note_en", "published"},
		[]any{a.Slug, partnerID, instID, a.Kind, a.Level, a.Title.Ja, a.Title.En, a.Signed.String(), a.Effective.String(), a.Expires.String(),
			a.Renewal, a.NoticeDays, a.HomeSignatory, a.PartnerSignatory, a.Renews, a.Stage, declared, chain, step, submitted,
			a.Note.Ja, a.Note.En, a.Published}, version)
	if err != nil {
		return nil, err
	}
	return errs, e.replaceLinks("agreement_units", "agreement_id", id, "unit_id", units)
}

// encodeReview is a review under way as its columns; none is empty.
func encodeReview(r *partnerhub.Review) (chain string, step int, submitted string, err error) {
	if r == nil {
		return "", 0, "", nil
	}
	b, err := json.Marshal(r.Chain)
	return string(b), r.Step, r.SubmittedBy, err
}

func decodeReview(chain string, step int, submitted string) (*partnerhub.Review, error) {
	if chain == "" {
		return nil, nil
	}
	r := &partnerhub.Review{Step: step, SubmittedBy: submitted}
	if err := json.Unmarshal([]byte(chain), &r.Chain); err != nil {
		return nil, fmt.Errorf("review chain: %w", err)
	}
	return r, nil
}

func loadActivity(e *editTx, key string) (*state[*partnerhub.Activity], error) {
	var a partnerhub.Activity
	var deleted sql.NullTime
	var id int64
	var start, end string
	var count sql.NullInt64
	var qual sql.NullString
	err := e.row(`SELECT a.id, a.slug, a.kind, a.title_ja, a.title_en, a.summary_ja, a.summary_en, a.start_date, a.end_date, a.fiscal_year, a.phase,
			a.format, COALESCE(i.slug, ''), a.venue_ja, a.venue_en, a.participants, a.participants_qualifier, COALESCE(s.slug, ''), a.edition,
			a.published, a.version, a.deleted_at
		FROM activities a LEFT JOIN institutions i ON i.id = a.host_id LEFT JOIN series s ON s.id = a.series_id
		WHERE a.home_id = ? AND a.slug = ?`, e.homeID, key).Scan(&id, &a.Slug, &a.Kind, &a.Title.Ja, &a.Title.En, &a.Summary.Ja, &a.Summary.En,
		&start, &end, &a.FiscalYear, &a.Phase, &a.Format, &a.Host, &a.Venue.Ja, &a.Venue.En, &count, &qual, &a.Series, &a.Edition,
		&a.Published, &a.Version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := date(start, &a.Start); err != nil {
		return nil, err
	}
	if err := date(end, &a.End); err != nil {
		return nil, err
	}
	if count.Valid {
		a.Participants = &partnerhub.Count{Value: int(count.Int64), Qualifier: partnerhub.Qualifier(qual.String)}
	}
	if a.Partners, err = e.strings(`SELECT p.slug FROM activity_partners x JOIN partners p ON p.id = x.partner_id WHERE x.activity_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	if a.Units, err = e.strings(`SELECT u.code FROM activity_units x JOIN units u ON u.id = x.unit_id WHERE x.activity_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	if a.Institutions, err = e.strings(`SELECT i.slug FROM activity_institutions x JOIN institutions i ON i.id = x.institution_id WHERE x.activity_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	return &state[*partnerhub.Activity]{&a, a.Version, deleted.Valid}, nil
}

func saveActivity(e *editTx, a *partnerhub.Activity, create bool, version int) (partnerhub.FieldErrors, error) {
	errs := partnerhub.FieldErrors{}
	partners, err := e.resolve(errs, "partners", "partners", "slug", true, a.Partners, "unknown_partner")
	if err != nil {
		return nil, err
	}
	units, err := e.resolve(errs, "units", "units", "code", true, a.Units, "unknown_unit")
	if err != nil {
		return nil, err
	}
	insts, err := e.resolve(errs, "institutions", "institutions", "slug", false, a.Institutions, "unknown_institution")
	if err != nil {
		return nil, err
	}
	var hostID, seriesID any
	if a.Host != "" {
		id, err := e.id("institutions", "slug", a.Host, false)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			errs.Add("host", "unknown_institution", a.Host)
		}
		hostID = id
	}
	if a.Series != "" {
		var id int64
		err := e.row(`SELECT id FROM series WHERE home_id = ? AND slug = ?`, e.homeID, a.Series).Scan(&id)
		if err == sql.ErrNoRows {
			errs.Add("series", "unknown_series", a.Series)
		} else if err != nil {
			return nil, err
		}
		seriesID = id
	}
	if len(errs) > 0 {
		return errs, nil
	}
	var count, qual any
	if a.Participants != nil {
		count, qual = a.Participants.Value, string(a.Participants.Qualifier)
	}
	id, err := e.upsert(create, "activities", "slug", a.Slug, true,
		[]string{"slug", "kind", "title_ja", "title_en", "summary_ja", "summary_en", "start_date", "end_date", "fiscal_year", "phase", "format",
			"host_id", "venue_ja", "venue_en", "participants", "participants_qualifier", "series_id", "edition", "published"},
		[]any{a.Slug, a.Kind, a.Title.Ja, a.Title.En, a.Summary.Ja, a.Summary.En, a.Start.String(), a.End.String(), a.FiscalYear, a.Phase, a.Format,
			hostID, a.Venue.Ja, a.Venue.En, count, qual, seriesID, a.Edition, a.Published}, version)
	if err != nil {
		return nil, err
	}
	if err := e.replaceLinks("activity_partners", "activity_id", id, "partner_id", partners); err != nil {
		return nil, err
	}
	if err := e.replaceLinks("activity_units", "activity_id", id, "unit_id", units); err != nil {
		return nil, err
	}
	return errs, e.replaceLinks("activity_institutions", "activity_id", id, "institution_id", insts)
}
