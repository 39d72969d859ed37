package main

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"partnerhub/metrics"
	"partnerhub/store"
)

// newMetrics makes serve's metrics, with the database's pools and job
// queue, and the server of /metrics on its own listener: the site's
// address never serves it. nil, nil when -metrics-addr is not set.
func newMetrics(cfg Config, db *store.DB, log *slog.Logger) (*metrics.Metrics, *http.Server, net.Listener, error) {
	if cfg.MetricsAddr == "" {
		return nil, nil, nil, nil
	}
	m := metrics.New()
	for name, pool := range db.Pools() {
		if err := m.Pool(name, pool); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := m.Jobs(db.JobCounts); err != nil {
		return nil, nil, nil, err
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	return m, hs, ln, nil
}

// metricsShutdownTimeout bounds the wait for a scrape in flight on stop.
const metricsShutdownTimeout = 2 * time.Second
