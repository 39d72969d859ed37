package web

// A small iCalendar (RFC 5545) writer: the feeds need only all-day events
// with text properties, and writing them here keeps the folding and escaping
// rules in plain sight. Tests read its output with a maintained parser.

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// calEvent is one all-day event of a feed. End is exclusive, as DTEND is.
type calEvent struct {
	UID        string
	Start, End time.Time // dates (UTC midnight)
	// At, when set, makes the event an instant (a call's deadline) rather
	// than whole days: Start and End are then ignored.
	At time.Time
	// Until, with At, ends a timed event (a network event); zero: it ends
	// as it starts.
	Until       time.Time
	Summary     string
	Description string
	Location    string
	URL         string
	Categories  []string
	Status      string // "", or TENTATIVE for a draft
	// Alarm, when above zero, reminds this long before the event starts.
	Alarm time.Duration
}

// calendar is a feed being written.
type calendar struct {
	b     bytes.Buffer
	lang  string
	stamp string
}

// newCalendar starts a calendar named name in lang; stamp is every event's
// DTSTAMP, the time its data was read.
func newCalendar(lang, name, desc string, stamp time.Time, refresh string) *calendar {
	c := &calendar{lang: lang, stamp: stamp.UTC().Format("20060102T150405Z")}
	c.line("BEGIN:VCALENDAR")
	c.line("VERSION:2.0")
	c.line("PRODID:-//partnerhub//partnerhub//" + strings.ToUpper(lang))
	c.line("CALSCALE:GREGORIAN")
	c.line("METHOD:PUBLISH")
	c.text("NAME", name)
	c.text("X-WR-CALNAME", name)
	c.text("X-WR-CALDESC", desc)
	// How often subscribers should look again (RFC 7986; the X- form for
	// Outlook and Apple Calendar).
	c.line("REFRESH-INTERVAL;VALUE=DURATION:" + refresh)
	c.line("X-PUBLISHED-TTL:" + refresh)
	return c
}

func (c *calendar) event(e calEvent) {
	c.line("BEGIN:VEVENT")
	c.text("UID", e.UID)
	c.line("DTSTAMP:" + c.stamp)
	if !e.At.IsZero() {
		at := e.At.UTC().Format("20060102T150405Z")
		c.line("DTSTART:" + at)
		if !e.Until.IsZero() {
			at = e.Until.UTC().Format("20060102T150405Z")
		}
		c.line("DTEND:" + at)
	} else {
		c.line("DTSTART;VALUE=DATE:" + e.Start.Format("20060102"))
		c.line("DTEND;VALUE=DATE:" + e.End.Format("20060102"))
	}
	c.langText("SUMMARY", e.Summary)
	if e.Description != "" {
		c.langText("DESCRIPTION", e.Description)
	}
	if e.Location != "" {
		c.langText("LOCATION", e.Location)
	}
	if e.URL != "" {
		c.line("URL;VALUE=URI:" + e.URL)
	}
	if len(e.Categories) > 0 {
		esc := make([]string, len(e.Categories))
		for i, s := range e.Categories {
			esc[i] = icalEscape(s)
		}
		c.line("CATEGORIES;LANGUAGE=" + c.lang + ":" + strings.Join(esc, ","))
	}
	if e.Status != "" {
		c.line("STATUS:" + e.Status)
	}
	// Neither an activity of the programme nor a deadline makes the
	// subscriber busy.
	c.line("TRANSP:TRANSPARENT")
	if e.Alarm > 0 {
		c.line("BEGIN:VALARM")
		c.line("ACTION:DISPLAY")
		c.langText("DESCRIPTION", e.Summary)
		c.line("TRIGGER:-P" + strconv.Itoa(int(e.Alarm/(24*time.Hour))) + "D")
		c.line("END:VALARM")
	}
	c.line("END:VEVENT")
}

// bytes ends the calendar and returns it.
func (c *calendar) bytes() []byte {
	c.line("END:VCALENDAR")
	return c.b.Bytes()
}

func (c *calendar) text(name, value string) { c.line(name + ":" + icalEscape(value)) }

func (c *calendar) langText(name, value string) {
	c.line(name + ";LANGUAGE=" + c.lang + ":" + icalEscape(value))
}

// line writes a content line folded so that no line is longer than 75
// octets (RFC 5545 3.1), never inside a UTF-8 sequence: a continuation
// starts with a space, which counts.
func (c *calendar) line(s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		c.b.WriteString(s[:cut])
		c.b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74
	}
	c.b.WriteString(s)
	c.b.WriteString("\r\n")
}

// icalEscape escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon,
// comma and line breaks; other control characters are not allowed in it
// and are dropped.
func icalEscape(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		case r == utf8.RuneError:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
