package web

import (
	"net/http"

	"partnerhub"
)

// The network's API: the facts of its pages (network.go) as JSON, under
// the same rule: only what each member has published, nothing of a
// disabled member, and 404 everywhere without at least two members.

// networkAPI wraps a network API handler: 404 without a network.
func (s *Server) networkAPI(h func(w http.ResponseWriter, r *http.Request, n *partnerhub.Network) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		n, err := s.network(r.Context())
		if err != nil {
			return err
		}
		if err := noParams(r); err != nil {
			return err
		}
		return h(w, r, n)
	}
}

// networkMembersBody is the list of the network's members.
type networkMembersBody struct {
	Members []partnerhub.NetworkMember `json:"members"`
}

func (s *Server) apiNetworkMembers(w http.ResponseWriter, r *http.Request, n *partnerhub.Network) error {
	return writeJSON(w, r, networkMembersBody{Members: n.Members})
}

// networkMemberBody is one member: its partners, each institution with the
// other members that share it, and the institutions it shares.
type networkMemberBody struct {
	partnerhub.NetworkMember
	PartnerList []partnerhub.NetworkPartner `json:"partner_list"`
	Shared      []partnerhub.NetworkShared  `json:"shared"`
}

func (s *Server) apiNetworkMember(w http.ResponseWriter, r *http.Request, n *partnerhub.Network) error {
	slug := r.PathValue("slug")
	m, ok := n.Member(slug)
	if !ok {
		return partnerhub.Errorf(partnerhub.ENotFound, "netpages.error.member_not_found", slug)
	}
	return writeJSON(w, r, networkMemberBody{NetworkMember: *m, PartnerList: n.Partners(slug), Shared: n.Shared(slug)})
}

func (s *Server) apiNetworkInstitution(w http.ResponseWriter, r *http.Request, n *partnerhub.Network) error {
	slug := r.PathValue("slug")
	in, ok := n.Institution(slug)
	if !ok {
		return partnerhub.Errorf(partnerhub.ENotFound, "netpages.error.institution_not_found", slug)
	}
	return writeJSON(w, r, in)
}

func (s *Server) apiNetworkMatrix(w http.ResponseWriter, r *http.Request, n *partnerhub.Network) error {
	return writeJSON(w, r, n.Matrix())
}

func (s *Server) apiNetworkStats(w http.ResponseWriter, r *http.Request, _ *partnerhub.Network) error {
	st, err := s.deps.Network.NetworkStats(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, r, st)
}
