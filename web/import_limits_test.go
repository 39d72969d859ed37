package web

// Imports in the browser: one paused half way through its file leaves
// sign-in and editing free on the same server and database; the upload's
// size and the imports running at once are limited, with a message naming
// the limit, and a refused upload changes nothing. The pause is a reader
// the test controls, not a timer.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/store/storetest"
)

// pausedFile is an import's file that stops before byte at, until release
// is closed; reached is closed when it stops.
type pausedFile struct {
	r        io.Reader
	at, n    int
	reached  chan struct{}
	release  chan struct{}
	stopOnce sync.Once
}

func (p *pausedFile) Read(b []byte) (int, error) {
	if p.n >= p.at {
		p.stopOnce.Do(func() {
			close(p.reached)
			<-p.release
		})
	} else if len(b) > p.at-p.n {
		b = b[:p.at-p.n]
	}
	n, err := p.r.Read(b)
	p.n += n
	return n, err
}

// pauseFirstImport makes the next import on ed's server stop half way
// through its file; later imports read theirs whole.
func pauseFirstImport(t *testing.T, ed *editors) *pausedFile {
	t.Helper()
	p := &pausedFile{reached: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	ed.srv.importInput = func(_ context.Context, f io.Reader, size int64) io.Reader {
		in := f
		once.Do(func() {
			p.r, p.at = f, int(size/2)
			in = p
		})
		return in
	}
	t.Cleanup(func() {
		select {
		case <-p.release:
		default:
			close(p.release)
		}
	})
	return p
}

// postImport uploads a file and returns the reply, without following it.
func (ed *editors) postImport(t *testing.T, role, lang, name, content string) reply {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", ed.URL+"/"+lang+"/mobility/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(ed.cookie[role])
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// followJob reads a job's page until the import ends.
func (ed *editors) followJob(t *testing.T, role string, started reply) reply {
	t.Helper()
	if started.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", started.status, started.body)
	}
	for range 600 {
		r := ed.send(t, "GET", started.header.Get("Location"), nil, ed.cookie[role])
		if !strings.Contains(r.body, `http-equiv="refresh"`) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the import did not end")
	return reply{}
}

// figuresCSV is n figures of NTU and the agriculture unit, all different,
// of the years from on, ten a year.
func figuresCSV(n int, from int) string {
	var b strings.Builder
	b.WriteString("partner,unit,year,direction,category,programme,count\n")
	dirs := []string{"outbound", "inbound"}
	cats := []string{"undergraduate", "graduate", "faculty", "staff", "researcher"}
	for i := range n {
		fmt.Fprintf(&b, "ntu,agr,%d,%s,%s,exchange,%d\n", from+i/10, dirs[i%2], cats[i/2%5], i%30+1)
	}
	return b.String()
}

// within runs fn and fails the test if it has not returned after a
// minute: a failsafe against a wait for the database's writer, which
// would otherwise hang the test until the import it waits for is released.
func within(t *testing.T, what string, fn func() reply) reply {
	t.Helper()
	got := make(chan reply, 1)
	go func() { got <- fn() }()
	select {
	case r := <-got:
		return r
	case <-time.After(time.Minute):
		t.Fatalf("%s did not complete while an import was reading its file", what)
		return reply{}
	}
}

func TestImportLeavesSignInAndEditsFree(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	pause := pauseFirstImport(t, ed)
	started := ed.postImport(t, "coordinator", "en", "big.csv", figuresCSV(2000, 1900))
	select {
	case <-pause.reached:
	case <-time.After(time.Minute):
		t.Fatalf("the import never began reading its file: %d %s", started.status, started.body)
	}
	// Half the file is read; the import is reading and checking. A
	// sign-in, an edit and another import (its owner's limit is one, the
	// home's two) complete meanwhile, on the same server and database.
	r := within(t, "sign-in", func() reply {
		return ed.send(t, "POST", "/en/signin", signinForm("viewer@example.ac.jp", testPassword))
	})
	if r.status != http.StatusSeeOther || r.cookie() == nil {
		t.Fatalf("sign-in during an import: %d %s", r.status, r.body)
	}
	form := map[string][]string{"partner": {"ntu"}, "unit": {"agr"}, "year": {"2023"}, "direction": {"inbound"}, "category": {"faculty"},
		"programme": {"visit"}, "count": {"3"}}
	r = within(t, "an edit", func() reply { return ed.send(t, "POST", "/en/edit/mobility/new", form, ed.cookie["coordinator"]) })
	if r.status != http.StatusSeeOther {
		t.Fatalf("edit during an import: %d %s", r.status, r.body)
	}
	r = within(t, "another import", func() reply {
		return ed.followJob(t, "admin", ed.postImport(t, "admin", "en", "small.csv", figuresCSV(20, 2100)))
	})
	wantPage(t, r, 200, "20 figures were added.")

	close(pause.release)
	wantPage(t, ed.followJob(t, "coordinator", started), 200, "2,000 figures were added.")
}

func TestImportLimits(t *testing.T) {
	ed := newEditors(t, storetest.Engines()[0])
	// Set before any import: the next requests see them.
	ed.srv.deps.MaxUploadBytes = 1000
	stats := func() string { return ed.send(t, "GET", "/en/stats/partners/ntu", nil).body }
	before := stats()

	// Too big: refused before anything is stored, the limit named, in
	// either language.
	big := figuresCSV(40, 2000) // about 1.6 KB
	r := ed.postImport(t, "coordinator", "en", "big.csv", big)
	wantPage(t, r, http.StatusRequestEntityTooLarge, "larger than the limit of 1000 B; nothing was added")
	r = ed.postImport(t, "coordinator", "ja", "big.csv", big)
	wantPage(t, r, http.StatusRequestEntityTooLarge, "上限の 1000 B を超えている")
	// A body far over the limit is refused by its declared length alone.
	r = ed.postImport(t, "coordinator", "en", "huge.csv", strings.Repeat(big, 1000))
	wantPage(t, r, http.StatusRequestEntityTooLarge, "the limit of 1000 B")

	// One import at a time per user: a second one of the same user waits
	// for none, it is refused, and names the limit.
	pause := pauseFirstImport(t, ed)
	first := ed.postImport(t, "coordinator", "en", "first.csv", figuresCSV(20, 2000))
	<-pause.reached
	r = ed.postImport(t, "coordinator", "en", "second.csv", figuresCSV(20, 2010))
	wantPage(t, r, http.StatusTooManyRequests, "You already have 1 import running")
	r = ed.postImport(t, "coordinator", "ja", "second.csv", figuresCSV(20, 2010))
	wantPage(t, r, http.StatusTooManyRequests, "1人あたり 1 件まで")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// The home's limit: with one running, a home allowed one refuses
	// another user's import too.
	ed.srv.deps.MaxImportsPerHome = 1
	r = ed.postImport(t, "admin", "en", "third.csv", figuresCSV(20, 2020))
	wantPage(t, r, http.StatusTooManyRequests, "1 import is already running for this programme")
	if got := stats(); got != before {
		t.Fatal("a refused import changed the statistics")
	}

	close(pause.release)
	wantPage(t, ed.followJob(t, "coordinator", first), 200, "20 figures were added.")
	// The import ended: its owner may import again.
	wantPage(t, ed.followJob(t, "coordinator", ed.postImport(t, "coordinator", "en", "again.csv", figuresCSV(20, 2010))), 200,
		"20 figures were added.")
}
