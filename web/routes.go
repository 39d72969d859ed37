package web

// routes lists every route of the server.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /readyz", s.api(s.readyz))

	s.mux.Handle("GET /api/v1/openapi.json", s.api(s.openapi))
	s.mux.Handle("GET /api/v1/partners", s.api(s.listPartners))
	s.mux.Handle("GET /api/v1/partners/{slug}", s.api(s.getPartner))
	s.mux.Handle("GET /api/v1/units", s.api(s.listUnits))
	s.mux.Handle("GET /api/v1/units/{code}", s.api(s.getUnit))
	s.mux.Handle("GET /api/v1/phases", s.api(s.listPhases))
	s.mux.Handle("GET /api/v1/activities", s.api(s.listActivities))
	s.mux.Handle("GET /api/v1/activities/{slug}", s.api(s.getActivity))
	s.mux.Handle("/api/", s.api(s.apiNotFound))

	s.mux.Handle("/", s.api(s.notFound))
}
