package mail

// A proposal's receipt: every applicant of a proposal is told, in their
// language, that it was submitted (or withdrawn), whether or not they have
// an account.

import (
	"strconv"
	"time"

	"partnerhub"
	"partnerhub/i18n"
)

// KindProposalReceipt is a proposal's receipt or word of its withdrawal;
// it cannot be turned off.
const KindProposalReceipt Kind = "proposal_receipt"

// ProposalReceipt is what a receipt tells.
type ProposalReceipt struct {
	Verb     partnerhub.Verb // submit or withdraw
	ID       int64
	Title    partnerhub.Text // the proposal's
	Call     partnerhub.Text // the call's title
	At       time.Time       // when it was submitted or withdrawn
	Deadline time.Time       // the call's
	Actor    string          // who did it
}

// jstText writes an instant as people of the programme read it.
func jstText(t time.Time) string { return t.In(partnerhub.Japan).Format("2006-01-02 15:04 JST") }

// receiptLines is what a receipt says in p's language.
func receiptLines(p *i18n.Printer, r ProposalReceipt) (subject string, lines []string) {
	title, _ := r.Title.In(p.Lang)
	call, _ := r.Call.In(p.Lang)
	if title == "" {
		title = p.T("proposal_mail.untitled", r.ID)
	}
	id := strconv.FormatInt(r.ID, 10)
	if r.Verb == partnerhub.VerbWithdraw {
		return p.T("proposal_mail.withdrawn.subject", title), []string{
			p.T("proposal_mail.withdrawn.body", title, call, jstText(r.At), r.Actor),
			p.T("proposal_mail.withdrawn.again", jstText(r.Deadline)),
		}
	}
	return p.T("proposal_mail.submitted.subject", title), []string{
		p.T("proposal_mail.submitted.body", title, call, jstText(r.At), r.Actor),
		p.T("proposal_mail.number", id),
		p.T("proposal_mail.submitted.change", jstText(r.Deadline)),
	}
}

// ProposalReceipt tells name (at address to) of r, in lang, with a link
// to the proposal's page.
func (c *Composer) ProposalReceipt(to, name string, lang partnerhub.Lang, r ProposalReceipt) (Message, error) {
	p := c.Messages.Printer(lang)
	subject, lines := receiptLines(p, r)
	greeting := p.T("mail.greeting", name)
	if name == "" {
		greeting = p.T("proposal_mail.greeting")
	}
	v := view{
		Lang:      lang,
		Subject:   subject,
		Greeting:  greeting,
		Lines:     lines,
		LinkLabel: p.T("proposal_mail.link"),
		Link:      c.link(lang, partnerhub.ProposalPath(r.ID)),
		Closing:   p.T("mail.closing"),
		Footer:    p.T("proposal_mail.footer"),
	}
	return c.compose(to, lang, KindProposalReceipt, v)
}
