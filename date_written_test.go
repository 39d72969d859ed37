package partnerhub

import "testing"

// TestPartialDateWritten: the dates people type into a form, in either
// language, are read at the precision they were written; anything that is
// not a real date is refused, never guessed.
func TestPartialDateWritten(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the ISO form, which also carries the precision
		prec Precision
	}{
		{"", "", NoDate},
		{"   ", "", NoDate},
		// ISO, as files and the API write it.
		{"2015", "2015", YearPrecision},
		{"2015-03", "2015-03", MonthPrecision},
		{"2015-03-15", "2015-03-15", DayPrecision},
		{" 2015-3-5 ", "2015-03-05", DayPrecision},
		// Slashes and dots.
		{"2015/3/15", "2015-03-15", DayPrecision},
		{"2015/03", "2015-03", MonthPrecision},
		{"2015.3.15", "2015-03-15", DayPrecision},
		// Japanese.
		{"2015年", "2015", YearPrecision},
		{"2015年3月", "2015-03", MonthPrecision},
		{"2015年3月15日", "2015-03-15", DayPrecision},
		{"2015年 3月 15日", "2015-03-15", DayPrecision},
		{"２０１５年３月", "2015-03", MonthPrecision},
		{"２０１５年３月１５日", "2015-03-15", DayPrecision},
		{"２０１５／３／１５", "2015-03-15", DayPrecision},
		{"２０１５", "2015", YearPrecision},
		{"2024年2月29日", "2024-02-29", DayPrecision},
		// English.
		{"March 2015", "2015-03", MonthPrecision},
		{"march 2015", "2015-03", MonthPrecision},
		{"Mar 2015", "2015-03", MonthPrecision},
		{"Mar. 2015", "2015-03", MonthPrecision},
		{"Sept 2015", "2015-09", MonthPrecision},
		{"15 March 2015", "2015-03-15", DayPrecision},
		{"15th March 2015", "2015-03-15", DayPrecision},
		{"1 May 2015", "2015-05-01", DayPrecision},
		{"March 15, 2015", "2015-03-15", DayPrecision},
		{"March 15 2015", "2015-03-15", DayPrecision},
		{"December  1st,  2015", "2015-12-01", DayPrecision},
	} {
		got, err := ParseWrittenDate(tc.in)
		if err != nil || got.String() != tc.want || got.Precision() != tc.prec {
			t.Errorf("ParseWrittenDate(%q) = %q (precision %v), %v; want %q (precision %v)", tc.in, got.String(), got.Precision(), err, tc.want, tc.prec)
		}
	}
	for _, bad := range []string{
		"2015年13月", "2015年0月", "2015年3月32日", "2015年2月29日", "2015年3月15", "3月2015年", "15年3月",
		"32 March 2015", "March 32, 2015", "0 March 2015", "Marchy 2015", "15 2015", "March", "2015 March",
		"2015/13", "2015/2/30", "2015/3-15", "2015-00", "15/3/2015", "3/15/2015", "0999", "20150315",
		"２０１５年１３月", "yesterday", "2015年3月15日 10:00",
	} {
		if d, err := ParseWrittenDate(bad); err == nil {
			t.Errorf("ParseWrittenDate(%q) = %q, want an error", bad, d.String())
		}
	}
	// What ParsePartialDate accepts, ParseWrittenDate reads the same way,
	// so a form that shows a stored date and sends it back keeps it.
	for _, iso := range []string{"1877", "2013-01", "2021-03-15"} {
		w, err := ParseWrittenDate(iso)
		if p := MustPartialDate(iso); err != nil || w != p {
			t.Errorf("ParseWrittenDate(%q) = %+v, %v; ParsePartialDate gives %+v", iso, w, err, p)
		}
	}
}
