package web

// The joint funds' calls for the public: the list of calls (open first,
// then upcoming, then past) and a call's page, and the JSON API of funds
// and calls. A call's dates are instants: pages show them in Japan time
// with the partner's local time beside. Whether a call is open changes
// with the clock, not with a write, so these pages are never cached.

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"partnerhub"
)

// liveView is the view of a page rendered for each request, for whoever
// asks: a signed-in reader's own view (once past the gate), else the
// public one. ok is false when the gate has answered instead.
func (s *Server) liveView(w http.ResponseWriter, r *http.Request, lang partnerhub.Lang, nav string) (v *view, ok bool) {
	if hasCredentials(r) {
		if u := s.user(r); u != nil {
			if s.pageGate(w, r, lang, u) {
				return nil, false
			}
			v = s.newPrivateView(r, lang, u)
			v.Nav = nav
			return v, true
		}
	}
	return s.newView(r, lang, nav, s.snap.Load()), true
}

// livePage serves a public page that depends on the clock: rendered for
// every request, never kept in the snapshot's cache. A signed-in reader
// gets it as their own page (drafts they may see included).
func (s *Server) livePage(lang partnerhub.Lang, nav string, h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.liveView(w, r, lang, nav)
		if !ok {
			return
		}
		s.answer(w, r, v, func(_ http.ResponseWriter, r *http.Request, v *view) (*page, error) {
			if s.deps.Funds == nil {
				return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			}
			return h(r, v)
		})
	})
}

// callTimeLayout is how a call's instants are written for people.
const callTimeLayout = "2006-01-02 15:04"

// callTimes is an instant in Japan time and in the partner's local time.
type callTimes struct {
	JST, Partner, Zone string
	RFC3339            string
}

func timesOf(t time.Time, zone *time.Location) callTimes {
	return callTimes{JST: t.In(partnerhub.Japan).Format(callTimeLayout + " JST"),
		Partner: t.In(zone).Format(callTimeLayout + " MST"), Zone: zone.String(), RFC3339: t.UTC().Format(time.RFC3339)}
}

// callItem is a call as the pages show it.
type callItem struct {
	partnerhub.Call
	FundName       partnerhub.Text
	State          partnerhub.CallState
	Opens, Closes  callTimes
	Href, EditHref string
	ProposalHref   string // where a proposal is started, while the call is open
}

func (s *Server) callItem(v *view, c partnerhub.Call, f *partnerhub.Fund, now time.Time) callItem {
	zone := partnerhub.Japan
	var name partnerhub.Text
	if f != nil {
		zone, name = f.Zone(), f.Name
	}
	it := callItem{Call: c, FundName: name, State: c.State(now), Opens: timesOf(c.Opens, zone), Closes: timesOf(c.Closes, zone),
		Href: v.L() + c.Path()}
	if it.State == partnerhub.CallOpen {
		it.ProposalHref = it.Href + "/proposals/new"
	}
	it.EditHref = it.Href + "/edit"
	return it
}

// fundsBySlug reads the home's funds once for a list of calls.
func (s *Server) fundsBySlug(r *http.Request, v *view) (map[string]*partnerhub.Fund, error) {
	funds, err := s.deps.Funds.Funds(r.Context(), v.User, v.Home)
	if err != nil {
		return nil, err
	}
	out := map[string]*partnerhub.Fund{}
	for i := range funds {
		out[funds[i].Slug] = &funds[i]
	}
	return out, nil
}

type callsData struct {
	Open, Upcoming, Past []callItem
}

// callsPage lists the published calls: open ones first (closing soonest
// first), then upcoming ones (opening soonest first), then past ones
// (latest first). Drafts are never listed here, whoever reads.
func (s *Server) callsPage(r *http.Request, v *view) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	calls, err := s.deps.Funds.Calls(r.Context(), v.User, v.Home, partnerhub.CallFilter{Public: true})
	if err != nil {
		return nil, err
	}
	funds, err := s.fundsBySlug(r, v)
	if err != nil {
		return nil, err
	}
	now := s.deps.Now()
	d := &callsData{}
	for _, c := range calls {
		it := s.callItem(v, c, funds[c.Fund], now)
		switch it.State {
		case partnerhub.CallOpen:
			d.Open = append(d.Open, it)
		case partnerhub.CallUpcoming:
			d.Upcoming = append(d.Upcoming, it)
		default:
			d.Past = append(d.Past, it)
		}
	}
	soonest := func(a, b callItem) int { return cmp.Or(a.Call.Closes.Compare(b.Call.Closes), a.Number-b.Number) }
	slices.SortStableFunc(d.Open, soonest)
	slices.SortStableFunc(d.Upcoming, func(a, b callItem) int { return cmp.Or(a.Call.Opens.Compare(b.Call.Opens), a.Number-b.Number) })
	return &page{Template: "calls", Title: v.P.T("calls.title"), Description: v.P.T("calls.intro"), Data: d}, nil
}

type callData struct {
	callItem
	Fund        *partnerhub.Fund
	TotalWeight int
	CanEdit     bool
}

// callPage is a call's page: its text, eligibility, grants, criteria,
// attachments and dates. A draft is seen only by those the store shows it
// to (the fund's administrators and chairs), marked as a draft.
func (s *Server) callPage(r *http.Request, v *view) (*page, error) {
	if err := params(r.URL.Query(), "saved").Err(); err != nil {
		return nil, err
	}
	fund := r.PathValue("fund")
	number, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || number < 1 {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.call_not_found", fund+"/"+r.PathValue("number"))
	}
	c, err := s.deps.Funds.Call(r.Context(), v.User, v.Home, fund, number)
	if err != nil {
		return nil, err
	}
	f, err := s.deps.Funds.Fund(r.Context(), v.User, v.Home, fund)
	if err != nil {
		return nil, err
	}
	d := &callData{callItem: s.callItem(v, c, &f, s.deps.Now()), Fund: &f, TotalWeight: c.TotalWeight()}
	if v.User != nil {
		if a, err := s.deps.Funds.FundAccess(r.Context(), v.User, v.Home, fund); err == nil && a.Has(partnerhub.FundAdmin) {
			d.CanEdit = true
		}
	}
	return &page{Template: "call", Title: mustText(v, c.Title), Description: mustText(v, f.Name), Data: d,
		Parents: []crumb{{Label: v.P.T("calls.title"), Href: v.L() + "/calls"}}}, nil
}

// ---- API ---------------------------------------------------------------------

// callBody is a call in the API, with its state at the time of the answer
// (ignored when sent).
type callBody struct {
	partnerhub.Call
	State partnerhub.CallState `json:"state,omitempty"`
}

func (s *Server) fundsAPI(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.deps.Funds == nil {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		return h(w, r)
	}
}

func (s *Server) apiFunds(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	funds, err := s.deps.Funds.Funds(r.Context(), s.user(r), s.home(r))
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, list(funds))
}

func (s *Server) apiFund(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	f, err := s.deps.Funds.Fund(r.Context(), s.user(r), s.home(r), r.PathValue("fund"))
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, f)
}

// apiPutFund creates a fund (POST) or replaces one at its version (PUT).
func (s *Server) apiPutFund(create bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, f, err := apiWrite[partnerhub.Fund](s, w, r)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if create {
			f.Version, status = 0, http.StatusCreated
		} else {
			f.Slug = r.PathValue("fund")
			if f.Version < 1 {
				return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
			}
		}
		if _, err := s.deps.Funds.PutFund(r.Context(), u, s.home(r), f); err != nil {
			return err
		}
		s.afterWrite(r)
		got, err := s.deps.Funds.Fund(r.Context(), u, s.home(r), f.Slug)
		if err != nil {
			return err
		}
		if create {
			w.Header().Set("Location", "/api/v1/funds/"+url.PathEscape(f.Slug))
		}
		return writeStatusJSON(w, status, got)
	}
}

// seatBody is a seat as the API takes it: the person by id or e-mail.
type seatBody struct {
	UserID   int64               `json:"user_id"`
	Email    string              `json:"email"`
	Role     partnerhub.FundRole `json:"role"`
	Side     partnerhub.Side     `json:"side"`
	Unit     string              `json:"unit"`
	Keywords string              `json:"keywords"`
}

// apiPutSeat seats a person on the fund's committee.
func (s *Server) apiPutSeat(w http.ResponseWriter, r *http.Request) error {
	u, sb, err := apiWrite[seatBody](s, w, r)
	if err != nil {
		return err
	}
	fund := r.PathValue("fund")
	seat := partnerhub.FundSeat{UserID: sb.UserID, Role: sb.Role, Side: sb.Side, Unit: sb.Unit, Keywords: sb.Keywords}
	if sb.UserID == 0 && sb.Email != "" && s.deps.FundPeople != nil {
		err = s.deps.FundPeople.SeatByEmail(r.Context(), u, s.home(r), fund, sb.Email, seat)
	} else {
		err = s.deps.Funds.SetFundSeat(r.Context(), u, s.home(r), fund, seat)
	}
	if err != nil {
		return err
	}
	f, err := s.deps.Funds.Fund(r.Context(), u, s.home(r), fund)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, f)
}

// apiDeleteSeat takes a role in the fund from a person.
func (s *Server) apiDeleteSeat(w http.ResponseWriter, r *http.Request) error {
	u := s.user(r)
	if u == nil {
		return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if err := noParams(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.seat_not_found", r.PathValue("user"))
	}
	fund := r.PathValue("fund")
	if err := s.deps.Funds.RemoveFundSeat(r.Context(), u, s.home(r), fund, id, partnerhub.FundRole(r.PathValue("role"))); err != nil {
		return err
	}
	f, err := s.deps.Funds.Fund(r.Context(), u, s.home(r), fund)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, f)
}

// apiCalls lists calls: the published ones for everyone; a fund's
// administrators and chairs also get its drafts.
func (s *Server) apiCalls(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	errs := params(q, "fund")
	fund := single(q, errs, "fund")
	if err := errs.Err(); err != nil {
		return err
	}
	u := s.user(r)
	calls, err := s.deps.Funds.Calls(r.Context(), u, s.home(r), partnerhub.CallFilter{Fund: fund, Public: u == nil})
	if err != nil {
		return err
	}
	now := s.deps.Now()
	out := make([]callBody, len(calls))
	for i, c := range calls {
		out[i] = callBody{Call: c, State: c.State(now)}
	}
	return writeStatusJSON(w, http.StatusOK, list(out))
}

func (s *Server) apiCall(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	number, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || number < 1 {
		return partnerhub.Errorf(partnerhub.ENotFound, "error.call_not_found", r.PathValue("fund")+"/"+r.PathValue("number"))
	}
	c, err := s.deps.Funds.Call(r.Context(), s.user(r), s.home(r), r.PathValue("fund"), number)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, callBody{Call: c, State: c.State(s.deps.Now())})
}

// apiPutCall creates a call (POST) or replaces one at its version (PUT).
func (s *Server) apiPutCall(create bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, cb, err := apiWrite[callBody](s, w, r)
		if err != nil {
			return err
		}
		c := cb.Call
		status := http.StatusOK
		if create {
			c.Version, status = 0, http.StatusCreated
		} else {
			n, err := strconv.Atoi(r.PathValue("number"))
			if err != nil || n < 1 {
				return partnerhub.Errorf(partnerhub.ENotFound, "error.call_not_found", r.PathValue("fund")+"/"+r.PathValue("number"))
			}
			c.Fund, c.Number = r.PathValue("fund"), n
			if c.Version < 1 {
				return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
			}
		}
		if _, err := s.deps.Funds.PutCall(r.Context(), u, s.home(r), c); err != nil {
			return err
		}
		s.afterWrite(r)
		got, err := s.deps.Funds.Call(r.Context(), u, s.home(r), c.Fund, c.Number)
		if err != nil {
			return err
		}
		if create {
			w.Header().Set("Location", "/api/v1/calls/"+url.PathEscape(c.Fund)+"/"+strconv.Itoa(c.Number))
		}
		return writeStatusJSON(w, status, callBody{Call: got, State: got.State(s.deps.Now())})
	}
}
