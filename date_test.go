package partnerhub

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestParsePartialDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want PartialDate
		prec Precision
	}{
		{"", PartialDate{}, NoDate},
		{"2015", PartialDate{Year: 2015}, YearPrecision},
		{"2013-01", PartialDate{Year: 2013, Month: 1}, MonthPrecision},
		{"2021-03-15", PartialDate{Year: 2021, Month: 3, Day: 15}, DayPrecision},
		{"2024-02-29", PartialDate{Year: 2024, Month: 2, Day: 29}, DayPrecision},
	} {
		got, err := ParsePartialDate(tc.in)
		if err != nil || got != tc.want || got.Precision() != tc.prec || got.String() != tc.in {
			t.Errorf("ParsePartialDate(%q) = %+v (%v, %q), %v", tc.in, got, got.Precision(), got.String(), err)
		}
	}
	for _, bad := range []string{"15", "2019-13", "2019-00", "2019-1", "2019-01-32", "2023-02-29", "2019/01", "20x9", "2019-01-", "+2019", "2019-1-01", "0999", "2019-01-01T00:00", " 2019", "２０１９"} {
		if d, err := ParsePartialDate(bad); err == nil {
			t.Errorf("ParsePartialDate(%q) = %+v, want an error", bad, d)
		}
	}
}

func TestPartialDateRangeAndOrder(t *testing.T) {
	day := func(s string) time.Time { v, _ := time.Parse("2006-01-02", s); return v }
	for _, tc := range []struct{ in, first, last string }{
		{"2015", "2015-01-01", "2015-12-31"},
		{"2024-02", "2024-02-01", "2024-02-29"},
		{"2023-02", "2023-02-01", "2023-02-28"},
		{"2021-03-15", "2021-03-15", "2021-03-15"},
	} {
		d := MustPartialDate(tc.in)
		if !d.First().Equal(day(tc.first)) || !d.Last().Equal(day(tc.last)) {
			t.Errorf("%s spans %s..%s, want %s..%s", tc.in, d.First().Format(time.DateOnly), d.Last().Format(time.DateOnly), tc.first, tc.last)
		}
	}
	in := []string{"2022", "", "2021-03-15", "2013-01", "2021", "2021-03", "2015"}
	ds := make([]PartialDate, len(in))
	for i, s := range in {
		ds[i] = MustPartialDate(s)
	}
	slices.SortFunc(ds, PartialDate.Compare)
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	want := []string{"2013-01", "2015", "2021", "2021-03", "2021-03-15", "2022", ""}
	if !slices.Equal(got, want) {
		t.Fatalf("sorted = %q, want %q", got, want)
	}
}

func TestPartialDateJSON(t *testing.T) {
	type doc struct {
		A PartialDate `json:"a"`
		B PartialDate `json:"b"`
	}
	b, err := json.Marshal(doc{A: MustPartialDate("2013-01")})
	if err != nil || string(b) != `{"a":"2013-01","b":null}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"a":"2021-03-15","b":null}`), &d); err != nil || d.A.String() != "2021-03-15" || !d.B.IsZero() {
		t.Fatalf("unmarshal = %+v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"a":"2021-13"}`), &d); err == nil {
		t.Fatal("unmarshal of 2021-13 succeeded")
	}
}

func TestTextFallback(t *testing.T) {
	tx := Text{Ja: "東京大学"}
	if s, fb := tx.In(English); s != "東京大学" || !fb {
		t.Fatalf("In(en) = %q, %v; want the Japanese text marked as fallback", s, fb)
	}
	if s, fb := tx.In(Japanese); s != "東京大学" || fb {
		t.Fatalf("In(ja) = %q, %v", s, fb)
	}
	if s, fb := (Text{}).In(Japanese); s != "" || fb {
		t.Fatalf("empty In(ja) = %q, %v", s, fb)
	}
	if !(Text{En: "Peking University"}).Contains("peking") {
		t.Fatal("Contains is not case-insensitive")
	}
}
