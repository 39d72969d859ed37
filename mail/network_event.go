package mail

// The network events' mail to registrants, who have no account: each in
// the language they registered in, to the address they gave and nowhere
// else.

import (
	"partnerhub"
)

// KindNetworkEvent is a mail about a registration for a network event:
// its confirmation, a place on the waiting list, a place given from it,
// a reminder, or word that the address was registered already.
const KindNetworkEvent Kind = "network_event"

// EventMailKind says which mail of a registration it is.
type EventMailKind string

const (
	EventConfirmed EventMailKind = "confirmed" // a place
	EventWaiting   EventMailKind = "waiting"   // the waiting list, at Position
	EventPromoted  EventMailKind = "promoted"  // a place freed went to them
	EventReminder  EventMailKind = "reminder"  // the event is near
	EventAlready   EventMailKind = "already"   // the address registered before
)

// EventMail is what a registrant's mail tells.
type EventMail struct {
	What     EventMailKind
	Name     string
	Event    partnerhub.NetworkEvent
	Status   partnerhub.RegistrationStatus // for EventAlready
	Position int                           // on the waiting list
	// Token is the raw token of the cancel link, "" for none (a
	// reminder: the store keeps only its hash).
	Token string
}

// NetworkEvent writes m to address to, in lang.
func (c *Composer) NetworkEvent(to string, lang partnerhub.Lang, m EventMail) (Message, error) {
	if _, ok := partnerhub.ParseLang(string(lang)); !ok {
		lang = partnerhub.Japanese
	}
	p := c.Messages.Printer(lang)
	title, _ := m.Event.Title.In(lang)
	where := p.T("nevent.online")
	if venue, _ := m.Event.Venue.In(lang); venue != "" {
		where = venue
		if m.Event.Online {
			where += " / " + p.T("nevent.online")
		}
	}
	what := m.What
	if what == EventAlready && m.Status == partnerhub.RegistrationWaiting {
		what = "already_waiting"
	}
	lines := []string{
		p.T("nevent.mail."+string(what)+".body", title),
		p.T("nevent.mail.when", jstText(m.Event.Starts), jstText(m.Event.Ends)),
		p.T("nevent.mail.where", where),
	}
	if m.Position > 0 {
		lines = append(lines, p.T("nevent.mail.position", m.Position))
	}
	lines = append(lines, p.T("nevent.mail.page", c.link(lang, partnerhub.EventPath(m.Event.ID))))
	v := view{
		Lang:     lang,
		Subject:  p.T("nevent.mail."+string(what)+".subject", title),
		Greeting: p.T("mail.greeting", m.Name),
		Closing:  p.T("mail.closing"),
		Footer:   p.T("nevent.mail.footer"),
	}
	if m.Token != "" {
		v.LinkLabel, v.Link = p.T("nevent.mail.cancel"), c.link(lang, "/network/registrations/"+m.Token)
		lines = append(lines, p.T("nevent.mail.cancel_hint"))
	} else {
		v.LinkLabel, v.Link = p.T("nevent.mail.event_page"), c.link(lang, partnerhub.EventPath(m.Event.ID))
		lines = append(lines, p.T("nevent.mail.cancel_earlier"))
	}
	v.Lines = lines
	return c.compose(to, lang, KindNetworkEvent, v)
}
