package store

// A good-practice note's attachments, and the mail its life sends.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"

	"partnerhub"
	"partnerhub/mail"
)

// NoteFileUpload is what the audit log keeps of an attachment uploaded,
// as the note's event's after: never the bytes.
type NoteFileUpload struct {
	File partnerhub.NoteFile `json:"file"`
}

// AddNoteFile implements partnerhub.NoteService. In one transaction: the
// note is found among those u may read, Authorize decides as for an
// update of it (its member's office), it must be editable and at the
// version read; the file's type is found by its content. The note's
// version goes up, so that a form read before the upload is stale.
func (db *DB) AddNoteFile(ctx context.Context, u *partnerhub.User, id int64, version int, filename string, data []byte) (partnerhub.NoteFile, error) {
	var out partnerhub.NoteFile
	if u == nil {
		return out, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := db.noteByID(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if err := partnerhub.Authorize(u, partnerhub.ActionUpdate, partnerhub.EntityNote, partnerhub.Facts{Note: &partnerhub.NoteFacts{Home: cur.Home}}); err != nil {
			return err
		}
		if !cur.State.Editable() {
			return partnerhub.Errorf(partnerhub.EConflict, "error.practice_not_editable", cur.State)
		}
		if cur.Version != version {
			return errNoteStale(version, cur.Version)
		}
		if len(cur.Files) >= partnerhub.MaxNoteFiles {
			return (partnerhub.FieldErrors{"file": {Key: "too_many", Args: []any{partnerhub.MaxNoteFiles}}}).Err()
		}
		name, ctype, err := partnerhub.CheckNoteFile(filename, data)
		if err != nil {
			return err
		}
		now := dbTime(time.Now())
		res, err := tx.ExecContext(ctx, db.q(`UPDATE practice_notes SET updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`), now, id, version)
		if err != nil {
			return err
		}
		if c, _ := res.RowsAffected(); c != 1 {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale_concurrent"}
		}
		sum := sha256.Sum256(data)
		out = partnerhub.NoteFile{Filename: name, ContentType: ctype, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), UploadedAt: now}
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO practice_note_files (note_id, filename, content_type, size, sha256, data, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), id, name, ctype, out.Size, out.SHA256, data, userRef(u), now).Scan(&out.ID); err != nil {
			return err
		}
		after := cur.Note
		after.Version++
		after.Files = append(after.Files, out)
		return db.auditNote(ctx, tx, cur.homeID, u, partnerhub.ActionUpdate, "", "", &cur.Note, &after)
	})
	return out, wrap("add note file", err)
}

// NoteFile implements partnerhub.NoteService: whoever may read the note
// may download its attachments; anyone else finds no note.
func (db *DB) NoteFile(ctx context.Context, u *partnerhub.User, id, fileID int64) (partnerhub.NoteFile, []byte, error) {
	var f partnerhub.NoteFile
	var data []byte
	if _, err := db.Note(ctx, u, id); err != nil {
		return f, nil, err
	}
	err := db.read.QueryRowContext(ctx, db.q(`SELECT id, filename, content_type, size, sha256, uploaded_at, data FROM practice_note_files
		WHERE note_id = ? AND id = ?`), id, fileID).Scan(&f.ID, &f.Filename, &f.ContentType, &f.Size, &f.SHA256, &f.UploadedAt, &data)
	if err == sql.ErrNoRows {
		return f, nil, partnerhub.Errorf(partnerhub.ENotFound, "error.practice_file_not_found", fileID)
	}
	if err != nil {
		return f, nil, wrap("note file", err)
	}
	f.UploadedAt = f.UploadedAt.UTC()
	return f, data, nil
}

// noteMail writes, inside the transition's transaction, the mail of a
// note's move: to every network editor when it is submitted; to its
// writer when it is published or returned. Nobody is told of their own
// move.
func (db *DB) noteMail(ctx context.Context, tx *sql.Tx, u *partnerhub.User, verb partnerhub.Verb, n *noteRow, now time.Time) error {
	if db.mail == nil {
		return nil
	}
	var q string
	var args []any
	switch verb {
	case partnerhub.VerbSubmitNote:
		q = `SELECT email, name, language FROM users WHERE (network_editor = ? OR network_admin = ?) AND disabled = ? AND role <> 'guest' ORDER BY id`
		args = []any{true, true, false}
	case partnerhub.VerbPublishNote, partnerhub.VerbReturnNote:
		if !n.createdBy.Valid {
			return nil
		}
		q = `SELECT email, name, language FROM users WHERE id = ? AND disabled = ?`
		args = []any{n.createdBy.Int64, false}
	default:
		return nil
	}
	rows, err := tx.QueryContext(ctx, db.q(q), args...)
	if err != nil {
		return err
	}
	type to struct{ email, name, lang string }
	var tos []to
	for rows.Next() {
		var t to
		if err := rows.Scan(&t.email, &t.name, &t.lang); err != nil {
			rows.Close()
			return err
		}
		if t.email != u.Email {
			tos = append(tos, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ev := mail.NoteEvent{Verb: verb, ID: n.ID, Title: n.Title, Home: n.Home, Actor: u.Name, Comment: n.Comment, At: now}
	for _, t := range tos {
		m, err := db.mail.NoteNotice(t.email, t.name, mailLang(t.lang), ev)
		if err != nil {
			return err
		}
		if err := db.EnqueueMail(ctx, tx, m, now); err != nil {
			return err
		}
	}
	return nil
}
