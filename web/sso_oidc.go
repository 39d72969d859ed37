package web

import "partnerhub/sso"

func (s *Server) oidcChoices() []sso.Choice { return nil }
