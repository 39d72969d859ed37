package store

// A proposal's attachments (partnerhub.ProposalFileService), and the
// receipts its applicants are mailed when it is submitted or withdrawn.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"partnerhub"
	"partnerhub/mail"
)

var _ partnerhub.ProposalFileService = (*DB)(nil)

// ProposalFileUpload is what the audit log keeps of an attachment
// uploaded, as the proposal's event's after: never the bytes.
type ProposalFileUpload struct {
	File     partnerhub.ProposalFile `json:"file"`
	Replaces int64                   `json:"replaces,omitempty"` // the attachment it replaced
}

func errProposalFileNotFound(id int64) error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.proposal_file_not_found", id)
}

// AddProposalFile implements partnerhub.ProposalFileService. In one
// transaction: the proposal is found among those the actor applies with,
// Authorize decides as for an update of it, the call must be open and the
// proposal not submitted (as for its other changes), the file must be a
// PDF by its content; the current file of spec is marked replaced, kept.
func (db *DB) AddProposalFile(ctx context.Context, actor *partnerhub.User, home string, id int64, spec, filename string, data []byte, now time.Time) (partnerhub.ProposalFile, error) {
	var out partnerhub.ProposalFile
	p, err := db.proposalByID(ctx, db.read, home, id)
	if err != nil {
		return out, wrap("proposal", err)
	}
	err = db.inCall(ctx, actor, home, p.Fund, p.Call, func(t *callTx) error {
		t.now = dbTime(now)
		// As for reading: the committee knows only of what was sent.
		if v := t.access.View(id); v == partnerhub.ViewNone || v == partnerhub.ViewCommittee && p.State != partnerhub.ProposalSubmitted {
			return errProposalNotFound(id)
		}
		if err := t.authorize(partnerhub.ActionUpdate, partnerhub.EntityProposal, id); err != nil {
			return err
		}
		if db.dialect.name == "postgres" {
			// Two uploads of one attachment at once take turns, so that
			// one current file remains; SQLite has one writer anyway.
			if _, err := t.exec(`SELECT id FROM proposals WHERE id = ? FOR UPDATE`, id); err != nil {
				return err
			}
		}
		cur, err := db.proposalByID(t.ctx, t.tx, home, id)
		if err != nil {
			return err
		}
		if cur.State == partnerhub.ProposalSubmitted {
			return partnerhub.Errorf(partnerhub.EConflict, "error.proposal_submitted")
		}
		errs := partnerhub.FieldErrors{}
		if t.call.State(t.now) == partnerhub.CallClosed {
			errs.Add("call", "call_closed")
		}
		if !slices.ContainsFunc(t.call.Attachments, func(a partnerhub.AttachmentSpec) bool { return a.Code == spec }) {
			errs.Add("spec", "unknown_attachment", spec)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		name, err := partnerhub.CheckPDF(filename, data)
		if err != nil {
			// The page shows the problem beside the attachment's input.
			if e, ok := err.(*partnerhub.Error); ok {
				if fe, ok := e.Fields["file"]; ok {
					e.Fields = partnerhub.FieldErrors{"files." + spec: fe}
				}
			}
			return err
		}
		var replaces int64
		for _, f := range cur.Files {
			if f.Spec == spec {
				replaces = f.ID
			}
		}
		if _, err := t.exec(`UPDATE proposal_files SET replaced_at = ? WHERE proposal_id = ? AND spec = ? AND replaced_at IS NULL`,
			t.now, id, spec); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out = partnerhub.ProposalFile{Spec: spec, Filename: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), UploadedAt: t.now}
		var uploader any
		if actor.ID != 0 {
			uploader = actor.ID
		}
		if err := t.row(`INSERT INTO proposal_files (proposal_id, spec, filename, content_type, size, sha256, data, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, spec, name, partnerhub.ContentTypePDF, out.Size, out.SHA256, data,
			uploader, t.now).Scan(&out.ID); err != nil {
			return err
		}
		return t.auditFund(partnerhub.ActionUpdate, partnerhub.EntityProposal, strconv.FormatInt(id, 10), cur.Version, nil,
			ProposalFileUpload{File: out, Replaces: replaces})
	})
	return out, wrap("add proposal file", err)
}

// ProposalFile implements partnerhub.ProposalFileService: whoever may see
// the proposal (its applicants; after submission the committee members
// not conflicted with it) may download its attachments, the replaced ones
// included; anyone else finds no proposal.
func (db *DB) ProposalFile(ctx context.Context, actor *partnerhub.User, home string, id, fileID int64) (partnerhub.ProposalFile, []byte, error) {
	var f partnerhub.ProposalFile
	var data []byte
	if _, _, err := db.Proposal(ctx, actor, home, id); err != nil {
		return f, nil, err
	}
	err := db.read.QueryRowContext(ctx, db.q(`SELECT id, spec, filename, size, sha256, uploaded_at, data FROM proposal_files
		WHERE proposal_id = ? AND id = ?`), id, fileID).Scan(&f.ID, &f.Spec, &f.Filename, &f.Size, &f.SHA256, &f.UploadedAt, &data)
	if err == sql.ErrNoRows {
		return f, nil, errProposalFileNotFound(fileID)
	}
	if err != nil {
		return f, nil, wrap("proposal file", err)
	}
	f.UploadedAt = f.UploadedAt.UTC()
	return f, data, nil
}

// proposalReceipts tells every applicant of p, inside the transition's
// transaction, that it was submitted or withdrawn: a mail to each address
// (in the account's language, else in the language of the page the
// change was made on), and a notification to each who has an account.
func (db *DB) proposalReceipts(t *callTx, verb partnerhub.Verb, p partnerhub.Proposal) error {
	kind := partnerhub.NoticeProposalSubmitted
	if verb == partnerhub.VerbWithdraw {
		kind = partnerhub.NoticeProposalWithdrawn
	}
	r := mail.ProposalReceipt{Verb: verb, ID: p.ID, Title: p.Title, Call: t.call.Title, At: t.now, Deadline: t.call.Closes,
		Actor: t.access.User.Name}
	pageLang := partnerhub.PageLang(t.ctx)
	var users []int64
	for _, m := range p.Members {
		lang, disabled := pageLang, false
		if m.UserID != 0 {
			users = append(users, m.UserID)
			var l string
			if err := t.row(`SELECT language, disabled FROM users WHERE id = ?`, m.UserID).Scan(&l, &disabled); err != nil {
				return err
			}
			if pl, ok := partnerhub.ParseLang(l); ok {
				lang = pl
			}
		}
		if disabled || db.mail == nil {
			continue
		}
		c, err := db.mailForProposal(t.ctx, t.tx, p.ID)
		if err != nil {
			return err
		}
		msg, err := c.ProposalReceipt(m.Email, m.Name, lang, r)
		if err != nil {
			return err
		}
		if err := db.EnqueueMail(t.ctx, t.tx, msg, t.now); err != nil {
			return err
		}
	}
	title := p.Title
	if title.IsZero() {
		title = partnerhub.Text{Ja: "提案 " + strconv.FormatInt(p.ID, 10), En: "Proposal " + strconv.FormatInt(p.ID, 10)}
	}
	n := partnerhub.Notice{Kind: kind, Entity: partnerhub.EntityProposal, Key: strconv.FormatInt(p.ID, 10), Title: title,
		Path: partnerhub.ProposalPath(p.ID), NoticeDetails: partnerhub.NoticeDetails{Actor: r.Actor, Date: t.now.In(partnerhub.Japan).Format("2006-01-02 15:04 JST")}}
	return db.Notify(t.ctx, t.tx, users, n, t.now)
}
