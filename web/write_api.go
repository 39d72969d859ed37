package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"partnerhub"
)

// The write API: POST to a list creates, PUT replaces, PATCH merges (RFC
// 7386), DELETE moves to the bin, POST …/restore brings back. Every write
// goes through Editor.Apply, which enforces roles, versions and the audit
// log; this file only reads requests and writes answers.

// maxBodyBytes bounds a JSON body unless Deps.MaxBodyBytes says otherwise.
const maxBodyBytes = 1 << 20

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// readBody reads a JSON body within bounds; invalid UTF-8 is refused here
// because encoding/json would silently replace it.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
			return nil, partnerhub.Errorf(eUnsupported, "error.json_only")
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.deps.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, partnerhub.Errorf(eTooLarge, "error.too_large", s.deps.MaxBodyBytes)
	}
	if err != nil {
		return nil, partnerhub.Errorf(partnerhub.EInvalid, "error.bad_body")
	}
	if !utf8.Valid(b) {
		return nil, (partnerhub.FieldErrors{"body": {Key: "bad_utf8"}}).Err()
	}
	return b, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields,
// wrong types and trailing data, each as a field error.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	errs := partnerhub.FieldErrors{}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		f := te.Field
		if f == "" {
			f = "body"
		}
		errs.Add(f, "wrong_type", te.Value)
	case errors.As(err, &se):
		errs.Add("body", "bad_json", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		errs.Add(name, "unknown_field")
	default:
		// Dates and other values that check themselves while decoding.
		errs.Add("body", "bad_value", err.Error())
	}
	return errs.Err()
}

// Codes of request problems the HTTP layer finds.
const (
	eTooLarge    = "too_large"
	eUnsupported = "unsupported_media_type"
)

// apiWrite handles create, update, patch, delete and restore of an entity.
func (s *Server) apiWrite(entity partnerhub.Entity, action partnerhub.Action, patch bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u := s.user(r)
		if u == nil {
			return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
		}
		allowed := []string{}
		if action == partnerhub.ActionDelete {
			allowed = append(allowed, "version")
		}
		if err := params(r.URL.Query(), allowed...).Err(); err != nil {
			return err
		}
		key := editKey(r)
		ch := partnerhub.Change{Actor: u, Home: s.home(r), Entity: entity, Action: action, Key: key}
		switch action {
		case partnerhub.ActionCreate, partnerhub.ActionUpdate:
			b, err := s.readBody(w, r)
			if err != nil {
				return err
			}
			if patch {
				if b, err = s.mergePatch(r, entity, key, b); err != nil {
					return err
				}
			}
			rec, ok := partnerhub.NewRecord(entity)
			if !ok {
				return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			}
			if err := decodeStrict(b, rec); err != nil {
				return err
			}
			if t, ok := rec.(*partnerhub.TeamDoc); ok {
				// The team's key is in the path.
				t.Partner = r.PathValue("partner")
				t.Phase, _ = strconv.Atoi(r.PathValue("phase"))
			}
			ch.Record, ch.Version = rec, rec.RecordVersion()
			if action == partnerhub.ActionUpdate && ch.Version == 0 {
				return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
			}
		case partnerhub.ActionDelete:
			v := r.URL.Query().Get("version")
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
			}
			ch.Version = n
		}
		version, err := s.apply(r, ch)
		if err != nil {
			return err
		}
		s.afterWrite(r)
		if ch.Key == "" {
			ch.Key = ch.Record.Key()
		}
		rec, err := s.writtenRecord(r, entity, ch.Key, version)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if action == partnerhub.ActionCreate && entity != partnerhub.EntityTeam {
			status = http.StatusCreated
			w.Header().Set("Location", r.URL.Path+"/"+ch.Key)
		}
		w.Header().Set("ETag", `"v`+strconv.Itoa(version)+`"`)
		return writeStatusJSON(w, status, rec)
	}
}

// writtenRecord is the record as the write made it, at version: read again
// after the write, the record may already hold another user's later write,
// and a response whose body is not what its ETag names would let the
// client send that version back as its own. Only then is the version
// written taken from the audit log.
func (s *Server) writtenRecord(r *http.Request, entity partnerhub.Entity, key string, version int) (any, error) {
	rec, _, err := s.deps.Editor.Record(r.Context(), s.home(r), entity, key)
	if err != nil || rec.RecordVersion() == version {
		return rec, err
	}
	events, err := s.deps.Editor.Audit(r.Context(), s.home(r), partnerhub.AuditFilter{Entity: entity, Key: key, Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, ev := range events {
		if ev.Version == version && ev.After != nil {
			return json.RawMessage(ev.After), nil
		}
	}
	return rec, nil
}

// transitionBody is the body of POST …/{key}/transitions.
type transitionBody struct {
	Verb    partnerhub.Verb `json:"verb"`
	Comment string          `json:"comment"`
	Version int             `json:"version"`
}

// apiTransit moves a workflow's record by a verb, at the version read.
func (s *Server) apiTransit(entity partnerhub.Entity) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, t, err := apiWrite[transitionBody](s, w, r)
		if err != nil {
			return err
		}
		if t.Version < 1 {
			return (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
		}
		key := r.PathValue("key")
		version, err := s.apply(r, partnerhub.Transit(u, s.home(r), entity, key, t.Version,
			partnerhub.Transition{Verb: t.Verb, Comment: t.Comment}))
		if err != nil {
			return err
		}
		s.afterWrite(r)
		rec, _, err := s.deps.Editor.Record(r.Context(), s.home(r), entity, key)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", `"v`+strconv.Itoa(version)+`"`)
		return writeStatusJSON(w, http.StatusOK, rec)
	}
}

// mergePatch applies an RFC 7386 merge patch to the stored record.
func (s *Server) mergePatch(r *http.Request, entity partnerhub.Entity, key string, patch []byte) ([]byte, error) {
	var p map[string]any
	if err := decodeStrict(patch, &p); err != nil {
		return nil, err
	}
	if _, ok := p["version"]; !ok {
		return nil, (partnerhub.FieldErrors{"version": {Key: "required"}}).Err()
	}
	cur, _, err := s.deps.Editor.Record(r.Context(), s.home(r), entity, key)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return json.Marshal(merge7386(doc, p))
}

func merge7386(target, patch map[string]any) map[string]any {
	for k, v := range patch {
		if v == nil {
			delete(target, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			tm, _ := target[k].(map[string]any)
			if tm == nil {
				tm = map[string]any{}
			}
			target[k] = merge7386(tm, pm)
			continue
		}
		target[k] = v
	}
	return target
}

func writeStatusJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// apiHistory is the audit trail of one record, for signed-in users, newest
// first, paged as the audit log is.
func (s *Server) apiHistory(entity partnerhub.Entity) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if u := s.user(r); u == nil {
			return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
		} else if !partnerhub.CanReadDrafts(u) {
			return partnerhub.Errorf(partnerhub.EForbidden, "error.forbidden_role")
		}
		q := r.URL.Query()
		errs := params(q, "before", "limit")
		f := partnerhub.AuditFilter{Entity: entity, Key: editKey(r), Before: parseBefore(q, errs), Limit: parseLimit(q, errs)}
		if err := errs.Err(); err != nil {
			return err
		}
		return s.writeAudit(w, r, f)
	}
}

// parseBefore reads `before`, the id of the last event of the page read.
func parseBefore(q url.Values, errs partnerhub.FieldErrors) int64 {
	v := single(q, errs, "before")
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		errs.Add("before", "bad_int", v)
	} else if n < 1 {
		errs.Add("before", "positive")
	}
	return n
}

// writeAudit writes one page of audit events. A full page has a next one,
// which starts before its last event; when the events end exactly there,
// that page is empty and its next is null.
func (s *Server) writeAudit(w http.ResponseWriter, r *http.Request, f partnerhub.AuditFilter) error {
	events, err := s.deps.Editor.Audit(r.Context(), s.home(r), f)
	if err != nil {
		return err
	}
	out := list(auditJSON(events))
	if len(events) == f.Limit {
		out.Next = s.nextURL(r, "before", strconv.FormatInt(events[len(events)-1].ID, 10))
	}
	return writeStatusJSON(w, http.StatusOK, out)
}

// auditEventJSON shows before and after as JSON, not base64.
type auditEventJSON struct {
	partnerhub.AuditEvent
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

func auditJSON(events []partnerhub.AuditEvent) []auditEventJSON {
	out := make([]auditEventJSON, len(events))
	for i, ev := range events {
		out[i] = auditEventJSON{AuditEvent: ev, Before: nullJSON(ev.Before), After: nullJSON(ev.After)}
	}
	return out
}

func nullJSON(b []byte) json.RawMessage {
	if b == nil {
		return json.RawMessage("null")
	}
	return b
}

// apiAudit is the whole audit log, filterable, for admins.
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	u := s.user(r)
	if u == nil {
		return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if u.Role != partnerhub.RoleAdmin {
		return partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
	}
	q := r.URL.Query()
	errs := params(q, "entity", "key", "actor", "action", "before", "limit")
	f := partnerhub.AuditFilter{Entity: partnerhub.Entity(single(q, errs, "entity")), Key: single(q, errs, "key"), Actor: single(q, errs, "actor"), Action: partnerhub.Action(single(q, errs, "action"))}
	f.Before = parseBefore(q, errs)
	f.Limit = parseLimit(q, errs)
	if err := errs.Err(); err != nil {
		return err
	}
	return s.writeAudit(w, r, f)
}

// apiBin lists deleted records, for admins.
func (s *Server) apiBin(w http.ResponseWriter, r *http.Request) error {
	u := s.user(r)
	if u == nil {
		return partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if u.Role != partnerhub.RoleAdmin {
		return partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
	}
	_, pg := paging(r.URL.Query())
	if err := pg.errs.Err(); err != nil {
		return err
	}
	items, err := s.deps.Editor.Bin(r.Context(), s.home(r))
	if err != nil {
		return err
	}
	page, next := pageOf(items, binKey, pg.limit, pg.cursor, pg.hasCursor)
	out := list(page)
	if next != nil {
		out.Next = s.nextURL(r, "cursor", next.String())
	}
	return writeStatusJSON(w, http.StatusOK, out)
}

// apiWrite is how an API write starts: someone signed in, no query
// parameters, and the body decoded strictly into a T.
func apiWrite[T any](s *Server, w http.ResponseWriter, r *http.Request) (*partnerhub.User, T, error) {
	var v T
	u := s.user(r)
	if u == nil {
		return nil, v, partnerhub.Errorf(partnerhub.EUnauthorized, "error.unauthorized")
	}
	if err := noParams(r); err != nil {
		return nil, v, err
	}
	b, err := s.readBody(w, r)
	if err != nil {
		return nil, v, err
	}
	return u, v, decodeStrict(b, &v)
}
