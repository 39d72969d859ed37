package web

// The member's settings page: in a network, a member's administrators
// name their programme and say whether the network may show their own
// figures (otherwise they count only in the network's totals). The host
// name is the network administrators' to give.

import (
	"net/http"
	"strings"

	"partnerhub"
)

type memberSettingsData struct {
	Member  *partnerhub.Member
	Set     partnerhub.MemberSettings
	Errors  *formErrors
	Network bool // the user administers the network: the host is theirs to change
	Saved   bool
}

// memberService is the deployment's members, or a 404 for a single
// university, whose settings these are not.
func (s *Server) memberService() (partnerhub.MemberService, error) {
	if s.deps.Members == nil || s.deps.Portals == nil || !s.deps.Portals.IsNetwork() {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return s.deps.Members, nil
}

func (s *Server) memberSettingsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	ms, err := s.memberService()
	if err != nil {
		return nil, err
	}
	m, err := ms.Member(r.Context(), s.home(r))
	if err != nil {
		return nil, err
	}
	d := &memberSettingsData{Member: m, Set: partnerhub.MemberSettings{Programme: m.Programme, Host: m.Host, ShareStatistics: m.ShareStatistics},
		Network: partnerhub.IsNetworkAdmin(v.User), Saved: r.URL.Query().Get("saved") == "1"}
	return s.memberSettings(v, d), nil
}

func (s *Server) memberSettings(v *view, d *memberSettingsData) *page {
	p := &page{Template: "member_settings", Title: v.P.T("member_settings.title"), Data: d}
	if d.Errors != nil {
		p.Status = d.Errors.Status
	}
	return p
}

func (s *Server) saveMemberSettings(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	ms, err := s.memberService()
	if err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_form")
	}
	m, err := ms.Member(r.Context(), s.home(r))
	if err != nil {
		return nil, err
	}
	set := partnerhub.MemberSettings{
		Programme:       formText(r, "programme"),
		Host:            m.Host,
		ShareStatistics: r.PostForm.Get("share_statistics") == "on",
	}
	if partnerhub.IsNetworkAdmin(v.User) {
		set.Host = r.PostForm.Get("host")
	}
	if _, err := ms.UpdateMember(r.Context(), v.User, m.Slug, set); err != nil {
		fe, err := refused(v, err, []string{"programme", "host"}, func(k string) string {
			if k == "host" {
				return v.P.T("member_settings.host")
			}
			lang := "ja"
			if strings.HasSuffix(k, ".en") {
				lang = "en"
			}
			return v.P.T("form.in_lang."+lang, v.P.T("member_settings.programme"))
		})
		if err != nil {
			return nil, err
		}
		return s.memberSettings(v, &memberSettingsData{Member: m, Set: set, Errors: fe, Network: partnerhub.IsNetworkAdmin(v.User)}), nil
	}
	s.afterWrite(r)
	http.Redirect(w, r, v.L()+"/admin/member?saved=1", http.StatusSeeOther)
	return nil, nil
}

// formText is a bilingual field of a form: its inputs name.ja and name.en.
func formText(r *http.Request, name string) partnerhub.Text {
	return partnerhub.Text{Ja: r.PostForm.Get(name + ".ja"), En: r.PostForm.Get(name + ".en")}
}
