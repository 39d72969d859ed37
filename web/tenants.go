package web

import (
	"errors"
	"net/http"

	"partnerhub"
)

// apply makes a change through the Editor. A change refused because the
// record is shared with other home institutions is a security event: one
// home reaching for what others rely on.
func (s *Server) apply(r *http.Request, ch partnerhub.Change) (int, error) {
	version, err := s.deps.Editor.Apply(r.Context(), ch)
	var e *partnerhub.Error
	if errors.As(err, &e) && e.Code == partnerhub.EForbidden && e.Message == "error.shared_record" {
		key := ch.Key
		if key == "" && ch.Record != nil {
			key = ch.Record.Key()
		}
		s.logSecurity(r, "shared_record_refused", "action", ch.Action, "entity", ch.Entity, "key", key, "shared_with", e.Args)
	}
	return version, err
}
