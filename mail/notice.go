package mail

// Notices of the programme's work (see partnerhub.Notice), one at a time
// or gathered in the weekly digest.

import (
	"partnerhub"
	"partnerhub/i18n"
)

// KindDigest is the weekly digest of the notices a user chose to get so.
const KindDigest Kind = "digest"

// NoticeSubject is the short line of n in p's language: a mail's subject,
// a line of the notifications page.
func NoticeSubject(p *i18n.Printer, n partnerhub.Notice) string {
	return p.T("notice."+noticeKey(n)+".subject", noticeTitle(p, n))
}

// NoticeText is what n says in p's language, in a sentence or two.
func NoticeText(p *i18n.Printer, n partnerhub.Notice) string {
	title := noticeTitle(p, n)
	switch n.Kind {
	case partnerhub.NoticeApproval:
		return p.T("notice.approval.body", title, orSomeone(p, n.Actor))
	case partnerhub.NoticeReturned:
		if n.Comment != "" {
			return p.T("notice.returned.body_comment", title, orSomeone(p, n.Actor), n.Comment)
		}
		return p.T("notice.returned.body", title, orSomeone(p, n.Actor))
	case partnerhub.NoticeApproved:
		return p.T("notice.approved.body", title)
	case partnerhub.NoticeExpiring:
		return p.T("notice.expiring.body", title, n.Days, n.Date)
	case partnerhub.NoticeProposalSubmitted, partnerhub.NoticeProposalWithdrawn:
		return p.T("notice."+string(n.Kind)+".body", title, n.Date)
	case partnerhub.NoticeImport:
		switch {
		case n.OK:
			return p.T("notice.import_ok.body", title)
		case n.Count > 0:
			return p.T("notice.import_failed.body", title, n.Count)
		}
		return p.T("notice.import_error.body", title)
	case partnerhub.NoticeReview:
		return p.T("notice.review.body", title, orSomeone(p, n.Actor))
	}
	return p.T("notice.other.body", title)
}

// noticeKey is the catalog key of n's kind; an import's depends on its
// outcome.
func noticeKey(n partnerhub.Notice) string {
	switch {
	case n.Kind == partnerhub.NoticeImport && n.OK:
		return "import_ok"
	case n.Kind == partnerhub.NoticeImport:
		return "import_failed"
	case n.Kind.Valid() || n.Kind.Receipt():
		return string(n.Kind)
	}
	return "other"
}

func noticeTitle(p *i18n.Printer, n partnerhub.Notice) string {
	s, _ := n.Title.In(p.Lang)
	return s
}

func orSomeone(p *i18n.Printer, name string) string {
	if name == "" {
		return p.T("notice.someone")
	}
	return name
}

// Notice tells name (at address to) of n, in lang, with a link straight
// to the thing, and a footer saying how to choose which mail comes.
func (c *Composer) Notice(to, name string, lang partnerhub.Lang, n partnerhub.Notice) (Message, error) {
	p := c.Messages.Printer(lang)
	footer := p.T("notice.footer.preferences")
	if n.Kind.MustGet() {
		footer = p.T("notice.footer.must_get")
	}
	v := view{
		Lang:        lang,
		Subject:     NoticeSubject(p, n),
		Greeting:    p.T("mail.greeting", name),
		Lines:       []string{NoticeText(p, n)},
		LinkLabel:   p.T("notice.link"),
		Link:        c.link(lang, n.Path),
		Closing:     p.T("mail.closing"),
		Footer:      footer,
		FooterLink:  c.link(lang, "/account#mail-preferences"),
		FooterLabel: p.T("notice.footer.link"),
	}
	return c.compose(to, lang, Kind(n.Kind), v)
}

// Digest gathers ns (oldest first) in one message to name, in lang: each
// notice's text with its own link.
func (c *Composer) Digest(to, name string, lang partnerhub.Lang, ns []partnerhub.Notification) (Message, error) {
	p := c.Messages.Printer(lang)
	v := view{
		Lang:        lang,
		Subject:     p.T("notice.digest.subject", len(ns)),
		Greeting:    p.T("mail.greeting", name),
		Lines:       []string{p.T("notice.digest.intro", len(ns))},
		LinkLabel:   p.T("notice.digest.all"),
		Link:        c.link(lang, "/notifications"),
		Closing:     p.T("mail.closing"),
		Footer:      p.T("notice.footer.preferences"),
		FooterLink:  c.link(lang, "/account#mail-preferences"),
		FooterLabel: p.T("notice.footer.link"),
	}
	for _, n := range ns {
		v.Items = append(v.Items, item{Text: NoticeText(p, n.Notice), Link: c.link(lang, n.Path)})
	}
	return c.compose(to, lang, KindDigest, v)
}
