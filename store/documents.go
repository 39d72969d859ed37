package store

// The documents of agreements (partnerhub.DocumentService): drafts and
// signed copies, their bytes in agreement_documents beside the record.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"

	"partnerhub"
)

var _ partnerhub.DocumentService = (*DB)(nil)

// DocumentUpload is what the audit log keeps of an upload, as the event's
// after: the document's description, never its bytes.
type DocumentUpload struct {
	Document partnerhub.AgreementDocument `json:"document"`
}

func errDocumentNotFound(id int64) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.document_not_found", id)
}

// AddDocument implements partnerhub.DocumentService. In one transaction: the
// agreement is found in the acting home (a binned one is not there),
// partnerhub.Authorize decides as for an update of the agreement, the file
// is checked by its content, and the document is stored as the role's next
// version with an audit event of the agreement's.
func (db *DB) AddDocument(ctx context.Context, actor *partnerhub.User, home, slug string, role partnerhub.DocumentRole, filename string, data []byte, now time.Time) (partnerhub.AgreementDocument, error) {
	var doc partnerhub.AgreementDocument
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: dbTime(now)}
		if err := e.home(home); err != nil {
			return err
		}
		if err := partnerhub.AuthorizeHome(actor, home); err != nil {
			return errAgreementHidden(slug, err)
		}
		if db.dialect.name == "postgres" {
			// Two uploads to one agreement at once take turns, so that
			// each gets its own version; SQLite has one writer anyway.
			if _, err := e.exec(`SELECT id FROM agreements WHERE home_id = ? AND slug = ? FOR UPDATE`, e.homeID, slug); err != nil {
				return err
			}
		}
		cur, err := loadAgreement(e, slug)
		if err != nil {
			return err
		}
		if cur == nil || cur.deleted {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", slug)
		}
		partners := cur.rec.PartnerSlugs()
		team, err := e.teams(partners...)
		if err != nil {
			return err
		}
		if err := partnerhub.Authorize(actor, partnerhub.ActionUpdate, partnerhub.EntityAgreement, partnerhub.Facts{Partners: partners, Team: team}); err != nil {
			return err
		}
		name, ctype, err := partnerhub.CheckDocument(role, filename, data)
		if err != nil {
			return err
		}
		var agreementID int64
		if err := e.row(`SELECT id FROM agreements WHERE home_id = ? AND slug = ?`, e.homeID, slug).Scan(&agreementID); err != nil {
			return err
		}
		var last int
		if err := e.row(`SELECT COALESCE(max(version), 0) FROM agreement_documents WHERE agreement_id = ? AND role = ?`,
			agreementID, role).Scan(&last); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		doc = partnerhub.AgreementDocument{Agreement: slug, Role: role, Version: last + 1, Filename: name, ContentType: ctype,
			Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), UploadedBy: actor.Name, UploadedAt: e.now}
		var userID any
		if actor.ID != 0 { // the command line acts with no account
			userID = actor.ID
		}
		if err := e.row(`INSERT INTO agreement_documents (home_id, agreement_id, role, version, filename, content_type, size, sha256, data,
				uploaded_by, uploader, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			e.homeID, agreementID, role, doc.Version, doc.Filename, doc.ContentType, doc.Size, doc.SHA256, data,
			userID, actor.Email, e.now).Scan(&doc.ID); err != nil {
			return err
		}
		// The agreement's history shows the upload: an update of the
		// agreement whose after is the document, its record unchanged.
		return e.audit(partnerhub.Change{Actor: actor, Home: home, Entity: partnerhub.EntityAgreement, Action: partnerhub.ActionUpdate},
			slug, cur.version, nil, DocumentUpload{Document: doc})
	})
	return doc, wrap("add document", err)
}

// errAgreementHidden turns a refusal of another home's user, or of nobody,
// into "no such agreement": its existence is not theirs to learn.
func errAgreementHidden(slug string, err error) error {
	if c := partnerhub.ErrorCode(err); c == partnerhub.EForbidden || c == partnerhub.EUnauthorized {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", slug)
	}
	return err
}

// documentCols are the columns of a document's description.
const documentCols = `d.id, a.slug, d.role, d.version, d.filename, d.content_type, d.size, d.sha256,
	COALESCE(u.name, d.uploader), d.uploaded_at`

const documentFrom = ` FROM agreement_documents d JOIN agreements a ON a.id = d.agreement_id
	JOIN home_institutions h ON h.id = d.home_id LEFT JOIN users u ON u.id = d.uploaded_by`

func scanDocument(sc interface{ Scan(...any) error }, extra ...any) (partnerhub.AgreementDocument, error) {
	var d partnerhub.AgreementDocument
	err := sc.Scan(append([]any{&d.ID, &d.Agreement, &d.Role, &d.Version, &d.Filename, &d.ContentType, &d.Size, &d.SHA256,
		&d.UploadedBy, &d.UploadedAt}, extra...)...)
	d.UploadedAt = d.UploadedAt.UTC()
	return d, err
}

// readableAgreement checks that actor may read home's documents and that
// the agreement is live there.
func (db *DB) readableAgreement(ctx context.Context, tx *sql.Tx, actor *partnerhub.User, home, slug string) error {
	if err := partnerhub.AuthorizeDocumentRead(actor, home); err != nil {
		return errAgreementHidden(slug, err)
	}
	var one int
	err := tx.QueryRowContext(ctx, db.q(`SELECT 1 FROM agreements a JOIN home_institutions h ON h.id = a.home_id
		WHERE h.slug = ? AND a.slug = ? AND a.deleted_at IS NULL`), home, slug).Scan(&one)
	if err == sql.ErrNoRows {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", slug)
	}
	return err
}

// Documents implements partnerhub.DocumentService.
func (db *DB) Documents(ctx context.Context, actor *partnerhub.User, home, slug string) ([]partnerhub.AgreementDocument, error) {
	out := []partnerhub.AgreementDocument{}
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := db.readableAgreement(ctx, tx, actor, home, slug); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT `+documentCols+documentFrom+`
			WHERE h.slug = ? AND a.slug = ? ORDER BY CASE d.role WHEN 'draft' THEN 0 ELSE 1 END, d.version`), home, slug)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDocument(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, wrap("documents", err)
}

// Document implements partnerhub.DocumentService. A document of another
// agreement is not found, whatever its id.
func (db *DB) Document(ctx context.Context, actor *partnerhub.User, home, slug string, id int64) (partnerhub.AgreementDocument, []byte, error) {
	var doc partnerhub.AgreementDocument
	var data []byte
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := db.readableAgreement(ctx, tx, actor, home, slug); err != nil {
			return err
		}
		var err error
		doc, err = scanDocument(tx.QueryRowContext(ctx, db.q(`SELECT `+documentCols+`, d.data`+documentFrom+`
			WHERE h.slug = ? AND a.slug = ? AND d.id = ?`), home, slug, id), &data)
		if err == sql.ErrNoRows {
			return errDocumentNotFound(id)
		}
		return err
	})
	if err != nil {
		return partnerhub.AgreementDocument{}, nil, wrap("document", err)
	}
	return doc, data, nil
}
