package mail

import (
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
)

// A notice's mail is in the recipient's language, escapes what people
// typed in its HTML part, links to the thing and to the choices of mail;
// every kind has its texts in both languages.
func TestNoticeComposition(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := &Composer{Messages: cat, BaseURL: "https://partners.example.ac.jp"}
	n := partnerhub.Notice{Kind: partnerhub.NoticeReturned, Entity: partnerhub.EntityAgreement, Key: "snu-mou",
		Title: partnerhub.Text{Ja: "ソウル大学校との協定", En: "Agreement with <SNU>"}, Path: "/agreements/snu-mou",
		NoticeDetails: partnerhub.NoticeDetails{Actor: "Office", Comment: `Page 2 & "titles"`}}
	m, err := c.Notice("a@example.ac.jp", "Kim", partnerhub.English, n)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Returned to you: Agreement with <SNU>" || m.Kind != Kind("returned") ||
		!strings.Contains(m.Text, `“Agreement with <SNU>” was returned to you by Office, with this comment: “Page 2 & "titles"”`) ||
		!strings.Contains(m.Text, "https://partners.example.ac.jp/en/agreements/snu-mou") ||
		!strings.Contains(m.Text, "Choose your mail: https://partners.example.ac.jp/en/account#mail-preferences") {
		t.Errorf("English notice: %q\n%s", m.Subject, m.Text)
	}
	if strings.Contains(m.HTML, "<SNU>") || !strings.Contains(m.HTML, "&lt;SNU&gt;") || !strings.Contains(m.HTML, "Page 2 &amp; &#34;titles&#34;") {
		t.Errorf("HTML part does not escape:\n%s", m.HTML)
	}
	ja, _ := c.Notice("a@example.ac.jp", "金", partnerhub.Japanese, n)
	if ja.Subject != "差し戻し：ソウル大学校との協定" || !strings.Contains(ja.Text, "/ja/agreements/snu-mou") || !strings.Contains(ja.Text, "金 様") {
		t.Errorf("Japanese notice: %q\n%s", ja.Subject, ja.Text)
	}
	for _, k := range partnerhub.NoticeKinds {
		for _, ok := range []bool{true, false} {
			for _, l := range partnerhub.Langs {
				n := partnerhub.Notice{Kind: k, Title: partnerhub.Text{Ja: "t", En: "t"}, Path: "/x", NoticeDetails: partnerhub.NoticeDetails{OK: ok, Days: 30}}
				m, _ := c.Notice("a@example.ac.jp", "n", l, n)
				if strings.Contains(m.Subject, "notice.") || strings.Contains(m.Text, "notice.") {
					t.Errorf("%s in %s: a key is missing:\n%s\n%s", k, l, m.Subject, m.Text)
				}
			}
		}
	}
	d, err := c.Digest("a@example.ac.jp", "Kim", partnerhub.Japanese, []partnerhub.Notification{
		{ID: 1, Notice: n}, {ID: 2, Notice: partnerhub.Notice{Kind: partnerhub.NoticeExpiring, Title: n.Title, Path: "/agreements/snu-mou",
			NoticeDetails: partnerhub.NoticeDetails{Days: 90, Date: "2027-03-31"}}, CreatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindDigest || d.Subject != "今週のお知らせのまとめ（2件）" || strings.Count(d.Text, "https://partners.example.ac.jp/ja/agreements/snu-mou") != 2 ||
		strings.Count(d.HTML, "<li>") != 2 {
		t.Errorf("digest: %q\n%s\n%s", d.Subject, d.Text, d.HTML)
	}
}
