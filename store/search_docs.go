package store

// What search finds of each kind of record: the documents of the search
// index, read from the records' own tables. The same queries build the
// whole index, a home's part of it, or the documents of a few records
// (the catch-up after audit events), so that the three never disagree.

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/search"
)

// searchDoc is one record as the index holds it.
type searchDoc struct {
	kind      partnerhub.SearchKind
	recordID  int64
	homeID    int64 // the home it belongs to; 0: the shared registry
	scopeHome int64 // whose searches see it: homeID, or 0 for everyone's (institutions, published notes)
	key       string
	year      int
	public    bool
	title     partnerhub.Text
	names     []string // other names, in no language: acronyms, marks, codes
	bodyJa    []string
	bodyEn    []string
}

// kindLetter starts a kind's token scopes.
var kindLetter = map[partnerhub.SearchKind]string{
	partnerhub.SearchPartner: "p", partnerhub.SearchInstitution: "i", partnerhub.SearchUnit: "u",
	partnerhub.SearchActivity: "a", partnerhub.SearchAgreement: "g", partnerhub.SearchCall: "c",
	partnerhub.SearchProject: "j", partnerhub.SearchNote: "n",
}

// searchScope is the prefix of the tokens of a kind's documents that one
// home's searches see: public ones, or drafts; scopeHome 0 for everyone's.
func searchScope(k partnerhub.SearchKind, public bool, scopeHome int64) string {
	v := "d"
	if public {
		v = "p"
	}
	return kindLetter[k] + v + strconv.FormatInt(scopeHome, 10)
}

func (d *searchDoc) doc() search.Doc {
	titles := append([]string{d.title.Ja, d.title.En}, d.names...)
	return search.Doc{Titles: titles, Bodies: append(append([]string{}, d.bodyJa...), d.bodyEn...), Year: d.year}
}

func (d *searchDoc) tokens() []string {
	doc := d.doc()
	return doc.Tokens(searchScope(d.kind, d.public, d.scopeHome))
}

// selector picks the records to read: all, those of some homes, or some
// records by id.
type selector struct {
	by   string // "", "home" or "id"
	vals []int64
}

// where is the selector as a condition on a source's columns.
func (s selector) where(idCol, homeCol string) (string, []any) {
	col := idCol
	switch s.by {
	case "":
		return "1 = 1", nil
	case "home":
		col = homeCol
	}
	if len(s.vals) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(s.vals))
	for i, v := range s.vals {
		args[i] = v
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(s.vals)), ", ") + ")", args
}

// docSource reads the documents of one kind.
type docSource struct {
	kind partnerhub.SearchKind
	read func(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error)
}

// docSources are in SearchKinds order.
var docSources = []docSource{
	{partnerhub.SearchPartner, readPartnerDocs},
	{partnerhub.SearchInstitution, readInstitutionDocs},
	{partnerhub.SearchUnit, readUnitDocs},
	{partnerhub.SearchActivity, readActivityDocs},
	{partnerhub.SearchAgreement, readAgreementDocs},
	{partnerhub.SearchCall, readCallDocs},
	{partnerhub.SearchProject, readProjectDocs},
	{partnerhub.SearchNote, readNoteDocs},
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// yearOf is the year of a stored partial date ("2020-05", "2020"), 0 when
// there is none.
func yearOf(s string) int {
	if len(s) < 4 {
		return 0
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil {
		return 0
	}
	return y
}

func readPartnerDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	w, args := sel.where("p.id", "p.home_id")
	var out []*searchDoc
	at := map[int64]*searchDoc{}
	err := eachRow(ctx, db, q, `SELECT p.id, p.home_id, p.slug, p.name_ja, p.name_en, p.short_name, p.summary_ja, p.summary_en
		FROM partners p WHERE p.deleted_at IS NULL AND `+w+` ORDER BY p.id`, args, func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchPartner, public: true}
		var short, sja, sen string
		if err := rows.Scan(&d.recordID, &d.homeID, &d.key, &d.title.Ja, &d.title.En, &short, &sja, &sen); err != nil {
			return err
		}
		d.scopeHome = d.homeID
		d.names = nonEmpty(short)
		d.bodyJa, d.bodyEn = nonEmpty(sja), nonEmpty(sen)
		at[d.recordID] = d
		out = append(out, d)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	// The member institutions' names and acronyms are the partner's names
	// too; their countries part of its text.
	err = eachRow(ctx, db, q, `SELECT m.partner_id, i.name_ja, i.name_en, i.acronym, i.country
		FROM partner_members m JOIN institutions i ON i.id = m.institution_id JOIN partners p ON p.id = m.partner_id
		WHERE p.deleted_at IS NULL AND i.deleted_at IS NULL AND `+w+` ORDER BY m.partner_id, m.position`, args, func(rows *sql.Rows) error {
		var id int64
		var ja, en, acr, country string
		if err := rows.Scan(&id, &ja, &en, &acr, &country); err != nil {
			return err
		}
		if d := at[id]; d != nil {
			d.names = append(d.names, nonEmpty(ja, en, acr)...)
			d.bodyEn = append(d.bodyEn, nonEmpty(country)...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The units of its team in the current phase: "which partners work
	// with 農学?".
	err = eachRow(ctx, db, q, `SELECT t.partner_id, u.name_ja, u.name_en, u.abbr_ja, u.abbr_en
		FROM team_memberships t JOIN units u ON u.id = t.unit_id JOIN partners p ON p.id = t.partner_id
		WHERE p.deleted_at IS NULL AND u.deleted_at IS NULL AND `+w+`
		AND t.phase = (SELECT max(ph.number) FROM phases ph WHERE ph.home_id = p.home_id)
		ORDER BY t.partner_id, t.position`, args, func(rows *sql.Rows) error {
		var id int64
		var ja, en, aja, aen string
		if err := rows.Scan(&id, &ja, &en, &aja, &aen); err != nil {
			return err
		}
		if d := at[id]; d != nil {
			d.bodyJa = append(d.bodyJa, nonEmpty(aja+" "+ja)...)
			d.bodyEn = append(d.bodyEn, nonEmpty(aen+" "+en)...)
		}
		return nil
	})
	return out, err
}

func readInstitutionDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	if sel.by == "home" { // the registry is no home's
		sel = selector{}
	}
	w, args := sel.where("i.id", "")
	var out []*searchDoc
	err := eachRow(ctx, db, q, `SELECT i.id, i.slug, i.name_ja, i.name_en, i.acronym, i.ror, i.country, i.city_ja, i.city_en
		FROM institutions i WHERE i.deleted_at IS NULL AND `+w+` ORDER BY i.id`, args, func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchInstitution, public: true}
		var acr, ror, country, cja, cen string
		if err := rows.Scan(&d.recordID, &d.key, &d.title.Ja, &d.title.En, &acr, &ror, &country, &cja, &cen); err != nil {
			return err
		}
		d.names = nonEmpty(acr, ror)
		d.bodyJa, d.bodyEn = nonEmpty(acr, cja), nonEmpty(acr, cen, country)
		out = append(out, d)
		return nil
	})
	return out, err
}

func readUnitDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	w, args := sel.where("u.id", "u.home_id")
	var out []*searchDoc
	err := eachRow(ctx, db, q, `SELECT u.id, u.home_id, u.code, u.name_ja, u.name_en, u.abbr_ja, u.abbr_en
		FROM units u WHERE u.deleted_at IS NULL AND `+w+` ORDER BY u.id`, args, func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchUnit, public: true}
		var aja, aen string
		if err := rows.Scan(&d.recordID, &d.homeID, &d.key, &d.title.Ja, &d.title.En, &aja, &aen); err != nil {
			return err
		}
		d.scopeHome = d.homeID
		d.names = nonEmpty(aja, aen, d.key)
		// The marks are what a snippet shows of a unit found by its mark.
		d.bodyJa, d.bodyEn = nonEmpty(aja), nonEmpty(aen)
		out = append(out, d)
		return nil
	})
	return out, err
}

// partnerNames reads the names of the partners linked to records (an
// activity's partners) for the records sel picks, by record id.
func partnerNames(ctx context.Context, db *DB, q querier, query string, args []any, at map[int64]*searchDoc) error {
	return eachRow(ctx, db, q, query, args, func(rows *sql.Rows) error {
		var id int64
		var ja, en, short string
		if err := rows.Scan(&id, &ja, &en, &short); err != nil {
			return err
		}
		if d := at[id]; d != nil {
			d.bodyJa = append(d.bodyJa, nonEmpty(ja)...)
			d.bodyEn = append(d.bodyEn, nonEmpty(en)...)
			if short != "" && short != en {
				d.bodyEn = append(d.bodyEn, short)
			}
		}
		return nil
	})
}

func readActivityDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	w, args := sel.where("a.id", "a.home_id")
	var out []*searchDoc
	at := map[int64]*searchDoc{}
	err := eachRow(ctx, db, q, `SELECT a.id, a.home_id, a.slug, a.title_ja, a.title_en, a.summary_ja, a.summary_en, a.venue_ja, a.venue_en,
		a.start_date, a.published FROM activities a WHERE a.deleted_at IS NULL AND `+w+` ORDER BY a.id`, args, func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchActivity}
		var sja, sen, vja, ven, start string
		if err := rows.Scan(&d.recordID, &d.homeID, &d.key, &d.title.Ja, &d.title.En, &sja, &sen, &vja, &ven, &start, &d.public); err != nil {
			return err
		}
		d.scopeHome, d.year = d.homeID, yearOf(start)
		d.bodyJa, d.bodyEn = nonEmpty(sja, vja), nonEmpty(sen, ven)
		at[d.recordID] = d
		out = append(out, d)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	// "What did we do with Stockholm in 2020?": its partners' names.
	err = partnerNames(ctx, db, q, `SELECT x.activity_id, p.name_ja, p.name_en, p.short_name
		FROM activity_partners x JOIN partners p ON p.id = x.partner_id JOIN activities a ON a.id = x.activity_id
		WHERE a.deleted_at IS NULL AND p.deleted_at IS NULL AND `+w+` ORDER BY x.activity_id, x.position`, args, at)
	return out, err
}

func readAgreementDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	w, args := sel.where("a.id", "a.home_id")
	var out []*searchDoc
	at := map[int64]*searchDoc{}
	// Public as the public catalog has it (partnerhub.Catalog.Public):
	// published and signed (or since terminated); else a draft.
	err := eachRow(ctx, db, q, `SELECT a.id, a.home_id, a.slug, a.title_ja, a.title_en, a.signed, a.effective, a.stage, a.published,
		COALESCE(i.name_ja, ''), COALESCE(i.name_en, '')
		FROM agreements a JOIN partners p ON p.id = a.partner_id LEFT JOIN institutions i ON i.id = a.institution_id AND i.deleted_at IS NULL
		WHERE a.deleted_at IS NULL AND p.deleted_at IS NULL AND `+w+` ORDER BY a.id`, args, func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchAgreement}
		var signed, effective, stage, ija, ien string
		var published bool
		if err := rows.Scan(&d.recordID, &d.homeID, &d.key, &d.title.Ja, &d.title.En, &signed, &effective, &stage, &published, &ija, &ien); err != nil {
			return err
		}
		d.scopeHome = d.homeID
		d.year = yearOf(signed)
		if d.year == 0 {
			d.year = yearOf(effective)
		}
		st := partnerhub.AgreementStage(stage)
		d.public = published && (st == partnerhub.StageSigned || st == partnerhub.StageTerminated)
		d.bodyJa, d.bodyEn = nonEmpty(ija), nonEmpty(ien)
		at[d.recordID] = d
		out = append(out, d)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	err = partnerNames(ctx, db, q, `SELECT a.id, p.name_ja, p.name_en, p.short_name
		FROM agreements a JOIN partners p ON p.id = a.partner_id
		WHERE a.deleted_at IS NULL AND p.deleted_at IS NULL AND `+w+` ORDER BY a.id`, args, at)
	return out, err
}

// readCallDocs reads the published calls of live funds: a draft call is
// for its fund's committee only, not for everyone who reads drafts.
func readCallDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	w, args := sel.where("c.id", "f.home_id")
	var out []*searchDoc
	err := eachRow(ctx, db, q, `SELECT c.id, f.home_id, f.slug, c.number, c.title_ja, c.title_en, c.body_ja, c.body_en, f.name_ja, f.name_en, c.opens_at
		FROM calls c JOIN funds f ON f.id = c.fund_id
		WHERE c.deleted_at IS NULL AND f.deleted_at IS NULL AND c.published = ? AND `+w+` ORDER BY c.id`, append([]any{true}, args...), func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchCall, public: true}
		var fund, bja, ben, fja, fen string
		var number int
		var opens sql.NullTime
		if err := rows.Scan(&d.recordID, &d.homeID, &fund, &number, &d.title.Ja, &d.title.En, &bja, &ben, &fja, &fen, &opens); err != nil {
			return err
		}
		d.scopeHome, d.key = d.homeID, fund+"/"+strconv.Itoa(number)
		if opens.Valid {
			d.year = opens.Time.UTC().Year()
		}
		d.bodyJa, d.bodyEn = nonEmpty(bja, fja), nonEmpty(ben, fen)
		out = append(out, d)
		return nil
	})
	return out, err
}

// readProjectDocs reads the public awards (publicAward): the projects the
// public pages show, by id (the key of their page).
func readProjectDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	w, args := sel.where("p.id", "f.home_id")
	var out []*searchDoc
	err := eachRow(ctx, db, q, `SELECT p.id, f.home_id, p.title_ja, p.title_en, c.title_ja, c.title_en, f.name_ja, f.name_en,
		(SELECT d.meeting FROM decisions d WHERE d.proposal_id = p.id)
		FROM proposals p JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
		WHERE `+publicAward+` AND `+w+` ORDER BY p.id`, append([]any{true}, args...), func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchProject, public: true}
		var cja, cen, fja, fen string
		var meeting sql.NullString
		if err := rows.Scan(&d.recordID, &d.homeID, &d.title.Ja, &d.title.En, &cja, &cen, &fja, &fen, &meeting); err != nil {
			return err
		}
		d.scopeHome, d.key, d.year = d.homeID, strconv.FormatInt(d.recordID, 10), yearOf(meeting.String)
		d.bodyJa, d.bodyEn = nonEmpty(cja, fja), nonEmpty(cen, fen)
		out = append(out, d)
		return nil
	})
	return out, err
}

// readNoteDocs reads good-practice notes: a published note (of a member
// not disabled) is everyone's; any other only its own member's drafts.
func readNoteDocs(ctx context.Context, db *DB, q querier, sel selector) ([]*searchDoc, error) {
	w, args := sel.where("n.id", "n.home_id")
	var out []*searchDoc
	at := map[int64]*searchDoc{}
	err := eachRow(ctx, db, q, `SELECT n.id, n.home_id, n.title_ja, n.title_en, n.body_ja, n.body_en, n.state, h.disabled, n.published_at, n.created_at
		FROM practice_notes n JOIN home_institutions h ON h.id = n.home_id WHERE `+w+` ORDER BY n.id`, args, func(rows *sql.Rows) error {
		d := &searchDoc{kind: partnerhub.SearchNote}
		var bja, ben, state string
		var disabled bool
		var published sql.NullTime
		var created time.Time
		if err := rows.Scan(&d.recordID, &d.homeID, &d.title.Ja, &d.title.En, &bja, &ben, &state, &disabled, &published, &created); err != nil {
			return err
		}
		d.key = strconv.FormatInt(d.recordID, 10)
		d.public = partnerhub.NoteState(state) == partnerhub.NotePublished && !disabled
		d.year = created.UTC().Year()
		if published.Valid {
			d.year = published.Time.UTC().Year()
		}
		if !d.public {
			d.scopeHome = d.homeID
		}
		d.bodyJa, d.bodyEn = nonEmpty(bja), nonEmpty(ben)
		at[d.recordID] = d
		out = append(out, d)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	err = eachRow(ctx, db, q, `SELECT t.note_id, t.tag FROM practice_note_tags t JOIN practice_notes n ON n.id = t.note_id
		WHERE `+w+` ORDER BY t.note_id, t.position`, args, func(rows *sql.Rows) error {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return err
		}
		if d := at[id]; d != nil {
			d.bodyEn = append(d.bodyEn, tag)
		}
		return nil
	})
	return out, err
}
