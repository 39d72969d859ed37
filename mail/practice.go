package mail

// The mail of a good-practice note's life: the network's editors are told
// of a note submitted for review; its writer of its publication or its
// return, with the editor's comment.

import (
	"time"

	"partnerhub"
)

// KindPracticeNote is the mail of a note's review.
const KindPracticeNote Kind = "practice_note"

// NoteEvent is a note's move that someone is told of.
type NoteEvent struct {
	Verb    partnerhub.Verb // submit, publish or return
	ID      int64
	Title   partnerhub.Text
	Home    string // the writer's member
	Actor   string // who moved it
	Comment string // the editor's, on a return
	At      time.Time
}

// NoteNotice tells name (at address to) of ev, in lang, with a link to
// the review queue (a submission) or to the note.
func (c *Composer) NoteNotice(to, name string, lang partnerhub.Lang, ev NoteEvent) (Message, error) {
	p := c.Messages.Printer(lang)
	title := in(ev.Title, lang)
	key := "practice.mail." + string(ev.Verb)
	lines := []string{p.T(key+".body", title, ev.Home, ev.Actor, jstText(ev.At))}
	if ev.Verb == partnerhub.VerbReturnNote && ev.Comment != "" {
		lines = append(lines, p.T("practice.mail.comment", ev.Comment))
	}
	link := c.link(lang, partnerhub.NotePath(ev.ID))
	if ev.Verb == partnerhub.VerbSubmitNote {
		link = c.link(lang, "/network/practice/review")
	}
	v := view{
		Lang:      lang,
		Subject:   p.T(key+".subject", title),
		Greeting:  p.T("mail.greeting", name),
		Lines:     lines,
		LinkLabel: p.T(key + ".link"),
		Link:      link,
		Closing:   p.T("mail.closing"),
		Footer:    p.T("practice.mail.footer"),
	}
	return c.compose(to, lang, KindPracticeNote, v)
}
