package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// newTestServerForOpenAPI serves the built-in data from a fresh SQLite database.
func newTestServerForOpenAPI(t *testing.T) (*httptest.Server, *i18n.Catalogs) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Engines()[0].Open(t)
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatalf("built-in dataset: %v", err)
	}
	if err := db.ImportCatalog(ctx, c); err != nil {
		t.Fatalf("import: %v", err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ctx, Deps{Source: db, Home: "utokyo", Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, msgs
}

// oaDoc is the parsed openapi.json with a schema compiler over it.
type oaDoc struct {
	t       *testing.T
	raw     map[string]any
	comp    *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
}

func loadOpenAPIForTest(t *testing.T) *oaDoc {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, openapiJSON) {
		t.Fatal("openapi.json differs from the embedded copy")
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	return &oaDoc{t: t, raw: raw, comp: c, schemas: map[string]*jsonschema.Schema{}}
}

// ptrEscape escapes one JSON pointer token, percent-encoded for a URL fragment.
func oaPtrEscape(tok string) string {
	tok = strings.ReplaceAll(tok, "~", "~0")
	tok = strings.ReplaceAll(tok, "/", "~1")
	return url.PathEscape(tok)
}

func oaPtr(toks ...string) string {
	var b strings.Builder
	b.WriteString("#")
	for _, tok := range toks {
		b.WriteString("/" + oaPtrEscape(tok))
	}
	return b.String()
}

// schema compiles the schema at the JSON pointer (a "#/..." fragment).
func (d *oaDoc) schema(p string) *jsonschema.Schema {
	d.t.Helper()
	if s, ok := d.schemas[p]; ok {
		return s
	}
	s, err := d.comp.Compile("openapi.json" + p)
	if err != nil {
		d.t.Fatalf("compile %s: %v", p, err)
	}
	d.schemas[p] = s
	return s
}

// get walks the raw document along the pointer tokens.
func (d *oaDoc) get(toks ...string) any {
	var v any = d.raw
	for _, tok := range toks {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[tok]
	}
	return v
}

// deref follows a local $ref of a non-schema object (a response, a
// parameter), returning the object and its pointer.
func (d *oaDoc) deref(v any, at string) (map[string]any, string) {
	m, _ := v.(map[string]any)
	for m != nil {
		r, ok := m["$ref"].(string)
		if !ok {
			break
		}
		if !strings.HasPrefix(r, "#/") {
			d.t.Fatalf("%s: non-local $ref %q", at, r)
		}
		at = r
		var toks []string
		for _, tok := range strings.Split(r[2:], "/") {
			toks = append(toks, strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~"))
		}
		m, _ = d.get(toks...).(map[string]any)
		if m == nil {
			d.t.Fatalf("unresolved $ref %q", r)
		}
	}
	return m, at
}

func (d *oaDoc) paths() map[string]any {
	m, _ := d.raw["paths"].(map[string]any)
	return m
}

func (d *oaDoc) op(path, method string) map[string]any {
	op, _ := d.get("paths", path, method).(map[string]any)
	return op
}

// oaParam is a resolved parameter object with the pointer of its schema.
type oaParam struct {
	obj       map[string]any
	schemaPtr string
}

func (p oaParam) name() string { s, _ := p.obj["name"].(string); return s }
func (p oaParam) in() string   { s, _ := p.obj["in"].(string); return s }

func (d *oaDoc) params(path, method string) []oaParam {
	var out []oaParam
	add := func(list any, at string) {
		ps, _ := list.([]any)
		for i, p := range ps {
			m, pat := d.deref(p, at+"/"+strconv.Itoa(i))
			out = append(out, oaParam{obj: m, schemaPtr: pat + "/schema"})
		}
	}
	add(d.get("paths", path, "parameters"), oaPtr("paths", path, "parameters"))
	add(d.get("paths", path, method, "parameters"), oaPtr("paths", path, method, "parameters"))
	return out
}

// example returns a parameter's example as a query or path value.
func (p oaParam) example(t *testing.T) string {
	t.Helper()
	switch v := p.obj["example"].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	t.Fatalf("parameter %s (%s) has no usable example", p.name(), p.in())
	return ""
}

// oaResponse is what checkResponse saw.
type oaResponse struct {
	status int
	header http.Header
	body   []byte
	json   any // decoded JSON body, nil otherwise
}

// fetch requests u (a path and query) and checks the answer against the
// operation documented for path: the status is documented, the media type
// is, the body matches the schema and the documented headers are present.
func (d *oaDoc) fetch(ts *httptest.Server, path, u string, hdr http.Header) oaResponse {
	d.t.Helper()
	t := d.t
	req, err := http.NewRequest(http.MethodGet, ts.URL+u, nil)
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(req.Header, hdr)
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := oaResponse{status: res.StatusCode, header: res.Header, body: body}

	op := d.op(path, "get")
	if op == nil {
		t.Fatalf("GET %s: not documented", path)
	}
	code := strconv.Itoa(res.StatusCode)
	respRaw := d.get("paths", path, "get", "responses", code)
	if respRaw == nil {
		t.Errorf("GET %s: status %d is not documented for %s (body %.300s)", u, res.StatusCode, path, body)
		return r
	}
	resp, at := d.deref(respRaw, oaPtr("paths", path, "get", "responses", code))
	for name := range resp["headers"].(map[string]any) {
		if res.Header.Get(name) == "" {
			t.Errorf("GET %s: %d without the documented header %s", u, res.StatusCode, name)
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			t.Errorf("GET %s: %d documents no body but has %q", u, res.StatusCode, body)
		}
		return r
	}
	mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil {
		t.Errorf("GET %s: Content-Type %q: %v", u, res.Header.Get("Content-Type"), err)
		return r
	}
	if _, ok := content[mt]; !ok {
		t.Errorf("GET %s: %d answered %s, documented %v", u, res.StatusCode, mt, slices.Sorted(maps.Keys(content)))
		return r
	}
	sch := d.schema(at + "/content/" + oaPtrEscape(mt) + "/schema")
	var inst any
	if mt == "application/json" {
		inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Errorf("GET %s: body is not JSON: %v", u, err)
			return r
		}
		if err := json.Unmarshal(body, &r.json); err != nil {
			t.Fatal(err)
		}
	} else {
		inst = string(body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("GET %s: %d body does not match its schema:\n%v", u, res.StatusCode, err)
	}
	return r
}

var oaRouteRE = regexp.MustCompile(`"GET (/[^"\s]*)"`)

// documentedRoutes are the GET routes of routes.go the document must cover.
func oaRoutes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range oaRouteRE.FindAllStringSubmatch(string(b), -1) {
		if strings.HasPrefix(m[1], "/api/v1/") || m[1] == "/healthz" || m[1] == "/readyz" {
			out = append(out, m[1])
		}
	}
	if len(out) < 8 {
		t.Fatalf("found only %d routes in routes.go: %v", len(out), out)
	}
	return out
}

var oaPathParamRE = regexp.MustCompile(`\{([^}]*)\}`)

func TestOpenAPIDocument(t *testing.T) {
	d := loadOpenAPIForTest(t)
	if v, _ := d.raw["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	if v, _ := d.get("info", "version").(string); v != "1.0.0" {
		t.Errorf("info.version = %q", v)
	}
	if v, _ := d.get("info", "title").(string); v == "" {
		t.Error("info.title is empty")
	}
	desc, _ := d.get("info", "description").(string)
	if !regexp.MustCompile(`[A-Za-z]{4}`).MatchString(desc) || !regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`).MatchString(desc) {
		t.Errorf("info.description should be in English and Japanese: %q", desc)
	}
	servers, _ := d.raw["servers"].([]any)
	if len(servers) != 1 || d.get("servers") == nil || servers[0].(map[string]any)["url"] != "/" {
		t.Errorf("servers = %v, want [{url: /}]", servers)
	}

	ids := map[string]string{}
	for path, item := range d.paths() {
		for method := range item.(map[string]any) {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			at := method + " " + path
			op := d.op(path, method)
			for _, k := range []string{"operationId", "summary", "description"} {
				if s, _ := op[k].(string); s == "" {
					t.Errorf("%s: no %s", at, k)
				}
			}
			id, _ := op["operationId"].(string)
			if other, dup := ids[id]; dup {
				t.Errorf("operationId %q of %s is also %s", id, at, other)
			}
			ids[id] = at
			var hasLang, hasAL bool
			seen := map[string]bool{}
			for _, p := range d.params(path, method) {
				key := p.in() + ":" + p.name()
				if seen[key] {
					t.Errorf("%s: parameter %s twice", at, key)
				}
				seen[key] = true
				if p.obj["schema"] == nil {
					t.Errorf("%s: parameter %s has no schema", at, key)
				}
				switch key {
				case "query:lang":
					sch, _ := p.obj["schema"].(map[string]any)
					hasLang = reflect.DeepEqual(sch["enum"], []any{"ja", "en"})
				case "header:Accept-Language":
					hasAL = true
				}
			}
			if !hasLang {
				t.Errorf("%s: no lang query parameter with enum [ja, en]", at)
			}
			if !hasAL {
				t.Errorf("%s: no Accept-Language header parameter", at)
			}
			for _, m := range oaPathParamRE.FindAllStringSubmatch(path, -1) {
				if !seen["path:"+m[1]] {
					t.Errorf("%s: path parameter %s is not documented", at, m[1])
				}
			}
			for key := range seen {
				if name, ok := strings.CutPrefix(key, "path:"); ok && !strings.Contains(path, "{"+name+"}") {
					t.Errorf("%s: path parameter %s is not in the path", at, name)
				}
			}
			resps, _ := op["responses"].(map[string]any)
			if _, ok := resps["200"]; !ok {
				t.Errorf("%s: no 200 response", at)
			}
			for code, r := range resps {
				resp, _ := d.deref(r, at)
				if s, _ := resp["description"].(string); s == "" {
					t.Errorf("%s: response %s has no description", at, code)
				}
				if code[0] == '4' || code[0] == '5' {
					content, _ := resp["content"].(map[string]any)
					media, _ := content["application/json"].(map[string]any)
					sch, _ := media["schema"].(map[string]any)
					if len(content) != 1 || sch["$ref"] != "#/components/schemas/Error" {
						t.Errorf("%s: response %s is not the Error schema", at, code)
					}
				}
			}
		}
	}

	// Every object schema is closed, and requires only properties it has.
	schemas, _ := d.get("components", "schemas").(map[string]any)
	if len(schemas) == 0 {
		t.Fatal("no components/schemas")
	}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				if v["additionalProperties"] != false {
					t.Errorf("%s: additionalProperties is not false", at)
				}
				req, _ := v["required"].([]any)
				for _, r := range req {
					if _, ok := props[r.(string)]; !ok {
						t.Errorf("%s: requires %v, which it does not define", at, r)
					}
				}
			}
			for k, sub := range v {
				walk(at+"/"+k, sub)
			}
		case []any:
			for i, sub := range v {
				walk(at+"/"+strconv.Itoa(i), sub)
			}
		}
	}
	walk("#/components/schemas", schemas)
	// and every one compiles
	for name := range schemas {
		d.schema(oaPtr("components", "schemas", name))
	}
}

func TestOpenAPIRoutes(t *testing.T) {
	d := loadOpenAPIForTest(t)
	routes := oaRoutes(t)
	for _, r := range routes {
		if d.op(r, "get") == nil {
			t.Errorf("route GET %s of routes.go is not in openapi.json", r)
		}
	}
	for path, item := range d.paths() {
		for method := range item.(map[string]any) {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			if method != "get" || !slices.Contains(routes, path) {
				t.Errorf("openapi.json documents %s %s, which routes.go does not serve", strings.ToUpper(method), path)
			}
		}
	}
}

// TestOpenAPIExamples requests every documented operation with its
// examples: the path parameters', then each query parameter's alone. All
// must answer 200 (so a documented path or parameter the server does not
// serve fails) with a body matching the schema.
func TestOpenAPIExamples(t *testing.T) {
	ts, msgs := newTestServerForOpenAPI(t)
	d := loadOpenAPIForTest(t)
	for path := range d.paths() {
		if d.op(path, "get") == nil {
			continue
		}
		base := path
		var query []oaParam
		for _, p := range d.params(path, "get") {
			switch p.in() {
			case "path":
				base = strings.ReplaceAll(base, "{"+p.name()+"}", url.PathEscape(p.example(t)))
			case "query":
				query = append(query, p)
			}
			if _, ok := p.obj["example"]; ok {
				ex, _ := jsonschema.UnmarshalJSON(strings.NewReader(oaJSON(t, p.obj["example"])))
				if err := d.schema(p.schemaPtr).Validate(ex); err != nil {
					t.Errorf("GET %s: example of %s does not match its schema: %v", path, p.name(), err)
				}
			}
		}
		if r := d.fetch(ts, path, base, nil); r.status != http.StatusOK {
			t.Errorf("GET %s: %d, want 200: %s", base, r.status, r.body)
		}
		var names []string
		for _, p := range query {
			names = append(names, p.name())
			u := base + "?" + url.Values{p.name(): {p.example(t)}}.Encode()
			if r := d.fetch(ts, path, u, nil); r.status != http.StatusOK {
				t.Errorf("GET %s: %d, want 200: %s", u, r.status, r.body)
			}
		}

		// Where the server rejects unknown parameters, the ones it names as
		// accepted are exactly the documented ones.
		if d.get("paths", path, "get", "responses", "400") == nil {
			continue
		}
		const probe = "openapi_probe"
		r := d.fetch(ts, path, base+"?lang=en&"+probe+"=1", nil)
		if r.status != http.StatusBadRequest {
			t.Errorf("GET %s?%s=1: %d, want 400", base, probe, r.status)
			continue
		}
		msg, _ := r.json.(map[string]any)["error"].(map[string]any)["fields"].(map[string]any)[probe].(string)
		prefix, suffix, _ := strings.Cut(msgs.Printer(partnerhub.English).T("field.unknown_param", "\x00"), "\x00")
		list, ok := strings.CutPrefix(msg, prefix)
		list, ok2 := strings.CutSuffix(list, suffix)
		if !ok || !ok2 {
			t.Errorf("GET %s?%s=1: unexpected message %q", base, probe, msg)
			continue
		}
		accepted := strings.Split(list, ", ")
		slices.Sort(accepted)
		slices.Sort(names)
		if !slices.Equal(accepted, names) {
			t.Errorf("GET %s: server accepts %v, openapi.json documents %v", path, accepted, names)
		}
	}
}

func oaJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func oaItems(t *testing.T, r oaResponse) []map[string]any {
	t.Helper()
	list, ok := r.json.(map[string]any)["items"].([]any)
	if !ok {
		t.Fatalf("no items in %.200s", r.body)
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)
	}
	return out
}

func TestOpenAPIResponses(t *testing.T) {
	ts, _ := newTestServerForOpenAPI(t)
	d := loadOpenAPIForTest(t)
	ok := func(path, u string) oaResponse {
		t.Helper()
		r := d.fetch(ts, path, u, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d: %s", u, r.status, r.body)
		}
		return r
	}

	partners := oaItems(t, ok("/api/v1/partners", "/api/v1/partners"))
	if len(partners) == 0 {
		t.Fatal("no partners")
	}
	for _, q := range []string{"tier=primary", "unit=agr", "country=SE", "country=se", "phase=3", "q=Tokyo", "tier=prospective&phase=3&lang=ja"} {
		ok("/api/v1/partners", "/api/v1/partners?"+q)
	}
	for _, p := range partners {
		slug := p["slug"].(string)
		r := ok("/api/v1/partners/{slug}", "/api/v1/partners/"+url.PathEscape(slug))
		if !reflect.DeepEqual(r.json, any(p)) {
			t.Errorf("partner %s: detail differs from its list item", slug)
		}
	}

	units := oaItems(t, ok("/api/v1/units", "/api/v1/units"))
	if len(units) == 0 {
		t.Fatal("no units")
	}
	for _, u := range units {
		code := u["code"].(string)
		r := ok("/api/v1/units/{code}", "/api/v1/units/"+url.PathEscape(code))
		if r.json.(map[string]any)["code"] != code {
			t.Errorf("unit %s: got %v", code, r.json.(map[string]any)["code"])
		}
	}

	if len(oaItems(t, ok("/api/v1/phases", "/api/v1/phases"))) == 0 {
		t.Fatal("no phases")
	}

	acts := oaItems(t, ok("/api/v1/activities", "/api/v1/activities"))
	if len(acts) == 0 {
		t.Fatal("no activities")
	}
	for _, q := range []string{"from=2019&to=2020", "partner=cambridge", "kind=symposium", "unit=eng", "q=symposium", "from=2021-03-15"} {
		ok("/api/v1/activities", "/api/v1/activities?"+q)
	}
	for _, a := range acts {
		slug := a["slug"].(string)
		r := ok("/api/v1/activities/{slug}", "/api/v1/activities/"+url.PathEscape(slug))
		if !reflect.DeepEqual(r.json, any(a)) {
			t.Errorf("activity %s: detail differs from its list item", slug)
		}
	}

	ok("/api/v1/openapi.json", "/api/v1/openapi.json")
	ok("/healthz", "/healthz")
	ok("/readyz", "/readyz")

	// Errors: the documented status and shape, naming the field at fault.
	for _, c := range []struct {
		path, u string
		status  int
		field   string
	}{
		{"/api/v1/partners", "/api/v1/partners?tier=gold", 400, "tier"},
		{"/api/v1/partners", "/api/v1/partners?phase=x", 400, "phase"},
		{"/api/v1/partners", "/api/v1/partners?phase=99", 400, "phase"},
		{"/api/v1/partners", "/api/v1/partners?unit=nope", 400, "unit"},
		{"/api/v1/partners", "/api/v1/partners?country=Sweden", 400, "country"},
		{"/api/v1/partners", "/api/v1/partners?tier=primary&tier=prospective", 400, "tier"},
		{"/api/v1/partners", "/api/v1/partners?colour=red", 400, "colour"},
		{"/api/v1/units", "/api/v1/units?colour=red", 400, "colour"},
		{"/api/v1/phases", "/api/v1/phases?colour=red", 400, "colour"},
		{"/api/v1/activities", "/api/v1/activities?from=2019-13", 400, "from"},
		{"/api/v1/activities", "/api/v1/activities?to=2019-02-30", 400, "to"},
		{"/api/v1/activities", "/api/v1/activities?from=2021&to=2020", 400, "to"},
		{"/api/v1/activities", "/api/v1/activities?kind=party", 400, "kind"},
		{"/api/v1/activities", "/api/v1/activities?partner=nope", 400, "partner"},
		{"/api/v1/activities", "/api/v1/activities?colour=red&lang=ja", 400, "colour"},
		{"/api/v1/partners/{slug}", "/api/v1/partners/no-such-partner", 404, ""},
		{"/api/v1/units/{code}", "/api/v1/units/no-such-unit", 404, ""},
		{"/api/v1/activities/{slug}", "/api/v1/activities/no-such-activity?lang=ja", 404, ""},
	} {
		r := d.fetch(ts, c.path, c.u, nil)
		if r.status != c.status {
			t.Errorf("GET %s: %d, want %d: %s", c.u, r.status, c.status, r.body)
			continue
		}
		e, _ := r.json.(map[string]any)["error"].(map[string]any)
		fields, _ := e["fields"].(map[string]any)
		if c.field != "" {
			if msg, _ := fields[c.field].(string); msg == "" {
				t.Errorf("GET %s: no message for %s in %s", c.u, c.field, r.body)
			}
		} else if fields != nil {
			t.Errorf("GET %s: unexpected fields in %s", c.u, r.body)
		}
		wantLang := "en"
		if strings.Contains(c.u, "lang=ja") {
			wantLang = "ja"
		}
		if got := r.header.Get("Content-Language"); got != wantLang {
			t.Errorf("GET %s: Content-Language %q, want %q", c.u, got, wantLang)
		}
	}
	// Accept-Language picks the language when lang does not.
	r := d.fetch(ts, "/api/v1/partners/{slug}", "/api/v1/partners/no-such-partner", http.Header{"Accept-Language": {"ja,en;q=0.5"}})
	if r.header.Get("Content-Language") != "ja" {
		t.Errorf("Accept-Language ja: Content-Language %q", r.header.Get("Content-Language"))
	}

	// 304 where documented: the ETag revalidates.
	for path := range d.paths() {
		if d.get("paths", path, "get", "responses", "304") == nil {
			continue
		}
		u := oaPathParamRE.ReplaceAllStringFunc(path, func(m string) string {
			switch path {
			case "/api/v1/partners/{slug}":
				return partners[0]["slug"].(string)
			case "/api/v1/units/{code}":
				return units[0]["code"].(string)
			case "/api/v1/activities/{slug}":
				return acts[0]["slug"].(string)
			}
			t.Fatalf("%s: no value for %s", path, m)
			return ""
		})
		for _, q := range []string{"", "?lang=ja"} {
			first := ok(path, u+q)
			etag := first.header.Get("ETag")
			r := d.fetch(ts, path, u+q, http.Header{"If-None-Match": {etag}})
			if r.status != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match %s: %d, want 304", u+q, etag, r.status)
			}
			r = d.fetch(ts, path, u+q, http.Header{"If-None-Match": {`"stale"`}})
			if r.status != http.StatusOK {
				t.Errorf("GET %s with a stale If-None-Match: %d, want 200", u+q, r.status)
			}
		}
	}
}

// TestOpenAPIStrict shows the schemas reject what they must, so the
// validation above cannot pass vacuously.
func TestOpenAPIStrict(t *testing.T) {
	ts, _ := newTestServerForOpenAPI(t)
	d := loadOpenAPIForTest(t)

	var group, single []byte
	for _, p := range oaItems(t, d.fetch(ts, "/api/v1/partners", "/api/v1/partners", nil)) {
		b := []byte(oaJSON(t, p))
		if p["kind"] == "group" && group == nil {
			group = b
		}
		if p["kind"] == "institution" && single == nil {
			single = b
		}
	}
	partner := d.schema(oaPtr("components", "schemas", "Partner"))
	for _, b := range [][]byte{group, single} {
		if b == nil {
			t.Fatal("want a partner of each kind")
		}
		mutations := map[string]func(p map[string]any){
			"extra property":           func(p map[string]any) { p["extra"] = 1 },
			"no slug":                  func(p map[string]any) { delete(p, "slug") },
			"no agreements":            func(p map[string]any) { delete(p, "agreements") },
			"slug null":                func(p map[string]any) { p["slug"] = nil },
			"tier gold":                func(p map[string]any) { p["tier"] = "gold" },
			"members null":             func(p map[string]any) { p["members"] = nil },
			"name without en":          func(p map[string]any) { delete(p["name"].(map[string]any), "en") },
			"name with fr":             func(p map[string]any) { p["name"].(map[string]any)["fr"] = "x" },
			"member with extra":        func(p map[string]any) { p["members"].([]any)[0].(map[string]any)["extra"] = true },
			"member without country":   func(p map[string]any) { delete(p["members"].([]any)[0].(map[string]any), "country") },
			"member lat as string":     func(p map[string]any) { p["members"].([]any)[0].(map[string]any)["lat"] = "35.7" },
			"standing with bad tier":   func(p map[string]any) { p["standings"] = []any{map[string]any{"phase": 3, "tier": "gold"}} },
			"agreement with bad date":  func(p map[string]any) { p["agreements"] = []any{oaAgreement(t, p, "signed", "2019-1")} },
			"agreement with bad kind":  func(p map[string]any) { p["agreements"] = []any{oaAgreement(t, p, "kind", "treaty")} },
			"agreement without status": func(p map[string]any) { p["agreements"] = []any{oaAgreement(t, p, "status", nil)} },
		}
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err := partner.Validate(inst); err != nil {
			t.Fatalf("a real partner fails: %v", err)
		}
		for name, mutate := range mutations {
			inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			mutate(inst.(map[string]any))
			if partner.Validate(inst) == nil {
				t.Errorf("Partner (%s) with %s passes", inst.(map[string]any)["kind"], name)
			}
		}
		// tier is nullable; established is always present, 0 when unknown.
		inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(b))
		inst.(map[string]any)["tier"] = nil
		inst.(map[string]any)["members"].([]any)[0].(map[string]any)["established"] = 0
		if err := partner.Validate(inst); err != nil {
			t.Errorf("Partner with tier null and established 0 fails: %v", err)
		}
		delete(inst.(map[string]any)["members"].([]any)[0].(map[string]any), "established")
		if partner.Validate(inst) == nil {
			t.Error("Partner whose member lacks established passes")
		}
	}

	errSchema := d.schema(oaPtr("components", "schemas", "Error"))
	for body, valid := range map[string]bool{
		`{"error":{"code":"not_found","message":"x"}}`:                      true,
		`{"error":{"code":"invalid","message":"x","fields":{"tier":"y"}}}`:  true,
		`{"error":{"code":"invalid","message":"x","fields":{"tier":1}}}`:    false,
		`{"error":{"code":"invalid","message":"x","fields":{}}}`:            false,
		`{"error":{"code":"invalid"}}`:                                      false,
		`{"error":{"code":"invalid","message":"x","extra":1}}`:              false,
		`{"error":{"code":"invalid","message":"x"},"extra":1}`:              false,
		`{"code":"invalid","message":"x"}`:                                  false,
		`{"error":{"code":"teapot","message":"x"}}`:                         false,
		`{"error":{"code":"not_found","message":"x","fields":null}}`:        false,
		`{"error":{"code":"not_found","message":"","fields":{"a":"b"}}}`:    false,
		`{"error":{"code":"unavailable","message":"x","fields":{"a":"b"}}}`: true,
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err := errSchema.Validate(inst); (err == nil) != valid {
			t.Errorf("Error %s: valid = %v, want %v", body, err == nil, valid)
		}
	}

	act := d.schema(oaPtr("components", "schemas", "Activity"))
	a := oaItems(t, d.fetch(ts, "/api/v1/activities", "/api/v1/activities", nil))[0]
	for name, mutate := range map[string]func(a map[string]any){
		"start 2019-1":       func(a map[string]any) { a["start"] = "2019-1" },
		"no end":             func(a map[string]any) { delete(a, "end") },
		"kind party":         func(a map[string]any) { a["kind"] = "party" },
		"format by post":     func(a map[string]any) { a["format"] = "by_post" },
		"participants 100":   func(a map[string]any) { a["participants"] = 100 },
		"participants about": func(a map[string]any) { a["participants"] = map[string]any{"value": 100, "qualifier": "about"} },
		"edition -1":         func(a map[string]any) { a["edition"] = -1 },
		"no edition":         func(a map[string]any) { delete(a, "edition") },
		"series null":        func(a map[string]any) { a["series"] = nil },
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(oaJSON(t, a)))
		mutate(inst.(map[string]any))
		if act.Validate(inst) == nil {
			t.Errorf("Activity with %s passes", name)
		}
	}
}

func oaAgreement(t *testing.T, p map[string]any, key string, v any) map[string]any {
	a := map[string]any{
		"slug": "x", "partner": p["slug"], "institution": "", "kind": "mou", "level": "university",
		"title": map[string]any{"ja": "x", "en": "x"}, "units": []any{}, "signed": "2019", "expires": nil,
		"status": "active", "note": map[string]any{"ja": "", "en": ""},
	}
	if v == nil {
		delete(a, key)
	} else {
		a[key] = v
	}
	return a
}

// openapiGoTypes maps each schema to the Go type the server encodes.
var openapiGoTypes = map[string]reflect.Type{
	"Text":         reflect.TypeFor[partnerhub.Text](),
	"Institution":  reflect.TypeFor[partnerhub.Institution](),
	"Unit":         reflect.TypeFor[partnerhub.Unit](),
	"UnitPartner":  reflect.TypeFor[partnerhub.UnitPartner](),
	"UnitDetail":   reflect.TypeFor[partnerhub.UnitView](),
	"TeamUnit":     reflect.TypeFor[partnerhub.TeamUnit](),
	"Team":         reflect.TypeFor[partnerhub.Team](),
	"Standing":     reflect.TypeFor[partnerhub.PhaseTier](),
	"Agreement":    reflect.TypeFor[partnerhub.Agreement](),
	"Partner":      reflect.TypeFor[partnerhub.PartnerView](),
	"PartnerCount": reflect.TypeFor[partnerhub.PartnerCount](),
	"Phase":        reflect.TypeFor[partnerhub.Phase](),
	"Count":        reflect.TypeFor[partnerhub.Count](),
	"Activity":     reflect.TypeFor[partnerhub.Activity](),
	"Error":        reflect.TypeFor[errorBody](),
	"PartnerList":  reflect.TypeFor[listBody[*partnerhub.PartnerView]](),
	"UnitList":     reflect.TypeFor[listBody[partnerhub.Unit]](),
	"PhaseList":    reflect.TypeFor[listBody[partnerhub.Phase]](),
	"ActivityList": reflect.TypeFor[listBody[*partnerhub.Activity]](),
}

type oaJSONField struct {
	name      string
	omitempty bool
	typ       reflect.Type
}

// jsonFields lists the JSON properties encoding/json writes for a struct.
func oaJSONFields(t reflect.Type) []oaJSONField {
	var out []oaJSONField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, oaJSONFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, oaJSONField{name: name, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty"), typ: f.Type})
	}
	return out
}

// TestOpenAPIMatchesGoTypes checks each schema against the Go type it
// describes: the same properties, required unless omitempty, nullable
// exactly where Go can write null, and referring to the schemas of the
// named types it holds. A field added in Go without documentation fails.
func TestOpenAPIMatchesGoTypes(t *testing.T) {
	d := loadOpenAPIForTest(t)
	schemas := d.get("components", "schemas").(map[string]any)
	byType := map[reflect.Type]string{}
	for name, typ := range openapiGoTypes {
		if schemas[name] == nil {
			t.Errorf("schema %s is missing", name)
		}
		byType[typ] = name
	}
	nullJSON, _ := jsonschema.UnmarshalJSON(strings.NewReader("null"))
	partialDate := reflect.TypeFor[partnerhub.PartialDate]()

	var check func(at []string, typ reflect.Type)
	check = func(at []string, typ reflect.Type) {
		where := strings.Join(at, "/")
		s, _ := d.get(at...).(map[string]any)
		props, _ := s["properties"].(map[string]any)
		var names, required []string
		for _, f := range oaJSONFields(typ) {
			names = append(names, f.name)
			if !f.omitempty {
				required = append(required, f.name)
			}
			propAt := append(slices.Clone(at), "properties", f.name)
			prop, ok := props[f.name].(map[string]any)
			if !ok {
				t.Errorf("%s: Go field %s (%s) is not documented", where, f.name, f.typ)
				continue
			}
			ft := f.typ
			nullable := ft.Kind() == reflect.Pointer || ft == partialDate
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			err := d.schema(oaPtr(propAt...)).Validate(nullJSON)
			if nullable && err != nil {
				t.Errorf("%s.%s: Go may write null, the schema rejects it", where, f.name)
			}
			if !nullable && err == nil {
				t.Errorf("%s.%s: Go never writes null, the schema allows it", where, f.name)
			}
			if ft == partialDate {
				if !strings.Contains(oaJSON(t, prop), `"#/components/schemas/PartialDate"`) {
					t.Errorf("%s.%s: a PartialDate, not referring to PartialDate", where, f.name)
				}
				continue
			}
			if ft.Kind() != reflect.Struct {
				continue
			}
			if name, ok := byType[ft]; ok {
				if !strings.Contains(oaJSON(t, prop), `"#/components/schemas/`+name+`"`) {
					t.Errorf("%s.%s: a %s, not referring to schema %s", where, f.name, ft, name)
				}
			} else if ft.Name() == "" {
				check(propAt, ft) // an inline struct, as in errorBody
			} else {
				t.Errorf("%s.%s: no schema is mapped to %s", where, f.name, ft)
			}
		}
		slices.Sort(names)
		if got := slices.Sorted(maps.Keys(props)); !slices.Equal(got, names) {
			t.Errorf("%s: properties %v, Go writes %v", where, got, names)
		}
		var req []string
		for _, r := range s["required"].([]any) {
			req = append(req, r.(string))
		}
		slices.Sort(req)
		slices.Sort(required)
		if !slices.Equal(req, required) {
			t.Errorf("%s: required %v, Go always writes %v", where, req, required)
		}
	}
	for name, typ := range openapiGoTypes {
		check([]string{"components", "schemas", name}, typ)
	}
}
