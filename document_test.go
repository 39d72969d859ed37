package partnerhub_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestCheckDocument: a file's type is its content's, its name must agree,
// and a signed copy is a PDF; each refusal names the field "file" (or
// "role") with its own message.
func TestCheckDocument(t *testing.T) {
	pdf, docx := storetest.PDF("Draft 1"), storetest.DOCX("Draft 1")
	// A .docm: a ZIP like a DOCX whose main part is macro-enabled.
	var docm bytes.Buffer
	zw := zip.NewWriter(&docm)
	for name, body := range map[string]string{
		"[Content_Types].xml": `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`,
		"word/document.xml":   "<w:document/>",
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	// A ZIP without a Word document in it (a spreadsheet, say).
	var xlsx bytes.Buffer
	zw = zip.NewWriter(&xlsx)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte("<Types/>"))
	zw.Close()

	for _, c := range []struct {
		name  string
		role  partnerhub.DocumentRole
		file  string
		data  []byte
		field string // "" when accepted
		key   string
		ctype string
	}{
		{"a PDF draft", partnerhub.DocumentDraft, "draft.pdf", pdf, "", "", partnerhub.ContentTypePDF},
		{"a PDF in capitals", partnerhub.DocumentSigned, "SIGNED.PDF", pdf, "", "", partnerhub.ContentTypePDF},
		{"a DOCX draft", partnerhub.DocumentDraft, "協定案.docx", docx, "", "", partnerhub.ContentTypeDOCX},
		{"a PDF named .docx", partnerhub.DocumentDraft, "draft.docx", pdf, "file", "document_not_docx", ""},
		{"a DOCX named .pdf", partnerhub.DocumentDraft, "draft.pdf", docx, "file", "document_not_pdf", ""},
		{"text named .pdf", partnerhub.DocumentDraft, "notes.pdf", []byte("just some notes\n"), "file", "document_not_pdf", ""},
		{"a PDF header without its end", partnerhub.DocumentDraft, "cut.pdf", pdf[:len(pdf)/2], "file", "document_not_pdf", ""},
		{"a macro-enabled document named .docx", partnerhub.DocumentDraft, "macro.docx", docm.Bytes(), "file", "document_not_docx", ""},
		{"a ZIP without a Word document", partnerhub.DocumentDraft, "sheet.docx", xlsx.Bytes(), "file", "document_not_docx", ""},
		{"a signed copy in DOCX", partnerhub.DocumentSigned, "signed.docx", docx, "file", "document_signed_pdf", ""},
		{"a signed copy of another type", partnerhub.DocumentSigned, "signed.txt", []byte("x"), "file", "document_signed_pdf", ""},
		{"another type", partnerhub.DocumentDraft, "draft.txt", pdf, "file", "document_type", ""},
		{"no extension", partnerhub.DocumentDraft, "draft", pdf, "file", "document_type", ""},
		{"only an extension", partnerhub.DocumentDraft, ".pdf", pdf, "file", "document_type", ""},
		{"an empty file", partnerhub.DocumentDraft, "draft.pdf", nil, "file", "document_empty", ""},
		{"no role", "", "draft.pdf", pdf, "role", "required", ""},
		{"an unknown role", "final", "draft.pdf", pdf, "role", "one_of", ""},
	} {
		name, ctype, err := partnerhub.CheckDocument(c.role, c.file, c.data)
		if c.field == "" {
			if err != nil || ctype != c.ctype || name != c.file {
				t.Errorf("%s: %q %q %v, want accepted as %s", c.name, name, ctype, err, c.ctype)
			}
			continue
		}
		var e *partnerhub.Error
		if !errorAs(err, &e) || e.Code != partnerhub.EInvalid || e.Fields[c.field].Key != c.key {
			t.Errorf("%s: %v, want %s: %s", c.name, err, c.field, c.key)
		}
	}
}

func errorAs(err error, e **partnerhub.Error) bool {
	pe, ok := err.(*partnerhub.Error)
	if ok {
		*e = pe
	}
	return ok
}

// TestSanitizeFilename: the base name only, whatever the separator; no
// control or formatting characters, no hidden or Windows-refused names;
// NFC; bounded with the extension kept; Japanese kept.
func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"協定書（案）.pdf":                      "協定書（案）.pdf",
		"../../etc/passwd.pdf":            "passwd.pdf",
		`C:\Users\office\Desktop\協定.docx`: "協定.docx",
		".hidden.pdf":                     "hidden.pdf",
		"...pdf":                          "pdf",
		"report\x00\x1f.pdf":              "report.pdf",
		"evil\u202Efdp.exe":               "evilfdp.exe", // a right-to-left override would show it as …exe.pdf
		"a<b>c:d\"e|f?g*.pdf":             "a_b_c_d_e_f_g_.pdf",
		"tab\tand\nnewline.pdf":           "tabandnewline.pdf",
		"trailing dots.pdf. . ":           "trailing dots.pdf",
		"\u30ab\u3099.pdf":                "\u30ac.pdf", // カ and a combining voiced mark: ガ composed
		"全角\u3000空白\u2028.pdf":            "全角\u3000空白 .pdf",
		"":                                "",
		"/":                               "",
		"bad\xffutf8.pdf":                 "badutf8.pdf",
	} {
		if got := partnerhub.SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("長", 300) + ".pdf"
	got := partnerhub.SanitizeFilename(long)
	if n := utf8.RuneCountInString(got); n != partnerhub.MaxDocumentNameChars || !strings.HasSuffix(got, "長.pdf") {
		t.Errorf("a long name: %d characters, %q", n, got)
	}
}
