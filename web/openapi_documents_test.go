package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// oaFormJSON turns a multipart form into a JSON object of its fields, each
// as a string (a file's bytes too), for the form's schema to check.
func oaFormJSON(t *testing.T, body []byte, boundary string) []byte {
	t.Helper()
	m := map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("a form the server took: %v", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p.FormName()] = string(b)
	}
	j, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// documents uploads, lists and downloads an agreement's documents through
// the API, and checks its refusals against the document.
func (w *oaWriter) documents() {
	t := w.t
	t.Helper()
	const (
		list = "/api/v1/agreements/{slug}/documents"
		one  = "/api/v1/agreements/{slug}/documents/{id}"
		u    = "/api/v1/agreements/snu-mou/documents"
	)
	pdf := storetest.PDF("Draft")
	form := func(role, name string, data []byte) ([]byte, string) {
		ct, b := multipartDoc(t, role, name, data)
		return b, ct
	}
	b, ct := form("draft", "協定案.pdf", pdf)
	doc := w.want(w.call("coordinator", "POST", list, u, b, "Content-Type", ct), http.StatusCreated, "upload a document")
	w.valid("AgreementDocument", doc, "the uploaded document")
	id := strconv.Itoa(int(doc["id"].(float64)))
	docs := oaItems(t, w.call("viewer", "GET", list, u, nil))
	if len(docs) != 1 || docs[0]["filename"] != "協定案.pdf" {
		t.Errorf("documents listed: %v", docs)
	}
	if r := w.call("viewer", "GET", one, u+"/"+id, nil); r.status != http.StatusOK || !bytes.Equal(r.body, pdf) {
		t.Errorf("download: %d, %d bytes", r.status, len(r.body))
	}

	b, ct = form("draft", "draft.docx", pdf)
	w.wantField(w.call("admin", "POST", list, u, b, "Content-Type", ct), "file", "a PDF named .docx")
	b, ct = form("", "draft.pdf", pdf)
	w.wantField(w.call("admin", "POST", list, u, b, "Content-Type", ct), "role", "an upload without a role")
	b, ct = form("draft", "draft.pdf", pdf)
	w.want(w.call("viewer", "POST", list, u, b, "Content-Type", ct), http.StatusForbidden, "a viewer's upload")
	w.want(w.call("admin", "POST", list, "/api/v1/agreements/no-such/documents", b, "Content-Type", ct), http.StatusNotFound, "an upload to no agreement")
	w.want(w.call("admin", "POST", list, u, map[string]any{"role": "draft"}), http.StatusUnsupportedMediaType, "a JSON body")
	w.ts.srv.deps.MaxDocumentBytes = 1 << 10
	b, ct = form("draft", "big.pdf", append(bytes.Repeat([]byte("%"), 2<<10), pdf...))
	w.want(w.call("admin", "POST", list, u, b, "Content-Type", ct), http.StatusRequestEntityTooLarge, "a document too large")
	w.ts.srv.deps.MaxDocumentBytes = partnerhub.DefaultMaxDocumentBytes
	w.want(w.call("admin", "GET", one, "/api/v1/agreements/pku-mou/documents/"+id, nil), http.StatusNotFound, "a document under another agreement")
	w.want(w.call("admin", "GET", list, u+"?limit=1", nil), http.StatusBadRequest, "an unknown parameter")
}
