package web

import (
	"net/http"
	"strconv"

	"partnerhub"
	"partnerhub/jobs"
)

// The administrators' page of the jobs that failed their last try, each
// with a button that runs it again. The queue serves every home: an
// administrator sees the jobs of their own home, and a network
// administrator every job, those of no home (clean-ups) included.

// jobVisible reports whether v's user may see and retry a job of home.
func jobVisible(v *view, home string) bool {
	return v.User.NetworkAdmin || home != "" && home == v.Home
}

// failedJobs lists the failed jobs v's user may see.
func (s *Server) failedJobs(r *http.Request, v *view) ([]jobs.Failed, error) {
	all, err := s.deps.Jobs.Failed(r.Context(), 500)
	if err != nil {
		return nil, err
	}
	var out []jobs.Failed
	for _, f := range all {
		if jobVisible(v, f.Home) {
			out = append(out, f)
		}
	}
	return out, nil
}

type jobsData struct {
	Jobs          []jobs.Failed
	Notice, Error string
}

func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Jobs == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	failed, err := s.failedJobs(r, v)
	if err != nil {
		return nil, err
	}
	d := &jobsData{Jobs: failed}
	// Only a job number is echoed: the notice says nothing a link chose.
	if id, err := strconv.ParseInt(r.URL.Query().Get("retried"), 10, 64); err == nil && id > 0 {
		d.Notice = v.P.T("jobs.retried", strconv.FormatInt(id, 10))
	}
	return &page{Template: "admin_jobs", Title: v.P.T("jobs.title"), Data: d}, nil
}

func (s *Server) jobRetry(w http.ResponseWriter, r *http.Request, v *view) (*page, error) {
	if s.deps.Jobs == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	refuse := func(status int, msg string) (*page, error) {
		failed, err := s.failedJobs(r, v)
		if err != nil {
			return nil, err
		}
		return &page{Template: "admin_jobs", Title: v.P.T("jobs.title"), Status: status, Data: &jobsData{Jobs: failed, Error: msg}}, nil
	}
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return refuse(http.StatusBadRequest, v.P.T("jobs.bad_id", raw))
	}
	ok, err := s.deps.Jobs.Retry(r.Context(), id, func(home string) bool { return jobVisible(v, home) })
	if err != nil {
		return nil, err
	}
	if !ok {
		return refuse(http.StatusNotFound, v.P.T("jobs.not_failed", raw))
	}
	s.logSecurity(r, "job_retried", "job", id)
	http.Redirect(w, r, v.L()+"/admin/jobs?retried="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil, nil
}
