package web

import "partnerhub"

// routes lists every route of the server.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /readyz", s.api(s.readyz))

	// JSON API.
	s.mux.Handle("GET /api/v1/openapi.json", s.api(s.openapi))
	s.mux.Handle("GET /api/v1/partners", s.api(s.listPartners))
	s.mux.Handle("GET /api/v1/partners/{slug}", s.api(s.getPartner))
	s.mux.Handle("GET /api/v1/units", s.api(s.listUnits))
	s.mux.Handle("GET /api/v1/units/{code}", s.api(s.getUnit))
	s.mux.Handle("GET /api/v1/phases", s.api(s.listPhases))
	s.mux.Handle("GET /api/v1/activities", s.api(s.listActivities))
	s.mux.Handle("GET /api/v1/activities/{slug}", s.api(s.getActivity))
	s.mux.Handle("/api/", s.api(s.apiNotFound))

	// The portal: every page under /ja/ and /en/.
	s.mux.HandleFunc("GET /{$}", s.root)
	s.mux.HandleFunc("GET /static/", s.static)
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/{$}", s.pageFor(l, "home", s.homePage))
		s.mux.Handle("GET "+p+"/partners", s.pageFor(l, "partners", s.partnersPage))
		s.mux.Handle("GET "+p+"/partners/{slug}", s.pageFor(l, "partners", s.partnerPage))
		s.mux.Handle("GET "+p+"/units", s.pageFor(l, "units", s.unitsPage))
		s.mux.Handle("GET "+p+"/units/{code}", s.pageFor(l, "units", s.unitPage))
		s.mux.Handle("GET "+p+"/matrix", s.pageFor(l, "matrix", s.matrixPage))
		s.mux.Handle("GET "+p+"/map", s.pageFor(l, "map", s.mapPage))
		s.mux.Handle("GET "+p+"/phases", s.pageFor(l, "phases", s.phasesPage))
		s.mux.Handle("GET "+p+"/activities", s.pageFor(l, "activities", s.activitiesPage))
		s.mux.Handle("GET "+p+"/activities/{slug}", s.pageFor(l, "activities", s.activityPage))
		s.mux.Handle(p+"/", s.pageFor(l, "", s.notFoundPage))
	}
	s.mux.HandleFunc("/", s.bilingualNotFound)
}
