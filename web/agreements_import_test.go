package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/store/storetest"
)

// registerUpload posts a register file to the import page as role.
func (ed *editors) registerUpload(t *testing.T, role, lang, name, content string) reply {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", ed.URL+"/"+lang+"/agreements/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c := ed.cookie[role]; c != nil {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// registerAPI posts a register file as the body of the API's import.
func (ed *editors) registerAPI(t *testing.T, role, contentType, lang, content string) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", ed.URL+"/api/v1/agreements/import", strings.NewReader(content))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept-Language", lang)
	if tok := ed.token[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := ed.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// registerBad has five bad cells: an unknown partner, a date that is
// none, an expiry before the signing, an unknown unit mark, a kind that
// is none.
const registerBad = "パートナー,種類,締結の単位,名称（日本語）,名称（英語）,部局,締結日,期限\n" +
	"架空大学,交流協定,大学間,協定A,Agreement A,,2015,\n" +
	"NTU,交流協定,大学間,協定B,Agreement B,,2015年13月,\n" +
	"NTU,交流協定,大学間,協定C,Agreement C,,2020-04-01,2019-03-31\n" +
	"NTU,部局間協定,部局間,協定D,Agreement D,工、火星研,2016,\n" +
	"NTU,条約,大学間,協定E,Agreement E,,2017,\n"

const registerGood = "Key,Partner,Kind,Signed by,Title (Japanese),Title (English),Units,Signed,Expires,Published\n" +
	"ntu-exchange-2016,NTU,exchange,university,学術交流協定,Exchange agreement with NTU,,2016-04-01,2021-03-31,yes\n" +
	"ntu-unit-2018,国立台湾大学,unit,units,部局間協定,Unit agreement with NTU,\"農, 工\",March 2018,,no\n"

func agreementCount(t *testing.T, ed *editors) int {
	t.Helper()
	c, err := ed.db.Catalog(context.Background(), "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	return len(c.Agreements)
}

// TestRegisterImportPage: the page lists every problem of a bad register
// by row and column, in the page's language, and writes nothing; a good
// one is imported whole; only admins and coordinators import.
func TestRegisterImportPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		before := agreementCount(t, ed)
		wantPage(t, ed.send(t, "GET", "/ja/agreements/import", nil, ed.cookie["admin"]), 200, "協定台帳の取り込み", `enctype="multipart/form-data"`, "/ja/agreements/template.xlsx")

		rows := map[string][]string{
			"en": {
				`<td class="num" data-label="Row">2</td><td>パートナー</td><td>“架空大学” is not a partner`,
				`<td class="num" data-label="Row">3</td><td>締結日</td><td>“2015年13月” is not a date`,
				`<td class="num" data-label="Row">4</td><td>期限</td><td>Cannot be before the signing date.`,
				`<td class="num" data-label="Row">5</td><td>部局</td><td>“火星研” is not a unit`,
				`<td class="num" data-label="Row">6</td><td>種類</td><td>“条約” is not a kind of agreement`,
				"Nothing was imported: 5 problems to mend first.",
			},
			"ja": {
				`<td class="num" data-label="行">2</td><td>パートナー</td>`,
				`<td class="num" data-label="行">3</td><td>締結日</td><td>「2015年13月」は日付として読めません。`,
				`<td class="num" data-label="行">4</td><td>期限</td><td>締結日より前にはできません。`,
				`<td class="num" data-label="行">5</td><td>部局</td>`,
				`<td class="num" data-label="行">6</td><td>種類</td><td>「条約」は協定の種類ではありません。`,
				"何も取り込んでいません。先に直すべき問題が 5 件あります。",
			},
		}
		for lang, want := range rows {
			r := ed.registerUpload(t, "admin", lang, "register.csv", registerBad)
			wantPage(t, r, http.StatusUnprocessableEntity, want...)
			if n := strings.Count(r.body, `<td class="num"`); n != 5 {
				t.Errorf("%s: %d problems listed, want 5", lang, n)
			}
		}
		if n := agreementCount(t, ed); n != before {
			t.Fatalf("a refused register wrote %d agreements", n-before)
		}

		wantPage(t, ed.registerUpload(t, "admin", "en", "register.txt", registerGood), http.StatusBadRequest, "neither an Excel workbook")
		wantPage(t, ed.registerUpload(t, "viewer", "en", "register.csv", registerGood), http.StatusForbidden)
		if r := ed.registerUpload(t, "nobody", "en", "register.csv", registerGood); r.status != http.StatusSeeOther {
			t.Errorf("nobody's upload: %d", r.status)
		}
		wantPage(t, ed.registerUpload(t, "admin", "en", "register.csv", registerGood), 200, "2 agreements were imported.", `href="/en/agreements"`)
		if n := agreementCount(t, ed); n != before+2 {
			t.Fatalf("%d agreements imported, want 2", n-before)
		}
		rec, _, err := ed.db.Record(context.Background(), "utokyo", partnerhub.EntityAgreement, "ntu-unit-2018")
		if err != nil {
			t.Fatal(err)
		}
		if a := rec.(*partnerhub.Agreement); a.Stage != partnerhub.StageSigned || len(a.Units) != 2 || a.Signed.String() != "2018-03" || a.Published {
			t.Errorf("imported: %+v", a)
		}
		// The same file again: the keys are taken.
		wantPage(t, ed.registerUpload(t, "admin", "en", "register.csv", registerGood), http.StatusUnprocessableEntity,
			`<td class="num" data-label="Row">2</td><td>Key</td><td>An agreement with the key “ntu-exchange-2016” is already stored`)
	})
}

// TestRegisterImportAPI: 422 with every problem by row and column in the
// asker's language, 200 with the count.
func TestRegisterImportAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		r := ed.registerAPI(t, "admin", "text/csv", "ja", registerBad)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad register: %d %s", r.status, r.body)
		}
		var out errorBody
		if err := json.Unmarshal([]byte(r.body), &out); err != nil {
			t.Fatal(err)
		}
		ps := out.Error.Problems
		if out.Error.Code != partnerhub.EInvalid || len(ps) != 5 || ps[4].Row != 6 || ps[4].Column != "種類" ||
			ps[4].Key != "register.bad_kind" || !strings.HasPrefix(ps[4].Message, "「条約」") {
			t.Fatalf("%+v", out)
		}
		if r := ed.registerAPI(t, "viewer", "text/csv", "en", registerGood); r.status != http.StatusForbidden {
			t.Fatalf("a viewer: %d", r.status)
		}
		if r := ed.registerAPI(t, "admin", "application/json", "en", registerGood); r.status != http.StatusUnsupportedMediaType || !strings.Contains(r.body, "format") {
			t.Fatalf("no format: %d %s", r.status, r.body)
		}
		r = ed.registerAPI(t, "admin", "text/csv; charset=utf-8", "en", registerGood)
		if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"imported":2}` {
			t.Fatalf("good register: %d %s", r.status, r.body)
		}
	})
}

// TestRegisterDownloads: the template has the headers in the page's
// language; the register holds drafts for a signed-in user only.
func TestRegisterDownloads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ed := newEditors(t, e)
		draft := partnerhub.Agreement{Slug: "ntu-draft", Partner: "ntu", Kind: partnerhub.Exchange, Level: partnerhub.UniversityLevel,
			Title: partnerhub.Text{Ja: "起案中の協定", En: "A draft"}}
		if _, err := ed.db.Apply(context.Background(), partnerhub.Create(ed.addUser(t, "office@example.ac.jp", partnerhub.RoleAdmin), "utokyo", &draft)); err != nil {
			t.Fatal(err)
		}
		if err := ed.srv.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		sheet := func(r reply) [][]string {
			t.Helper()
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), xlsxType) {
				t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
			}
			f, err := excelize.OpenReader(strings.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(f.GetSheetList()[0])
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		tpl := sheet(ed.send(t, "GET", "/ja/agreements/template.xlsx", nil, nil))
		if len(tpl) != 1 || tpl[0][0] != "キー" || tpl[0][1] != "パートナー" {
			t.Fatalf("template: %v", tpl)
		}
		has := func(rows [][]string, slug string) bool {
			for _, r := range rows {
				if len(r) > 0 && r[0] == slug {
					return true
				}
			}
			return false
		}
		public := sheet(ed.send(t, "GET", "/en/agreements/register.xlsx", nil, nil))
		if public[0][0] != "Key" || !has(public, "princeton-mou") || has(public, "ntu-draft") {
			t.Fatalf("public register: %v", public)
		}
		private := sheet(ed.send(t, "GET", "/en/agreements/register.xlsx", nil, ed.cookie["viewer"]))
		if !has(private, "ntu-draft") || !has(private, "princeton-mou") {
			t.Fatalf("signed-in register: %v", private)
		}
	})
}
