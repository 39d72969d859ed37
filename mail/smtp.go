// Package mail writes partnerhub's mail and sends it from an outbox.
//
// A message is composed and stored in the same write transaction as the
// change it tells about (the store's outbox), so it exists if and only if
// the change was committed. A Sender later takes the waiting messages
// from the outbox and hands them to an SMTP server.
package mail

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// TLS is how the connection to the SMTP server is protected.
type TLS string

const (
	// TLSImplicit: the connection is TLS from the start (smtps://).
	TLSImplicit TLS = "implicit"
	// TLSStartTLSRequired: plain connection upgraded with STARTTLS; a
	// server that does not offer it is refused (smtp://, the default).
	TLSStartTLSRequired TLS = "required"
	// TLSStartTLSOpportunistic: STARTTLS when the server offers it, plain
	// otherwise (smtp://...?starttls=opportunistic).
	TLSStartTLSOpportunistic TLS = "opportunistic"
	// TLSOff: never encrypted (smtp://...?starttls=off), for a relay on
	// the same host or a test server.
	TLSOff TLS = "off"
)

// SMTP is where mail is handed over. Its password is never printed: String
// leaves it out.
type SMTP struct {
	Host     string
	Port     int
	TLS      TLS
	Username string
	Password string
}

// ParseSMTP reads an SMTP server's URL:
//
//	smtp://[user[:password]@]host[:port][?starttls=required|opportunistic|off]
//	smtps://[user[:password]@]host[:port]
//
// smtp:// uses port 587 and requires STARTTLS unless starttls says
// otherwise; smtps:// uses port 465 and TLS from the first byte. With a
// user, the server must offer SMTP AUTH (the strongest mechanism both
// sides know is used; PLAIN and LOGIN only over TLS). The user and password
// are URL-encoded ("%40" for "@"). An error is a message key of the
// i18n catalogs with its argument (never the password).
func ParseSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, &ConfigError{Key: "mail.smtp_bad_url"}
	}
	c := &SMTP{Host: u.Hostname()}
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return nil, &ConfigError{Key: "mail.smtp_bad_param", Arg: k}
		}
	}
	switch u.Scheme {
	case "smtp":
		c.Port, c.TLS = 587, TLSStartTLSRequired
		switch v := q.Get("starttls"); v {
		case "", "required":
		case "opportunistic":
			c.TLS = TLSStartTLSOpportunistic
		case "off":
			c.TLS = TLSOff
		default:
			return nil, &ConfigError{Key: "mail.smtp_bad_starttls", Arg: v}
		}
	case "smtps":
		c.Port, c.TLS = 465, TLSImplicit
		if q.Has("starttls") {
			return nil, &ConfigError{Key: "mail.smtp_bad_param", Arg: "starttls"}
		}
	default:
		return nil, &ConfigError{Key: "mail.smtp_bad_scheme", Arg: u.Scheme}
	}
	if c.Host == "" {
		return nil, &ConfigError{Key: "mail.smtp_bad_url"}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, &ConfigError{Key: "mail.smtp_bad_port", Arg: p}
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return nil, &ConfigError{Key: "mail.smtp_bad_url"}
		}
	}
	return c, nil
}

// String is the server's URL without its password.
func (c *SMTP) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	switch c.TLS {
	case TLSImplicit:
		u.Scheme = "smtps"
	case TLSStartTLSOpportunistic, TLSOff:
		u.RawQuery = "starttls=" + string(c.TLS)
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String()
}

// ParseFrom reads the sender's address, "addr@host" or
// "Name <addr@host>".
func ParseFrom(raw string) (*mail.Address, error) {
	a, err := mail.ParseAddress(raw)
	if err != nil || !strings.Contains(a.Address, "@") {
		return nil, &ConfigError{Key: "mail.from_bad", Arg: raw}
	}
	return a, nil
}

// ConfigError is a bad mail setting: Key is the message of the catalogs,
// Arg what was wrong in it.
type ConfigError struct{ Key, Arg string }

func (e *ConfigError) Error() string { return fmt.Sprintf("mail: %s %q", e.Key, e.Arg) }
