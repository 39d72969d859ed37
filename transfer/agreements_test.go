package transfer

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/dataset"
)

func regIndex(t *testing.T) *partnerhub.Index {
	t.Helper()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return partnerhub.NewIndex(c)
}

// regWorkbook writes rows on the first sheet of a workbook.
func regWorkbook(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &cells); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func regOptions(x *partnerhub.Index) RegisterOptions {
	taken := map[string]bool{}
	for _, a := range x.Catalog().Agreements {
		taken[a.Slug] = true
	}
	return RegisterOptions{Resolver: NewResolver(x), Taken: func(s string) bool { return taken[s] }}
}

// A register as an office keeps it, with Japanese headers and values
// written every way offices write them.
var regGoodJa = [][]string{
	{"キー", "パートナー", "種類", "締結の単位", "名称（日本語）", "名称（英語）", "部局", "締結日", "期限", "更新の条件", "通知期間（日）", "更新する協定", "公開", "状況（期限なし）"},
	{"ntu-exchange-2016", "国立台湾大学", "交流協定", "大学間", "学術交流協定（国立台湾大学）", "Academic exchange agreement with NTU", "", "2016年4月1日", "2021-03-31", "自動更新", "90日", "", "はい", ""},
	{"ntu-exchange-2021", "NTU", "exchange", "university", "学術交流協定の更新（国立台湾大学）", "Renewal of the exchange agreement with NTU", "", "2021-04", "2026-03", "申し出により更新", "６０", "ntu-exchange-2016", "いいえ", ""},
	{"", "ETHZ", "部局間協定", "部局間", "部局間交流協定（ETH）", "Unit-level agreement with ETH Zurich", "工、東文研", "March 2018", "", "", "", "", "", "不明"},
	{"tum-students", "tum", "覚書", "大学間", "学生交流覚書（ミュンヘン工科大学）", "Student exchange memorandum with TUM", "", "2019", "2024", "更新なし", "", "", "はい", ""},
	{"ucb-offices", "University of California, Berkeley", "相互のオフィス設置", "部局間", "相互オフィス（UCB）", "Mutual offices with UC Berkeley", "IPMU, 理", "2020-10-01", "", "", "", "", "", "期限切れ"},
}

func TestReadRegisterJapanese(t *testing.T) {
	x := regIndex(t)
	reg, errs := ReadRegister(bytes.NewReader(regWorkbook(t, regGoodJa)), "xlsx", regOptions(x))
	if len(errs) > 0 {
		t.Fatalf("problems: %v", errs)
	}
	if len(reg.Rows) != 5 {
		t.Fatalf("%d rows, want 5", len(reg.Rows))
	}
	a := reg.Rows[0].Agreement
	if a.Partner != "ntu" || a.Kind != partnerhub.Exchange || a.Level != partnerhub.UniversityLevel || a.Signed.String() != "2016-04-01" ||
		a.Expires.String() != "2021-03-31" || a.Renewal != partnerhub.RenewAutomatic || a.NoticeDays != 90 || !a.Published || a.Stage != partnerhub.StageSigned {
		t.Errorf("row 2: %+v", a)
	}
	b := reg.Rows[1].Agreement
	if b.Renews != "ntu-exchange-2016" || b.NoticeDays != 60 || b.Signed.String() != "2021-04" || b.Published || b.Renewal != partnerhub.RenewByNotice {
		t.Errorf("row 3: %+v", b)
	}
	c := reg.Rows[2].Agreement
	if c.Slug != "ethz-unit-2018" || !slices.Equal(c.Units, []string{"eng", "ioc"}) || c.Signed.String() != "2018-03" || c.Status != partnerhub.Unknown {
		t.Errorf("row 4 (slug made, units by mark): %+v", c)
	}
	if d := reg.Rows[4].Agreement; d.Partner != "ucb" || !slices.Equal(d.Units, []string{"ipmu", "sci"}) || d.Status != partnerhub.Expired || d.Kind != partnerhub.MutualOffices {
		t.Errorf("row 6: %+v", d)
	}
	if reg.Rows[3].Row != 5 || reg.Column("units.1") != "部局" || reg.Column("title.en") != "名称（英語）" {
		t.Errorf("rows and columns: %d %q %q", reg.Rows[3].Row, reg.Column("units.1"), reg.Column("title.en"))
	}
}

func TestReadRegisterEnglishCSV(t *testing.T) {
	x := regIndex(t)
	file := "\ufeffPartner,Member institution,Kind,Signed by,Title (Japanese),Title (English),Signed,In force from,Notice period (days),Home signatory,Stage\r\n" +
		"Stockholm,KTH,Exchange agreement,The university,交流協定（KTH）,Exchange agreement with KTH,15 March 2017,2017-04-01,30,President,Draft\r\n"
	reg, errs := ReadRegister(strings.NewReader(file), "csv", regOptions(x))
	if len(errs) > 0 {
		t.Fatalf("problems: %v", errs)
	}
	a := reg.Rows[0].Agreement
	if a.Partner != "stockholm" || a.Institution != "kth" || a.Kind != partnerhub.Exchange || a.Signed.String() != "2017-03-15" ||
		a.Effective.String() != "2017-04-01" || a.NoticeDays != 30 || a.HomeSignatory != "President" || a.Stage != partnerhub.StageDraft || a.Slug != "stockholm-exchange-2017" {
		t.Errorf("%+v", a)
	}
}

// TestReadRegisterEveryProblem: a file with several bad cells is refused
// with each problem by row and column, and every message exists in both
// languages.
func TestReadRegisterEveryProblem(t *testing.T) {
	x := regIndex(t)
	rows := [][]string{
		{"Key", "Partner", "Kind", "Signed by", "Title (Japanese)", "Title (English)", "Units", "Signed", "Expires"},
		{"a-1", "Nowhere University", "exchange", "university", "ja", "en", "", "2015", ""},  // unknown partner
		{"a-2", "ntu", "exchange", "university", "ja", "en", "", "2015-13-45", ""},           // bad date
		{"a-3", "ntu", "exchange", "university", "ja", "en", "", "2020-04-01", "2019-03-31"}, // expiry before signing
		{"a-4", "ntu", "exchange", "unit", "ja", "en", "工、火星研", "2015", ""},                  // unknown unit mark
		{"a-5", "ntu", "treaty", "university", "ja", "en", "", "2015", ""},                   // bad kind
		{"a-1", "ntu", "exchange", "university", "ja", "en", "", "", ""},                     // key repeated
		{"princeton-mou", "princeton", "mou", "university", "ja", "en", "", "", ""},          // key stored
		{"a-8", "ntu", "exchange", "university", "", "en", "", "", ""},                       // title missing
	}
	reg, errs := ReadRegister(bytes.NewReader(regWorkbook(t, rows)), "xlsx", regOptions(x))
	if reg != nil {
		t.Fatalf("a bad file gave a register of %d rows", len(reg.Rows))
	}
	want := []struct {
		row         int
		column, key string
	}{
		{2, "Partner", "import.unknown_partner"},
		{3, "Signed", "register.bad_date"},
		{4, "Expires", "field.before_signed"},
		{5, "Units", "register.unknown_unit"},
		{6, "Kind", "register.bad_kind"},
		{7, "Key", "register.duplicate_slug"},
		{8, "Key", "register.slug_taken"},
		{9, "Title (Japanese)", "import.required"},
	}
	for _, w := range want {
		if !slices.ContainsFunc(errs, func(e RowError) bool { return e.Row == w.row && e.Column == w.column && e.Key == w.key }) {
			t.Errorf("no %s at row %d [%s] in %v", w.key, w.row, w.column, errs)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(errs), len(want), errs)
	}
	cats, err := mobCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range partnerhub.Langs {
		for _, e := range errs {
			if msg := cats.Printer(l).T(e.Key, e.Args...); msg == e.Key || strings.Contains(msg, "{") {
				t.Errorf("%s: %s renders as %q", l, e.Key, msg)
			}
		}
	}
	if msg := cats.Printer(partnerhub.Japanese).T(errs[0].Key, errs[0].Args...); !strings.Contains(msg, "Nowhere University") {
		t.Errorf("the Japanese message does not name the value: %q", msg)
	}
}

func TestReadRegisterHeaderProblems(t *testing.T) {
	x := regIndex(t)
	_, errs := ReadRegister(strings.NewReader("パートナー,種類,色\r\nntu,exchange,red\r\n"), "csv", regOptions(x))
	if len(errs) != 2 || errs[0].Key != regKeyMissingColumns || errs[1].Key != regKeyUnknownColumn || errs[1].Column != "色" {
		t.Fatalf("%v", errs)
	}
	if _, errs := ReadRegister(strings.NewReader("not a workbook"), "xlsx", regOptions(x)); len(errs) != 1 || errs[0].Key != mobKeyNotXLSX {
		t.Fatalf("%v", errs)
	}
}

// TestRegisterRenewsUnknown: a row may renew a stored agreement or one of
// a later row; one that renews nothing known is a problem of the file.
func TestRegisterRenewsUnknown(t *testing.T) {
	x := regIndex(t)
	file := "Key,Partner,Kind,Signed by,Title (Japanese),Title (English),Renews\r\n" +
		"b,ntu,exchange,university,ja,en,a\r\n" + // a comes later: allowed
		"a,ntu,exchange,university,ja,en,princeton-mou\r\n" + // stored: allowed
		"c,ntu,exchange,university,ja,en,zzz\r\n"
	_, errs := ReadRegister(strings.NewReader(file), "csv", regOptions(x))
	if len(errs) != 1 || errs[0].Row != 4 || errs[0].Key != regKeyUnknownRenews || errs[0].Column != "Renews" {
		t.Fatalf("%v", errs)
	}
}

// TestWriteRegisterReadsBack: the workbook written of the built-in
// agreements, in either language, reads back as the same agreements.
func TestWriteRegisterReadsBack(t *testing.T) {
	x := regIndex(t)
	want := slices.Clone(x.Catalog().Agreements)
	want[0].Units = []string{"eng", "ioc"}
	want[0].Level = partnerhub.UnitLevel
	want[1].Effective = partnerhub.MustPartialDate("2013-02")
	want[1].NoticeDays, want[1].Renewal, want[1].HomeSignatory = 180, partnerhub.RenewByNotice, "=President"
	want[2].Institution = ""
	want[3].Declared = partnerhub.Unknown
	for _, lang := range partnerhub.Langs {
		var b bytes.Buffer
		if err := WriteRegister(&b, x, lang, want); err != nil {
			t.Fatal(err)
		}
		reg, errs := ReadRegister(&b, "xlsx", RegisterOptions{Resolver: NewResolver(x)})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", lang, errs)
		}
		if len(reg.Rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d", lang, len(reg.Rows), len(want))
		}
		for i, r := range reg.Rows {
			got, w := registerComparable(r.Agreement), registerComparable(want[i])
			if got != w {
				t.Errorf("%s row %d:\n got %s\nwant %s", lang, r.Row, got, w)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteRegister(&b, x, partnerhub.Japanese, nil); err != nil {
		t.Fatal(err)
	}
	if _, errs := ReadRegister(&b, "xlsx", RegisterOptions{Resolver: NewResolver(x)}); len(errs) != 1 || errs[0].Key != regKeyNoData {
		t.Fatalf("the empty template: %v", errs)
	}
}

// registerComparable is what a register carries of an agreement; the
// declared standing counts for a signed one only (it is Status on the way
// in, Declared on the way out).
func registerComparable(a partnerhub.Agreement) string {
	declared := a.Declared
	if a.Status != "" && declared == "" {
		declared = a.Status
	}
	if a.Stage != partnerhub.StageSigned {
		declared = ""
	}
	a.Status, a.Declared, a.RenewedBy, a.Version, a.Review = "", "", "", 0, nil
	if len(a.Units) == 0 {
		a.Units = nil
	}
	return fmt.Sprintf("%+v declared=%s", a, declared)
}
