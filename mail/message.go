package mail

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"partnerhub"
	"partnerhub/i18n"
)

// Kind is what a message is about. The kinds of sign-in security cannot be
// turned off by their recipient.
type Kind string

// KindSecurity tells a user of a change to how they sign in: a new
// password, a second factor added or removed.
const KindSecurity Kind = "security"

// Message is one mail, composed in its recipient's language.
type Message struct {
	To       string
	Language partnerhub.Lang
	Subject  string
	Text     string // plain-text part
	HTML     string // HTML part: the same content, escaped
	Kind     Kind
	// MessageID is made when the message is composed, and sent with every
	// attempt: a message sent twice (a crash between handing it over and
	// recording it sent) is one message for the recipient's mail client.
	MessageID string
}

// Entry is a message in the outbox, as the administrators' page lists it.
type Entry struct {
	ID        int64
	To        string
	Language  partnerhub.Lang
	Subject   string
	Kind      Kind
	MessageID string
	CreatedAt time.Time
	Attempts  int
	LastError string
	NextAt    time.Time  // not tried again before
	SentAt    *time.Time // nil: not sent
	FailedAt  *time.Time // nil: not given up
}

// State is "sent", "failed" (given up after MaxAttempts) or "waiting".
func (e Entry) State() string {
	switch {
	case e.SentAt != nil:
		return "sent"
	case e.FailedAt != nil:
		return "failed"
	}
	return "waiting"
}

// SecurityEvent is a change to how a user signs in that they are told of.
type SecurityEvent string

const (
	PasswordChanged SecurityEvent = "password_changed" // by its holder
	PasswordReset   SecurityEvent = "password_reset"   // by the programme office
	FactorAdded     SecurityEvent = "factor_added"
	FactorRemoved   SecurityEvent = "factor_removed"
	FactorsReset    SecurityEvent = "factors_reset" // every factor removed by the programme office
)

//go:embed templates
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/*.html"))
)

// Composer writes messages. Links in them are made from BaseURL, the
// site's public scheme://host[:port]; Message-IDs end in its host.
type Composer struct {
	Messages *i18n.Catalogs
	BaseURL  string
}

// view is what a template shows: every text is already in the
// recipient's language.
type view struct {
	Lang      partnerhub.Lang
	Subject   string
	Greeting  string
	Lines     []string
	LinkLabel string
	Link      string
	Closing   string
	Footer    string
	// Items are a digest's notices, each with its own link.
	Items []item
	// FooterLink, when set, follows the footer: where to choose which
	// mail comes.
	FooterLink  string
	FooterLabel string
}

type item struct{ Text, Link string }

// SecurityNotice tells name (at address to) of ev, in lang; the link leads
// to their account's security settings.
func (c *Composer) SecurityNotice(to, name string, lang partnerhub.Lang, ev SecurityEvent, at time.Time) (Message, error) {
	p := c.Messages.Printer(lang)
	path := "/account/mfa"
	if ev == PasswordChanged || ev == PasswordReset {
		path = "/account/password"
	}
	v := view{
		Lang:      lang,
		Subject:   p.T("mail.security." + string(ev) + ".subject"),
		Greeting:  p.T("mail.greeting", name),
		Lines:     []string{p.T("mail.security."+string(ev)+".body", at.UTC().Format("2006-01-02 15:04 UTC")), p.T("mail.security.not_you")},
		LinkLabel: p.T("mail.security.link"),
		Link:      c.link(lang, path),
		Closing:   p.T("mail.closing"),
		Footer:    p.T("mail.footer.security"),
	}
	return c.compose(to, lang, KindSecurity, v)
}

func (c *Composer) compose(to string, lang partnerhub.Lang, kind Kind, v view) (Message, error) {
	var txt, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&txt, "message.txt", v); err != nil {
		return Message{}, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, "message.html", v); err != nil {
		return Message{}, err
	}
	return Message{To: to, Language: lang, Subject: v.Subject, Text: txt.String(), HTML: html.String(),
		Kind: kind, MessageID: NewMessageID(c.host())}, nil
}

// link is the absolute address of a page in lang.
func (c *Composer) link(lang partnerhub.Lang, path string) string {
	return strings.TrimRight(c.BaseURL, "/") + "/" + string(lang) + path
}

func (c *Composer) host() string {
	if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "partnerhub.invalid"
}

// NewMessageID is a unique Message-ID (without its angle brackets) of host.
func NewMessageID(host string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b) + "@" + host
}
