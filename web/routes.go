package web

import (
	"net/http"

	"partnerhub"
)

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
	s.mux.Handle("GET /api/v1/agreements/{slug}", s.api(s.getAgreement))
	s.mux.Handle("GET /api/v1/funds", s.api(s.fundsAPI(s.apiFunds)))
	s.mux.Handle("GET /api/v1/funds/{fund}", s.api(s.fundsAPI(s.apiFund)))
	s.mux.Handle("POST /api/v1/funds", s.api(s.fundsAPI(s.apiPutFund(true))))
	s.mux.Handle("PUT /api/v1/funds/{fund}", s.api(s.fundsAPI(s.apiPutFund(false))))
	s.mux.Handle("PUT /api/v1/funds/{fund}/seats", s.api(s.fundsAPI(s.apiPutSeat)))
	s.mux.Handle("DELETE /api/v1/funds/{fund}/seats/{user}/{role}", s.api(s.fundsAPI(s.apiDeleteSeat)))
	s.mux.Handle("GET /api/v1/calls", s.api(s.fundsAPI(s.apiCalls)))
	s.mux.Handle("GET /api/v1/calls/{fund}/{number}", s.api(s.fundsAPI(s.apiCall)))
	s.mux.Handle("POST /api/v1/calls", s.api(s.fundsAPI(s.apiPutCall(true))))
	s.mux.Handle("PUT /api/v1/calls/{fund}/{number}", s.api(s.fundsAPI(s.apiPutCall(false))))
	s.mux.Handle("/api/", s.api(s.apiNotFound))

	// The portal: every page under /ja/ and /en/.
	s.mux.HandleFunc("GET /{$}", s.root)
	s.mux.HandleFunc("GET /static/", s.static)
	s.mux.HandleFunc("GET /sitemap.xml", s.sitemap)
	s.mux.HandleFunc("GET /robots.txt", s.robots)
	s.mux.HandleFunc("GET /favicon.ico", s.favicon)
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
		s.mux.Handle("GET "+p+"/agreements", s.pageFor(l, "agreements", s.agreementsPage))
		s.mux.Handle("GET "+p+"/agreements/{slug}", s.pageFor(l, "agreements", s.agreementPage))
		s.mux.Handle("GET "+p+"/calls", s.livePage(l, "calls", s.callsPage))
		s.mux.Handle("GET "+p+"/calls/{fund}/{number}", s.livePage(l, "calls", s.callPage))
		s.mux.HandleFunc("GET "+p+"/report/{file}", s.annualReport(l))
		s.mux.HandleFunc("GET "+p+"/activities.ics", s.activityFeed(l, ""))
		s.mux.HandleFunc("GET "+p+"/partners/{key}/activities.ics", s.activityFeed(l, "partner"))
		s.mux.HandleFunc("GET "+p+"/units/{key}/activities.ics", s.activityFeed(l, "unit"))
		s.mux.HandleFunc("GET "+p+"/activities.atom", s.activityAtom(l, ""))
		s.mux.HandleFunc("GET "+p+"/partners/{key}/activities.atom", s.activityAtom(l, "partner"))
		s.mux.HandleFunc("GET "+p+"/units/{key}/activities.atom", s.activityAtom(l, "unit"))
		s.mux.HandleFunc("GET "+p+"/calendar/{file}", s.personalFeed(l))
		s.mux.Handle("GET "+p+"/privacy", s.pageFor(l, "", s.privacyPage))
		s.mux.HandleFunc("GET "+p+"/export/partners", s.export(l, s.exportPartners))
		s.mux.HandleFunc("GET "+p+"/export/units", s.export(l, s.exportUnits))
		s.mux.HandleFunc("GET "+p+"/export/activities", s.export(l, s.exportActivities))
		s.mux.HandleFunc("GET "+p+"/export/agreements", s.export(l, s.exportAgreements))
		s.mux.HandleFunc("GET "+p+"/export/matrix", s.export(l, s.exportMatrix))
		s.mux.HandleFunc("GET "+p+"/export/stats", s.export(l, s.exportStats))
		s.mux.HandleFunc("GET "+p+"/export/mobility", s.export(l, s.exportMobility))
		s.mux.Handle("GET "+p+"/stats", s.pageFor(l, "stats", s.statsPage("programme")))
		s.mux.Handle("GET "+p+"/stats/partners/{slug}", s.pageFor(l, "stats", s.statsPage("partner")))
		s.mux.Handle("GET "+p+"/stats/units/{code}", s.pageFor(l, "stats", s.statsPage("unit")))
		s.mux.Handle(p+"/", s.pageFor(l, "", s.notFoundPage))
	}
	s.mux.HandleFunc("/", s.bilingualNotFound)

	// Joint funds: decisions, letters, the public fund and project pages,
	// the reports awarded projects owe and the activities they led to.
	s.mux.Handle("GET /api/v1/projects", s.api(s.apiProjects))
	s.mux.Handle("GET /api/v1/projects/{id}", s.api(s.apiProject))
	s.mux.Handle("PUT /api/v1/proposals/{id}/decision", s.api(s.apiDecide))
	s.mux.Handle("POST /api/v1/proposals/{id}/letters", s.api(s.apiLetters))
	s.mux.Handle("POST /api/v1/calls/{fund}/{number}/letters", s.api(s.apiLetters))
	s.mux.Handle("GET /api/v1/projects/{id}/reports", s.api(s.apiReports))
	s.mux.Handle("PUT /api/v1/projects/{id}/reports/{kind}", s.api(s.apiSubmitReport))
	s.mux.Handle("PUT /api/v1/projects/{id}/activities/{slug}", s.api(s.apiLinkActivity))
	s.mux.Handle("DELETE /api/v1/projects/{id}/activities/{slug}", s.api(s.apiLinkActivity))
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/funds/{fund}", s.livePage(l, "", s.fundPublicPage))
		s.mux.Handle("GET "+p+"/projects/{id}", s.livePage(l, "", s.projectPage))
		s.mux.Handle("GET "+p+"/proposals/{id}/decision", s.decisionPages(l, s.decisionPage))
		s.mux.Handle("POST "+p+"/proposals/{id}/decision", s.decisionPages(l, s.decisionSave))
		s.mux.Handle("POST "+p+"/proposals/{id}/decision/letters", s.decisionPages(l, s.lettersSend))
		s.mux.Handle("POST "+p+"/calls/{fund}/{number}/letters", s.decisionPages(l, s.lettersSend))
		s.mux.Handle("GET "+p+"/projects/{id}/reports", s.decisionPages(l, s.reportsPage))
		s.mux.Handle("POST "+p+"/projects/{id}/reports", s.decisionPages(l, s.reportSubmit))
		s.mux.Handle("POST "+p+"/projects/{id}/activities", s.decisionPages(l, s.activityLink))
		s.mux.Handle("GET "+p+"/funds/{fund}/reports", s.decisionPages(l, s.fundReportsPage))
	}

	// The network's good practice: its library of case notes
	// (web/practice*.go). The store decides who reads and writes what.
	s.mux.Handle("GET /api/v1/network/notes", s.api(s.apiNotes))
	s.mux.Handle("POST /api/v1/network/notes", s.api(s.apiCreateNote))
	s.mux.Handle("GET /api/v1/network/notes/{id}", s.api(s.apiNote))
	s.mux.Handle("PUT /api/v1/network/notes/{id}", s.api(s.apiUpdateNote))
	s.mux.Handle("POST /api/v1/network/notes/{id}/transitions", s.api(s.apiTransitNote))
	s.mux.Handle("POST /api/v1/network/notes/{id}/files", s.api(s.apiAddNoteFile))
	s.mux.Handle("GET /api/v1/network/notes/{id}/files/{file}", s.api(s.apiNoteFile))
	for _, l := range partnerhub.Langs {
		np := "/" + string(l) + "/network/practice"
		s.mux.Handle("GET "+np, s.notesLive(l, s.libraryPage))
		s.mux.Handle("GET "+np+"/{id}", s.notesLive(l, s.notePage))
		s.mux.HandleFunc("GET "+np+"/notes.atom", s.notesAtom(l))
		s.mux.Handle("GET "+np+"/{id}/files/{file}", s.notesLive(l, s.noteFile))
		s.mux.Handle("GET "+np+"/mine", s.notesPrivate(l, s.minePage))
		s.mux.Handle("GET "+np+"/review", s.notesPrivate(l, s.practiceReviewPage))
		s.mux.Handle("GET "+np+"/new", s.notesPrivate(l, s.noteNew))
		s.mux.Handle("POST "+np+"/new", s.notesPrivate(l, s.noteCreate))
		s.mux.Handle("GET "+np+"/{id}/edit", s.notesPrivate(l, s.noteEdit))
		s.mux.Handle("POST "+np+"/{id}/edit", s.notesPrivate(l, s.noteSave))
		s.mux.Handle("POST "+np+"/{id}/files", s.notesPrivate(l, s.noteUpload))
		s.mux.Handle("POST "+np+"/{id}/transition", s.notesPrivate(l, s.noteTransit))
	}

	// The network's events (web/network_events*.go): public pages and
	// registration, a cancel link's page, the organisers' pages, the API.
	s.mux.Handle("GET /api/v1/network/events", s.api(s.eventsAPI(s.apiEvents)))
	s.mux.Handle("GET /api/v1/network/events/{id}", s.api(s.eventsAPI(s.apiEvent)))
	s.mux.Handle("POST /api/v1/network/events", s.api(s.eventsAPI(s.apiPutEvent(true))))
	s.mux.Handle("PUT /api/v1/network/events/{id}", s.api(s.eventsAPI(s.apiPutEvent(false))))
	s.mux.Handle("POST /api/v1/network/events/{id}/registrations", s.api(s.eventsAPI(s.apiRegister)))
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/network/events", s.eventPages(l, s.eventsPage))
		s.mux.HandleFunc("GET "+p+"/network/events.ics", s.eventFeed(l))
		s.mux.Handle("GET "+p+"/network/events/{id}", s.eventPages(l, s.eventPage))
		s.mux.Handle("POST "+p+"/network/events/{id}", s.eventPages(l, s.eventRegister))
		s.mux.Handle("GET "+p+"/network/registrations/{token}", s.registrationPages(l, s.registrationPage))
		s.mux.Handle("POST "+p+"/network/registrations/{token}", s.registrationPages(l, s.registrationCancel))
		organise := func(h privateHandler) http.Handler { return s.private(l, "", s.withEvents(organisers(h))) }
		s.mux.Handle("GET "+p+"/network/events/new", organise(s.eventNewForm))
		s.mux.Handle("POST "+p+"/network/events/new", organise(s.eventSave))
		s.mux.Handle("GET "+p+"/network/events/{id}/edit", organise(s.eventEditForm))
		s.mux.Handle("POST "+p+"/network/events/{id}/edit", organise(s.eventSave))
		s.mux.Handle("GET "+p+"/network/events/{id}/registrations", organise(s.eventRegistrationsPage))
		s.mux.Handle("GET "+p+"/network/events/{id}/attendance.xlsx", organise(s.eventAttendance))
	}

	// Accounts.
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/signin", s.accountForm(l, "/signin", s.signinForm))
		s.mux.Handle("POST "+p+"/signin", s.accountForm(l, "/signin", s.signin))
		s.mux.Handle("POST "+p+"/signout", s.accountForm(l, "/", s.signout))
		s.mux.Handle("GET "+p+"/account", s.accountPages(l, s.account))
		s.mux.Handle("POST "+p+"/account/tokens", s.accountPages(l, s.createToken))
		s.mux.Handle("POST "+p+"/account/tokens/{id}/revoke", s.accountPages(l, s.revokeToken))
		s.mux.Handle("POST "+p+"/account/language", s.accountPages(l, s.saveMailLanguage))
		s.mux.Handle("POST "+p+"/account/calendar", s.accountPages(l, s.createCalendar))
		s.mux.Handle("POST "+p+"/account/calendar/revoke", s.accountPages(l, s.revokeCalendar))
		s.mux.Handle("GET "+p+"/account/password", s.ownPages(l, "/account/password", false, s.passwordForm))
		s.mux.Handle("POST "+p+"/account/password", s.ownPages(l, "/account/password", false, s.changePassword))
		s.mux.Handle("GET "+p+"/account/sessions", s.ownPages(l, "/account/sessions", true, s.sessionsPage))
		s.mux.Handle("POST "+p+"/account/sessions/{id}/end", s.ownPages(l, "/account/sessions", true, s.endSession))
		s.mux.Handle("POST "+p+"/account/sessions/end-others", s.ownPages(l, "/account/sessions", true, s.endOtherSessions))
		s.mux.Handle("POST "+p+"/account/notifications", s.accountPages(l, s.saveNoticePrefs))
		s.mux.Handle("GET "+p+"/notifications", s.ownPages(l, "/notifications", true, s.noticesPage))
		s.mux.Handle("POST "+p+"/notifications/read", s.ownPages(l, "/notifications", true, s.markNoticesRead))
		// An invitation's link (web/invitation.go): anyone holding it.
		s.mux.Handle("GET "+p+"/invitations/{token}", s.invitationPages(l, s.invitationForm))
		s.mux.Handle("POST "+p+"/invitations/{token}", s.invitationPages(l, s.acceptInvitation))
		// Single sign-on (web/sso*.go): accepting an invitation through an
		// identity provider, linking one to one's account, unlinking.
		s.mux.Handle("POST "+p+"/invitations/{token}/sso/{choice}", s.invitationPages(l, s.invitationSSO))
		s.mux.Handle("POST "+p+"/account/sso/{choice}", s.accountPages(l, s.ssoLinkStart))
		s.mux.Handle("POST "+p+"/account/sso/identities/{id}/unlink", s.accountPages(l, s.ssoUnlink))
	}

	// SAML sign-in (web/sso_saml.go): the service provider's metadata, the
	// assertion consumer service and single logout outside the languages
	// (their URLs are registered with the federation), the discovery page
	// and the start of a sign-in in each.
	s.mux.HandleFunc("GET /saml/metadata", s.samlMetadata)
	s.mux.HandleFunc("POST /saml/acs", s.samlACS)
	s.mux.HandleFunc("GET /saml/slo", s.samlSLO)
	s.mux.HandleFunc("GET /saml/start", s.samlStartAny)
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/signin/saml", s.accountForm(l, "/signin/saml", s.samlDiscovery))
		s.mux.Handle("GET "+p+"/signin/saml/start", s.accountForm(l, "/signin/saml", s.samlStart))
	}

	// OpenID Connect sign-in (web/sso_oidc.go): the start, whose language
	// is next's, and the redirect URI registered at each provider.
	s.mux.HandleFunc("GET /sso/oidc/{provider}", s.oidcStart)
	s.mux.HandleFunc("GET /sso/oidc/{provider}/callback", s.oidcCallback)

	// Second factors: enrolment, and the second step of a sign-in.
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/account/confirm", s.confirmPages(l, s.confirmForm))
		s.mux.Handle("POST "+p+"/account/confirm", s.confirmPages(l, s.confirmPassword))
		s.mux.Handle("GET "+p+"/account/mfa", s.enrolPages(l, s.mfaPage))
		s.mux.Handle("POST "+p+"/account/mfa/totp", s.enrolPages(l, s.totpStart))
		s.mux.Handle("GET "+p+"/account/mfa/totp.png", s.enrolPages(l, s.totpQR))
		s.mux.Handle("POST "+p+"/account/mfa/totp/confirm", s.enrolPages(l, s.totpConfirm))
		s.mux.Handle("POST "+p+"/account/mfa/totp/remove", s.enrolPages(l, s.totpRemove))
		s.mux.Handle("POST "+p+"/account/mfa/recovery", s.enrolPages(l, s.recoveryRegenerate))
		s.mux.Handle("POST "+p+"/account/mfa/passkeys/{id}/remove", s.enrolPages(l, s.passkeyRemove))
		s.mux.Handle("POST "+p+"/account/mfa/passkeys/begin", s.ceremony(s.passkeyRegisterBegin))
		s.mux.Handle("POST "+p+"/account/mfa/passkeys/finish", s.ceremony(s.passkeyRegisterFinish))
		s.mux.Handle("GET "+p+"/signin/factor", s.accountForm(l, "/signin/factor", s.factorForm))
		s.mux.Handle("POST "+p+"/signin/factor", s.accountForm(l, "/signin/factor", s.factorCode))
		s.mux.Handle("POST "+p+"/signin/factor/passkey/begin", s.ceremony(s.passkeySigninBegin))
		s.mux.Handle("POST "+p+"/signin/factor/passkey/finish", s.ceremony(s.passkeySigninFinish))
	}

	// Write API: every write goes through Editor.Apply (roles, versions, audit).
	for _, e := range writeAPI {
		s.mux.Handle("POST "+e.path, s.api(s.apiWrite(e.entity, partnerhub.ActionCreate, false)))
		s.mux.Handle("PUT "+e.path+"/{key}", s.api(s.apiWrite(e.entity, partnerhub.ActionUpdate, false)))
		s.mux.Handle("PATCH "+e.path+"/{key}", s.api(s.apiWrite(e.entity, partnerhub.ActionUpdate, true)))
		s.mux.Handle("DELETE "+e.path+"/{key}", s.api(s.apiWrite(e.entity, partnerhub.ActionDelete, false)))
		s.mux.Handle("POST "+e.path+"/{key}/restore", s.api(s.apiWrite(e.entity, partnerhub.ActionRestore, false)))
		s.mux.Handle("GET "+e.path+"/{key}/history", s.api(s.apiHistory(e.entity)))
	}
	s.mux.Handle("PUT /api/v1/partners/{partner}/teams/{phase}", s.api(s.apiWrite(partnerhub.EntityTeam, partnerhub.ActionUpdate, false)))
	s.mux.Handle("PATCH /api/v1/partners/{partner}/teams/{phase}", s.api(s.apiWrite(partnerhub.EntityTeam, partnerhub.ActionUpdate, true)))
	s.mux.Handle("GET /api/v1/partners/{partner}/teams/{phase}/history", s.api(s.apiHistory(partnerhub.EntityTeam)))
	s.mux.Handle("POST /api/v1/agreements/{key}/transitions", s.api(s.apiTransit(partnerhub.EntityAgreement)))
	s.mux.Handle("POST /api/v1/agreements/import", s.api(s.apiImportRegister))
	s.mux.Handle("GET /api/v1/audit", s.api(s.apiAudit))
	s.mux.Handle("GET /api/v1/stats/mobility", s.api(s.apiStats))
	s.mux.Handle("GET /api/v1/mobility", s.api(s.apiMobility))
	s.mux.Handle("PUT /api/v1/mobility", s.api(s.apiPutMobility))
	s.mux.Handle("GET /api/v1/bin", s.api(s.apiBin))
	s.mux.Handle("GET /api/v1/agreements/{key}/documents", s.api(s.apiDocuments))
	s.mux.Handle("POST /api/v1/agreements/{key}/documents", s.api(s.apiAddDocument))
	s.mux.Handle("GET /api/v1/agreements/{key}/documents/{id}", s.api(s.apiDocument))
	// The funds' joint review.
	s.mux.Handle("GET /api/v1/calls/{fund}/{number}/assignments", s.api(s.apiAssignments))
	s.mux.Handle("POST /api/v1/calls/{fund}/{number}/assignments", s.api(s.apiAssignments))
	s.mux.Handle("DELETE /api/v1/calls/{fund}/{number}/assignments", s.api(s.apiAssignments))
	s.mux.Handle("GET /api/v1/calls/{fund}/{number}/ranking", s.api(s.apiRanking))
	s.mux.Handle("GET /api/v1/proposals/{id}/reviews", s.api(s.apiReviews))
	s.mux.Handle("PUT /api/v1/proposals/{id}/reviews", s.api(s.apiReviews))
	s.mux.Handle("POST /api/v1/proposals/{id}/conflicts", s.api(s.apiConflicts))
	s.mux.Handle("GET /api/v1/proposals/{id}/comments", s.api(s.apiComments))
	s.mux.Handle("POST /api/v1/proposals/{id}/comments", s.api(s.apiComments))
	s.mux.Handle("POST /api/v1/calls/{fund}/{number}/proposals", s.api(s.apiCreateProposal))
	s.mux.Handle("GET /api/v1/proposals/{id}", s.api(s.apiProposal))
	s.mux.Handle("PUT /api/v1/proposals/{id}", s.api(s.apiUpdateProposal))
	s.mux.Handle("POST /api/v1/proposals/{id}/transition", s.api(s.apiTransitProposal))
	s.mux.Handle("GET /api/v1/proposals/{id}/files", s.api(s.apiProposalFiles))
	s.mux.Handle("POST /api/v1/proposals/{id}/files", s.api(s.apiAddProposalFile))
	s.mux.Handle("GET /api/v1/proposals/{id}/files/{file}", s.api(s.apiProposalFile))

	// Editing in the browser, history, bin and audit log.
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		private := func(h privateHandler) http.Handler { return s.private(l, "", h) }
		for _, e := range editEntities {
			ep := p + "/edit/" + string(e)
			s.mux.Handle("GET "+ep+"/new", private(s.editForm(e)))
			s.mux.Handle("POST "+ep+"/new", private(s.editSave(e)))
			s.mux.Handle("GET "+ep+"/{key}", private(s.editForm(e)))
			s.mux.Handle("POST "+ep+"/{key}", private(s.editSave(e)))
			s.mux.Handle("POST "+ep+"/{key}/delete", private(s.editDelete(e, partnerhub.ActionDelete)))
			s.mux.Handle("POST "+p+"/admin/bin/"+string(e)+"/{key}/restore", private(s.editDelete(e, partnerhub.ActionRestore)))
		}
		s.mux.Handle("POST "+p+"/edit/agreement/{key}/transition", private(s.editTransit(partnerhub.EntityAgreement)))
		s.mux.Handle("POST "+p+"/agreements/{slug}/transition", private(s.agreementTransit))
		s.mux.Handle("GET "+p+"/edit/team/{partner}/{phase}", private(s.editForm(partnerhub.EntityTeam)))
		s.mux.Handle("POST "+p+"/edit/team/{partner}/{phase}", private(s.editSave(partnerhub.EntityTeam)))
		s.mux.Handle("GET "+p+"/history/{entity}/{key}", private(s.historyPage))
		s.mux.Handle("GET "+p+"/history/team/{partner}/{phase}", private(s.historyPage))
		s.mux.Handle("GET "+p+"/admin/bin", private(adminOnly(s.binPage)))
		s.mux.Handle("GET "+p+"/admin/audit", private(adminOnly(s.auditPage)))
		s.mux.Handle("GET "+p+"/admin/outbox", private(adminOnly(s.outboxPage)))
		s.mux.Handle("GET "+p+"/admin/approvals", private(adminOnly(s.approvalsPage)))
		s.mux.Handle("GET "+p+"/admin/member", private(adminOnly(s.memberSettingsPage)))
		s.mux.Handle("POST "+p+"/admin/member", private(adminOnly(s.saveMemberSettings)))
		s.mux.Handle("POST "+p+"/admin/approvals/{kind}", private(adminOnly(s.saveChain)))
		s.mux.Handle("GET "+p+"/admin/jobs", private(adminOnly(s.jobsPage)))
		// Partnership health (web/health.go): for everyone who reads drafts.
		s.mux.Handle("GET "+p+"/admin/health", private(s.healthPage))
		s.mux.Handle("GET "+p+"/admin/health.xlsx", private(s.healthXLSX))
		s.mux.Handle("GET "+p+"/admin/health/{slug}", private(s.healthPartnerPage))
		s.mux.Handle("POST "+p+"/admin/jobs/{id}/retry", private(adminOnly(s.jobRetry)))
		s.mux.Handle("GET "+p+"/admin/invitations", private(adminOnly(s.invitationsList)))
		s.mux.Handle("GET "+p+"/admin/webhooks", private(adminOnly(s.webhooksList)))
		s.mux.Handle("POST "+p+"/admin/webhooks", private(adminOnly(s.webhookCreate)))
		s.mux.Handle("GET "+p+"/admin/webhooks/{id}", private(adminOnly(s.webhookPage)))
		s.mux.Handle("POST "+p+"/admin/webhooks/{id}/{action}", private(adminOnly(s.webhookActionOf)))
		s.mux.Handle("POST "+p+"/admin/invitations", private(adminOnly(s.invite)))
		s.mux.Handle("POST "+p+"/admin/invitations/{id}/resend", private(adminOnly(s.invitationAction(true))))
		s.mux.Handle("POST "+p+"/admin/invitations/{id}/revoke", private(adminOnly(s.invitationAction(false))))
		// Single sign-on: who it admits (web/sso_admin.go).
		s.mux.Handle("GET "+p+"/admin/sso", private(adminOnly(s.ssoAdmin)))
		s.mux.Handle("POST "+p+"/admin/sso/preauthorisations", private(adminOnly(s.ssoAddPreAuth)))
		s.mux.Handle("POST "+p+"/admin/sso/preauthorisations/{id}/remove", private(adminOnly(s.ssoRemove(false))))
		s.mux.Handle("POST "+p+"/admin/sso/rules", private(adminOnly(s.ssoAddRule)))
		s.mux.Handle("POST "+p+"/admin/sso/rules/{id}/remove", private(adminOnly(s.ssoRemove(true))))
		s.mux.Handle("GET "+p+"/edit/mobility/new", private(s.editForm(partnerhub.EntityMobility)))
		s.mux.Handle("POST "+p+"/edit/mobility/new", private(s.editSave(partnerhub.EntityMobility)))
		s.mux.Handle("GET "+p+"/mobility/import", private(s.importForm))
		s.mux.Handle("POST "+p+"/mobility/import", private(s.importUpload))
		s.mux.Handle("GET "+p+"/mobility/import/{id}", private(s.importProgress))
		s.mux.HandleFunc("GET "+p+"/mobility/template.xlsx", s.mobilityTemplate(l))
		// An agreement's documents: the signed-in only; anyone else gets 404.
		s.mux.Handle("GET "+p+"/agreements/{slug}/documents", s.documentPages(l, s.documentsPage))
		s.mux.Handle("POST "+p+"/agreements/{slug}/documents", s.documentPages(l, s.documentUpload))
		s.mux.Handle("GET "+p+"/agreements/{slug}/documents/{id}", s.documentPages(l, s.documentDownload))
		// Proposals, as their applicants write them, and the joint
		// review: a partner's people, guests here, take part in both.
		fundPages := func(h privateHandler) http.Handler { return s.fundPrivate(l, "", h) }
		s.mux.Handle("GET "+p+"/proposals", fundPages(s.myProposals))
		s.mux.Handle("GET "+p+"/calls/{fund}/{number}/proposals/new", fundPages(s.proposalNew))
		s.mux.Handle("POST "+p+"/calls/{fund}/{number}/proposals/new", fundPages(s.proposalCreate))
		s.mux.Handle("GET "+p+"/proposals/{id}", fundPages(s.proposalView))
		s.mux.Handle("POST "+p+"/proposals/{id}", fundPages(s.proposalUpdate))
		s.mux.Handle("POST "+p+"/proposals/{id}/transition", fundPages(s.proposalTransit))
		s.mux.Handle("POST "+p+"/proposals/{id}/files", fundPages(s.proposalUpload))
		s.mux.Handle("GET "+p+"/proposals/{id}/files/{file}", fundPages(s.proposalDownload))
		s.mux.Handle("GET "+p+"/agreements/import", private(s.registerForm))
		s.mux.Handle("POST "+p+"/agreements/import", private(s.registerUpload))
		s.mux.HandleFunc("GET "+p+"/agreements/template.xlsx", s.registerTemplate(l))
		s.mux.HandleFunc("GET "+p+"/agreements/register.xlsx", s.registerExport(l))
		// The funds' joint review: the committee's (anyone else is told
		// there is nothing there).
		s.mux.Handle("GET "+p+"/calls/{fund}/{number}/review", fundPages(s.reviewBoardPage))
		s.mux.Handle("POST "+p+"/calls/{fund}/{number}/review/assign", fundPages(s.reviewAssign))
		s.mux.Handle("GET "+p+"/calls/{fund}/{number}/ranking", fundPages(s.rankingPage))
		s.mux.Handle("GET "+p+"/calls/{fund}/{number}/ranking.xlsx", fundPages(s.rankingXLSX))
		s.mux.Handle("GET "+p+"/proposals/{id}/review", fundPages(s.reviewPage))
		s.mux.Handle("POST "+p+"/proposals/{id}/review", fundPages(s.reviewSave))
		s.mux.Handle("POST "+p+"/proposals/{id}/conflict", fundPages(s.reviewConflict))
		s.mux.Handle("POST "+p+"/proposals/{id}/comments", fundPages(s.reviewComment))
		// Joint funds and their calls, for the offices and committees.
		fund := func(h privateHandler) http.Handler { return s.fundPrivate(l, "calls", s.withFunds(h)) }
		s.mux.Handle("GET "+p+"/funds", fund(s.fundsPage))
		s.mux.Handle("GET "+p+"/funds/new", fund(s.fundNewForm))
		s.mux.Handle("POST "+p+"/funds/new", fund(s.fundSave))
		s.mux.Handle("GET "+p+"/funds/{fund}/edit", fund(s.fundEditForm))
		s.mux.Handle("POST "+p+"/funds/{fund}/edit", fund(s.fundSave))
		s.mux.Handle("GET "+p+"/funds/{fund}/committee", fund(s.committeePage))
		s.mux.Handle("POST "+p+"/funds/{fund}/committee", fund(s.committeeSeat))
		s.mux.Handle("POST "+p+"/funds/{fund}/committee/remove", fund(s.committeeRemove))
		s.mux.Handle("GET "+p+"/calls/new", fund(s.callNewForm))
		s.mux.Handle("POST "+p+"/calls/new", fund(s.callSave))
		s.mux.Handle("GET "+p+"/calls/{fund}/{number}/edit", fund(s.callEditForm))
		s.mux.Handle("POST "+p+"/calls/{fund}/{number}/edit", fund(s.callSave))
	}

	// The network's pages (network.go): who partners with whom across the
	// members; 404 without at least two enabled members.
	s.mux.Handle("GET /api/v1/network/members", s.api(s.networkAPI(s.apiNetworkMembers)))
	s.mux.Handle("GET /api/v1/network/members/{slug}", s.api(s.networkAPI(s.apiNetworkMember)))
	s.mux.Handle("GET /api/v1/network/institutions/{slug}", s.api(s.networkAPI(s.apiNetworkInstitution)))
	s.mux.Handle("GET /api/v1/network/matrix", s.api(s.networkAPI(s.apiNetworkMatrix)))
	s.mux.Handle("GET /api/v1/network/stats", s.api(s.networkAPI(s.apiNetworkStats)))
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/network", s.networkPage(l, s.networkIndexPage))
		s.mux.Handle("GET "+p+"/network/members/{slug}", s.networkPage(l, s.networkMemberPage))
		s.mux.Handle("GET "+p+"/network/institutions/{slug}", s.networkPage(l, s.networkInstitutionPage))
		s.mux.Handle("GET "+p+"/network/map", s.networkPage(l, s.networkMapPage))
		s.mux.Handle("GET "+p+"/network/matrix", s.networkPage(l, s.networkMatrixPage))
		s.mux.Handle("GET "+p+"/network/stats", s.networkPage(l, s.networkStatsPage))
	}

	// Search (web/search.go, web/search_api.go): the page, its API; the
	// box in every page's header sends to the page.
	s.mux.Handle("GET /api/v1/search", s.api(s.apiSearch))
	for _, l := range partnerhub.Langs {
		p := "/" + string(l)
		s.mux.Handle("GET "+p+"/search", s.searchPage(l))
	}

	// The network administrator's members: adding, disabling, inviting
	// their administrators, onboarding them from a workbook
	// (web/network_members.go, web/onboard.go).
	for _, l := range partnerhub.Langs {
		mp := "/" + string(l) + "/network/admin/members"
		netAdmin := func(h privateHandler) http.Handler { return s.private(l, "", s.networkAdmin(h)) }
		s.mux.Handle("GET "+mp, netAdmin(s.membersList))
		s.mux.Handle("POST "+mp, netAdmin(s.memberAdd))
		s.mux.Handle("GET "+mp+"/template.xlsx", netAdmin(s.onboardTemplate))
		s.mux.Handle("GET "+mp+"/{slug}", netAdmin(s.memberView))
		s.mux.Handle("POST "+mp+"/{slug}/disable", netAdmin(s.memberSetDisabled(true)))
		s.mux.Handle("POST "+mp+"/{slug}/enable", netAdmin(s.memberSetDisabled(false)))
		s.mux.Handle("POST "+mp+"/{slug}/invite", netAdmin(s.memberInvite))
		s.mux.Handle("POST "+mp+"/{slug}/onboard", netAdmin(s.memberOnboard))
	}
}

// editEntities are the records edited, deleted and restored in the browser.
var editEntities = []partnerhub.Entity{partnerhub.EntityActivity, partnerhub.EntityAgreement, partnerhub.EntityPartner,
	partnerhub.EntityInstitution, partnerhub.EntityUnit}

// writeAPI lists the records the write API serves, and where.
var writeAPI = []struct {
	entity partnerhub.Entity
	path   string
}{
	{partnerhub.EntityInstitution, "/api/v1/institutions"},
	{partnerhub.EntityUnit, "/api/v1/units"},
	{partnerhub.EntityPartner, "/api/v1/partners"},
	{partnerhub.EntityAgreement, "/api/v1/agreements"},
	{partnerhub.EntityActivity, "/api/v1/activities"},
}
