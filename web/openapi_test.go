package web

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
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
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/i18n"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// newTestServerForOpenAPI serves the built-in data from a fresh SQLite
// database, with its mobility figures (none), as the command does.
func newTestServerForOpenAPI(t *testing.T) (*httptest.Server, *i18n.Catalogs) {
	t.Helper()
	return newOpenAPIServer(t, true)
}

// newOpenAPIServer is newTestServerForOpenAPI, without a mobility store
// unless mobility.
func newOpenAPIServer(t *testing.T, mobility bool) (*httptest.Server, *i18n.Catalogs) {
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
	deps := Deps{Source: db, Home: "utokyo", Messages: msgs}
	if mobility {
		deps.Mobility = db
		// A second member, so that the network's API answers (it is 404
		// with one); it partners with princeton, the example institution.
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{testInst("kyoto-uni"), testInst("princeton"), testInst("kyoto-only")}, "princeton", "kyoto-only")
		deps.Network = db
	}
	srv, err := NewServer(ctx, deps)
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
	called  map[string]map[int]bool // "METHOD path" -> statuses seen, when not nil
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
	c.AssertFormat()
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

// example returns a parameter's example as a query or path value: an
// array's items comma-separated, as style form without explode writes them.
func (p oaParam) example(t *testing.T) string {
	t.Helper()
	switch v := p.obj["example"].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		if p.obj["explode"] != false {
			break
		}
		var items []string
		for _, it := range v {
			s, ok := it.(string)
			if !ok {
				t.Fatalf("parameter %s (%s): example item %v is not a string", p.name(), p.in(), it)
			}
			items = append(items, s)
		}
		return strings.Join(items, ",")
	}
	t.Fatalf("parameter %s (%s) has no usable example", p.name(), p.in())
	return ""
}

// oaResponse is what do saw.
type oaResponse struct {
	status int
	header http.Header
	body   []byte
	json   any // decoded JSON body, nil otherwise
}

// obj is the JSON body as an object, or nil.
func (r oaResponse) obj() map[string]any { m, _ := r.json.(map[string]any); return m }

// errFields are the fields of an error body.
func (r oaResponse) errFields() map[string]any {
	e, _ := r.obj()["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

// oaKnownGaps are answers of the Go code that fall short of the document,
// each reported on every run; an entry fails once the server is fixed, so
// that it is removed. Keys are "METHOD path status header".
var oaKnownGaps = map[string]string{}

// fetch GETs u (a path and query) and checks the answer against the
// operation documented for path.
func (d *oaDoc) fetch(ts *httptest.Server, path, u string, hdr http.Header) oaResponse {
	d.t.Helper()
	return d.do(ts, http.MethodGet, path, u, hdr, nil)
}

// do sends a request to u (a path and query) and checks the answer against
// the operation documented for method and path: the status is documented,
// 401 only where the operation has security, the media type is documented,
// the body matches the schema and the documented headers are present with
// values their schemas allow. A successful request's body must match the
// documented request body, so the document describes what the server takes.
func (d *oaDoc) do(ts *httptest.Server, method, path, u string, hdr http.Header, reqBody []byte) oaResponse {
	d.t.Helper()
	t := d.t
	var rd io.Reader
	if reqBody != nil {
		rd = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, ts.URL+u, rd)
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

	m := strings.ToLower(method)
	at := method + " " + u
	op := d.op(path, m)
	if op == nil {
		t.Fatalf("%s %s: not documented", method, path)
	}
	if d.called != nil {
		k := method + " " + path
		if d.called[k] == nil {
			d.called[k] = map[int]bool{}
		}
		d.called[k][res.StatusCode] = true
	}
	if res.StatusCode/100 == 2 && reqBody != nil {
		d.checkRequestBody(path, m, req.Header.Get("Content-Type"), reqBody)
	}
	if res.StatusCode == http.StatusUnauthorized && !slices.Contains(d.securityOf(path, m), "bearerAuth") {
		t.Errorf("%s: 401, but the operation has no security", at)
	}
	code := strconv.Itoa(res.StatusCode)
	respRaw := d.get("paths", path, m, "responses", code)
	if respRaw == nil {
		t.Errorf("%s: status %d is not documented for %s %s (body %.300s)", at, res.StatusCode, method, path, body)
		return r
	}
	resp, respAt := d.deref(respRaw, oaPtr("paths", path, m, "responses", code))
	hdrs, _ := resp["headers"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(hdrs)) {
		gap := method + " " + path + " " + code + " " + name
		v := res.Header.Get(name)
		if v == "" {
			if why, ok := oaKnownGaps[gap]; ok {
				t.Logf("known gap: %s: %s", gap, why)
			} else {
				t.Errorf("%s: %d without the documented header %s", at, res.StatusCode, name)
			}
			continue
		}
		if _, ok := oaKnownGaps[gap]; ok {
			t.Errorf("%s: the server sends %s now: remove %q from oaKnownGaps", at, name, gap)
		}
		_, hAt := d.deref(hdrs[name], respAt+"/headers/"+oaPtrEscape(name))
		if err := d.schema(hAt + "/schema").Validate(v); err != nil {
			t.Errorf("%s: %d header %s: %q does not match its schema: %v", at, res.StatusCode, name, v, err)
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			t.Errorf("%s: %d documents no body but has %q", at, res.StatusCode, body)
		}
		return r
	}
	mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil {
		t.Errorf("%s: Content-Type %q: %v", at, res.Header.Get("Content-Type"), err)
		return r
	}
	if _, ok := content[mt]; !ok {
		t.Errorf("%s: %d answered %s, documented %v", at, res.StatusCode, mt, slices.Sorted(maps.Keys(content)))
		return r
	}
	sch := d.schema(respAt + "/content/" + oaPtrEscape(mt) + "/schema")
	var inst any
	if mt == "application/json" {
		inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: body is not JSON: %v", at, err)
			return r
		}
		if err := json.Unmarshal(body, &r.json); err != nil {
			t.Fatal(err)
		}
	} else {
		inst = string(body)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: %d body does not match its schema:\n%v", at, res.StatusCode, err)
	}
	return r
}

// requestBodyOf returns an operation's request body object and its pointer.
func (d *oaDoc) requestBodyOf(path, method string) (map[string]any, string) {
	rb := d.get("paths", path, method, "requestBody")
	if rb == nil {
		return nil, ""
	}
	return d.deref(rb, oaPtr("paths", path, method, "requestBody"))
}

// requestSchema compiles the documented schema of a request body of media
// type ct (a Content-Type, parameters allowed), or returns nil when the
// operation documents no such body.
func (d *oaDoc) requestSchema(path, method, ct string) *jsonschema.Schema {
	d.t.Helper()
	rb, at := d.requestBodyOf(path, method)
	if rb == nil {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = "application/json", nil
	}
	if err != nil {
		return nil
	}
	content, _ := rb["content"].(map[string]any)
	if _, ok := content[mt]; !ok {
		return nil
	}
	return d.schema(at + "/content/" + oaPtrEscape(mt) + "/schema")
}

// checkRequestBody fails unless body matches the documented request body.
func (d *oaDoc) checkRequestBody(path, method, ct string, body []byte) {
	d.t.Helper()
	at := strings.ToUpper(method) + " " + path
	sch := d.requestSchema(path, method, ct)
	if sch == nil {
		d.t.Errorf("%s: the server took a %q body, which the document does not describe", at, ct)
		return
	}
	mt, params, _ := mime.ParseMediaType(ct)
	if mt == "multipart/form-data" {
		// A form's fields, as the schema of the form describes them.
		body = oaFormJSON(d.t, body, params["boundary"])
	} else if mt != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return // a file (an agreements register): its schema says only that it is one
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		d.t.Errorf("%s: the server took a body that is not JSON: %v", at, err)
		return
	}
	if err := sch.Validate(inst); err != nil {
		d.t.Errorf("%s: the server took a body the document does not allow:\n%v", at, err)
	}
}

// securityOf lists the schemes an operation accepts ("" for none needed).
func (d *oaDoc) securityOf(path, method string) []string {
	var out []string
	reqs, _ := d.get("paths", path, method, "security").([]any)
	for _, r := range reqs {
		m, _ := r.(map[string]any)
		if len(m) == 0 {
			out = append(out, "")
		}
		for name := range m {
			out = append(out, name)
		}
	}
	return out
}

// needsToken reports an operation that requires bearerAuth.
func (d *oaDoc) needsToken(path, method string) bool {
	s := d.securityOf(path, method)
	return slices.Contains(s, "bearerAuth") && !slices.Contains(s, "")
}

// oaRoute is one route of routes.go: a method and a path pattern.
type oaRoute struct{ method, path string }

func (r oaRoute) String() string { return r.method + " " + r.path }

// oaNormPath forgets the names of path parameters: /a/{slug} and /a/{key}
// are one path.
func oaNormPath(p string) string { return oaPathParamRE.ReplaceAllString(p, "{}") }

// oaRoutes evaluates the patterns routes.go registers on s.mux — string
// literals, concatenations, loop variables over slice literals (fields of
// struct elements included) and variables assigned from those — and returns
// the API's routes (/api/v1/…, /healthz, /readyz). A pattern it cannot
// evaluate fails the test when it may be an API route.
func oaRoutes(t *testing.T) []oaRoute {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	const unknown = "\x00"
	// env binds a variable to its values: strings, or map[string]string for
	// a struct element of a slice literal.
	env := map[string][]any{}
	var eval func(e ast.Expr) []string
	eval = func(e ast.Expr) []string {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, err := strconv.Unquote(e.Value)
				if err != nil {
					t.Fatal(err)
				}
				return []string{s}
			}
		case *ast.ParenExpr:
			return eval(e.X)
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				var out []string
				for _, a := range eval(e.X) {
					for _, b := range eval(e.Y) {
						out = append(out, a+b)
					}
				}
				return out
			}
		case *ast.Ident:
			if vs, ok := env[e.Name]; ok {
				var out []string
				for _, v := range vs {
					s, ok := v.(string)
					if !ok {
						s = unknown
					}
					out = append(out, s)
				}
				return out
			}
		case *ast.SelectorExpr:
			if id, ok := e.X.(*ast.Ident); ok {
				if vs, ok := env[id.Name]; ok {
					var out []string
					for _, v := range vs {
						fields, _ := v.(map[string]string)
						s, ok := fields[e.Sel.Name]
						if !ok {
							s = unknown
						}
						out = append(out, s)
					}
					return out
				}
			}
		case *ast.CallExpr: // a conversion, string(l)
			if fn, ok := e.Fun.(*ast.Ident); ok && fn.Name == "string" && len(e.Args) == 1 {
				return eval(e.Args[0])
			}
		}
		return []string{unknown}
	}
	one := func(e ast.Expr) string {
		if vs := eval(e); len(vs) == 1 {
			return vs[0]
		}
		return unknown
	}
	// values of a range expression: the elements of a slice literal, of a
	// variable bound to one, or of partnerhub.Langs.
	values := func(x ast.Expr) []any {
		if sel, ok := x.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "partnerhub" && sel.Sel.Name == "Langs" {
				var out []any
				for _, l := range partnerhub.Langs {
					out = append(out, string(l))
				}
				return out
			}
		}
		if id, ok := x.(*ast.Ident); ok {
			if vs, ok := env[id.Name]; ok {
				return vs
			}
		}
		lit, ok := x.(*ast.CompositeLit)
		if !ok {
			return []any{unknown}
		}
		var fields []string
		if at, ok := lit.Type.(*ast.ArrayType); ok {
			if st, ok := at.Elt.(*ast.StructType); ok {
				for _, fl := range st.Fields.List {
					for _, n := range fl.Names {
						fields = append(fields, n.Name)
					}
				}
			}
		}
		var out []any
		for _, el := range lit.Elts {
			sub, ok := el.(*ast.CompositeLit)
			if !ok || fields == nil {
				out = append(out, one(el))
				continue
			}
			m := map[string]string{}
			for i, x := range sub.Elts {
				if kv, ok := x.(*ast.KeyValueExpr); ok {
					m[kv.Key.(*ast.Ident).Name] = one(kv.Value)
				} else if i < len(fields) {
					m[fields[i]] = one(x)
				}
			}
			out = append(out, m)
		}
		return out
	}
	isHandle := func(n ast.Node) (*ast.CallExpr, bool) {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return nil, false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return nil, false
		}
		mux, ok := sel.X.(*ast.SelectorExpr)
		return call, ok && mux.Sel.Name == "mux"
	}
	var patterns []string
	var walk func(stmts []ast.Stmt)
	walk = func(stmts []ast.Stmt) {
		for _, st := range stmts {
			switch st := st.(type) {
			case *ast.ExprStmt:
				if call, ok := isHandle(st.X); ok {
					patterns = append(patterns, eval(call.Args[0])...)
					continue
				}
			case *ast.AssignStmt:
				if len(st.Lhs) == 1 && len(st.Rhs) == 1 {
					if id, ok := st.Lhs[0].(*ast.Ident); ok {
						var vs []any
						for _, s := range eval(st.Rhs[0]) {
							vs = append(vs, s)
						}
						env[id.Name] = vs
						continue
					}
				}
			case *ast.BlockStmt:
				walk(st.List)
				continue
			case *ast.RangeStmt:
				id, ok := st.Value.(*ast.Ident)
				if !ok {
					break
				}
				old, had := env[id.Name]
				env[id.Name] = values(st.X)
				walk(st.Body.List)
				if had {
					env[id.Name] = old
				} else {
					delete(env, id.Name)
				}
				continue
			}
			ast.Inspect(st, func(n ast.Node) bool {
				if _, ok := isHandle(n); ok {
					t.Fatalf("routes.go:%d: a route in a statement the route check cannot read", fset.Position(n.Pos()).Line)
				}
				return true
			})
		}
	}
	// Package-level variables of the file first (var writeAPI = []struct{…}{…}).
	for _, decl := range f.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if _, ok := vs.Values[i].(*ast.CompositeLit); ok {
							env[name.Name] = values(vs.Values[i])
						}
					}
				}
			}
		}
	}
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Name.Name == "routes" {
			walk(fn.Body.List)
		}
	}

	var out []oaRoute
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "", p
		}
		api := strings.HasPrefix(path, "/api/v1/") || path == "/healthz" || path == "/readyz"
		if i := strings.Index(p, unknown); i >= 0 {
			// Only a path whose known beginning rules the API out may stay unknown.
			known := strings.TrimPrefix(p[:i], method+" ")
			if strings.Contains(method, unknown) || strings.HasPrefix("/api/v1/", known) || strings.HasPrefix(known, "/api/") ||
				strings.HasPrefix("/healthz", known) || strings.HasPrefix("/readyz", known) {
				t.Fatalf("routes.go: cannot evaluate the route %q", strings.ReplaceAll(p, unknown, "?"))
			}
			continue
		}
		if !api {
			continue
		}
		if method == "" {
			t.Fatalf("routes.go: the API route %q takes every method", p)
		}
		out = append(out, oaRoute{method, path})
	}
	if len(out) < 45 {
		t.Fatalf("found only %d API routes in routes.go: %v", len(out), out)
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
			if resps["200"] == nil && resps["201"] == nil && resps["202"] == nil {
				t.Errorf("%s: no 200 or 201 response", at)
			}
			// A token: 401 exactly where one is required.
			for _, name := range d.securityOf(path, method) {
				if name != "" && d.get("components", "securitySchemes", name) == nil {
					t.Errorf("%s: security scheme %s is not defined", at, name)
				}
			}
			if d.needsToken(path, method) != (resps["401"] != nil) {
				t.Errorf("%s: needs a token: %v, documents 401: %v", at, d.needsToken(path, method), resps["401"] != nil)
			}
			// Registering for a network event is for anyone, without an account.
			if strings.HasPrefix(path, "/api/v1/") && method != "get" && !d.needsToken(path, method) && path != "/api/v1/network/events/{id}/registrations" {
				t.Errorf("%s: a write that needs no token", at)
			}
			// A body: JSON, bounded, checked.
			if rb, rbAt := d.requestBodyOf(path, method); rb != nil {
				if rb["required"] != true {
					t.Errorf("%s: the request body is not required", at)
				}
				content, _ := rb["content"].(map[string]any)
				// JSON, or a form of a file for an upload (an agreement's documents, a register).
				if content["application/json"] == nil && content["multipart/form-data"] == nil {
					t.Errorf("%s: the request body is not application/json", at)
				}
				for mt := range content {
					d.schema(rbAt + "/content/" + oaPtrEscape(mt) + "/schema")
				}
				for _, code := range []string{"400", "413", "415"} {
					if resps[code] == nil {
						t.Errorf("%s: takes a body but does not document %s", at, code)
					}
				}
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

	// OpenAPI: paths that differ only in parameter names are one path.
	norm := map[string]string{}
	for path := range d.paths() {
		if other, ok := norm[oaNormPath(path)]; ok {
			t.Errorf("paths %s and %s differ only in parameter names", path, other)
		}
		norm[oaNormPath(path)] = path
	}
	if s, _ := d.get("components", "securitySchemes", "bearerAuth").(map[string]any); s["type"] != "http" || s["scheme"] != "bearer" {
		t.Errorf("securitySchemes.bearerAuth = %v, want http bearer", s)
	}
	// and every one compiles
	for name := range schemas {
		d.schema(oaPtr("components", "schemas", name))
	}
}

// TestOpenAPIRoutes checks that the document and routes.go agree on every
// method of every API route: each route is documented, and each documented
// operation is served. Path parameter names may differ (the document names
// one path's parameter once, as OpenAPI requires).
func TestOpenAPIRoutes(t *testing.T) {
	d := loadOpenAPIForTest(t)
	routes := map[string]bool{}
	for _, r := range oaRoutes(t) {
		routes[r.method+" "+oaNormPath(r.path)] = true
	}
	documented := map[string]string{}
	for path, item := range d.paths() {
		for method := range item.(map[string]any) {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			key := strings.ToUpper(method) + " " + oaNormPath(path)
			documented[key] = strings.ToUpper(method) + " " + path
			if !routes[key] {
				t.Errorf("openapi.json documents %s %s, which routes.go does not serve", strings.ToUpper(method), path)
			}
		}
	}
	for _, r := range slices.Sorted(maps.Keys(routes)) {
		if _, ok := documented[r]; !ok {
			t.Errorf("route %s of routes.go is not in openapi.json", r)
		}
	}
	for _, want := range []string{"POST /api/v1/activities", "PATCH /api/v1/partners/{}/teams/{}", "GET /api/v1/bin", "DELETE /api/v1/units/{}"} {
		if !routes[want] {
			t.Errorf("the route check did not find %s in routes.go", want)
		}
	}
}

// TestOpenAPIExamples requests every documented operation with its
// examples: the path parameters', then each query parameter's alone. All
// must answer 200 (so a documented path or parameter the server does not
// serve fails) with a body matching the schema. Operations that need a
// token get an admin's.
func TestOpenAPIExamples(t *testing.T) {
	as := newAuthServer(t, storetest.Engines()[0])
	ts := as.Server
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	admin := as.addUser(t, "oa-admin@example.ac.jp", partnerhub.RoleAdmin)
	raw, _, err := as.db.CreateToken(context.Background(), admin.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A document of the example agreement, the example id's (the first).
	if doc, err := as.db.AddDocument(context.Background(), admin, "utokyo", "princeton-mou", partnerhub.DocumentSigned, "example.pdf",
		storetest.PDF("Example"), time.Now()); err != nil || doc.ID != 1 {
		t.Fatalf("example document: %+v, %v", doc, err)
	}
	// A network event, the example event's (the first).
	exampleNetworkEvent(t, as.db, admin)
	// An awarded project, the example project's (the first proposal).
	if df := newDecisionFixture(t, as); df.proposal.ID != 1 {
		t.Fatalf("example project: %d", df.proposal.ID)
	} else {
		df.awardAndPublish(t)
	}
	// A published call of the built-in fund, the example call's.
	call := partnerhub.Call{Fund: "princeton", Number: 10, Title: partnerhub.Text{Ja: "第10回", En: "Tenth call"},
		Opens: time.Now().Add(-time.Hour), Closes: time.Now().Add(24 * time.Hour),
		Grants:   []partnerhub.Grant{{Code: "seed", Name: partnerhub.Text{Ja: "シード", En: "Seed"}, Months: 12}},
		Criteria: []partnerhub.Criterion{{Code: "merit", Name: partnerhub.Text{Ja: "意義", En: "Merit"}, Weight: 1}},
		ScaleMin: 1, ScaleMax: 5, Published: true}
	if _, err := as.db.PutCall(context.Background(), admin, "utokyo", call); err != nil {
		t.Fatalf("example call: %v", err)
	}
	// A published note with an attachment, the example note's and file's.
	examplePracticeNote(t, as, admin)
	// A second member, so that the network's API answers (it is 404 with
	// one); it partners with princeton, the example institution.
	storetest.AddHome(t, as.db, "kyoto", []partnerhub.Institution{testInst("kyoto-uni"), testInst("princeton"), testInst("kyoto-only")}, "princeton", "kyoto-only")
	d := loadOpenAPIForTest(t)
	for path := range d.paths() {
		if d.op(path, "get") == nil {
			continue
		}
		var hdr http.Header
		if d.needsToken(path, "get") {
			hdr = http.Header{"Authorization": {"Bearer " + raw}}
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
		if r := d.fetch(ts, path, base, hdr); r.status != http.StatusOK {
			t.Errorf("GET %s: %d, want 200: %s", base, r.status, r.body)
		}
		var names []string
		for _, p := range query {
			names = append(names, p.name())
			u := base + "?" + url.Values{p.name(): {p.example(t)}}.Encode()
			if r := d.fetch(ts, path, u, hdr); r.status != http.StatusOK {
				t.Errorf("GET %s: %d, want 200: %s", u, r.status, r.body)
			}
		}

		// Where the server rejects unknown parameters, the ones it names as
		// accepted are exactly the documented ones.
		if d.get("paths", path, "get", "responses", "400") == nil {
			continue
		}
		const probe = "openapi_probe"
		r := d.fetch(ts, path, base+"?lang=en&"+probe+"=1", hdr)
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
			case "/api/v1/agreements/{slug}":
				return "princeton-mou"
			case "/api/v1/network/members/{slug}":
				return "utokyo"
			case "/api/v1/network/institutions/{slug}":
				return "princeton"
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

	// A server that keeps no mobility figures answers their reads with 404.
	bare, _ := newOpenAPIServer(t, false)
	for path, u := range map[string]string{"/api/v1/stats/mobility": "/api/v1/stats/mobility?group_by=year", "/api/v1/mobility": "/api/v1/mobility?lang=ja"} {
		if r := d.fetch(bare, path, u, nil); r.status != http.StatusNotFound {
			t.Errorf("GET %s without a mobility store: %d, want 404: %s", u, r.status, r.body)
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
		`{"error":{"code":"not_found","message":"x"}}`:                       true,
		`{"error":{"code":"invalid","message":"x","fields":{"tier":"y"}}}`:   true,
		`{"error":{"code":"invalid","message":"x","fields":{"tier":1}}}`:     false,
		`{"error":{"code":"invalid","message":"x","fields":{}}}`:             false,
		`{"error":{"code":"invalid"}}`:                                       false,
		`{"error":{"code":"invalid","message":"x","extra":1}}`:               false,
		`{"error":{"code":"invalid","message":"x"},"extra":1}`:               false,
		`{"code":"invalid","message":"x"}`:                                   false,
		`{"error":{"code":"teapot","message":"x"}}`:                          false,
		`{"error":{"code":"not_found","message":"x","fields":null}}`:         false,
		`{"error":{"code":"not_found","message":"","fields":{"a":"b"}}}`:     false,
		`{"error":{"code":"unavailable","message":"x","fields":{"a":"b"}}}`:  true,
		`{"error":{"code":"unauthorized","message":"x"}}`:                    true,
		`{"error":{"code":"too_large","message":"x"}}`:                       true,
		`{"error":{"code":"conflict","message":"x","current":null}}`:         false,
		`{"error":{"code":"conflict","message":"x","current":{}}}`:           false,
		`{"error":{"code":"conflict","message":"x","current":{"slug":"x"}}}`: false,
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err := errSchema.Validate(inst); (err == nil) != valid {
			t.Errorf("Error %s: valid = %v, want %v", body, err == nil, valid)
		}
	}

	act := d.schema(oaPtr("components", "schemas", "Activity"))
	a := oaItems(t, d.fetch(ts, "/api/v1/activities", "/api/v1/activities", nil))[0]
	// error.current is a record of one of the record schemas.
	for name, c := range map[string]struct {
		current any
		valid   bool
	}{
		"an activity":                  {a, true},
		"an activity with extra":       {oaWith(a, "extra", 1), false},
		"an activity without slug":     {oaWith(a, "slug", nil), false},
		"a team":                       {map[string]any{"partner": "ntu", "phase": 3, "tier": "", "units": []any{"agr"}, "lead": "agr", "version": 2}, true},
		"a team with a duplicate unit": {map[string]any{"partner": "ntu", "phase": 3, "tier": "", "units": []any{"agr", "agr"}, "lead": "agr", "version": 2}, false},
		"a team with tier gold":        {map[string]any{"partner": "ntu", "phase": 3, "tier": "gold", "units": []any{}, "lead": "", "version": 2}, false},
		"a mobility figure":            {oaFigure("ntu", "", "agr", 2021, "outbound", "graduate", "exchange", 3), true},
		"a mobility figure of -1":      {oaFigure("ntu", "", "agr", 2021, "outbound", "graduate", "exchange", -1), false},
	} {
		body := map[string]any{"error": map[string]any{"code": "conflict", "message": "x", "current": c.current}}
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(oaJSON(t, body)))
		if err := errSchema.Validate(inst); (err == nil) != c.valid {
			t.Errorf("Error with current %s: valid = %v, want %v", name, err == nil, c.valid)
		}
	}
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

	// Mobility figures, their list and statistics, and their audit events.
	valid := func(schema string, v any) error {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(oaJSON(t, v)))
		if err != nil {
			t.Fatal(err)
		}
		return d.schema(oaPtr("components", "schemas", schema)).Validate(inst)
	}
	fig := oaFigure("ntu", "", "agr", 2021, "outbound", "graduate", "exchange", 3)
	for name, c := range map[string]struct {
		schema string
		v      map[string]any
		valid  bool
	}{
		"a figure":                       {"Mobility", fig, true},
		"a figure of a member":           {"Mobility", oaWith(fig, "partner", "oa-group", "institution", "oa-member", "unit", ""), true},
		"a figure of 0":                  {"Mobility", oaWith(fig, "count", 0), true},
		"a figure of 1000000 in 2200":    {"Mobility", oaWith(fig, "count", 1000000, "year", 2200), true},
		"an extra property":              {"Mobility", oaWith(fig, "extra", 1), false},
		"no count":                       {"Mobility", oaWith(fig, "count", nil), false},
		"no institution":                 {"Mobility", oaWith(fig, "institution", nil), false},
		"no unit":                        {"Mobility", oaWith(fig, "unit", nil), false},
		"unit null":                      {"Mobility", func() map[string]any { m := oaWith(fig); m["unit"] = nil; return m }(), false},
		"partner empty":                  {"Mobility", oaWith(fig, "partner", ""), false},
		"partner NTU":                    {"Mobility", oaWith(fig, "partner", "NTU"), false},
		"unit Agr":                       {"Mobility", oaWith(fig, "unit", "Agr"), false},
		"year 1899":                      {"Mobility", oaWith(fig, "year", 1899), false},
		"year 2201":                      {"Mobility", oaWith(fig, "year", 2201), false},
		"year as a string":               {"Mobility", oaWith(fig, "year", "2021"), false},
		"direction sideways":             {"Mobility", oaWith(fig, "direction", "sideways"), false},
		"category pets":                  {"Mobility", oaWith(fig, "category", "pets"), false},
		"programme holiday":              {"Mobility", oaWith(fig, "programme", "holiday"), false},
		"count -1":                       {"Mobility", oaWith(fig, "count", -1), false},
		"count 1000001":                  {"Mobility", oaWith(fig, "count", 1000001), false},
		"count 1.5":                      {"Mobility", oaWith(fig, "count", 1.5), false},
		"a figure list":                  {"MobilityList", map[string]any{"items": []any{fig}, "next": "https://example.org/api/v1/mobility?offset=1", "total": 7}, true},
		"an empty figure list":           {"MobilityList", map[string]any{"items": []any{}, "next": nil, "total": 0}, true},
		"a figure list without total":    {"MobilityList", map[string]any{"items": []any{fig}}, false},
		"a figure list of total -1":      {"MobilityList", map[string]any{"items": []any{}, "total": -1}, false},
		"a figure list with a bad item":  {"MobilityList", map[string]any{"items": []any{oaWith(fig, "count", -1)}, "total": 1}, false},
		"a figure list with items null":  {"MobilityList", map[string]any{"items": nil, "total": 0}, false},
		"statistics":                     {"StatsResponse", map[string]any{"group_by": []any{"year", "unit"}, "items": []any{map[string]any{"keys": []any{"2021", ""}, "total": 3}}}, true},
		"a total":                        {"StatsResponse", map[string]any{"group_by": []any{}, "items": []any{map[string]any{"keys": []any{}, "total": 3}}}, true},
		"statistics by colour":           {"StatsResponse", map[string]any{"group_by": []any{"colour"}, "items": []any{}}, false},
		"statistics by year twice":       {"StatsResponse", map[string]any{"group_by": []any{"year", "year"}, "items": []any{}}, false},
		"statistics without group_by":    {"StatsResponse", map[string]any{"items": []any{}}, false},
		"statistics with items null":     {"StatsResponse", map[string]any{"group_by": []any{}, "items": nil}, false},
		"a statistics row of total 0":    {"StatsResponse", map[string]any{"group_by": []any{}, "items": []any{map[string]any{"keys": []any{}, "total": 0}}}, false},
		"a statistics row of a year":     {"StatsResponse", map[string]any{"group_by": []any{"year"}, "items": []any{map[string]any{"keys": []any{2021}, "total": 1}}}, false},
		"a statistics row without keys":  {"StatsResponse", map[string]any{"group_by": []any{}, "items": []any{map[string]any{"total": 1}}}, false},
		"a statistics row with an extra": {"StatsResponse", map[string]any{"group_by": []any{}, "items": []any{map[string]any{"keys": []any{}, "total": 1, "extra": 1}}}, false},
	} {
		if err := valid(c.schema, c.v); (err == nil) != c.valid {
			t.Errorf("%s (%s): valid = %v, want %v: %v", name, c.schema, err == nil, c.valid, err)
		}
	}
	event := map[string]any{"id": 1, "at": "2025-01-01T00:00:00Z", "user_id": 1, "actor": "a@example.ac.jp", "action": "update",
		"entity": "mobility", "key": "ntu||agr|2021|outbound|graduate|exchange", "version": 2, "before": oaWith(fig, "count", 2), "after": fig}
	imp := oaWith(event, "action", "create", "key", "import", "version", 0, "after", map[string]any{"rows": 3})
	imp["before"] = nil
	for name, c := range map[string]struct {
		v     map[string]any
		valid bool
	}{
		"an update of a figure":            {event, true},
		"an import":                        {imp, true},
		"an import of 0 rows":              {oaWith(imp, "after", map[string]any{"rows": 0}), false},
		"an import with an extra property": {oaWith(imp, "after", map[string]any{"rows": 3, "extra": 1}), false},
		"an update to a figure of -1":      {oaWith(event, "after", oaWith(fig, "count", -1)), false},
		"an event of version -1":           {oaWith(event, "version", -1), false},
		"an event of entity figure":        {oaWith(event, "entity", "figure"), false},
	} {
		if err := valid("AuditEvent", c.v); (err == nil) != c.valid {
			t.Errorf("AuditEvent, %s: valid = %v, want %v: %v", name, err == nil, c.valid, err)
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
	"SearchResults":    reflect.TypeFor[partnerhub.SearchResults](),
	"SearchHit":        reflect.TypeFor[partnerhub.SearchHit](),
	"SearchMark":       reflect.TypeFor[partnerhub.Mark](),
	"PracticeNoteLink": reflect.TypeFor[partnerhub.NoteLink](),
	"PracticeNoteFile": reflect.TypeFor[partnerhub.NoteFile](),
	"Text":             reflect.TypeFor[partnerhub.Text](),
	"Institution":      reflect.TypeFor[partnerhub.Institution](),
	"Unit":             reflect.TypeFor[partnerhub.Unit](),
	"UnitPartner":      reflect.TypeFor[partnerhub.UnitPartner](),
	"UnitDetail":       reflect.TypeFor[partnerhub.UnitView](),
	"TeamUnit":         reflect.TypeFor[partnerhub.TeamUnit](),
	"Team":             reflect.TypeFor[partnerhub.Team](),
	"Standing":         reflect.TypeFor[partnerhub.PhaseTier](),
	"Agreement":        reflect.TypeFor[partnerhub.Agreement](),
	"AgreementReview":  reflect.TypeFor[partnerhub.Review](),
	"ApprovalStep":     reflect.TypeFor[partnerhub.ApprovalStep](),
	"Partner":          reflect.TypeFor[partnerhub.PartnerView](),
	"PartnerCount":     reflect.TypeFor[partnerhub.PartnerCount](),
	"Phase":            reflect.TypeFor[partnerhub.Phase](),
	"Count":            reflect.TypeFor[partnerhub.Count](),
	"Activity":         reflect.TypeFor[partnerhub.Activity](),
	"Error":            reflect.TypeFor[errorBody](),
	"RegisterProblem":  reflect.TypeFor[registerProblem](),
	"PartnerList":      reflect.TypeFor[listBody[*partnerhub.PartnerView]](),
	"UnitList":         reflect.TypeFor[listBody[partnerhub.Unit]](),
	"PhaseList":        reflect.TypeFor[listBody[partnerhub.Phase]](),
	"ActivityList":     reflect.TypeFor[listBody[*partnerhub.Activity]](),
	// The write side.
	"PartnerRecord": reflect.TypeFor[partnerhub.Partner](),
	"TeamDoc":       reflect.TypeFor[partnerhub.TeamDoc](),
	"AuditEvent":    reflect.TypeFor[auditEventJSON](),
	"AuditList":     reflect.TypeFor[listBody[auditEventJSON]](),
	"BinItem":       reflect.TypeFor[partnerhub.BinItem](),
	"BinList":       reflect.TypeFor[listBody[partnerhub.BinItem]](),
	// An agreement's documents.
	"AgreementDocument": reflect.TypeFor[partnerhub.AgreementDocument](),
	"DocumentUpload":    reflect.TypeFor[store.DocumentUpload](),
	"User":              reflect.TypeFor[partnerhub.User](),
	// UserChange is store.userState, which this package cannot see.
	// Mobility figures. MobilityList and StatsResponse are anonymous
	// structs of apiMobility and apiStats, and MobilityImport a map the
	// store writes: their answers are checked against the server's.
	"Mobility": reflect.TypeFor[partnerhub.Mobility](),
	"StatsRow": reflect.TypeFor[partnerhub.StatsRow](),
	// Joint funds and their calls.
	"Fund":           reflect.TypeFor[partnerhub.Fund](),
	"FundSeat":       reflect.TypeFor[partnerhub.FundSeat](),
	"Contribution":   reflect.TypeFor[partnerhub.Contribution](),
	"Money":          reflect.TypeFor[partnerhub.Money](),
	"Grant":          reflect.TypeFor[partnerhub.Grant](),
	"Criterion":      reflect.TypeFor[partnerhub.Criterion](),
	"AttachmentSpec": reflect.TypeFor[partnerhub.AttachmentSpec](),
	"Call":           reflect.TypeFor[callBody](),
	// The network's events.
	"NeventEvent":       reflect.TypeFor[eventJSON](),
	"NeventRegistrant":  reflect.TypeFor[partnerhub.Registrant](),
	"NeventEventRecord": reflect.TypeFor[partnerhub.NetworkEvent](),
}

type oaJSONField struct {
	name      string
	omitempty bool
	typ       reflect.Type
}

// oaJSONFields lists the JSON properties encoding/json writes for a struct:
// the fields of embedded structs too, where of one name the shallowest wins
// (as auditEventJSON's before and after hide AuditEvent's).
func oaJSONFields(t reflect.Type) []oaJSONField {
	type found struct {
		f     oaJSONField
		depth int
	}
	var all []found
	var collect func(t reflect.Type, depth int)
	collect = func(t reflect.Type, depth int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				collect(f.Type, depth+1)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			all = append(all, found{oaJSONField{name: name, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty"), typ: f.Type}, depth})
		}
	}
	collect(t, 0)
	shallowest := map[string]int{}
	for _, x := range all {
		if d, ok := shallowest[x.f.name]; !ok || x.depth < d {
			shallowest[x.f.name] = x.depth
		}
	}
	var out []oaJSONField
	for _, x := range all {
		if x.depth == shallowest[x.f.name] {
			out = append(out, x.f)
		}
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
	timeType := reflect.TypeFor[time.Time]()
	rawJSON := reflect.TypeFor[json.RawMessage]() // raw JSON, null included

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
			nullable := ft.Kind() == reflect.Pointer || ft == partialDate || ft == rawJSON
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
			if ft == timeType {
				if prop["type"] != "string" || prop["format"] != "date-time" {
					t.Errorf("%s.%s: a time.Time, not a date-time string", where, f.name)
				}
				continue
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

// oaWriter sends requests to a server with accounts as one of its users
// and checks every answer against the document (oaDoc.do).
type oaWriter struct {
	t     *testing.T
	d     *oaDoc
	ts    *authServer
	token map[string]string // who -> API token; "nobody" has none
}

// call sends body (nil for none; []byte as is; else encoded as JSON) as
// who. hdr are name, value pairs; Content-Type is application/json for a
// body unless hdr sets it ("" to send none).
func (w *oaWriter) call(who, method, path, u string, body any, hdr ...string) oaResponse {
	w.t.Helper()
	h := http.Header{}
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	default:
		b = []byte(oaJSON(w.t, v))
	}
	if b != nil {
		h.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			h.Del(hdr[i])
		} else {
			h.Set(hdr[i], hdr[i+1])
		}
	}
	if tok := w.token[who]; tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return w.d.do(w.ts.Server, method, path, u, h, b)
}

// want fails unless r has the status; for an error it returns the error's
// fields, for a success the body.
func (w *oaWriter) want(r oaResponse, status int, what string) map[string]any {
	w.t.Helper()
	if r.status != status {
		w.t.Errorf("%s: %d, want %d: %.400s", what, r.status, status, r.body)
		return map[string]any{}
	}
	if status >= 400 {
		return r.errFields()
	}
	return r.obj()
}

// wantField fails unless r is a 400 naming field.
func (w *oaWriter) wantField(r oaResponse, field, what string) {
	w.t.Helper()
	fields := w.want(r, http.StatusBadRequest, what)
	if r.status == http.StatusBadRequest {
		if msg, _ := fields[field].(string); msg == "" {
			w.t.Errorf("%s: no message for %q in %s", what, field, r.body)
		}
	}
}

// valid checks v against a component schema.
func (w *oaWriter) valid(schema string, v any, what string) {
	w.t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(oaJSON(w.t, v)))
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.d.schema(oaPtr("components", "schemas", schema)).Validate(inst); err != nil {
		w.t.Errorf("%s: not a valid %s: %v", what, schema, err)
	}
}

// current checks the error.current of a 409: a record of schema at version.
func (w *oaWriter) current(r oaResponse, schema string, version int, what string) {
	w.t.Helper()
	if r.status != http.StatusConflict {
		w.t.Errorf("%s: %d, want 409: %.300s", what, r.status, r.body)
		return
	}
	e, _ := r.obj()["error"].(map[string]any)
	cur, ok := e["current"].(map[string]any)
	if !ok {
		w.t.Errorf("%s: 409 without error.current: %s", what, r.body)
		return
	}
	w.valid(schema, cur, what+": error.current")
	if v, _ := cur["version"].(float64); int(v) != version {
		w.t.Errorf("%s: error.current.version = %v, want %d", what, cur["version"], version)
	}
}

// stored is a record as the store holds it, as JSON.
func (w *oaWriter) stored(entity partnerhub.Entity, key string) map[string]any {
	w.t.Helper()
	rec, _, err := w.ts.db.Record(context.Background(), "utokyo", entity, key)
	if err != nil {
		w.t.Fatalf("record %s %s: %v", entity, key, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(oaJSON(w.t, rec)), &m); err != nil {
		w.t.Fatal(err)
	}
	return m
}

// history checks a record's history: the actions newest first, and before
// and after of the record's schema or null as the action requires.
func (w *oaWriter) history(path, u, entity, key, schema string, actions ...string) []map[string]any {
	w.t.Helper()
	r := w.call("viewer", "GET", path, u, nil)
	w.want(r, http.StatusOK, "history of "+key)
	items := oaItems(w.t, r)
	var got []string
	for _, ev := range items {
		got = append(got, ev["action"].(string))
		if ev["entity"] != entity || ev["key"] != key {
			w.t.Errorf("history of %s: an event of %v %v", key, ev["entity"], ev["key"])
		}
		for _, side := range []string{"before", "after"} {
			null := (side == "before" && (ev["action"] == "create" || ev["action"] == "restore")) || (side == "after" && ev["action"] == "delete")
			if null != (ev[side] == nil) {
				w.t.Errorf("history of %s: %s of %s is %v", key, side, ev["action"], ev[side])
			}
			if ev[side] != nil {
				w.valid(schema, ev[side], "history of "+key+": "+side)
			}
		}
	}
	if !slices.Equal(got, actions) {
		w.t.Errorf("history of %s: actions %v, want %v", key, got, actions)
	}
	return items
}

func oaVersion(m map[string]any) int { v, _ := m["version"].(float64); return int(v) }

func oaWith(m map[string]any, kv ...any) map[string]any {
	c := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

// TestOpenAPIWrites exercises the write API, the histories, the audit log
// and the bin against a server with accounts, and checks every answer —
// success or error — against the documented status list and schema.
func TestOpenAPIWrites(t *testing.T) {
	ts := newAuthServer(t, storetest.Engines()[0])
	d := loadOpenAPIForTest(t)
	d.called = map[string]map[int]bool{}
	w := &oaWriter{t: t, d: d, ts: ts, token: map[string]string{}}
	users := map[string]*partnerhub.User{}
	for _, u := range []struct {
		who   string
		role  partnerhub.Role
		units []string
	}{
		{"admin", partnerhub.RoleAdmin, nil},
		{"coordinator", partnerhub.RoleCoordinator, []string{"agr"}}, // in NTU's team, not in Cambridge's
		{"viewer", partnerhub.RoleViewer, nil},
	} {
		user := ts.addUser(t, "oa-"+u.who+"@example.ac.jp", u.role, u.units...)
		users[u.who] = user
		raw, _, err := ts.db.CreateToken(context.Background(), user.ID, partnerhub.TokenSpec{Name: "test", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		w.token[u.who] = raw
	}
	const (
		acts    = "/api/v1/activities"
		act     = "/api/v1/activities/{slug}"
		slug    = "oa-test-workshop"
		actU    = acts + "/" + slug
		mergeCT = "application/merge-patch+json"
	)

	// An activity: create a draft, read it, replace, patch, delete, restore.
	rec := map[string]any{
		"slug": slug, "kind": "workshop",
		"title":   map[string]any{"ja": "OpenAPI 試験ワークショップ", "en": "OpenAPI test workshop"},
		"summary": map[string]any{"ja": "要約", "en": "Summary"},
		"start":   "2024-05-10", "end": "2024-05-11", "fiscal_year": false, "phase": 0, "format": "hybrid", "host": "ntu",
		"venue":        map[string]any{"ja": "台北", "en": "Taipei"},
		"participants": map[string]any{"value": 40, "qualifier": "approx"},
		"partners":     []any{"ntu"}, "units": []any{"agr"}, "institutions": []any{}, "series": "", "edition": 0,
		"published": false, "version": 1,
	}
	r := w.call("admin", "POST", acts, acts, rec)
	got := w.want(r, http.StatusCreated, "create activity")
	if loc := r.header.Get("Location"); loc != actU {
		t.Errorf("create activity: Location %q, want %q", loc, actU)
	}
	if et := r.header.Get("ETag"); et != `"v1"` {
		t.Errorf("create activity: ETag %s", et)
	}
	if oaJSON(t, got) != oaJSON(t, rec) {
		t.Errorf("create activity: stored\n%s\nsent\n%s", oaJSON(t, got), oaJSON(t, rec))
	}
	w.current(w.call("admin", "POST", acts, acts, rec), "Activity", 1, "create the activity again")

	// A draft: seen with a token, not without.
	if a := w.want(w.call("viewer", "GET", act, actU, nil), http.StatusOK, "draft with a token"); a["published"] != false {
		t.Errorf("draft with a token: published = %v", a["published"])
	}
	w.want(w.call("nobody", "GET", act, actU, nil), http.StatusNotFound, "draft without a token")
	w.want(w.call("nobody", "GET", act, actU, nil, "Authorization", "Bearer ph_nope"), http.StatusNotFound, "draft with a bad token")
	inList := func(who string) bool {
		for _, a := range oaItems(t, w.call(who, "GET", acts, acts+"?partner=ntu", nil)) {
			if a["slug"] == slug {
				return true
			}
		}
		return false
	}
	if !inList("admin") || inList("nobody") {
		t.Errorf("draft in the list: with a token %v, without %v", inList("admin"), inList("nobody"))
	}

	// PUT: the whole record with the version read.
	rec2 := oaWith(rec, "title", map[string]any{"ja": "OpenAPI 試験ワークショップ", "en": "OpenAPI test workshop (revised)"})
	r = w.call("admin", "PUT", act, actU, rec2)
	if got := w.want(r, http.StatusOK, "put activity"); oaVersion(got) != 2 || got["title"].(map[string]any)["en"] != "OpenAPI test workshop (revised)" {
		t.Errorf("put activity: %s", r.body)
	}
	if et := r.header.Get("ETag"); et != `"v2"` {
		t.Errorf("put activity: ETag %s", et)
	}
	w.current(w.call("admin", "PUT", act, actU, rec2), "Activity", 2, "put a stale version")
	w.wantField(w.call("admin", "PUT", act, actU, oaWith(rec2, "version", nil)), "version", "put without version")
	w.wantField(w.call("admin", "PUT", act, actU, oaWith(rec2, "version", 2, "slug", "oa-other")), "slug", "put that changes the key")
	w.want(w.call("admin", "PUT", act, acts+"/oa-no-such", oaWith(rec2, "version", 2, "slug", "oa-no-such")), http.StatusNotFound, "put of nothing")

	// PATCH: a merge patch with the version read.
	patch := map[string]any{"version": 2, "summary": map[string]any{"en": "Patched."}, "published": true}
	r = w.call("admin", "PATCH", act, actU, patch, "Content-Type", mergeCT)
	if got := w.want(r, http.StatusOK, "patch activity"); oaVersion(got) != 3 || got["published"] != true ||
		!reflect.DeepEqual(got["summary"], any(map[string]any{"ja": "要約", "en": "Patched."})) {
		t.Errorf("patch activity: %s", r.body)
	}
	w.current(w.call("admin", "PATCH", act, actU, patch, "Content-Type", mergeCT), "Activity", 3, "patch a stale version")
	w.wantField(w.call("admin", "PATCH", act, actU, map[string]any{"published": false}, "Content-Type", mergeCT), "version", "patch without version")
	w.want(w.call("admin", "PATCH", act, acts+"/oa-no-such", map[string]any{"version": 1}), http.StatusNotFound, "patch of nothing")
	w.want(w.call("admin", "PATCH", act, actU, []byte(`[1]`), "Content-Type", mergeCT), http.StatusBadRequest, "patch that is not an object")
	w.want(w.call("nobody", "GET", act, actU, nil), http.StatusOK, "published activity without a token")

	// DELETE: to the bin, with ?version=.
	w.wantField(w.call("admin", "DELETE", act, actU, nil), "version", "delete without version")
	w.wantField(w.call("admin", "DELETE", act, actU+"?version=x", nil), "version", "delete with version x")
	w.current(w.call("admin", "DELETE", act, actU+"?version=2", nil), "Activity", 3, "delete a stale version")
	if got := w.want(w.call("admin", "DELETE", act, actU+"?version=3", nil), http.StatusOK, "delete activity"); oaVersion(got) != 4 {
		t.Errorf("delete activity: version %v", got["version"])
	}
	w.want(w.call("admin", "DELETE", act, actU+"?version=4", nil), http.StatusNotFound, "delete again")
	w.want(w.call("nobody", "GET", act, actU, nil), http.StatusNotFound, "deleted activity")
	w.want(w.call("admin", "GET", act, actU, nil), http.StatusNotFound, "deleted activity with a token")
	w.want(w.call("admin", "PUT", act, actU, oaWith(rec2, "version", 4)), http.StatusNotFound, "put of a deleted activity")
	w.current(w.call("admin", "POST", acts, acts, rec), "Activity", 4, "create over one in the bin")

	// The bin, for admins.
	var inBin bool
	for _, it := range oaItems(t, w.call("admin", "GET", "/api/v1/bin", "/api/v1/bin", nil)) {
		if it["entity"] == "activity" && it["key"] == slug {
			inBin = oaVersion(it) == 4
		}
	}
	if !inBin {
		t.Error("the deleted activity is not in the bin at version 4")
	}
	w.want(w.call("viewer", "GET", "/api/v1/bin", "/api/v1/bin", nil), http.StatusForbidden, "bin as viewer")
	w.want(w.call("coordinator", "GET", "/api/v1/bin", "/api/v1/bin", nil), http.StatusForbidden, "bin as coordinator")

	// Restore.
	if got := w.want(w.call("admin", "POST", act+"/restore", actU+"/restore", nil), http.StatusOK, "restore"); oaVersion(got) != 5 {
		t.Errorf("restore: version %v", got["version"])
	}
	w.want(w.call("admin", "POST", act+"/restore", actU+"/restore", nil), http.StatusNotFound, "restore what is not in the bin")

	// History: every event of the record, before and after of its schema.
	events := w.history(act+"/history", actU+"/history", "activity", slug, "Activity", "restore", "delete", "update", "update", "create")
	if n := len(oaItems(t, w.call("admin", "GET", act+"/history", acts+"/oa-never-was/history", nil))); n != 0 {
		t.Errorf("history of nothing: %d events", n)
	}

	// The audit log, for admins; accounts' changes are in it too.
	const audit = "/api/v1/audit"
	log := oaItems(t, w.call("admin", "GET", audit, audit, nil))
	if len(log) < len(events) || log[0]["id"] != events[0]["id"] {
		t.Errorf("audit log: %d events, the newest %v; want the activity's restore first", len(log), log[0]["id"])
	}
	if n := len(oaItems(t, w.call("admin", "GET", audit, audit+"?entity=activity&key="+slug+"&action=update", nil))); n != 2 {
		t.Errorf("audit log of the activity's updates: %d events, want 2", n)
	}
	page := oaItems(t, w.call("admin", "GET", audit, audit+"?key="+slug+"&limit=2", nil))
	if len(page) != 2 {
		t.Fatalf("audit log, limit 2: %d events", len(page))
	}
	next := oaItems(t, w.call("admin", "GET", audit, audit+"?key="+slug+"&limit=2&before="+strconv.Itoa(int(page[1]["id"].(float64))), nil))
	if len(next) != 2 || next[0]["action"] != "update" {
		t.Errorf("audit log, second page: %v", next)
	}
	if n := len(oaItems(t, w.call("admin", "GET", audit, audit+"?actor=oa-admin@example.ac.jp&entity=activity", nil))); n != 5 {
		t.Errorf("audit log of the admin: %d events, want 5", n)
	}
	w.wantField(w.call("admin", "GET", audit, audit+"?limit=0", nil), "limit", "audit limit 0")
	w.wantField(w.call("admin", "GET", audit, audit+"?before=x", nil), "before", "audit before x")
	w.wantField(w.call("admin", "GET", audit, audit+"?colour=red&lang=ja", nil), "colour", "audit with an unknown parameter")
	w.want(w.call("viewer", "GET", audit, audit, nil), http.StatusForbidden, "audit as viewer")
	w.want(w.call("coordinator", "GET", audit, audit, nil), http.StatusForbidden, "audit as coordinator")
	ts.addUser(t, "oa-leaver@example.ac.jp", partnerhub.RoleViewer)
	if err := ts.db.SetPassword(context.Background(), "utokyo", "oa-leaver@example.ac.jp", testPassword+" changed", false); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.DisableUser(context.Background(), "utokyo", "oa-leaver@example.ac.jp"); err != nil {
		t.Fatal(err)
	}
	var userEvents []string
	for _, ev := range oaItems(t, w.call("admin", "GET", audit, audit+"?entity=user&key=oa-leaver@example.ac.jp", nil)) {
		userEvents = append(userEvents, ev["action"].(string))
		schema := "UserChange"
		if ev["action"] == "create" {
			schema = "User"
		}
		for _, side := range []string{"before", "after"} {
			if ev[side] != nil {
				w.valid(schema, ev[side], "audit of a user: "+side)
			}
		}
	}
	if !slices.Equal(userEvents, []string{"update", "update", "create"}) {
		t.Errorf("audit of a user: %v", userEvents)
	}

	// Teams: a coordinator edits the teams of the partners it is in.
	const team = "/api/v1/partners/{partner}/teams/{phase}"
	teamDoc := func(partner string, phase int) map[string]any {
		p := w.want(w.call("nobody", "GET", "/api/v1/partners/{slug}", "/api/v1/partners/"+partner, nil), http.StatusOK, "partner "+partner)
		doc := map[string]any{"partner": partner, "phase": phase, "tier": "", "units": []any{}, "lead": "", "version": p["version"]}
		for _, s := range p["standings"].([]any) {
			if s := s.(map[string]any); int(s["phase"].(float64)) == phase {
				doc["tier"] = s["tier"]
			}
		}
		for _, tm := range p["teams"].([]any) {
			if tm := tm.(map[string]any); int(tm["phase"].(float64)) == phase {
				for _, u := range tm["units"].([]any) {
					u := u.(map[string]any)
					doc["units"] = append(doc["units"].([]any), u["code"])
					if u["lead"] == true {
						doc["lead"] = u["code"]
					}
				}
			}
		}
		return doc
	}
	ntu := teamDoc("ntu", 3)
	if !slices.Contains(ntu["units"].([]any), any("agr")) {
		t.Fatalf("NTU's team in phase 3 lacks agr: %v", ntu)
	}
	ntuU := "/api/v1/partners/ntu/teams/3"
	v := oaVersion(ntu)
	r = w.call("coordinator", "PUT", team, ntuU, ntu)
	if got := w.want(r, http.StatusOK, "coordinator puts NTU's team"); oaJSON(t, got) != oaJSON(t, oaWith(ntu, "version", v+1)) {
		t.Errorf("NTU's team: stored\n%s\nsent\n%s", r.body, oaJSON(t, ntu))
	}
	if got := w.want(w.call("coordinator", "PATCH", team, ntuU, map[string]any{"version": v + 1, "tier": "primary"}, "Content-Type", mergeCT), http.StatusOK, "coordinator patches NTU's team"); got["tier"] != "primary" || oaVersion(got) != v+2 {
		t.Errorf("NTU's team after the patch: %v", got)
	}
	w.current(w.call("coordinator", "PUT", team, ntuU, ntu), "TeamDoc", v+2, "put NTU's team at a stale version")
	if p := w.want(w.call("nobody", "GET", "/api/v1/partners/{slug}", "/api/v1/partners/ntu", nil), http.StatusOK, "NTU"); oaVersion(p) != v+2 || p["tier"] != "primary" {
		t.Errorf("NTU after its team's writes: version %v tier %v, want %d primary", p["version"], p["tier"], v+2)
	}
	w.history(team+"/history", ntuU+"/history", "team", "ntu/3", "TeamDoc", "update", "update")
	cam := teamDoc("cambridge", 3)
	if slices.Contains(cam["units"].([]any), any("agr")) {
		t.Fatalf("Cambridge's team in phase 3 has agr: %v", cam)
	}
	w.want(w.call("coordinator", "PUT", team, "/api/v1/partners/cambridge/teams/3", cam), http.StatusForbidden, "coordinator puts Cambridge's team")
	w.want(w.call("coordinator", "PATCH", team, "/api/v1/partners/cambridge/teams/3", map[string]any{"version": oaVersion(cam)}), http.StatusForbidden, "coordinator patches Cambridge's team")
	w.want(w.call("viewer", "PUT", team, ntuU, oaWith(ntu, "version", v+2)), http.StatusForbidden, "viewer puts NTU's team")
	w.want(w.call("admin", "PUT", team, "/api/v1/partners/oa-no-such/teams/3", oaWith(ntu, "partner", "oa-no-such")), http.StatusNotFound, "team of no partner")
	w.want(w.call("admin", "PATCH", team, "/api/v1/partners/oa-no-such/teams/3", map[string]any{"version": 1}), http.StatusNotFound, "patch of the team of no partner")
	w.wantField(w.call("admin", "PUT", team, "/api/v1/partners/ntu/teams/99", oaWith(ntu, "phase", 99, "version", v+2)), "phase", "team of no phase")

	// Coordinators and viewers elsewhere.
	w.want(w.call("coordinator", "PUT", act, actU, oaWith(rec2, "version", 5, "partners", []any{"cambridge"})), http.StatusForbidden, "coordinator moves the activity to Cambridge")
	w.want(w.call("viewer", "PUT", act, actU, oaWith(rec2, "version", 5)), http.StatusForbidden, "viewer puts the activity")
	w.want(w.call("viewer", "POST", acts, acts, oaWith(rec, "slug", "oa-viewer")), http.StatusForbidden, "viewer creates an activity")
	w.want(w.call("viewer", "DELETE", act, actU+"?version=5", nil), http.StatusForbidden, "viewer deletes the activity")
	if got := w.want(w.call("coordinator", "PATCH", act, actU, map[string]any{"version": 5, "venue": nil}, "Content-Type", mergeCT), http.StatusOK, "coordinator patches NTU's activity"); !reflect.DeepEqual(got["venue"], any(map[string]any{"ja": "", "en": ""})) {
		t.Errorf("venue removed by a merge patch: %v", got["venue"])
	}
	w.want(w.call("coordinator", "POST", "/api/v1/units", "/api/v1/units", map[string]any{}), http.StatusForbidden, "coordinator creates a unit")

	// Every other kind of record: create, replace, patch, delete, restore, history.
	for _, c := range []struct {
		entity, coll, item, schema, key string
		rec                             map[string]any
	}{
		{"institution", "/api/v1/institutions", "/api/v1/institutions/{slug}", "Institution", "oa-test-institute", map[string]any{
			"slug": "oa-test-institute", "name": map[string]any{"ja": "試験研究所", "en": "Test Institute"}, "acronym": "TI", "country": "TW",
			"city": map[string]any{"ja": "台北", "en": "Taipei"}, "lat": 25.03, "lng": 121.56, "website": "https://example.org", "ror": "",
			"established": 1999, "version": 1}},
		{"unit", "/api/v1/units", "/api/v1/units/{code}", "Unit", "oa-test", map[string]any{
			"code": "oa-test", "name": map[string]any{"ja": "試験部局", "en": "Test Unit"}, "abbr": map[string]any{"ja": "試", "en": "OAT"},
			"kind": "center", "version": 1}},
		{"partner", "/api/v1/partners", "/api/v1/partners/{slug}", "PartnerRecord", "oa-test-partner", map[string]any{
			"slug": "oa-test-partner", "name": map[string]any{"ja": "試験大学", "en": "Test University"}, "short_name": "TU", "kind": "institution",
			"members": []any{"oa-test-institute"}, "summary": map[string]any{"ja": "", "en": ""}, "note": map[string]any{"ja": "", "en": ""}, "version": 1}},
		{"agreement", "/api/v1/agreements", "/api/v1/agreements/{slug}", "Agreement", "oa-test-mou", map[string]any{
			"slug": "oa-test-mou", "partner": "oa-test-partner", "institution": "", "kind": "mou", "level": "unit",
			"title": map[string]any{"ja": "覚書", "en": "Memorandum"}, "units": []any{"oa-test"}, "signed": "2020-04", "effective": nil, "expires": nil,
			"renewal": "", "notice_days": 0, "home_signatory": "", "partner_signatory": "", "renews": "", "renewed_by": "", "stage": "signed",
			"status": "active", "note": map[string]any{"ja": "", "en": ""}, "published": false, "version": 1}},
	} {
		u := c.coll + "/" + c.key
		r := w.call("admin", "POST", c.coll, c.coll, c.rec)
		if got := w.want(r, http.StatusCreated, "create "+c.entity); oaJSON(t, got) != oaJSON(t, c.rec) {
			t.Errorf("create %s: stored\n%s\nsent\n%s", c.entity, oaJSON(t, got), oaJSON(t, c.rec))
		}
		if loc := r.header.Get("Location"); loc != u {
			t.Errorf("create %s: Location %q, want %q", c.entity, loc, u)
		}
		w.current(w.call("admin", "POST", c.coll, c.coll, c.rec), c.schema, 1, "create "+c.entity+" again")
		w.want(w.call("admin", "PUT", c.item, u, c.rec), http.StatusOK, "put "+c.entity)
		w.want(w.call("admin", "PATCH", c.item, u, map[string]any{"version": 2}), http.StatusOK, "patch "+c.entity)
		w.current(w.call("admin", "PATCH", c.item, u, map[string]any{"version": 2}), c.schema, 3, "patch "+c.entity+" at a stale version")
		w.wantField(w.call("admin", "POST", c.coll, c.coll, oaWith(c.rec, "colour", "red")), "colour", "create "+c.entity+" with an unknown field")
		// An existing record goes back unchanged.
		var old map[string]any
		switch c.entity {
		case "institution":
			old = w.stored(partnerhub.Entity(c.entity), "ntu")
		case "unit":
			old = w.stored(partnerhub.Entity(c.entity), "agr")
		case "partner":
			old = w.stored(partnerhub.Entity(c.entity), "cambridge")
		case "agreement":
			old = w.stored(partnerhub.Entity(c.entity), "princeton-mou")
		}
		oldKey := old["slug"]
		if oldKey == nil {
			oldKey = old["code"]
		}
		oldU := c.coll + "/" + oldKey.(string)
		w.valid(c.schema, old, "stored "+c.entity)
		if got := w.want(w.call("admin", "PUT", c.item, oldU, old), http.StatusOK, "put "+oldU+" unchanged"); oaJSON(t, got) != oaJSON(t, oaWith(old, "version", oaVersion(old)+1)) {
			t.Errorf("put %s unchanged: stored\n%s\nsent\n%s", oldU, oaJSON(t, got), oaJSON(t, old))
		}
		w.history(c.item+"/history", oldU+"/history", c.entity, oldKey.(string), c.schema, "update")
	}
	w.want(w.call("admin", "DELETE", "/api/v1/institutions/{slug}", "/api/v1/institutions/oa-test-institute?version=3", nil), http.StatusConflict, "delete an institution in use")
	for _, c := range []struct{ item, u, entity string }{
		{"/api/v1/agreements/{slug}", "/api/v1/agreements/oa-test-mou", "agreement"},
		{"/api/v1/partners/{slug}", "/api/v1/partners/oa-test-partner", "partner"},
		{"/api/v1/units/{code}", "/api/v1/units/oa-test", "unit"},
		{"/api/v1/institutions/{slug}", "/api/v1/institutions/oa-test-institute", "institution"},
	} {
		w.want(w.call("admin", "DELETE", c.item, c.u+"?version=3", nil), http.StatusOK, "delete "+c.u)
	}
	var binned []string
	for _, it := range oaItems(t, w.call("admin", "GET", "/api/v1/bin", "/api/v1/bin", nil)) {
		binned = append(binned, it["entity"].(string)+" "+it["key"].(string))
	}
	slices.Sort(binned)
	if want := []string{"agreement oa-test-mou", "institution oa-test-institute", "partner oa-test-partner", "unit oa-test"}; !slices.Equal(binned, want) {
		t.Errorf("bin: %v, want %v", binned, want)
	}
	for _, c := range []struct{ item, u, entity, key, schema string }{
		{"/api/v1/institutions/{slug}", "/api/v1/institutions/oa-test-institute", "institution", "oa-test-institute", "Institution"},
		{"/api/v1/units/{code}", "/api/v1/units/oa-test", "unit", "oa-test", "Unit"},
		{"/api/v1/partners/{slug}", "/api/v1/partners/oa-test-partner", "partner", "oa-test-partner", "PartnerRecord"},
		{"/api/v1/agreements/{slug}", "/api/v1/agreements/oa-test-mou", "agreement", "oa-test-mou", "Agreement"},
	} {
		w.want(w.call("admin", "POST", c.item+"/restore", c.u+"/restore", nil), http.StatusOK, "restore "+c.u)
		w.history(c.item+"/history", c.u+"/history", c.entity, c.key, c.schema, "restore", "delete", "update", "update", "create")
	}

	// A workflow's verb: the restored agreement (version 5) lapses, once; the
	// same verb again does not apply, and its history names the transition.
	tr, mou := "/api/v1/agreements/{slug}/transitions", "/api/v1/agreements/oa-test-mou"
	r = w.call("admin", "POST", tr, mou+"/transitions", map[string]any{"verb": "expire", "comment": "Lapsed in March.", "version": 5})
	if got := w.want(r, http.StatusOK, "expire an agreement"); r.status == http.StatusOK && (got["status"] != "expired" || got["version"] != 6.0) {
		t.Errorf("expired agreement: status %v, version %v", got["status"], got["version"])
	}
	w.want(w.call("admin", "POST", tr, mou+"/transitions", map[string]any{"verb": "expire", "version": 6}), http.StatusConflict, "expire an expired agreement")
	w.want(w.call("admin", "POST", tr, mou+"/transitions", map[string]any{"verb": "expire", "version": 5}), http.StatusConflict, "expire at a stale version")
	w.wantField(w.call("admin", "POST", tr, mou+"/transitions", map[string]any{"comment": "no verb", "version": 6}), "verb", "a transition without a verb")
	w.history("/api/v1/agreements/{slug}/history", mou+"/history", "agreement", "oa-test-mou", "Agreement", "transition", "restore", "delete", "update", "update", "create")

	// Requests the HTTP layer refuses.
	good := oaWith(rec, "slug", "oa-second")
	r = w.call("nobody", "POST", acts, acts, good)
	w.want(r, http.StatusUnauthorized, "create without a token")
	w.want(w.call("nobody", "POST", acts, acts, good, "Authorization", "Bearer ph_nope"), http.StatusUnauthorized, "create with an unknown token")
	w.want(w.call("nobody", "POST", acts, acts, good, "Authorization", "Basic "+w.token["admin"]), http.StatusUnauthorized, "create with a token as Basic")
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/xml"} {
		if d.requestSchema(acts, "post", ct) != nil {
			t.Errorf("POST %s documents %s", acts, ct)
		}
		w.want(w.call("admin", "POST", acts, acts, good, "Content-Type", ct), http.StatusUnsupportedMediaType, "create as "+ct)
	}
	w.want(w.call("admin", "PATCH", act, actU, map[string]any{"version": 6}, "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "patch as text/plain")
	huge := []byte(`{"slug":"` + strings.Repeat("a", 2<<20) + `"}`)
	w.want(w.call("admin", "POST", acts, acts, huge), http.StatusRequestEntityTooLarge, "create with a 2 MiB body")
	w.want(w.call("admin", "PUT", act, actU, huge), http.StatusRequestEntityTooLarge, "put with a 2 MiB body")
	for name, c := range map[string]struct {
		body  any
		field string
		gap   string // why the server names another field for now
	}{
		"an unknown field":      {oaWith(good, "colour", "red"), "colour", ""},
		"edition as a string":   {oaWith(good, "edition", "1"), "edition", ""},
		"a text as a string":    {oaWith(good, "title", "x"), "title", ""},
		"invalid UTF-8":         {[]byte("{\"slug\":\"oa-\xff\"}"), "body", ""},
		"not JSON":              {[]byte(`{"slug":`), "body", ""},
		"two JSON values":       {[]byte(oaJSON(t, good) + `{}`), "body", ""},
		"an empty title":        {oaWith(good, "title", map[string]any{"ja": "", "en": ""}), "title.ja", ""},
		"an unknown partner":    {oaWith(good, "partners", []any{"oa-no-such"}), "partners[0]", ""},
		"a bad kind":            {oaWith(good, "kind", "party"), "kind", ""},
		"an end before a start": {oaWith(good, "end", "2024-05-01"), "end", ""},
		"a nested unknown field": {oaWith(good, "title", map[string]any{"ja": "x", "en": "x", "fr": "x"}), "title.fr",
			"decodeStrict takes the name from encoding/json's message, which has the last name only (\"fr\")"},
		"start 2019-13": {oaWith(good, "start", "2019-13"), "start",
			"decodeStrict reports a value that checks itself while decoding (a date) on \"body\""},
	} {
		r := w.call("admin", "POST", acts, acts, c.body)
		fields := w.want(r, http.StatusBadRequest, "create with "+name)
		switch _, named := fields[c.field]; {
		case named && c.gap != "":
			t.Errorf("create with %s: %s is named now: remove the known gap", name, c.field)
		case !named && c.gap != "" && len(fields) > 0:
			t.Logf("known gap: create with %s: the error names %v, not %s: %s", name, slices.Sorted(maps.Keys(fields)), c.field, c.gap)
		case !named:
			t.Errorf("create with %s: no message for %q in %s", name, c.field, r.body)
		}
		// The document refuses it too, where a schema can tell.
		if b, ok := c.body.(map[string]any); ok && !slices.Contains([]string{"an empty title", "an unknown partner", "an end before a start", "start 2019-13"}, name) {
			inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(oaJSON(t, b)))
			if d.requestSchema(acts, "post", "application/json").Validate(inst) == nil {
				t.Errorf("create with %s: the documented request body allows it", name)
			}
		}
	}
	r = w.call("admin", "POST", acts, acts+"?lang=ja", oaWith(good, "colour", "red"))
	if r.header.Get("Content-Language") != "ja" {
		t.Errorf("an error with lang=ja: Content-Language %q", r.header.Get("Content-Language"))
	}
	// With no Content-Type, a body is read as JSON.
	w.want(w.call("admin", "POST", acts, acts, good, "Content-Type", ""), http.StatusCreated, "create without Content-Type")

	// Mobility figures: put, listed, summed.
	w.mobility(users["admin"])

	// An agreement's documents: uploaded, listed, downloaded.
	w.documents()
	// Joint funds and their calls.
	w.funds(users["admin"])
	// A proposal to a joint fund's call: created, saved, attached, submitted.
	w.proposals(users["admin"])
	// Its review: assigned, reviewed, discussed, ranked, declared.
	w.review(ts, users["admin"])
	// A fund's decisions, letters, reports and links.
	w.decisions()
	// A network event: created, replaced, refused stale, registered for.
	w.events(users["admin"])
	// An agreements register: refused whole with its problems, then imported.
	const reg = "/api/v1/agreements/import"
	bad := []byte("Partner,Kind,Signed by,Title (Japanese),Title (English),Signed\nNowhere,exchange,university,協定,Agreement,2015-13\n")
	r = w.call("admin", "POST", reg, reg+"?lang=en", bad, "Content-Type", "text/csv")
	if w.want(r, http.StatusUnprocessableEntity, "a bad register"); !strings.Contains(string(r.body), `"problems":[{"row":2,"column":"Partner"`) {
		t.Errorf("a bad register: %s", r.body)
	}
	w.want(w.call("admin", "POST", reg, reg, bad, "Content-Type", "application/json"), http.StatusUnsupportedMediaType, "a register of no format")
	goodReg := []byte("Partner,Kind,Signed by,Title (Japanese),Title (English),Signed\nNTU,exchange,university,協定,Agreement,2015\n")
	if r := w.want(w.call("admin", "POST", reg, reg, goodReg, "Content-Type", "text/csv"), http.StatusOK, "a register"); oaJSON(t, r) != `{"imported":1}` {
		t.Errorf("a register: %s", oaJSON(t, r))
	}

	// The network's good-practice notes (openapi_practice_test.go).
	w.practice(users["admin"])

	// Every operation that needs a token has succeeded above.
	for path, item := range d.paths() {
		for method := range item.(map[string]any) {
			key := strings.ToUpper(method) + " " + path
			if d.needsToken(path, method) && !slices.ContainsFunc(slices.Collect(maps.Keys(d.called[key])), func(s int) bool { return s/100 == 2 }) {
				t.Errorf("%s has not succeeded in this test", key)
			}
		}
	}

	// Every operation that needs a token answers 401 without one.
	for path, item := range d.paths() {
		for method := range item.(map[string]any) {
			if !d.needsToken(path, method) {
				continue
			}
			u := path
			for _, p := range d.params(path, method) {
				switch p.in() {
				case "path":
					u = strings.ReplaceAll(u, "{"+p.name()+"}", url.PathEscape(p.example(t)))
				case "query":
					if p.obj["required"] == true {
						u += "?" + p.name() + "=" + url.QueryEscape(p.example(t))
					}
				}
			}
			var body any
			if rb, _ := d.requestBodyOf(path, method); rb != nil {
				body = map[string]any{"version": 1}
			}
			for _, auth := range []string{"", "Bearer ph_nope"} {
				w.want(w.call("nobody", strings.ToUpper(method), path, u, body, "Authorization", auth), http.StatusUnauthorized,
					strings.ToUpper(method)+" "+u+" with Authorization "+strconv.Quote(auth))
			}
		}
	}

}

// oaFigure is a mobility figure as the API writes it.
func oaFigure(partner, institution, unit string, year int, direction, category, programme string, count int) map[string]any {
	return map[string]any{"partner": partner, "institution": institution, "unit": unit, "year": year,
		"direction": direction, "category": category, "programme": programme, "count": count}
}

// oaYear is the year of a figure, written by the test or decoded.
func oaYear(f map[string]any) int {
	switch y := f["year"].(type) {
	case int:
		return y
	case float64:
		return int(y)
	}
	return 0
}

// oaFigureKey is the key of a figure, as the audit log writes it.
func oaFigureKey(f map[string]any) string {
	return strings.Join([]string{f["partner"].(string), f["institution"].(string), f["unit"].(string), strconv.Itoa(oaYear(f)),
		f["direction"].(string), f["category"].(string), f["programme"].(string)}, "|")
}

// oaFigureMatches reports whether the filters of q (the list's and the
// statistics' query parameters) select f.
func oaFigureMatches(t *testing.T, f map[string]any, q url.Values) bool {
	for k, vs := range q {
		switch v := vs[0]; k {
		case "partner", "unit", "direction", "category", "programme":
			if f[k] != v {
				return false
			}
		case "from", "to":
			y, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s=%s", k, v)
			}
			if (k == "from" && oaYear(f) < y) || (k == "to" && oaYear(f) > y) {
				return false
			}
		}
	}
	return true
}

// oaStatsRow is a row of a statistics answer.
type oaStatsRow struct {
	keys  []string
	total int
}

// oaStats sums figures as GET /api/v1/stats/mobility must: grouped by the
// dimensions of group_by, zero totals left out, ordered by the keys.
func oaStats(t *testing.T, figs []map[string]any, q url.Values, home string) []oaStatsRow {
	var dims []string
	if g := q.Get("group_by"); g != "" {
		dims = strings.Split(g, ",")
	}
	var out []oaStatsRow
	index := map[string]int{}
	for _, f := range figs {
		if !oaFigureMatches(t, f, q) {
			continue
		}
		keys := []string{}
		for _, d := range dims {
			switch d {
			case "year":
				keys = append(keys, strconv.Itoa(oaYear(f)))
			case "home":
				keys = append(keys, home)
			default:
				keys = append(keys, f[d].(string))
			}
		}
		k := strings.Join(keys, "\x00")
		if _, ok := index[k]; !ok {
			index[k] = len(out)
			out = append(out, oaStatsRow{keys: keys})
		}
		out[index[k]].total += f["count"].(int)
	}
	out = slices.DeleteFunc(out, func(r oaStatsRow) bool { return r.total == 0 })
	slices.SortFunc(out, func(a, b oaStatsRow) int { return slices.Compare(a.keys, b.keys) })
	return out
}

// mobility exercises the mobility API against the document: figures put as
// an admin and a coordinator, replaced, refused; then listed and summed
// with filters and groupings, with the errors of each operation. admin is
// the user "admin" acts as, for what only the store can do (bin, import).
func (w *oaWriter) mobility(admin *partnerhub.User) {
	t := w.t
	ctx := context.Background()
	const (
		mob   = "/api/v1/mobility"
		stats = "/api/v1/stats/mobility"
		audit = "/api/v1/audit"
	)

	// Nothing is counted yet.
	if r := w.want(w.call("nobody", "GET", stats, stats, nil), http.StatusOK, "statistics of no figures"); oaJSON(t, r) != `{"group_by":[],"items":[]}` {
		t.Errorf("statistics of no figures: %s", oaJSON(t, r))
	}
	if r := w.want(w.call("nobody", "GET", mob, mob, nil), http.StatusOK, "list of no figures"); oaJSON(t, r) != `{"items":[],"next":null,"total":0}` {
		t.Errorf("list of no figures: %s", oaJSON(t, r))
	}

	// A group partner and one of its members, for a figure of a member.
	var group, member string
	for _, p := range oaItems(t, w.call("nobody", "GET", "/api/v1/partners", "/api/v1/partners", nil)) {
		if ms, _ := p["members"].([]any); p["kind"] == "group" && group == "" && len(ms) > 0 {
			group, member = p["slug"].(string), ms[0].(map[string]any)["slug"].(string)
		}
	}
	if group == "" || member == "ntu" {
		t.Fatalf("want a group partner with a member other than NTU: %q %q", group, member)
	}

	// Figures put as admin: of units and of the university as a whole, of
	// a member institution, a count of 0; one goes to the bin below.
	figs := []map[string]any{
		oaFigure("ntu", "", "agr", 2021, "outbound", "undergraduate", "exchange", 5),
		oaFigure("ntu", "", "agr", 2021, "inbound", "graduate", "exchange", 3),
		oaFigure("ntu", "", "", 2022, "outbound", "faculty", "visit", 2),
		oaFigure("cambridge", "", "eng", 2022, "inbound", "researcher", "joint_degree", 7),
		oaFigure("cambridge", "", "", 2021, "outbound", "graduate", "exchange", 12),
		oaFigure(group, member, "", 2023, "outbound", "staff", "short_programme", 4),
		oaFigure("ntu", "", "agr", 2023, "outbound", "staff", "internship", 0),
		oaFigure("cambridge", "", "", 2020, "outbound", "graduate", "other", 9),
	}
	for _, f := range figs {
		if got := w.want(w.call("admin", "PUT", mob, mob, f), http.StatusOK, "put "+oaFigureKey(f)); oaJSON(t, got) != oaJSON(t, f) {
			t.Errorf("put %s: answered %s", oaFigureKey(f), oaJSON(t, got))
		}
	}
	// The same key again replaces the count; the same count changes nothing.
	figs[0] = oaWith(figs[0], "count", 6)
	for i := range 2 {
		if got := w.want(w.call("admin", "PUT", mob, mob+"?lang=ja", figs[0]), http.StatusOK, "replace a count"); oaJSON(t, got) != oaJSON(t, figs[0]) {
			t.Errorf("replace a count (%d): answered %s", i, oaJSON(t, got))
		}
	}

	// A coordinator records figures of its unit with partners whose team has it.
	coord := oaFigure("ntu", "", "agr", 2022, "inbound", "faculty", "visit", 1)
	w.want(w.call("coordinator", "PUT", mob, mob, coord), http.StatusOK, "coordinator puts NTU's figure of agr")
	figs = append(figs, coord)
	w.want(w.call("coordinator", "PUT", mob, mob, oaWith(coord, "partner", "cambridge")), http.StatusForbidden, "coordinator puts Cambridge's figure of agr")
	w.want(w.call("coordinator", "PUT", mob, mob, oaWith(coord, "unit", "")), http.StatusForbidden, "coordinator puts a university-wide figure")
	w.want(w.call("coordinator", "PUT", mob, mob, oaWith(coord, "unit", "eng")), http.StatusForbidden, "coordinator puts a figure of another unit")
	w.want(w.call("viewer", "PUT", mob, mob, coord), http.StatusForbidden, "viewer puts a figure")

	// A figure in the bin: a PUT of its key is a conflict naming it.
	binned := figs[len(figs)-2]
	figs = slices.Delete(figs, len(figs)-2, len(figs)-1)
	var bm partnerhub.Mobility
	if err := json.Unmarshal([]byte(oaJSON(t, binned)), &bm); err != nil {
		t.Fatal(err)
	}
	if err := w.ts.db.DeleteMobility(ctx, admin, "utokyo", bm); err != nil {
		t.Fatalf("delete %s: %v", oaFigureKey(binned), err)
	}
	if r := w.call("admin", "PUT", mob, mob, oaWith(binned, "count", 10)); r.status != http.StatusConflict {
		t.Errorf("put a figure in the bin: %d, want 409: %s", r.status, r.body)
	} else if cur := r.obj()["error"].(map[string]any)["current"]; oaJSON(t, cur) != oaJSON(t, binned) {
		t.Errorf("put a figure in the bin: error.current %s, want %s", oaJSON(t, cur), oaJSON(t, binned))
	} else {
		w.valid("Mobility", cur, "error.current of a figure in the bin")
	}

	// An import of one figure: the audit log records it as MobilityImport.
	imported := oaFigure("cambridge", "", "eng", 2024, "outbound", "graduate", "other", 11)
	var im partnerhub.Mobility
	if err := json.Unmarshal([]byte(oaJSON(t, imported)), &im); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ts.db.ImportMobility(ctx, admin, "utokyo", func(yield func(int, partnerhub.Mobility) bool) { yield(1, im) }, nil, nil); err != nil {
		t.Fatalf("import: %v", err)
	}
	figs = append(figs, imported)

	// Bodies refused; the document refuses them too where a schema can tell.
	good := figs[1]
	for name, c := range map[string]struct {
		body     any
		field    string
		semantic bool // only the server can tell
	}{
		"an unknown field":          {oaWith(good, "colour", "red"), "colour", false},
		"direction sideways":        {oaWith(good, "direction", "sideways"), "direction", false},
		"category pets":             {oaWith(good, "category", "pets"), "category", false},
		"programme holiday":         {oaWith(good, "programme", "holiday"), "programme", false},
		"year 1899":                 {oaWith(good, "year", 1899), "year", false},
		"year 2201":                 {oaWith(good, "year", 2201), "year", false},
		"year as a string":          {oaWith(good, "year", "2021"), "year", false},
		"count -1":                  {oaWith(good, "count", -1), "count", false},
		"count 1000001":             {oaWith(good, "count", 1000001), "count", false},
		"count 1.5":                 {oaWith(good, "count", 1.5), "count", false},
		"no partner":                {oaWith(good, "partner", nil), "partner", false},
		"a partner that is no slug": {oaWith(good, "partner", "NTU"), "partner", false},
		"an unknown partner":        {oaWith(good, "partner", "oa-no-such"), "partner", true},
		"an unknown unit":           {oaWith(good, "unit", "oa-no-such"), "unit", true},
		"an institution of another": {oaWith(good, "institution", member), "institution", true},
		"not JSON":                  {[]byte(`{"partner":`), "body", false},
		"invalid UTF-8":             {[]byte("{\"partner\":\"\xff\"}"), "body", false},
		"two JSON values":           {[]byte(oaJSON(t, good) + `{}`), "body", false},
	} {
		w.wantField(w.call("admin", "PUT", mob, mob, c.body), c.field, "put a figure with "+name)
		if b, ok := c.body.(map[string]any); ok && !c.semantic {
			inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(oaJSON(t, b)))
			if w.d.requestSchema(mob, "put", "application/json").Validate(inst) == nil {
				t.Errorf("put a figure with %s: the documented request body allows it", name)
			}
		}
	}
	w.wantField(w.call("admin", "PUT", mob, mob+"?colour=red", good), "colour", "put a figure with a query parameter")
	w.want(w.call("admin", "PUT", mob, mob, good, "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "put a figure as text/plain")
	w.want(w.call("admin", "PUT", mob, mob, []byte(`{"partner":"`+strings.Repeat("a", 2<<20)+`"}`)), http.StatusRequestEntityTooLarge, "put a figure of 2 MiB")

	// The list: every live figure, filtered and paged.
	list := func(q string) ([]map[string]any, int) {
		t.Helper()
		r := w.call("nobody", "GET", mob, mob+"?"+q, nil)
		w.want(r, http.StatusOK, "list of figures ?"+q)
		total, _ := r.obj()["total"].(float64)
		if r.status != http.StatusOK {
			return nil, 0
		}
		return oaItems(t, r), int(total)
	}
	set := func(figs []map[string]any) []string {
		out := []string{}
		for _, f := range figs {
			out = append(out, oaJSON(t, f))
		}
		slices.Sort(out)
		return out
	}
	all, total := list("")
	if !slices.Equal(set(all), set(figs)) || total != len(figs) {
		t.Errorf("list of figures: total %d, items\n%v\nwant %d\n%v", total, set(all), len(figs), set(figs))
	}
	for _, q := range []string{
		"partner=ntu", "partner=" + group, "unit=agr", "direction=inbound", "category=graduate", "programme=exchange",
		"from=2022", "to=2021", "from=2021&to=2022&direction=outbound", "partner=ntu&unit=agr&from=2023",
		"partner=cambridge&lang=ja", "category=researcher&programme=exchange",
	} {
		v, _ := url.ParseQuery(q)
		var want []map[string]any
		for _, f := range figs {
			if oaFigureMatches(t, f, v) {
				want = append(want, f)
			}
		}
		items, total := list(q)
		if !slices.Equal(set(items), set(want)) || total != len(want) {
			t.Errorf("list of figures ?%s: total %d, items %v; want %d, %v", q, total, set(items), len(want), set(want))
		}
	}
	if items, total := list("limit=2&offset=1"); oaJSON(t, items) != oaJSON(t, all[1:3]) || total != len(figs) {
		t.Errorf("list of figures, limit 2 offset 1: total %d, items %s", total, oaJSON(t, items))
	}
	if items, total := list("offset=100"); len(items) != 0 || total != len(figs) {
		t.Errorf("list of figures, offset 100: total %d, %d items", total, len(items))
	}
	for q, field := range map[string]string{
		"direction=sideways": "direction", "category=pets": "category", "programme=holiday": "programme",
		"from=2030&to=2020": "to", "from=1899": "from", "to=x": "to", "partner=oa-no-such": "partner", "unit=oa-no-such": "unit",
		"limit=0": "limit", "limit=10001": "limit", "limit=x": "limit", "offset=-1": "offset",
		"group_by=year": "group_by", "home=all": "home", "partner=ntu&partner=ntu": "partner", "colour=red&lang=ja": "colour",
	} {
		r := w.call("nobody", "GET", mob, mob+"?"+q, nil)
		w.wantField(r, field, "list of figures ?"+q)
		if strings.Contains(q, "lang=ja") && r.header.Get("Content-Language") != "ja" {
			t.Errorf("list of figures ?%s: Content-Language %q", q, r.header.Get("Content-Language"))
		}
	}

	// Statistics: sums of the live figures by every grouping asked.
	for _, q := range []string{
		"", "group_by=", "group_by=year", "group_by=partner", "group_by=unit", "group_by=direction", "group_by=category",
		"group_by=programme", "group_by=home", "group_by=year,direction", "group_by=direction,year", "group_by=category,programme",
		"group_by=partner,unit,year&direction=outbound", "group_by=year&partner=ntu", "group_by=unit&partner=ntu&from=2022",
		"group_by=year,category&unit=agr", "group_by=partner&programme=exchange&to=2021", "group_by=year&from=2021&to=2022",
		"group_by=programme,partner&category=graduate", "group_by=year,partner,unit,direction,category,programme,home",
		"home=utokyo&group_by=direction", "home=all", "home=all&group_by=home,year", "home=all&group_by=partner&direction=inbound",
		"group_by=year&lang=ja",
	} {
		v, _ := url.ParseQuery(q)
		r := w.call("nobody", "GET", stats, stats+"?"+q, nil)
		got := w.want(r, http.StatusOK, "statistics ?"+q)
		if r.status != http.StatusOK {
			continue
		}
		wantDims := []any{}
		if g := v.Get("group_by"); g != "" {
			for _, d := range strings.Split(g, ",") {
				wantDims = append(wantDims, d)
			}
		}
		if !reflect.DeepEqual(got["group_by"], any(wantDims)) {
			t.Errorf("statistics ?%s: group_by %v, want %v", q, got["group_by"], wantDims)
		}
		var rows []oaStatsRow
		for _, it := range oaItems(t, r) {
			var keys []string
			for _, k := range it["keys"].([]any) {
				keys = append(keys, k.(string))
			}
			if keys == nil {
				keys = []string{}
			}
			rows = append(rows, oaStatsRow{keys, int(it["total"].(float64))})
		}
		if want := oaStats(t, figs, v, "utokyo"); !reflect.DeepEqual(rows, want) {
			t.Errorf("statistics ?%s:\n got %v\nwant %v", q, rows, want)
		}
	}
	for q, field := range map[string]string{
		"group_by=colour": "group_by[0]", "group_by=year,colour": "group_by[1]", "group_by=year,year": "group_by[1]",
		"group_by=year,": "group_by[1]", "group_by=year&group_by=partner": "group_by",
		"from=2030&to=2020": "to", "direction=sideways": "direction", "category=pets": "category", "programme=holiday": "programme",
		"from=1899": "from", "to=2201": "to", "from=x": "from", "home=elsewhere": "home", "home=": "",
		"partner=oa-no-such": "partner", "unit=oa-no-such": "unit", "limit=5": "limit", "offset=0": "offset",
		"colour=red&lang=ja": "colour",
	} {
		r := w.call("nobody", "GET", stats, stats+"?"+q, nil)
		if field == "" { // an empty value is no value
			w.want(r, http.StatusOK, "statistics ?"+q)
			continue
		}
		w.wantField(r, field, "statistics ?"+q)
		if strings.Contains(q, "lang=ja") && r.header.Get("Content-Language") != "ja" {
			t.Errorf("statistics ?%s: Content-Language %q", q, r.header.Get("Content-Language"))
		}
	}

	// The ETag follows the figures.
	const byYear = stats + "?group_by=year"
	etag := w.call("nobody", "GET", stats, byYear, nil).header.Get("ETag")
	w.want(w.call("nobody", "GET", stats, byYear, nil, "If-None-Match", etag), http.StatusNotModified, "statistics with their ETag")
	listTag := w.call("nobody", "GET", mob, mob, nil).header.Get("ETag")
	w.want(w.call("nobody", "GET", mob, mob, nil, "If-None-Match", listTag), http.StatusNotModified, "list with its ETag")
	figs[1] = oaWith(figs[1], "count", 4)
	w.want(w.call("admin", "PUT", mob, mob, figs[1]), http.StatusOK, "put a count again")
	w.want(w.call("nobody", "GET", stats, byYear, nil, "If-None-Match", etag), http.StatusOK, "statistics with an ETag of other figures")
	w.want(w.call("nobody", "GET", mob, mob, nil, "If-None-Match", listTag), http.StatusOK, "list with an ETag of other figures")

	// The audit log: every change of a figure, and the import.
	var actions []string
	for _, ev := range oaItems(t, w.call("admin", "GET", audit, audit+"?entity=mobility", nil)) {
		actions = append(actions, ev["action"].(string))
	}
	// Newest first: the count put again, the import, the figure binned, the
	// coordinator's figure, the count replaced, and a create of each other.
	if want := []string{"update", "create", "delete", "create", "update"}; len(actions) != len(figs)+4 || !slices.Equal(actions[:5], want) {
		t.Errorf("audit log of mobility: %v, want %d events starting %v", actions, len(figs)+4, want)
	}
	evs := oaItems(t, w.call("admin", "GET", audit, audit+"?entity=mobility&key="+url.QueryEscape(oaFigureKey(figs[0])), nil))
	if len(evs) != 2 || evs[0]["action"] != "update" || oaJSON(t, evs[0]["after"]) != oaJSON(t, figs[0]) ||
		oaJSON(t, evs[0]["before"]) != oaJSON(t, oaWith(figs[0], "count", 5)) || evs[1]["action"] != "create" {
		t.Errorf("audit log of %s: %s", oaFigureKey(figs[0]), oaJSON(t, evs))
	}
	evs = oaItems(t, w.call("admin", "GET", audit, audit+"?entity=mobility&key=import", nil))
	if len(evs) != 1 || oaJSON(t, evs[0]["after"]) != `{"rows":1}` || evs[0]["before"] != nil {
		t.Errorf("audit log of the import: %s", oaJSON(t, evs))
	}
}
