package partnerhub

import (
	"testing"
	"time"
)

// An agreement first seen within 30 days of its expiry gets the 30-day
// reminder alone, and the larger ones never after; a partial date counts
// to the last day it may mean.
func TestDueReminderPartialDates(t *testing.T) {
	th := DefaultReminderDays
	day := time.Date(2027, 12, 10, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expires     PartialDate
		sent        []int
		want        int
		wantSkipped []int
	}{
		{PartialDate{Year: 2027}, nil, 30, []int{180, 90}},             // 21 days to 31 December
		{PartialDate{Year: 2027}, []int{180, 90, 30}, 0, nil},          // all done
		{PartialDate{Year: 2028, Month: 2}, []int{180}, 90, nil},       // 81 days to 29 February
		{PartialDate{Year: 2028, Month: 6, Day: 8}, nil, 0, nil},       // 181 days: not yet
		{PartialDate{Year: 2027, Month: 12, Day: 9}, nil, 0, nil},      // expired
		{PartialDate{}, nil, 0, nil},                                   // unknown
		{PartialDate{Year: 2028, Month: 6, Day: 7}, []int{}, 180, nil}, // 180 days: due
	} {
		got, skipped := DueReminder(tc.expires, day, th, tc.sent)
		if got != tc.want || len(skipped) != len(tc.wantSkipped) {
			t.Errorf("%s sent %v: %d %v, want %d %v", tc.expires, tc.sent, got, skipped, tc.want, tc.wantSkipped)
		}
	}
	if _, err := ValidateReminderDays([]int{30, 0}); err == nil {
		t.Error("0 days accepted")
	}
	if _, err := ValidateReminderDays([]int{30, 30}); err == nil {
		t.Error("a threshold twice accepted")
	}
	if got, err := ValidateReminderDays([]int{30, 180, 90}); err != nil || got[0] != 180 || got[2] != 30 {
		t.Errorf("ValidateReminderDays: %v %v", got, err)
	}
}
