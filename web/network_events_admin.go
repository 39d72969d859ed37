package web

// The organisers' pages of the network's events: the event's form, its
// registrations, and the attendance list as XLSX. Network editors only:
// the store refuses anyone else (Authorize), and these pages say so.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"partnerhub"
)

// organisers lets only the network's editors through to h.
func organisers(h privateHandler) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if s := v.User; !partnerhub.IsNetworkEditor(s) {
			return nil, partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_network")
		}
		return h(w, r, v)
	}
}

type eventForm struct {
	New    bool
	Event  partnerhub.NetworkEvent // as typed
	Times  map[string]string       // the datetime-local values, in Japan time
	Nums   map[string]string       // capacity, retention_days as typed
	Kinds  []option
	States []option
	Err    *formErrors
	Action string
	Public string
}

var eventOrder = []string{"title", "description", "kind", "venue", "online", "starts_at", "ends_at", "capacity",
	"registration_opens", "registration_closes", "organiser", "retention_days", "state", "version"}

var eventLabels = map[string]string{"title": "nevent.event_title", "description": "nevent.event_description", "kind": "nevent.kind_label",
	"venue": "nevent.venue", "online": "nevent.online_label", "starts_at": "nevent.starts_at", "ends_at": "nevent.ends_at",
	"capacity": "nevent.capacity", "registration_opens": "nevent.registration_opens", "registration_closes": "nevent.registration_closes",
	"organiser": "nevent.organiser_label", "retention_days": "nevent.retention_days", "state": "nevent.state_label"}

var eventTimeFields = []string{"starts_at", "ends_at", "registration_opens", "registration_closes"}

func (s *Server) eventFormPage(v *view, ef *eventForm) *page {
	e := &ef.Event
	if ef.Times == nil {
		ef.Times = map[string]string{"starts_at": jstLocal(e.Starts), "ends_at": jstLocal(e.Ends),
			"registration_opens": jstLocal(e.RegistrationOpens), "registration_closes": jstLocal(e.RegistrationCloses)}
		ef.Nums = map[string]string{"capacity": itoaZ(e.Capacity), "retention_days": strconv.Itoa(e.RetentionDays)}
	}
	ef.Kinds = enumOptions(v, "nevent.kind.", partnerhub.EventKinds, false)
	ef.States = enumOptions(v, "nevent.state.", partnerhub.EventStates, false)
	if ef.Err == nil {
		ef.Err = &formErrors{}
	}
	title := v.P.T("nevent.new")
	ef.Action = v.L() + "/network/events/new"
	if !ef.New {
		title = v.P.T("nevent.edit_title", mustText(v, e.Title))
		ef.Public = v.L() + partnerhub.EventPath(e.ID)
		ef.Action = ef.Public + "/edit"
	}
	return &page{Template: "network_event_form", Title: title, Data: ef, Status: ef.Err.Status,
		Parents: []crumb{{Label: v.P.T("nevent.title"), Href: v.L() + "/network/events"}}}
}

func (s *Server) eventNewForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	return s.eventFormPage(v, &eventForm{New: true, Event: partnerhub.NetworkEvent{Kind: partnerhub.EventSymposium,
		State: partnerhub.EventDraft, RetentionDays: partnerhub.DefaultEventRetentionDays}}), nil
}

func (s *Server) eventEditForm(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	id, err := eventID(r)
	if err != nil {
		return nil, err
	}
	e, err := s.deps.NetworkEvents.NetworkEvent(r.Context(), v.User, id)
	if err != nil {
		return nil, err
	}
	return s.eventFormPage(v, &eventForm{Event: *e}), nil
}

// readEvent reads the event's form; what cannot be read is in errs.
func readEvent(f url.Values, errs partnerhub.FieldErrors) *eventForm {
	ef := &eventForm{Times: map[string]string{}, Nums: map[string]string{}}
	e := &ef.Event
	text := func(name string) partnerhub.Text {
		return partnerhub.Text{Ja: strings.TrimSpace(f.Get(name + ".ja")), En: strings.TrimSpace(f.Get(name + ".en"))}
	}
	e.Title, e.Description, e.Venue = text("title"), text("description"), text("venue")
	e.Kind, e.State = partnerhub.EventKind(f.Get("kind")), partnerhub.EventState(f.Get("state"))
	e.Online = checked(f, "online")
	e.Organiser = strings.TrimSpace(f.Get("organiser"))
	for _, k := range eventTimeFields {
		ef.Times[k] = strings.TrimSpace(f.Get(k))
	}
	e.Starts, e.Ends = parseJST(errs, "starts_at", ef.Times["starts_at"]), parseJST(errs, "ends_at", ef.Times["ends_at"])
	e.RegistrationOpens = parseJST(errs, "registration_opens", ef.Times["registration_opens"])
	e.RegistrationCloses = parseJST(errs, "registration_closes", ef.Times["registration_closes"])
	for _, k := range []string{"capacity", "retention_days"} {
		ef.Nums[k] = strings.TrimSpace(f.Get(k))
	}
	e.Capacity = formInt(errs, "capacity", ef.Nums["capacity"])
	e.RetentionDays = formInt(errs, "retention_days", ef.Nums["retention_days"])
	e.Version, _ = strconv.Atoi(f.Get("version"))
	return ef
}

// eventSave creates (at /network/events/new) or updates an event.
func (s *Server) eventSave(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	create := r.PathValue("id") == ""
	var id int64
	if !create {
		var err error
		if id, err = eventID(r); err != nil {
			return nil, err
		}
	}
	if err := s.parseForm(w, r); err != nil {
		return nil, err
	}
	errs := partnerhub.FieldErrors{}
	ef := readEvent(r.PostForm, errs)
	ef.New = create
	e := ef.Event
	e.ID = id
	var saved *partnerhub.NetworkEvent
	err := errs.Err()
	if err == nil {
		saved, err = s.deps.NetworkEvents.PutNetworkEvent(r.Context(), v.User, e, s.deps.Now())
	} else if ve := e.Validate(); ve != nil {
		mergeFieldErrors(errs, ve)
		err = errs.Err()
	}
	if err == nil {
		http.Redirect(w, r, v.L()+partnerhub.EventPath(saved.ID)+"?saved=1", http.StatusSeeOther)
		return nil, nil
	}
	label := func(k string) string {
		base, _ := splitFieldKey(k)
		if l, ok := eventLabels[strings.SplitN(base, ".", 2)[0]]; ok {
			return v.P.T(l)
		}
		return k
	}
	cur, ok := conflictCurrent(err).(partnerhub.NetworkEvent)
	if ef.Err, err = refused(v, err, eventOrder, label); err != nil {
		return nil, err
	}
	ef.Event.ID = id
	if ok && ef.Err.Conflict {
		ef.Event.Version = cur.Version
	}
	return s.eventFormPage(v, ef), nil
}

// ---- registrations -------------------------------------------------------------

type registrationsData struct {
	Event    eventCard
	Regs     []partnerhub.Registration
	XLSX     string
	EditHref string
	PurgeOn  eventTime
}

func (s *Server) eventRegistrationsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	e, regs, err := s.eventRegistrations(r, v)
	if err != nil {
		return nil, err
	}
	base := v.L() + partnerhub.EventPath(e.ID)
	d := &registrationsData{Event: s.eventCard(v, *e), Regs: regs, XLSX: base + "/attendance.xlsx", EditHref: base + "/edit",
		PurgeOn: eventTimeOf(e.PurgeAt())}
	return &page{Template: "network_event_registrations", Title: v.P.T("nevent.registrations_title", mustText(v, e.Title)), Data: d,
		Parents: []crumb{{Label: v.P.T("nevent.title"), Href: v.L() + "/network/events"}, {Label: mustText(v, e.Title), Href: base}}}, nil
}

func (s *Server) eventRegistrations(r *http.Request, v *view) (*partnerhub.NetworkEvent, []partnerhub.Registration, error) {
	if err := noParams(r); err != nil {
		return nil, nil, err
	}
	id, err := eventID(r)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.deps.NetworkEvents.NetworkEvent(r.Context(), v.User, id)
	if err != nil {
		return nil, nil, err
	}
	regs, err := s.deps.NetworkEvents.Registrations(r.Context(), v.User, id)
	if err != nil {
		return nil, nil, err
	}
	return e, regs, nil
}

// eventAttendance is the attendance list: the confirmed registrants, then
// the waiting list, with a blank column to tick at the door; its headers
// in both languages, since the people at the door may read either.
func (s *Server) eventAttendance(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	e, regs, err := s.eventRegistrations(r, v)
	if err != nil {
		return nil, err
	}
	ja, en := s.deps.Messages.Printer(partnerhub.Japanese), s.deps.Messages.Printer(partnerhub.English)
	both := func(k string, args ...any) string { return ja.T(k, args...) + " / " + en.T(k, args...) }
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Attendance"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	title := []any{e.Title.Ja + " / " + e.Title.En, eventTimeOf(e.Starts).JST}
	if err := f.SetSheetRow(sheet, "A1", &title); err != nil {
		return nil, err
	}
	head := []any{"#", both("nevent.name"), both("nevent.affiliation"), both("nevent.email"), both("nevent.language"),
		both("nevent.status"), both("nevent.position"), both("nevent.registered_at"), both("nevent.attended")}
	if err := f.SetSheetRow(sheet, "A3", &head); err != nil {
		return nil, err
	}
	for i, x := range regs {
		row := []any{i + 1, x.Name, x.Affiliation, x.Email, string(x.Lang), both("nevent.status." + string(x.Status)), nil,
			eventTimeOf(x.CreatedAt).JST, ""}
		if x.Position > 0 {
			row[6] = x.Position
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+4)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetColWidth(sheet, "B", "D", 28)
	name := fmt.Sprintf("attendance-%d.xlsx", e.ID)
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	h["Cache-Control"] = hdrNoStore
	if err := f.Write(w); err != nil {
		s.deps.Logger.Error("attendance download failed", "err", err)
	}
	return nil, nil
}

// withEvents answers 404 when the server keeps no events.
func (s *Server) withEvents(h privateHandler) privateHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
		if s.deps.NetworkEvents == nil {
			return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		return h(w, r, v)
	}
}
