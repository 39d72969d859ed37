// Package clients_test tests the API as an integrator meets it: on each
// engine it runs the partnerhub binary on the built-in data (and a few
// records the data lacks), fetches the OpenAPI description the server
// serves, lints it with Redocly CLI, generates a Go client (oapi-codegen,
// pinned in go/go.mod) and a TypeScript one (openapi-typescript and
// openapi-fetch, pinned in ts/package-lock.json) from it, compiles both and
// runs their tours (go/tour, ts/tour.ts), which call every read of the
// description, page through a list and write with a token. What the tours
// print is checked against the server.
package clients_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/e2e"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// missing is what the built-in data and the seeds below lack, so that these
// reads answer 404 (the documented error, decoded): the seeded proposal is
// a draft, which has no reviews or comments yet, and no project comes of
// it. Every other read must answer 200.
var missing = []string{"proposalReviews", "proposalComments", "getProject", "listProjectReports"}

func TestClients(t *testing.T) {
	if testing.Short() {
		t.Skip("clients: slow (generates and compiles two clients); not with -short")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("clients: the TypeScript client needs node and npm (%v)", err)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "clients/ts/node_modules/.bin/tsc")); err != nil {
		// A fresh clone: the tools come from the npm registry, as the lock
		// file pins them, so that go test ./... needs no step before it.
		t.Logf("clients: npm ci in clients/ts (%v)", err)
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = filepath.Join(root, "clients/ts")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clients: npm ci in clients/ts: %v\n%s", err, out)
		}
	}
	builds := &builds{root: root, dir: t.TempDir(), by: map[[32]byte]*build{}}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		url := e.BuiltinURL(t)
		token := seed(t, url)
		node := e2e.Serve(t, "clients-"+e.Name, url, e2e.FreeAddr(t))
		desc := get(t, node.URL+"/api/v1/openapi.json", "")
		reads := describe(t, desc)
		b := builds.of(t, desc)
		if b.failed {
			t.Fatal("the lint, the generation or the compilation of the clients failed (the first engine's log says why)")
		}
		var wg sync.WaitGroup
		var goOut, tsOut []byte
		wg.Go(func() {
			goOut = command(t, b.dir, nil, filepath.Join(b.dir, "go/tour.bin"), "-base", node.URL, "-token", token, "-slug", "client-go-example")
		})
		wg.Go(func() {
			tsOut = command(t, filepath.Join(b.dir, "ts"), nil, "node", "out/tour.js", node.URL, token, "client-ts-example")
		})
		wg.Wait()
		total := countPartners(t, node.URL)
		for lang, out := range map[string][]byte{"go": goOut, "ts": tsOut} {
			check(t, lang, out, reads, total, node.URL)
		}
	})
}

// builds lints a description and builds the clients of it once: the
// engines serve the same bytes, and the second waits for the first's
// clients rather than make them again.
type builds struct {
	root, dir string
	mu        sync.Mutex
	by        map[[32]byte]*build
}

// build is the clients of one description, in dir.
type build struct {
	once   sync.Once
	dir    string
	failed bool
}

func (bs *builds) of(t *testing.T, desc []byte) *build {
	t.Helper()
	sum := sha256.Sum256(desc)
	bs.mu.Lock()
	b, ok := bs.by[sum]
	if !ok {
		b = &build{dir: filepath.Join(bs.dir, fmt.Sprintf("%x", sum[:8]))}
		bs.by[sum] = b
	}
	bs.mu.Unlock()
	b.once.Do(func() {
		start := time.Now()
		if err := os.MkdirAll(b.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.dir, "openapi.json"), desc, 0o644); err != nil {
			t.Fatal(err)
		}
		// The lint and the two clients, side by side.
		var wg sync.WaitGroup
		wg.Go(func() { lint(t, bs.root, b.dir) })
		wg.Go(func() { goBuild(t, bs.root, b.dir) })
		wg.Go(func() { tsBuild(t, bs.root, b.dir) })
		wg.Wait()
		b.failed = t.Failed()
		t.Logf("lint, generation and compilation: %v", time.Since(start).Round(time.Millisecond))
	})
	return b
}

// seed adds what the built-in data lacks for every read to answer: an
// administrator with a second factor and a token that may write, a second
// member of the network, a document of an agreement, a published call with
// a draft proposal (number 1, which the tours read: proposals have no
// list), a network event and a published good-practice note with a file.
// It returns the token.
func seed(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	const password = "a long and secret passphrase"
	admin, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "clients-admin@example.ac.jp", Name: "Clients", Role: partnerhub.RoleAdmin}, password)
	if err != nil {
		t.Fatal(err)
	}
	// A network editor publishes the good-practice note the admin writes.
	netEditor, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "clients-editor@example.ac.jp", Name: "Editor", Role: partnerhub.RoleViewer,
		NetworkAdmin: true}, password)
	if err != nil {
		t.Fatal(err)
	}
	// Administrators must have a second factor before the API answers them.
	secret := "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := db.StartTOTP(ctx, admin.ID, secret, now); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.CheckTOTP(ctx, admin.ID, true, now, func(string) (int64, bool) { return now.Unix() / 30, true }); err != nil || !ok {
		t.Fatalf("second factor: %v %v", ok, err)
	}
	token, _, err := db.CreateToken(ctx, admin.ID, partnerhub.TokenSpec{Name: "clients", Scope: partnerhub.ScopeWrite}, now)
	if err != nil {
		t.Fatal(err)
	}
	inst := func(slug string) partnerhub.Institution {
		return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
	}
	storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{inst("kyoto-uni"), inst("princeton"), inst("kyoto-only")}, "princeton", "kyoto-only")
	if _, err := db.AddDocument(ctx, admin, "utokyo", "princeton-mou", partnerhub.DocumentSigned, "signed.pdf", storetest.PDF("Signed"), now); err != nil {
		t.Fatal(err)
	}
	call := partnerhub.Call{Fund: "princeton", Number: 10, Title: partnerhub.Text{Ja: "第10回", En: "Tenth call"},
		Opens: now.Add(-time.Hour), Closes: now.Add(24 * time.Hour),
		Grants:      []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12}},
		Criteria:    []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 1}},
		Attachments: []partnerhub.AttachmentSpec{{Code: "cv", Name: partnerhub.Text{Ja: "履歴書", En: "CV"}}},
		ScaleMin:    1, ScaleMax: 5, Published: true}
	if _, err := db.PutCall(ctx, admin, "utokyo", call); err != nil {
		t.Fatal(err)
	}
	// A draft proposal to it, the administrator's own, with a file.
	prop, err := db.CreateProposal(ctx, admin, "utokyo", partnerhub.Proposal{Fund: "princeton", Call: 10, Grant: "seed",
		Title:    partnerhub.Text{Ja: "海洋観測データの共同解析", En: "Joint analysis of ocean observation data"},
		Abstract: partnerhub.Text{Ja: "概要", En: "What the research is about."}, Units: []string{"eng"}})
	if err != nil || prop.ID != 1 {
		t.Fatalf("proposal: %+v %v", prop, err)
	}
	if _, err := db.AddProposalFile(ctx, admin, "utokyo", prop.ID, "cv", "cv.pdf", storetest.PDF("CV"), now); err != nil {
		t.Fatal(err)
	}
	editor := *admin
	editor.NetworkEditor = true
	starts := now.Add(72 * time.Hour).UTC()
	if _, err := db.PutNetworkEvent(ctx, &editor, partnerhub.NetworkEvent{Title: partnerhub.Text{Ja: "例会", En: "Meeting"},
		Kind: partnerhub.EventSeminar, Online: true, Starts: starts, Ends: starts.Add(time.Hour), Capacity: 10,
		RegistrationOpens: now.Add(-time.Hour), RegistrationCloses: starts, State: partnerhub.EventPublished, RetentionDays: 30}, now); err != nil {
		t.Fatal(err)
	}
	n, err := db.CreateNote(ctx, admin, partnerhub.Note{Title: partnerhub.Text{Ja: "海外拠点", En: "An office abroad"},
		Body: partnerhub.Text{Ja: "学生を支える海外拠点。", En: "An office abroad that helps students."}, Topic: partnerhub.TopicOfficesAbroad,
		Partners: []partnerhub.NoteLink{{Slug: "ntu"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddNoteFile(ctx, admin, n.ID, n.Version, "note.pdf", storetest.PDF("Note")); err != nil {
		t.Fatal(err)
	}
	if n, err = db.TransitNote(ctx, admin, n.ID, n.Version+1, partnerhub.VerbSubmitNote, ""); err != nil {
		t.Fatal(err)
	}
	if _, err = db.TransitNote(ctx, netEditor, n.ID, n.Version, partnerhub.VerbPublishNote, ""); err != nil {
		t.Fatal(err)
	}
	return token
}

// get fetches u (with the token, when not "") and fails unless 200.
func get(t *testing.T, u, token string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %.300s", u, res.StatusCode, err, b)
	}
	return b
}

// describe checks what the lint leaves to this test: every operation
// but the health probes documents a 4xx (redocly.yaml turns the rule off
// for them), names its security ([] when public), and has an example of
// each JSON request body and of each list it answers (Redocly checks the
// examples against their schemas). It returns the operationIds of the
// reads.
func describe(t *testing.T, desc []byte) []string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(desc, &doc); err != nil {
		t.Fatal(err)
	}
	// deref follows a local $ref.
	deref := func(v any) map[string]any {
		m, _ := v.(map[string]any)
		for m != nil {
			ref, ok := m["$ref"].(string)
			if !ok {
				break
			}
			var at any = doc
			for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
				at = at.(map[string]any)[tok]
			}
			m, _ = at.(map[string]any)
		}
		return m
	}
	// examples fails for a JSON content without an example, when want says
	// its schema needs one.
	examples := func(at string, content any, want func(schema map[string]any) bool) {
		for mt, media := range deref(content) {
			m := deref(media)
			if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
				continue
			}
			if _, ok := m["example"]; ok {
				continue
			}
			if _, ok := m["examples"]; ok {
				continue
			}
			if want(deref(m["schema"])) {
				t.Errorf("%s: no example of %s", at, mt)
			}
		}
	}
	always := func(map[string]any) bool { return true }
	isList := func(s map[string]any) bool {
		props, _ := s["properties"].(map[string]any)
		for _, k := range []string{"items", "notes", "events", "members", "hits"} {
			if _, ok := props[k]; ok {
				return true
			}
		}
		return false
	}
	var reads []string
	for path, item := range deref(doc["paths"]) {
		for method, raw := range deref(item) {
			if !slices.Contains([]string{"get", "put", "post", "patch", "delete"}, method) {
				continue
			}
			op := deref(raw)
			at := strings.ToUpper(method) + " " + path
			if _, ok := op["security"].([]any); !ok {
				t.Errorf("%s: no security (public operations say [])", at)
			}
			has4xx := false
			for code := range deref(op["responses"]) {
				has4xx = has4xx || strings.HasPrefix(code, "4")
			}
			if !has4xx && path != "/healthz" && path != "/readyz" {
				t.Errorf("%s: no 4xx response", at)
			}
			if rb := deref(op["requestBody"]); rb != nil {
				examples(at+" request", rb["content"], always)
			}
			if method == "get" {
				reads = append(reads, op["operationId"].(string))
				if ok := deref(deref(op["responses"])["200"]); ok != nil {
					examples(at+" 200", ok["content"], isList)
				}
			}
		}
	}
	slices.Sort(reads)
	if len(reads) < 40 {
		t.Fatalf("only %d reads in the description", len(reads))
	}
	return reads
}

// command runs name with args in dir and fails the test on an error,
// showing its output.
func command(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	t.Logf("%s %s: %v", filepath.Base(name), args[0], time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Errorf("%s %s in %s: %v\n%s\n%s", name, strings.Join(args, " "), dir, err, out, stderr.Bytes())
	}
	return append(out, stderr.Bytes()...)
}

// quiet keeps Redocly CLI from calling home.
var quiet = []string{"REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1"}

var problemRE = regexp.MustCompile(`(?m)^\s*(error|warning)\s+\S+:`)

// lint runs Redocly CLI's recommended rules (redocly.yaml) on the served
// description: no error and no warning.
func lint(t *testing.T, root, dir string) {
	out := command(t, dir, quiet, filepath.Join(root, "clients/ts/node_modules/.bin/redocly"),
		"lint", "--config", filepath.Join(root, "redocly.yaml"), "--format", "summary", "openapi.json")
	if problemRE.Match(out) || !strings.Contains(string(out), "Your API description is valid") {
		t.Errorf("redocly lint:\n%s", out)
	}
}

// copyFiles copies the named files from one folder to another, making
// the folders on the way.
func copyFiles(t *testing.T, from, to string, names ...string) {
	t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(from, n))
		if err == nil {
			err = os.MkdirAll(filepath.Dir(filepath.Join(to, n)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(to, n), b, 0o644)
		}
		if err != nil {
			t.Errorf("copy %s: %v", n, err) // not Fatal: the tours run on goroutines of their own
		}
	}
}

// goBuild generates the Go client from dir/openapi.json in a copy of
// clients/go and builds its tour, dir/go/tour.bin.
func goBuild(t *testing.T, root, dir string) {
	mod := filepath.Join(dir, "go")
	copyFiles(t, filepath.Join(root, "clients/go"), mod, "go.mod", "go.sum", "oapi-codegen.yaml", "api/generate.go", "tour/main.go")
	env := []string{"GOWORK=off"}
	command(t, filepath.Join(mod, "api"), env, "go", "tool", "oapi-codegen", "-config", "../oapi-codegen.yaml", "../../openapi.json")
	command(t, mod, env, "go", "build", "-o", "tour.bin", "./tour")
}

// tsBuild generates the TypeScript types from dir/openapi.json beside a
// copy of clients/ts (its node_modules linked) and compiles the tour with
// tsc --strict into dir/ts/out (emitting, so that node can run it: the
// same type check as --noEmit, once).
func tsBuild(t *testing.T, root, dir string) {
	ts := filepath.Join(dir, "ts")
	src := filepath.Join(root, "clients/ts")
	copyFiles(t, src, ts, "package.json", "tsconfig.json", "tour.ts")
	if err := os.Symlink(filepath.Join(src, "node_modules"), filepath.Join(ts, "node_modules")); err != nil {
		t.Error(err)
		return
	}
	command(t, ts, nil, "node_modules/.bin/openapi-typescript", "../openapi.json", "-o", "schema.d.ts")
	command(t, ts, nil, "node_modules/.bin/tsc", "-p", ".", "--strict")
}

// countPartners walks the partners' pages as the server gives them.
func countPartners(t *testing.T, base string) int {
	t.Helper()
	n := 0
	for u := base + "/api/v1/partners?limit=100"; u != ""; {
		var page struct {
			Items []json.RawMessage `json:"items"`
			Next  *string           `json:"next"`
		}
		if err := json.Unmarshal(get(t, u, ""), &page); err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		u = ""
		if page.Next != nil {
			u = *page.Next
		}
	}
	return n
}

// line is one line a tour prints.
type line struct {
	Op      string `json:"op"`
	Status  int    `json:"status"`
	Decoded bool   `json:"decoded"`
	Error   string `json:"error"`
	Pages   int    `json:"pages"`
	Items   int    `json:"items"`
	Key     string `json:"key"`
	Title   string `json:"title"`
}

// check compares a tour's lines with the description's reads and the
// server: every read called once or more, 200 and decoded (404, decoded,
// for what the data lacks); the partners paged to the count the server
// gives; the write made and read back.
func check(t *testing.T, lang string, out []byte, reads []string, total int, base string) {
	t.Helper()
	got := map[string][]line{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			continue
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Errorf("%s tour: %q: %v", lang, sc.Text(), err)
			continue
		}
		got[l.Op] = append(got[l.Op], l)
	}
	for _, op := range reads {
		want := http.StatusOK
		if slices.Contains(missing, op) {
			want = http.StatusNotFound
		}
		ls := got[op]
		if len(ls) == 0 {
			t.Errorf("%s tour: does not call %s", lang, op)
		}
		for _, l := range ls {
			if l.Status != want || !l.Decoded {
				t.Errorf("%s tour: %s: status %d, decoded %v (%s), want %d and decoded", lang, op, l.Status, l.Decoded, l.Error, want)
			}
		}
	}
	if p := one(t, lang, got, "paginate"); p.Items != total || p.Pages < 2 || !p.Decoded {
		t.Errorf("%s tour: paged through %d partners in %d pages, want %d in more than one", lang, p.Items, p.Pages, total)
	}
	slug := "client-" + lang + "-example"
	if w := one(t, lang, got, "createActivity"); w.Status != http.StatusCreated || !w.Decoded || w.Key != slug {
		t.Errorf("%s tour: the write: %+v", lang, w)
	}
	var stored struct {
		Title partnerhub.Text `json:"title"`
	}
	if err := json.Unmarshal(get(t, base+"/api/v1/activities/"+slug, ""), &stored); err != nil {
		t.Fatal(err)
	}
	if r := one(t, lang, got, "readBack"); r.Status != http.StatusOK || r.Title != stored.Title.En || !strings.Contains(stored.Title.En, "generated client") {
		t.Errorf("%s tour: read back %+v; the server has %q", lang, r, stored.Title.En)
	}
	if t.Failed() {
		t.Logf("%s tour printed:\n%s", lang, out)
	}
}

func one(t *testing.T, lang string, got map[string][]line, op string) line {
	t.Helper()
	if len(got[op]) != 1 {
		t.Errorf("%s tour: %d lines of %s, want 1", lang, len(got[op]), op)
		return line{}
	}
	return got[op][0]
}
