package partnerhub

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ParseWrittenDate reads a partial date the way people write one in a form:
// ISO ("2015", "2015-03", "2015-03-15"), with slashes or dots ("2015/3/15",
// "2015.3"), in Japanese ("2015年", "2015年3月", "2015年3月15日", full-width
// digits too) or in English ("March 2015", "15 March 2015", "March 15, 2015",
// "Mar. 2015"). The precision is what was written: "2015年3月" is a month,
// never the first of March. The empty string is the zero date.
//
// It is a separate function from ParsePartialDate on purpose: files and the
// API keep the one strict ISO form, so what they exchange means one thing,
// while a person at a form may write a date as they would in a letter.
func ParseWrittenDate(s string) (PartialDate, error) {
	n := normalizeWrittenDate(s)
	if n == "" {
		return PartialDate{}, nil
	}
	var y, m, d string
	if g := numericDate.FindStringSubmatch(n); g != nil {
		// RE2 cannot ask that both separators be the same, so it is
		// checked here: "2015/03-15" is a typing slip, not a date.
		if g[4] != "" && g[4] != g[2] {
			return PartialDate{}, errWrittenDate(s)
		}
		y, m, d = g[1], g[3], g[5]
	} else if g := japaneseDate.FindStringSubmatch(n); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else if g := englishDayMonth.FindStringSubmatch(n); g != nil {
		y, m, d = g[3], monthNumber(g[2]), g[1]
		if m == "" {
			return PartialDate{}, errWrittenDate(s)
		}
	} else if g := englishMonthDay.FindStringSubmatch(n); g != nil {
		y, m, d = g[3], monthNumber(g[1]), g[2]
		if m == "" {
			return PartialDate{}, errWrittenDate(s)
		}
	} else {
		return PartialDate{}, errWrittenDate(s)
	}
	var date PartialDate
	date.Year, _ = strconv.Atoi(y)
	if m != "" {
		date.Month, _ = strconv.Atoi(m)
	}
	if d != "" {
		date.Day, _ = strconv.Atoi(d)
	}
	// A month of 0 or a day of 0 would silently lower the precision, so
	// "2015年0月" is refused rather than read as the year 2015.
	if (m != "" && date.Month == 0) || (d != "" && date.Day == 0) || !date.valid() {
		return PartialDate{}, errWrittenDate(s)
	}
	return date, nil
}

var (
	// 2015, 2015-03, 2015-3-15, 2015/3/15, 2015.03.
	numericDate = regexp.MustCompile(`^(\d{4})(?:([-/.])(\d{1,2})(?:([-/.])(\d{1,2}))?)?$`)
	// 2015年, 2015年3月, 2015年3月15日, with or without spaces.
	japaneseDate = regexp.MustCompile(`^(\d{4}) ?年(?: ?(\d{1,2}) ?月(?: ?(\d{1,2}) ?日)?)?$`)
	// march 2015, 15 march 2015, 15th mar. 2015
	englishDayMonth = regexp.MustCompile(`^(?:(\d{1,2})(?:st|nd|rd|th)? )?([a-z]+)\.?,? (\d{4})$`)
	// march 15, 2015; mar 15th 2015
	englishMonthDay = regexp.MustCompile(`^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$`)
)

var monthNames = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
	"july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
	"sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

// monthNumber is an English month's number as text, "" for a word that is
// not a month.
func monthNumber(name string) string {
	if n, ok := monthNames[name]; ok {
		return strconv.Itoa(n)
	}
	return ""
}

// normalizeWrittenDate folds what a Japanese keyboard or a copied text adds:
// full-width digits and punctuation, ideographic spaces, runs of spaces and
// capitals, so the patterns above need only one spelling of each.
func normalizeWrittenDate(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r >= 'Ａ' && r <= 'Ｚ':
			r = 'A' + (r - 'Ａ')
		case r >= 'ａ' && r <= 'ｚ':
			r = 'a' + (r - 'ａ')
		case r == '／':
			r = '/'
		case r == '－' || r == '‐' || r == '−':
			r = '-'
		case r == '．':
			r = '.'
		case r == '，' || r == '、':
			r = ','
		case r == '\u3000' || r == '\t':
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.ToLower(strings.Join(strings.Fields(b.String()), " "))
}

func errWrittenDate(s string) error {
	return fmt.Errorf("invalid date %q: want 2015, 2015-03, 2015-03-15, 2015年3月, March 2015 or 15 March 2015", s)
}
