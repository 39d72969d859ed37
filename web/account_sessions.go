package web

// The sessions page: where one is signed in (when each session began, when
// it was last used, from which address and browser), and a button to end
// any of the others, or all of them. The page and its buttons need a
// recent proof of the password (reauth.go).

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

type sessionsData struct {
	Sessions []sessionView
	Others   int // sessions other than this one
	Ended    int // how many the last action ended; -1 for none
	Idle     int // minutes without use after which a session ends; 0 for never
	Lifetime int // hours a session lasts at most
	Max      int // sessions a user may hold at once; 0 for no limit
}

type sessionView struct {
	ID                 string
	Created, CreatedAt string
	Seen, SeenAt       string
	IP, Agent          string
	Current            bool
}

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/sessions"); done || err != nil {
		return nil, err
	}
	list, err := s.deps.Accounts.Sessions(r.Context(), v.User.ID, s.sessionToken(r), time.Now())
	if err != nil {
		return nil, err
	}
	d := &sessionsData{Ended: -1, Idle: int(max(s.deps.SessionIdle, 0) / time.Minute), Lifetime: int(s.deps.SessionTTL / time.Hour),
		Max: max(s.deps.MaxSessions, 0)}
	if n, err := strconv.Atoi(r.URL.Query().Get("ended")); err == nil && n >= 0 {
		d.Ended = n
	}
	for _, ss := range list {
		sv := sessionView{ID: ss.ID, IP: ss.IP, Agent: agentSummary(ss.UserAgent), Current: ss.Current}
		sv.Created, sv.CreatedAt = stamp(&ss.CreatedAt)
		sv.Seen, sv.SeenAt = stamp(&ss.LastSeenAt)
		if !ss.Current {
			d.Others++
		}
		d.Sessions = append(d.Sessions, sv)
	}
	return &page{Template: "sessions", Title: v.P.T("sessions.title"), Description: v.P.T("sessions.description"), Data: d}, nil
}

// endSession ends one of the user's sessions, this one included (which
// signs this browser out).
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/sessions"); done || err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if err := s.deps.Accounts.EndSession(r.Context(), v.User.ID, id); err != nil {
		return nil, err
	}
	s.logSecurity(r, "session_ended", "session", id)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/account/sessions?ended=1", http.StatusSeeOther)
	return nil, nil
}

func (s *Server) endOtherSessions(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if done, err := s.reauthFirst(w, r, v, "/account/sessions"); done || err != nil {
		return nil, err
	}
	n, err := s.deps.Accounts.EndOtherSessions(r.Context(), v.User.ID, s.sessionToken(r))
	if err != nil {
		return nil, err
	}
	s.logSecurity(r, "sessions_ended", "count", n)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.L()+"/account/sessions?ended="+strconv.Itoa(n), http.StatusSeeOther)
	return nil, nil
}

// agentSummary names the browser and system of a User-Agent header, enough
// to tell one's own devices apart ("Firefox, Linux"); an unknown one is
// shown cut short.
func agentSummary(ua string) string {
	find := func(pairs [][2]string) string {
		for _, p := range pairs {
			if strings.Contains(ua, p[0]) {
				return p[1]
			}
		}
		return ""
	}
	browser := find([][2]string{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"}, {"curl/", "curl"}})
	system := find([][2]string{{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}})
	switch {
	case browser != "" && system != "":
		return browser + ", " + system
	case browser != "" || system != "":
		return browser + system
	}
	if r := []rune(ua); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return ua
}
