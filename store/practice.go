package store

// The network's good-practice notes (partnerhub.NoteService): written by a
// member's office, reviewed by the network's editors, published. A note
// not published is read only by its member's office (people who read
// drafts there) and, once submitted, by the network's editors; for anyone
// else it is not there.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

var _ partnerhub.NoteService = (*DB)(nil)

// noteQuerier is a pool or a transaction, to read a note in either.
type noteQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func errNoteNotFound(id int64) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.practice_not_found", id)
}

const noteSelect = `SELECT n.id, h.slug, n.topic, n.title_ja, n.title_en, n.body_ja, n.body_en, n.state, n.comment, n.author,
	n.created_at, n.updated_at, n.submitted_at, n.published_at, n.version, n.home_id, n.created_by
	FROM practice_notes n JOIN home_institutions h ON h.id = n.home_id`

// noteRow is a note as read, with what the store needs besides.
type noteRow struct {
	partnerhub.Note
	homeID    int64
	createdBy sql.NullInt64
}

func scanNote(row rowScanner) (*noteRow, error) {
	var n noteRow
	var sub, pub sql.NullTime
	if err := row.Scan(&n.ID, &n.Home, &n.Topic, &n.Title.Ja, &n.Title.En, &n.Body.Ja, &n.Body.En, &n.State, &n.Comment, &n.Author,
		&n.CreatedAt, &n.UpdatedAt, &sub, &pub, &n.Version, &n.homeID, &n.createdBy); err != nil {
		return nil, err
	}
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	if sub.Valid {
		t := sub.Time.UTC()
		n.SubmittedAt = &t
	}
	if pub.Valid {
		t := pub.Time.UTC()
		n.PublishedAt = &t
	}
	return &n, nil
}

// office reports whether u is of the office of home: someone of that
// member who reads its drafts.
func office(u *partnerhub.User, home string) bool {
	return partnerhub.CanReadDrafts(u) && u.Home == home
}

// mayRead reports whether u may read a note: published, its own
// member's office, or the network's editors once it was submitted.
func mayRead(u *partnerhub.User, n *partnerhub.Note) bool {
	switch {
	case n.State == partnerhub.NotePublished:
		return true
	case office(u, n.Home):
		return true
	case partnerhub.IsNetworkEditor(u):
		return n.State == partnerhub.NoteSubmitted || n.State == partnerhub.NoteReturned || n.State == partnerhub.NoteWithdrawn
	}
	return false
}

// noteByID reads a note with its tags, links and files, as u may see it:
// not found when u may not read it.
func (db *DB) noteByID(ctx context.Context, q noteQuerier, u *partnerhub.User, id int64) (*noteRow, error) {
	n, err := scanNote(q.QueryRowContext(ctx, db.q(noteSelect+` WHERE n.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoteNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if !mayRead(u, &n.Note) {
		return nil, errNoteNotFound(id)
	}
	return n, db.noteDetails(ctx, q, u, &n.Note, n.homeID)
}

// noteDetails reads a note's tags, links and files. A link to an
// activity not published is shown only to the writer's office.
func (db *DB) noteDetails(ctx context.Context, q noteQuerier, u *partnerhub.User, n *partnerhub.Note, homeID int64) error {
	n.Tags, n.Partners, n.Activities, n.Files = []string{}, []partnerhub.NoteLink{}, []partnerhub.NoteLink{}, []partnerhub.NoteFile{}
	rows, err := q.QueryContext(ctx, db.q(`SELECT tag FROM practice_note_tags WHERE note_id = ? ORDER BY position`), n.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		n.Tags = append(n.Tags, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	own := office(u, n.Home)
	rows, err = q.QueryContext(ctx, db.q(`SELECT l.kind, l.slug,
			COALESCE(p.name_ja, a.title_ja, ''), COALESCE(p.name_en, a.title_en, ''),
			CASE WHEN p.id IS NOT NULL THEN 1 WHEN a.id IS NOT NULL AND a.published = ? THEN 1 ELSE 0 END
		FROM practice_note_links l
		LEFT JOIN partners p ON l.kind = 'partner' AND p.home_id = ? AND p.slug = l.slug AND p.deleted_at IS NULL
		LEFT JOIN activities a ON l.kind = 'activity' AND a.home_id = ? AND a.slug = l.slug AND a.deleted_at IS NULL
		WHERE l.note_id = ? ORDER BY l.kind, l.position`), true, homeID, homeID, n.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var kind string
		var l partnerhub.NoteLink
		var public int
		if err := rows.Scan(&kind, &l.Slug, &l.Name.Ja, &l.Name.En, &public); err != nil {
			rows.Close()
			return err
		}
		if public == 0 && !own {
			continue // gone, or an unpublished activity: not the reader's to know of
		}
		if kind == "partner" {
			n.Partners = append(n.Partners, l)
		} else {
			n.Activities = append(n.Activities, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, db.q(`SELECT id, filename, content_type, size, sha256, uploaded_at FROM practice_note_files
		WHERE note_id = ? ORDER BY id`), n.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f partnerhub.NoteFile
		if err := rows.Scan(&f.ID, &f.Filename, &f.ContentType, &f.Size, &f.SHA256, &f.UploadedAt); err != nil {
			return err
		}
		f.UploadedAt = f.UploadedAt.UTC()
		n.Files = append(n.Files, f)
	}
	return rows.Err()
}

// likePattern is q as a LIKE pattern matching it anywhere, its own % and
// _ escaped (with \).
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// Notes implements partnerhub.NoteService.
func (db *DB) Notes(ctx context.Context, u *partnerhub.User, f partnerhub.NoteFilter) ([]partnerhub.Note, error) {
	where := []string{"h.disabled = ?"}
	args := []any{false}
	switch f.Scope {
	case partnerhub.NoteScopeLibrary:
		where = append(where, "n.state = 'published'")
	case partnerhub.NoteScopeMine:
		if !partnerhub.CanReadDrafts(u) {
			return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
		}
		where, args = []string{"h.slug = ?"}, []any{u.Home}
	case partnerhub.NoteScopeReview:
		if !partnerhub.IsNetworkEditor(u) {
			return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_network")
		}
		where = append(where, "n.state = 'submitted'")
	case partnerhub.NoteScopeVisible:
		or := []string{"n.state = 'published'"}
		if partnerhub.CanReadDrafts(u) {
			or = append(or, "h.slug = ?")
			args = append(args, u.Home)
		}
		if partnerhub.IsNetworkEditor(u) {
			or = append(or, "n.state IN ('submitted', 'returned', 'withdrawn')")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	default:
		return nil, (partnerhub.FieldErrors{"scope": {Key: "one_of", Args: []any{"mine, review, visible"}}}).Err()
	}
	if f.Topic != "" {
		where, args = append(where, "n.topic = ?"), append(args, f.Topic)
	}
	if f.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM practice_note_tags t WHERE t.note_id = n.id AND lower(t.tag) = ?)")
		args = append(args, strings.ToLower(strings.TrimSpace(f.Tag)))
	}
	for _, w := range strings.Fields(partnerhub.NormalizeNoteQuery(f.Q)) {
		where = append(where, `n.search_text LIKE ? ESCAPE '\'`)
		args = append(args, likePattern(w))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := db.read.QueryContext(ctx, db.q(noteSelect+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY COALESCE(n.published_at, n.updated_at) DESC, n.id DESC LIMIT `+strconv.Itoa(limit)), args...)
	if err != nil {
		return nil, wrap("notes", err)
	}
	var found []*noteRow
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			rows.Close()
			return nil, wrap("notes", err)
		}
		found = append(found, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("notes", err)
	}
	out := []partnerhub.Note{}
	for _, n := range found {
		if !mayRead(u, &n.Note) { // the query's rule, once more
			continue
		}
		if err := db.noteDetails(ctx, db.read, u, &n.Note, n.homeID); err != nil {
			return nil, wrap("notes", err)
		}
		out = append(out, n.Note)
	}
	return out, nil
}

// Note implements partnerhub.NoteService.
func (db *DB) Note(ctx context.Context, u *partnerhub.User, id int64) (*partnerhub.Note, error) {
	n, err := db.noteByID(ctx, db.read, u, id)
	if err != nil {
		return nil, wrap("note", err)
	}
	return &n.Note, nil
}

// NoteTags implements partnerhub.NoteService.
func (db *DB) NoteTags(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT t.tag, count(*) FROM practice_note_tags t
		JOIN practice_notes n ON n.id = t.note_id JOIN home_institutions h ON h.id = n.home_id
		WHERE n.state = 'published' AND h.disabled = ? GROUP BY t.tag ORDER BY count(*) DESC, t.tag LIMIT 50`), false)
	if err != nil {
		return nil, wrap("note tags", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, wrap("note tags", err)
		}
		out = append(out, t)
	}
	return out, wrap("note tags", rows.Err())
}

// checkNoteLinks adds a field error for each link to a partner or activity
// the writer's member does not have.
func (db *DB) checkNoteLinks(ctx context.Context, tx *sql.Tx, homeID int64, n *partnerhub.Note) error {
	errs := partnerhub.FieldErrors{}
	for _, k := range []struct {
		field, table, key string
		links             []partnerhub.NoteLink
	}{{"partners", "partners", "practice_unknown_partner", n.Partners}, {"activities", "activities", "practice_unknown_activity", n.Activities}} {
		for i, l := range k.links {
			var c int
			if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM `+k.table+` WHERE home_id = ? AND slug = ? AND deleted_at IS NULL`),
				homeID, l.Slug).Scan(&c); err != nil {
				return err
			}
			if c == 0 {
				errs.Add(k.field+"["+strconv.Itoa(i)+"]", k.key, l.Slug)
			}
		}
	}
	return errs.Err()
}

// writeNoteParts replaces a note's tags and links.
func (db *DB) writeNoteParts(ctx context.Context, tx *sql.Tx, n *partnerhub.Note) error {
	for _, table := range []string{"practice_note_tags", "practice_note_links"} {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM `+table+` WHERE note_id = ?`), n.ID); err != nil {
			return err
		}
	}
	for i, t := range n.Tags {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO practice_note_tags (note_id, position, tag) VALUES (?, ?, ?)`), n.ID, i, t); err != nil {
			return err
		}
	}
	for kind, ls := range map[string][]partnerhub.NoteLink{"partner": n.Partners, "activity": n.Activities} {
		for i, l := range ls {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO practice_note_links (note_id, kind, position, slug) VALUES (?, ?, ?, ?)`),
				n.ID, kind, i, l.Slug); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateNote implements partnerhub.NoteService: a new draft of u's member.
func (db *DB) CreateNote(ctx context.Context, u *partnerhub.User, n partnerhub.Note) (*partnerhub.Note, error) {
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if err := partnerhub.Authorize(u, partnerhub.ActionCreate, partnerhub.EntityNote, partnerhub.Facts{Note: &partnerhub.NoteFacts{Home: u.Home}}); err != nil {
		return nil, err
	}
	partnerhub.NormalizeNote(&n)
	errs := partnerhub.FieldErrors{}
	if err := addFields(errs, n.Validate()); err != nil {
		return nil, err
	}
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, u.Home)
		if err != nil {
			return err
		}
		if err := addFields(errs, db.checkNoteLinks(ctx, tx, homeID, &n)); err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		now := dbTime(time.Now())
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO practice_notes (home_id, topic, title_ja, title_en, body_ja, body_en, state, comment,
			search_text, created_by, author, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 'draft', '', ?, ?, ?, ?, ?, 1) RETURNING id`),
			homeID, n.Topic, n.Title.Ja, n.Title.En, n.Body.Ja, n.Body.En, partnerhub.NoteSearchText(&n), userRef(u), u.Name, now, now).Scan(&id); err != nil {
			return err
		}
		n.ID = id
		if err := db.writeNoteParts(ctx, tx, &n); err != nil {
			return err
		}
		after, err := db.noteByID(ctx, tx, u, id)
		if err != nil {
			return err
		}
		return db.auditNote(ctx, tx, after.homeID, u, partnerhub.ActionCreate, "", "", nil, &after.Note)
	})
	if err != nil {
		return nil, wrap("create note", err)
	}
	return db.Note(ctx, u, id)
}

func userRef(u *partnerhub.User) any {
	if u == nil || u.ID == 0 {
		return nil
	}
	return u.ID
}

func errNoteStale(read, now int) error {
	return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{read, now}}
}

// UpdateNote implements partnerhub.NoteService. A returned or withdrawn
// note edited is a draft again.
func (db *DB) UpdateNote(ctx context.Context, u *partnerhub.User, n partnerhub.Note) (*partnerhub.Note, error) {
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	partnerhub.NormalizeNote(&n)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.noteByID(ctx, tx, u, n.ID)
		if err != nil {
			return err
		}
		if err := partnerhub.Authorize(u, partnerhub.ActionUpdate, partnerhub.EntityNote, partnerhub.Facts{Note: &partnerhub.NoteFacts{Home: cur.Home}}); err != nil {
			return err
		}
		if !cur.State.Editable() {
			return partnerhub.Errorf(partnerhub.EConflict, "error.practice_not_editable", cur.State)
		}
		if cur.Version != n.Version {
			return errNoteStale(n.Version, cur.Version)
		}
		// Every problem at once: the fields', and links to what the
		// member does not have.
		errs := partnerhub.FieldErrors{}
		if err := addFields(errs, n.Validate()); err != nil {
			return err
		}
		if err := addFields(errs, db.checkNoteLinks(ctx, tx, cur.homeID, &n)); err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE practice_notes SET topic = ?, title_ja = ?, title_en = ?, body_ja = ?, body_en = ?,
			state = 'draft', search_text = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`),
			n.Topic, n.Title.Ja, n.Title.En, n.Body.Ja, n.Body.En, partnerhub.NoteSearchText(&n), dbTime(time.Now()), n.ID, n.Version)
		if err != nil {
			return err
		}
		if c, _ := res.RowsAffected(); c != 1 {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale_concurrent"}
		}
		if err := db.writeNoteParts(ctx, tx, &n); err != nil {
			return err
		}
		after, err := db.noteByID(ctx, tx, u, n.ID)
		if err != nil {
			return err
		}
		return db.auditNote(ctx, tx, cur.homeID, u, partnerhub.ActionUpdate, "", "", &cur.Note, &after.Note)
	})
	if err != nil {
		return nil, wrap("update note", err)
	}
	return db.Note(ctx, u, n.ID)
}

// TransitNote implements partnerhub.NoteService. A submission tells the
// network's editors by mail; a publication or a return tells the writer.
func (db *DB) TransitNote(ctx context.Context, u *partnerhub.User, id int64, version int, verb partnerhub.Verb, comment string) (*partnerhub.Note, error) {
	if u == nil {
		return nil, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	comment = strings.TrimSpace(comment)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.noteByID(ctx, tx, u, id)
		if err != nil {
			return err
		}
		to, review, ok := partnerhub.NoteTransit(cur.State, verb)
		if err := partnerhub.Authorize(u, partnerhub.ActionTransition, partnerhub.EntityNote,
			partnerhub.Facts{Note: &partnerhub.NoteFacts{Home: cur.Home, Review: review}}); err != nil {
			return err
		}
		errs := partnerhub.FieldErrors{}
		switch {
		case !partnerhub.IsNoteVerb(verb):
			errs.Add("verb", "one_of", "submit, publish, return, withdraw")
		case !ok:
			return partnerhub.Errorf(partnerhub.EConflict, "error.practice_bad_verb", verb, cur.State)
		}
		if verb == partnerhub.VerbReturnNote && comment == "" {
			errs.Add("comment", "practice_comment_required")
		}
		if len([]rune(comment)) > partnerhub.MaxNoteCommentChars {
			errs.Add("comment", "too_long_chars", partnerhub.MaxNoteCommentChars)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if cur.Version != version {
			return errNoteStale(version, cur.Version)
		}
		if verb == partnerhub.VerbSubmitNote {
			if err := cur.ValidateSubmit(); err != nil {
				return err
			}
		}
		now := dbTime(time.Now())
		set, args := "state = ?, updated_at = ?, version = version + 1", []any{to, now}
		switch verb {
		case partnerhub.VerbSubmitNote:
			set += ", submitted_at = ?"
			args = append(args, now)
		case partnerhub.VerbPublishNote:
			set += ", published_at = ?, comment = ''"
			args = append(args, now)
		case partnerhub.VerbReturnNote:
			set += ", comment = ?"
			args = append(args, comment)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE practice_notes SET `+set+` WHERE id = ? AND version = ?`), append(args, id, version)...)
		if err != nil {
			return err
		}
		if c, _ := res.RowsAffected(); c != 1 {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale_concurrent"}
		}
		after, err := db.noteByID(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if err := db.auditNote(ctx, tx, cur.homeID, u, partnerhub.ActionTransition, verb, comment, &cur.Note, &after.Note); err != nil {
			return err
		}
		return db.noteMail(ctx, tx, u, verb, after, now)
	})
	if err != nil {
		return nil, wrap("transit note", err)
	}
	n, err := db.noteByID(ctx, db.read, u, id)
	if err != nil {
		if partnerhub.ErrorCode(err) == partnerhub.ENotFound {
			// An editor who withdrew another member's note may read it
			// still; nobody else loses sight of what they just did.
			return nil, err
		}
		return nil, wrap("note", err)
	}
	return &n.Note, nil
}

// auditNote records a change of a note in its member's audit log.
func (db *DB) auditNote(ctx context.Context, tx *sql.Tx, homeID int64, u *partnerhub.User, action partnerhub.Action, verb partnerhub.Verb,
	comment string, before, after *partnerhub.Note) error {
	enc := func(n *partnerhub.Note) any {
		if n == nil {
			return nil
		}
		b, _ := json.Marshal(n)
		return string(b)
	}
	key, version := "", 0
	if after != nil {
		key, version = strconv.FormatInt(after.ID, 10), after.Version
	} else {
		key, version = strconv.FormatInt(before.ID, 10), before.Version
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json, verb, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), homeID, dbTime(time.Now()), userRef(u), u.Email, action, partnerhub.EntityNote,
		key, version, enc(before), enc(after), verb, comment)
	return err
}
