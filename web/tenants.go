package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

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

// sharedWith is what an Editor that knows the shared registry also answers
// (store.DB): the other home institutions that use a record.
type sharedWith interface {
	SharedWith(ctx context.Context, home string, entity partnerhub.Entity, key string) ([]string, error)
}

// sharedNotice says, above the form of a record other homes use, that only
// a network administrator may change it; "" when the reader may, or when
// the Editor cannot tell.
func (s *Server) sharedNotice(r *http.Request, v *view, entity partnerhub.Entity, key string) (string, error) {
	sw, ok := s.deps.Editor.(sharedWith)
	if !ok || v.User == nil || v.User.NetworkAdmin {
		return "", nil
	}
	homes, err := sw.SharedWith(r.Context(), s.home(r), entity, key)
	if err != nil || len(homes) == 0 {
		return "", err
	}
	return v.P.T("error.shared_record", strings.Join(homes, ", ")), nil
}
