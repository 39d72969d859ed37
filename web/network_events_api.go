package web

// The network events' API: the events for anyone (drafts for their
// organisers), their writing for network editors, and registration for
// anyone. Registrants are never in any answer.

import (
	"net/http"
	"strconv"
	"time"

	"partnerhub"
)

func (s *Server) eventsAPI(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.deps.NetworkEvents == nil {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
		}
		return h(w, r)
	}
}

// eventJSON is an event as the API shows it, with its page and whether
// registration is open.
type eventJSON struct {
	partnerhub.NetworkEvent
	Remaining        int    `json:"remaining"`
	RegistrationOpen bool   `json:"registration_open"`
	URL              string `json:"url"`
}

func (s *Server) eventJSONOf(e partnerhub.NetworkEvent) eventJSON {
	return eventJSON{NetworkEvent: e, Remaining: e.Remaining(), RegistrationOpen: e.RegistrationOpen(s.deps.Now()),
		URL: s.deps.BaseURL + "/" + string(partnerhub.English) + partnerhub.EventPath(e.ID)}
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	u := s.user(r)
	list, err := s.deps.NetworkEvents.NetworkEvents(r.Context(), u, partnerhub.EventFilter{Drafts: partnerhub.IsNetworkEditor(u)}, s.deps.Now())
	if err != nil {
		return err
	}
	out := []eventJSON{}
	for _, e := range list {
		out = append(out, s.eventJSONOf(e))
	}
	return writeStatusJSON(w, http.StatusOK, map[string]any{"events": out})
}

func (s *Server) apiEvent(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	id, err := eventID(r)
	if err != nil {
		return err
	}
	e, err := s.deps.NetworkEvents.NetworkEvent(r.Context(), s.user(r), id)
	if err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusOK, s.eventJSONOf(*e))
}

// eventInput is an event as written through the API: what the organisers
// set, nothing the store counts.
type eventInput struct {
	Title              partnerhub.Text       `json:"title"`
	Description        partnerhub.Text       `json:"description"`
	Kind               partnerhub.EventKind  `json:"kind"`
	Venue              partnerhub.Text       `json:"venue"`
	Online             bool                  `json:"online"`
	Starts             time.Time             `json:"starts_at"`
	Ends               time.Time             `json:"ends_at"`
	Capacity           int                   `json:"capacity"`
	RegistrationOpens  time.Time             `json:"registration_opens"`
	RegistrationCloses time.Time             `json:"registration_closes"`
	Organiser          string                `json:"organiser"`
	State              partnerhub.EventState `json:"state"`
	RetentionDays      *int                  `json:"retention_days"` // absent: the default
	Version            int                   `json:"version"`
}

func (s *Server) apiPutEvent(create bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var id int64
		if !create {
			var err error
			if id, err = eventID(r); err != nil {
				return err
			}
		}
		u, in, err := apiWrite[eventInput](s, w, r)
		if err != nil {
			return err
		}
		e := partnerhub.NetworkEvent{ID: id, Title: in.Title, Description: in.Description, Kind: in.Kind, Venue: in.Venue, Online: in.Online,
			Starts: in.Starts, Ends: in.Ends, Capacity: in.Capacity, RegistrationOpens: in.RegistrationOpens, RegistrationCloses: in.RegistrationCloses,
			Organiser: in.Organiser, State: in.State, RetentionDays: partnerhub.DefaultEventRetentionDays, Version: in.Version}
		if in.RetentionDays != nil {
			e.RetentionDays = *in.RetentionDays
		}
		if e.State == "" {
			e.State = partnerhub.EventDraft
		}
		status := http.StatusOK
		if create {
			status = http.StatusCreated
		} else if e.Version < 1 {
			return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
		}
		got, err := s.deps.NetworkEvents.PutNetworkEvent(r.Context(), u, e, s.deps.Now())
		if err != nil {
			return err
		}
		if create {
			w.Header().Set("Location", "/api/v1/network/events/"+strconv.FormatInt(got.ID, 10))
		}
		return writeStatusJSON(w, status, s.eventJSONOf(*got))
	}
}

// apiRegister registers someone for an event: 202 whatever the address's
// past, which only its holder learns, by mail.
func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request) error {
	id, err := eventID(r)
	if err != nil {
		return err
	}
	if err := noParams(r); err != nil {
		return err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var reg partnerhub.Registrant
	if err := decodeStrict(b, &reg); err != nil {
		return err
	}
	if _, err := s.deps.NetworkEvents.NetworkEvent(r.Context(), s.user(r), id); err != nil {
		return err
	}
	if err := s.deps.NetworkEvents.Register(r.Context(), id, reg, s.deps.Now()); err != nil {
		return err
	}
	return writeStatusJSON(w, http.StatusAccepted, map[string]string{"status": "received"})
}
