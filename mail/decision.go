package mail

import (
	"fmt"

	"partnerhub"
	"partnerhub/i18n"
)

// The mail of a fund's decisions: the decision letter to each applicant,
// and the reminders of the reports an awarded project owes. Applicants
// get them whatever they chose for notices: they are the fund's word to
// them, not news of the site.

const (
	KindDecision       Kind = "decision"
	KindReportReminder Kind = "report_reminder"
)

// in is t in lang, or in the other language when lang's is missing.
func in(t partnerhub.Text, lang partnerhub.Lang) string {
	s, _ := t.In(lang)
	return s
}

// Letter is what a decision letter tells: never the scores, the comments
// for the committee or who reviewed.
type Letter struct {
	Proposal      int64
	Title         partnerhub.Text // the proposal's
	Fund          partnerhub.Text // the fund's name
	Call          partnerhub.Text // the call's title
	Outcome       partnerhub.Outcome
	HomeAmount    partnerhub.Money
	PartnerAmount partnerhub.Money
	Meeting       partnerhub.PartialDate
	Note          partnerhub.Text
	// Comments are the reviewers' comments for the applicants, unsigned.
	Comments []string
}

// Day writes a full date in lang: "2026年12月1日", "1 December 2026".
func Day(p *i18n.Printer, d partnerhub.PartialDate) string {
	if d.IsZero() {
		return ""
	}
	switch d.Precision() {
	case partnerhub.YearPrecision:
		return p.T("date.year", d.Year)
	case partnerhub.MonthPrecision:
		return p.T("date.month", d.Year, p.T(fmt.Sprintf("month.%d", d.Month)), d.Month)
	}
	return p.T("date.day", d.Year, p.T(fmt.Sprintf("month.%d", d.Month)), d.Month, d.Day)
}

// DecisionLetter tells name (at address to), in lang, the committee's
// decision on their proposal.
func (c *Composer) DecisionLetter(to, name string, lang partnerhub.Lang, l Letter) (Message, error) {
	p := c.Messages.Printer(lang)
	title := in(l.Title, lang)
	v := view{
		Lang:      lang,
		Subject:   p.T("mail.decision.subject", title),
		Greeting:  p.T("mail.greeting", name),
		Lines:     []string{p.T("mail.decision.intro", in(l.Fund, lang), Day(p, l.Meeting), title, in(l.Call, lang))},
		LinkLabel: p.T("mail.decision.link"),
		Link:      c.link(lang, fmt.Sprintf("/proposals/%d", l.Proposal)),
		Closing:   p.T("mail.closing"),
		Footer:    p.T("mail.decision.footer"),
	}
	v.Lines = append(v.Lines, p.T("mail.decision.outcome."+string(l.Outcome)))
	if l.Outcome == partnerhub.OutcomeAward {
		for _, m := range []partnerhub.Money{l.HomeAmount, l.PartnerAmount} {
			if m.Amount != 0 {
				v.Lines = append(v.Lines, p.T("mail.decision.amount", m.String()))
			}
		}
	}
	if note := in(l.Note, lang); note != "" {
		v.Lines = append(v.Lines, p.T("mail.decision.note"), note)
	}
	if len(l.Comments) > 0 {
		v.Lines = append(v.Lines, p.T("mail.decision.comments"))
		for i, cm := range l.Comments {
			v.Lines = append(v.Lines, p.T("mail.decision.comment", i+1, cm))
		}
	}
	return c.compose(to, lang, KindDecision, v)
}

// ReportReminder reminds name (at address to), in lang, of a report their
// project owes on due: before it (days ahead), or overdue (days < 0).
func (c *Composer) ReportReminder(to, name string, lang partnerhub.Lang, id int64, title partnerhub.Text,
	kind partnerhub.ReportKind, due partnerhub.PartialDate, days int) (Message, error) {
	p := c.Messages.Printer(lang)
	what := p.T("mail.report.kind." + string(kind))
	line := p.T("mail.report.due", what, in(title, lang), Day(p, due), days)
	subject := p.T("mail.report.subject_due", what, in(title, lang))
	if days < 0 {
		line = p.T("mail.report.overdue", what, in(title, lang), Day(p, due))
		subject = p.T("mail.report.subject_overdue", what, in(title, lang))
	}
	v := view{
		Lang:      lang,
		Subject:   subject,
		Greeting:  p.T("mail.greeting", name),
		Lines:     []string{line},
		LinkLabel: p.T("mail.report.link"),
		Link:      c.link(lang, fmt.Sprintf("/projects/%d/reports", id)),
		Closing:   p.T("mail.closing"),
		Footer:    p.T("mail.decision.footer"),
	}
	return c.compose(to, lang, KindReportReminder, v)
}
