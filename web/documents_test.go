package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// multipartDoc is a document's form: a role and a file. role "" leaves the
// role out.
func multipartDoc(t *testing.T, role, filename string, data []byte) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if role != "" {
		mw.WriteField("role", role)
	}
	h := textproto.MIMEHeader{}
	// The browser's word for the type is not believed: send a wrong one.
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", "application/pdf")
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// sendDoc uploads a document to path; header as for send (a cookie, or
// name and value pairs).
func (ts *authServer) sendDoc(t *testing.T, path, role, filename string, data []byte, header ...any) reply {
	t.Helper()
	ct, body := multipartDoc(t, role, filename, data)
	return ts.sendBody(t, "POST", path, ct, body, header...)
}

// sendBody sends a body of content type ct.
func (ts *authServer) sendBody(t *testing.T, method, path, ct string, body []byte, header ...any) reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	for i := 0; i < len(header); i++ {
		switch h := header[i].(type) {
		case *http.Cookie:
			if h != nil {
				req.AddCookie(&http.Cookie{Name: h.Name, Value: h.Value})
			}
		case string:
			req.Header.Set(h, header[i+1].(string))
			i++
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return reply{res.StatusCode, res.Header, b.String()}
}

// storedDocs are the documents of an agreement as the store has them.
func storedDocs(t *testing.T, ed *editors, slug string) []partnerhub.AgreementDocument {
	t.Helper()
	admin, err := ed.db.UserByEmail(context.Background(), "admin@example.ac.jp")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := ed.db.Documents(context.Background(), admin, "utokyo", slug)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestDocumentPages: uploads through the page's form become versions,
// listed in both languages and downloaded with their checked type as
// attachments; a file that is not what its name says, or too large, is
// refused at the field, in both languages, with nothing stored; a viewer
// reads but does not upload; nobody signed in finds nothing.
func TestDocumentPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		const page = "/en/agreements/snu-mou/documents"
		pdf, docx := storetest.PDF("Draft"), storetest.DOCX("第二草案")

		// Nobody signed in: the answer of an unknown address, and nothing stored.
		for _, p := range []string{page, "/ja/agreements/snu-mou/documents", page + "/1", "/en/agreements/no-such/documents"} {
			if r := ed.send(t, "GET", p, nil); r.status != http.StatusNotFound || strings.Contains(r.body, "Drafts") || strings.Contains(r.body, "草案") {
				t.Errorf("GET %s without a session: %d", p, r.status)
			}
		}
		if r := ed.sendDoc(t, page, "draft", "draft.pdf", pdf); r.status != http.StatusNotFound {
			t.Errorf("an upload without a session: %d", r.status)
		}
		if docs := storedDocs(t, ed, "snu-mou"); len(docs) != 0 {
			t.Fatalf("stored without a session: %+v", docs)
		}

		// The coordinator of a unit of SNU's team uploads two drafts and a signed copy.
		wantRedirect(t, ed.sendDoc(t, page, "draft", "協定案.pdf", pdf, ed.cookie["coordinator"]), page+"?saved=1")
		wantRedirect(t, ed.sendDoc(t, page, "draft", "協定案 第二版.docx", docx, ed.cookie["admin"]), page+"?saved=1")
		wantRedirect(t, ed.sendDoc(t, "/ja/agreements/snu-mou/documents", "signed", "signed.pdf", pdf, ed.cookie["admin"]),
			"/ja/agreements/snu-mou/documents?saved=1")
		docs := storedDocs(t, ed, "snu-mou")
		if len(docs) != 3 || docs[0].Version != 1 || docs[1].Version != 2 || docs[2].Version != 1 || docs[2].Role != partnerhub.DocumentSigned {
			t.Fatalf("stored: %+v", docs)
		}
		wantPage(t, ed.send(t, "GET", page+"?saved=1", nil, ed.cookie["viewer"]), 200,
			"<h2>Drafts</h2>", "<h2>Signed copies</h2>", "協定案.pdf", "協定案 第二版.docx", "Name of coordinator@example.ac.jp",
			`href="/en/agreements/snu-mou/documents/`+idStr(docs[1].ID)+`"`, "Administrators and the coordinators")
		wantPage(t, ed.send(t, "GET", "/ja/agreements/snu-mou/documents", nil, ed.cookie["admin"]), 200,
			"<h2>草案</h2>", "<h2>署名済みの写し</h2>", "文書をアップロード", `enctype="multipart/form-data"`)
		if r := ed.send(t, "GET", page, nil, ed.cookie["viewer"]); strings.Contains(r.body, "<form method=\"post\" action=\""+page) {
			t.Error("a viewer is offered the upload form")
		}

		// Refused at the field, in both languages; nothing stored.
		for _, c := range []struct {
			name, lang, role, file string
			data                   []byte
			status                 int
			want                   string
		}{
			{"a PDF renamed .docx", "en", "draft", "draft.docx", pdf, 400, "“draft.docx” is named as a Word (.docx) file, but its content is not a Word document."},
			{"a PDF renamed .docx", "ja", "draft", "draft.docx", pdf, 400, "「draft.docx」は Word（.docx）ファイルの名前ですが、中身が Word 文書ではありません。"},
			{"a text file named .pdf", "en", "draft", "notes.pdf", []byte("minutes of the meeting\n"), 400, "“notes.pdf” is named as a PDF file, but its content is not a PDF."},
			{"a text file named .pdf", "ja", "draft", "notes.pdf", []byte("会議の記録\n"), 400, "「notes.pdf」は PDF ファイルの名前ですが、中身が PDF ではありません。"},
			{"a signed copy in DOCX", "en", "signed", "signed.docx", docx, 400, "A signed copy must be a PDF file."},
			{"no role", "ja", "", "draft.pdf", pdf, 400, `id="err-role"`},
		} {
			p := "/" + c.lang + "/agreements/snu-mou/documents"
			r := ed.sendDoc(t, p, c.role, c.file, c.data, ed.cookie["admin"])
			if r.status != c.status || !strings.Contains(r.body, c.want) || !strings.Contains(r.body, `class="field-error"`) {
				t.Errorf("%s (%s): %d, or the page lacks %q", c.name, c.lang, r.status, c.want)
			}
		}
		// Too large: refused before it is stored, and said at the field.
		ed.srv.deps.MaxDocumentBytes = 4 << 10
		big := append(storetest.PDF("big"), bytes.Repeat([]byte("%"), 5<<10)...)
		big = append(big, "\n%%EOF\n"...)
		for lang, want := range map[string]string{"en": "The file is larger than 4 KiB, the largest accepted.", "ja": "ファイルが上限（4 KiB）を超えています。"} {
			r := ed.sendDoc(t, "/"+lang+"/agreements/snu-mou/documents", "draft", "big.pdf", big, ed.cookie["admin"])
			if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, want) {
				t.Errorf("too large (%s): %d, or the page lacks %q", lang, r.status, want)
			}
		}
		ed.srv.deps.MaxDocumentBytes = partnerhub.DefaultMaxDocumentBytes
		if n := len(storedDocs(t, ed, "snu-mou")); n != 3 {
			t.Fatalf("refused uploads stored something: %d documents", n)
		}

		// A viewer downloads but does not upload; a coordinator outside the team neither uploads.
		if r := ed.sendDoc(t, page, "draft", "v.pdf", pdf, ed.cookie["viewer"]); r.status != http.StatusForbidden {
			t.Errorf("a viewer's upload: %d", r.status)
		}
		if r := ed.sendDoc(t, "/en/agreements/princeton-mou/documents", "draft", "p.pdf", pdf, ed.cookie["coordinator"]); r.status != http.StatusForbidden {
			t.Errorf("an upload by a coordinator outside Princeton's team: %d", r.status)
		}

		// The download: the checked type, an attachment, never sniffed or kept.
		r := ed.send(t, "GET", page+"/"+idStr(docs[0].ID), nil, ed.cookie["viewer"])
		if r.status != 200 || r.body != string(pdf) {
			t.Fatalf("download: %d, %d bytes", r.status, len(r.body))
		}
		for name, want := range map[string]string{
			"Content-Type":           "application/pdf",
			"Content-Disposition":    `attachment; filename="___.pdf"; filename*=UTF-8''%E5%8D%94%E5%AE%9A%E6%A1%88.pdf`,
			"X-Content-Type-Options": "nosniff",
			"Cache-Control":          "private, no-store",
		} {
			if got := r.header.Get(name); got != want {
				t.Errorf("download: %s %q, want %q", name, got, want)
			}
		}
		if r := ed.send(t, "GET", page+"/"+idStr(docs[1].ID), nil, ed.cookie["admin"]); r.status != 200 ||
			r.header.Get("Content-Type") != partnerhub.ContentTypeDOCX || r.body != string(docx) {
			t.Errorf("the DOCX draft: %d %s", r.status, r.header.Get("Content-Type"))
		}
		// An id of another agreement, or none: not found.
		for _, p := range []string{"/en/agreements/pku-mou/documents/" + idStr(docs[0].ID), page + "/99999", page + "/x"} {
			if r := ed.send(t, "GET", p, nil, ed.cookie["admin"]); r.status != http.StatusNotFound {
				t.Errorf("GET %s: %d", p, r.status)
			}
		}

		// The agreements index links the documents for the signed-in only;
		// the public portal never shows them.
		wantPage(t, ed.send(t, "GET", "/en/agreements", nil, ed.cookie["viewer"]), 200, `href="/en/agreements/snu-mou/documents"`)
		if r := ed.send(t, "GET", "/en/agreements", nil); r.status != 200 || strings.Contains(r.body, "/documents") || strings.Contains(r.body, "協定案") {
			t.Errorf("the public index: %d, or it shows documents", r.status)
		}
		if r := ed.send(t, "GET", "/api/v1/partners/snu", nil); r.status != 200 || strings.Contains(r.body, "協定案") || strings.Contains(r.body, "document") {
			t.Errorf("the public API's partner: %d, or it shows documents", r.status)
		}
	})
}

func idStr(n int64) string { return strconv.FormatInt(n, 10) }

// TestDocumentAPI: list, upload and download with a token; 401 without
// one, before anything is looked up; field errors as the API's error; a
// body that is not multipart refused.
func TestDocumentAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		const list = "/api/v1/agreements/snu-mou/documents"
		pdf := storetest.PDF("Signed")
		bearer := func(role string) []any { return []any{"Authorization", "Bearer " + ed.token[role]} }

		r := ed.sendDoc(t, list, "signed", "署名済み.pdf", pdf, bearer("coordinator")...)
		var doc partnerhub.AgreementDocument
		if err := json.Unmarshal([]byte(r.body), &doc); r.status != http.StatusCreated || err != nil || doc.Version != 1 ||
			doc.Filename != "署名済み.pdf" || doc.Agreement != "snu-mou" || r.header.Get("Location") != list+"/"+idStr(doc.ID) {
			t.Fatalf("upload: %d %s %v", r.status, r.body, r.header)
		}
		r = ed.send(t, "GET", list, nil, bearer("viewer")...)
		var got struct {
			Items []partnerhub.AgreementDocument
		}
		if err := json.Unmarshal([]byte(r.body), &got); r.status != 200 || err != nil || len(got.Items) != 1 || got.Items[0] != doc {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		r = ed.send(t, "GET", list+"/"+idStr(doc.ID), nil, bearer("viewer")...)
		if r.status != 200 || r.body != string(pdf) || r.header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment; ") || r.header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("download: %d %v", r.status, r.header)
		}

		// Refusals.
		fields := func(r reply) map[string]string {
			var e struct {
				Error struct{ Fields map[string]string }
			}
			json.Unmarshal([]byte(r.body), &e)
			return e.Error.Fields
		}
		r = ed.sendDoc(t, list+"?lang=ja", "draft", "draft.docx", pdf, bearer("admin")...)
		if r.status != 400 || !strings.Contains(fields(r)["file"], "中身が Word 文書ではありません") {
			t.Errorf("a PDF named .docx: %d %s", r.status, r.body)
		}
		if r = ed.sendDoc(t, list, "draft", "v.pdf", pdf, bearer("viewer")...); r.status != http.StatusForbidden {
			t.Errorf("a viewer's upload: %d", r.status)
		}
		if r = ed.sendBody(t, "POST", list, "application/json", []byte(`{"role":"draft"}`), bearer("admin")...); r.status != http.StatusUnsupportedMediaType {
			t.Errorf("a JSON body: %d %s", r.status, r.body)
		}
		ed.srv.deps.MaxDocumentBytes = 1 << 10
		if r = ed.sendDoc(t, list, "draft", "big.pdf", append(pdf, bytes.Repeat([]byte(" "), 2<<10)...), bearer("admin")...); r.status != http.StatusRequestEntityTooLarge ||
			fields(r)["file"] == "" {
			t.Errorf("too large: %d %s", r.status, r.body)
		}
		ed.srv.deps.MaxDocumentBytes = partnerhub.DefaultMaxDocumentBytes
		for _, p := range []string{list, list + "/" + idStr(doc.ID)} {
			for _, auth := range []string{"", "Bearer ph_nope"} {
				if r := ed.send(t, "GET", p, nil, "Authorization", auth); r.status != http.StatusUnauthorized || strings.Contains(r.body, "署名済み") {
					t.Errorf("GET %s with %q: %d", p, auth, r.status)
				}
			}
		}
		if r := ed.sendDoc(t, list, "draft", "x.pdf", pdf); r.status != http.StatusUnauthorized {
			t.Errorf("an upload without a token: %d", r.status)
		}
		for _, p := range []string{"/api/v1/agreements/no-such/documents", "/api/v1/agreements/pku-mou/documents/" + idStr(doc.ID)} {
			if r := ed.send(t, "GET", p, nil, bearer("admin")...); r.status != http.StatusNotFound {
				t.Errorf("GET %s: %d", p, r.status)
			}
		}
		if n := len(storedDocs(t, ed, "snu-mou")); n != 1 {
			t.Errorf("refused uploads stored something: %d documents", n)
		}
	})
}

// TestDocumentsOfOtherHomes: another home's users, signed in on their own
// home's server, find no agreement of utokyo's and none of its documents,
// by page or API, and cannot upload to them.
func TestDocumentsOfOtherHomes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newTenants(t, e)
		ctx := context.Background()
		pdf := storetest.PDF("utokyo's")
		admin, err := ts.db.UserByEmail(ctx, "admin@example.ac.jp")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ts.db.AddDocument(ctx, admin, "utokyo", "snu-mou", partnerhub.DocumentDraft, "secret.pdf", pdf, ts.srv.deps.Now())
		if err != nil {
			t.Fatal(err)
		}
		kyoto := &authServer{Server: ts.homeServer(t, "kyoto", nil), db: ts.db}
		viewer, err := ts.db.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "viewer@kyoto.example.ac.jp", Name: "Kyoto viewer", Role: partnerhub.RoleViewer}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		cookie := kyoto.signIn(t, viewer.Email)
		kyotoAdmin := kyoto.signIn(t, "admin@kyoto.example.ac.jp")
		for _, p := range []string{"/en/agreements/snu-mou/documents", "/en/agreements/snu-mou/documents/" + idStr(doc.ID)} {
			if r := kyoto.send(t, "GET", p, nil, cookie); r.status != http.StatusNotFound || strings.Contains(r.body, "secret.pdf") {
				t.Errorf("kyoto's viewer GET %s: %d", p, r.status)
			}
		}
		if r := kyoto.sendDoc(t, "/en/agreements/snu-mou/documents", "draft", "x.pdf", pdf, kyotoAdmin); r.status != http.StatusNotFound {
			t.Errorf("kyoto's admin uploads to utokyo's agreement: %d", r.status)
		}
		// kyoto's own agreement: its documents page, empty.
		wantPage(t, kyoto.send(t, "GET", "/en/agreements/kyoto-agreement/documents", nil, cookie), 200, "None yet.")
		// A kyoto admin's token on utokyo's server is nobody there.
		raw, _, err := ts.db.CreateToken(ctx, mustUser(t, ts, "admin@kyoto.example.ac.jp").ID, partnerhub.TokenSpec{Name: "t", Scope: partnerhub.ScopeWrite}, ts.srv.deps.Now())
		if err != nil {
			t.Fatal(err)
		}
		if r := ts.send(t, "GET", "/api/v1/agreements/snu-mou/documents/"+idStr(doc.ID), nil, "Authorization", "Bearer "+raw); r.status/100 == 2 || strings.Contains(r.body, "utokyo's") {
			t.Errorf("kyoto's token on utokyo's server: %d", r.status)
		}
		if docs, err := ts.db.Documents(ctx, admin, "utokyo", "snu-mou"); err != nil || len(docs) != 1 {
			t.Errorf("utokyo's documents: %+v, %v", docs, err)
		}
	})
}

func mustUser(t *testing.T, ts *tenants, email string) *partnerhub.User {
	t.Helper()
	u, err := ts.db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
