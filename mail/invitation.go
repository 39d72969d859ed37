package mail

import (
	"partnerhub"
)

// KindInvitation is an invitation to make an account. Its recipient has
// no account yet, so no preference of theirs applies.
const KindInvitation Kind = "invitation"

// Invitation writes the mail of inv in its language: the link that makes
// the account ({BaseURL}/{lang}/invitations/{token}), who invites and why,
// and until when the link works. For an address that already has an
// account (inv.ExistingAccount) there is no link to accept: the mail says
// what changed and links to the sign-in page.
func (c *Composer) Invitation(inv *partnerhub.Invitation, token string) (Message, error) {
	lang := inv.Lang
	if _, ok := partnerhub.ParseLang(string(lang)); !ok {
		lang = partnerhub.Japanese
	}
	p := c.Messages.Printer(lang)
	expires := inv.ExpiresAt.In(partnerhub.Japan).Format("2006-01-02 15:04 JST")
	v := view{
		Lang:     lang,
		Greeting: p.T("mail.greeting", inv.Name),
		Closing:  p.T("mail.closing"),
		Footer:   p.T("mail.invitation.footer"),
	}
	if inv.ExistingAccount {
		v.Subject = p.T("mail.invitation.existing_subject", inv.Inviter)
		v.Lines = []string{p.T("mail.invitation.existing_body", inv.Inviter)}
		v.LinkLabel, v.Link = p.T("mail.invitation.signin"), c.link(lang, "/signin")
	} else {
		v.Subject = p.T("mail.invitation.subject", inv.Inviter)
		v.Lines = []string{p.T("mail.invitation.body", inv.Inviter)}
		v.LinkLabel, v.Link = p.T("mail.invitation.link"), c.link(lang, "/invitations/"+token)
	}
	if note, _ := inv.Note.In(lang); note != "" {
		v.Lines = append(v.Lines, p.T("mail.invitation.note"), note)
	}
	if !inv.ExistingAccount {
		v.Lines = append(v.Lines, p.T("mail.invitation.expires", expires), p.T("mail.invitation.not_you"))
	}
	return c.compose(inv.Email, lang, KindInvitation, v)
}
