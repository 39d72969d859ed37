package web

// A small Atom (RFC 4287) writer on encoding/xml: the feeds need a feed
// with its links and author, and entries of plain text. Tests read its
// output with a maintained feed parser.

import (
	"bytes"
	"encoding/xml"
	"time"
)

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang     string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID       string      `xml:"id"`
	Title    atomText    `xml:"title"`
	Subtitle *atomText   `xml:"subtitle,omitempty"`
	Updated  atomTime    `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   atomPerson  `xml:"author"`
	Entries  []atomEntry `xml:"entry"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Updated    atomTime       `xml:"updated"`
	Published  *atomTime      `xml:"published,omitempty"`
	Author     *atomPerson    `xml:"author,omitempty"`
	Links      []atomLink     `xml:"link"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Categories []atomCategory `xml:"category"`
}

// atomText is a text construct of type text: no markup, so a reader
// shows it as written.
type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

func plainText(s string) atomText { return atomText{Type: "text", Text: s} }

type atomLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Href     string `xml:"href,attr"`
	Hreflang string `xml:"hreflang,attr,omitempty"`
	Title    string `xml:"title,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

// atomTime is a date construct: RFC 3339 in UTC, to the second.
type atomTime string

func atomDate(t time.Time) atomTime {
	return atomTime(t.UTC().Truncate(time.Second).Format(time.RFC3339))
}

// bytes is the feed as a document. encoding/xml escapes what must be and
// replaces the characters XML cannot hold.
func (f *atomFeed) bytes() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", " ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
