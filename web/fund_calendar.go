package web

// The calls' closing deadlines in the calendars: every published call's in
// the programme's public feed; in a person's own feed, the calls of the
// funds whose committee they sit on (drafts marked tentative for those who
// see them) and of the calls they have proposals in.

import (
	"net/http"
	"strings"
	"time"

	"partnerhub"
)

// callDeadline is a call's closing as an instant event.
func callDeadline(v *view, c partnerhub.Call, f *partnerhub.Fund) calEvent {
	zone := partnerhub.Japan
	fundName := ""
	if f != nil {
		zone, fundName = f.Zone(), mustText(v, f.Name)
	}
	t := timesOf(c.Closes, zone)
	e := calEvent{
		UID:        calUID(v.Base, "call-deadline", c.Fund+"-"+itoaZ(c.Number)),
		At:         c.Closes,
		Summary:    v.P.T("ical.call_deadline", mustText(v, c.Title)),
		URL:        v.Base + v.L() + c.Path(),
		Categories: []string{v.P.T("ical.category_call")},
	}
	d := []string{}
	if fundName != "" {
		d = append(d, fundName)
	}
	d = append(d, v.P.T("calls.deadline")+v.P.T("label.colon")+t.JST+" ("+t.Partner+", "+t.Zone+")")
	if !c.Published {
		e.Status = "TENTATIVE"
		e.Summary = v.P.T("ical.draft_mark") + e.Summary
		d = append(d, v.P.T("ical.call_draft_note"))
	}
	d = append(d, e.URL)
	e.Description = strings.Join(d, "\n")
	return e
}

// publicDeadlines are the deadlines of every published call.
func (s *Server) publicDeadlines(r *http.Request, v *view) ([]calEvent, error) {
	if s.deps.Funds == nil {
		return nil, nil
	}
	calls, err := s.deps.Funds.Calls(r.Context(), nil, v.Home, partnerhub.CallFilter{Public: true})
	if err != nil {
		return nil, err
	}
	funds, err := s.fundsBySlug(r, v)
	if err != nil {
		return nil, err
	}
	out := make([]calEvent, 0, len(calls))
	for _, c := range calls {
		out = append(out, callDeadline(v, c, funds[c.Fund]))
	}
	return out, nil
}

// personalDeadlines are the deadlines, from now to the feed's horizon, of
// the calls u has a part in: those of the funds whose committee they sit
// on, and those they have proposals in.
func (s *Server) personalDeadlines(r *http.Request, v *view, u *partnerhub.User, now time.Time) ([]calEvent, error) {
	if s.deps.Funds == nil {
		return nil, nil
	}
	horizon := now.AddDate(deadlineHorizon, 0, 0)
	funds, err := s.fundsBySlug(r, v)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{} // call keys
	proposals, err := s.deps.Funds.MyProposals(r.Context(), u, v.Home)
	if err != nil {
		return nil, err
	}
	for _, p := range proposals {
		mine[p.Fund+"/"+itoaZ(p.Call)] = true
	}
	committee := map[string]bool{}
	for slug := range funds {
		a, err := s.deps.Funds.FundAccess(r.Context(), u, v.Home, slug)
		if err != nil {
			return nil, err
		}
		// Only roles granted in the fund count: an administrator of the
		// home is not thereby on every committee.
		committee[slug] = len(a.Roles) > 0
	}
	calls, err := s.deps.Funds.Calls(r.Context(), u, v.Home, partnerhub.CallFilter{})
	if err != nil {
		return nil, err
	}
	var out []calEvent
	for _, c := range calls {
		if c.Closes.Before(now) || c.Closes.After(horizon) || !committee[c.Fund] && !mine[c.Key()] {
			continue
		}
		e := callDeadline(v, c, funds[c.Fund])
		e.Alarm = 7 * 24 * time.Hour
		out = append(out, e)
	}
	return out, nil
}
