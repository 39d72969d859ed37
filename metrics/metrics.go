// Package metrics is what serve tells Prometheus: requests by route and
// status, their latency, the job queue, imports and the database's pools,
// on a registry of its own (never the client library's global one), served
// on an address apart from the site's.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors. A nil *Metrics records nothing, so that
// code measured needs no test of whether metrics are on.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	importRows prometheus.Counter
}

// latencyBuckets span a page served from memory (well under a
// millisecond) to a slow write or upload (seconds).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New makes the collectors on a new registry, with the Go runtime's and the
// process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "partnerhub_http_requests_total",
			Help: "HTTP requests answered, by route (the pattern that matched) and status.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "partnerhub_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		importRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "partnerhub_mobility_import_rows_total",
			Help: "Rows of mobility files read by imports on this node.",
		}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.importRows)
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records a request answered. route must come from a bounded set
// (the patterns registered), never from the request's path: a label value
// per path would let anyone grow the metrics without end.
func (m *Metrics) Request(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// ImportRows counts n more rows read by a mobility import.
func (m *Metrics) ImportRows(n int64) {
	if m == nil || n <= 0 {
		return
	}
	m.importRows.Add(float64(n))
}

// Pool reports a database pool's use (open, in use, idle, waits) as
// go_sql_* with db_name="name".
func (m *Metrics) Pool(name string, db *sql.DB) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(collectors.NewDBStatsCollector(db, name))
}

// JobCounter calls each with how many jobs of a kind are in a state
// (River's: available, scheduled, running, retryable, completed,
// cancelled, discarded); store.DB's JobCounts is one.
type JobCounter func(ctx context.Context, each func(kind, state string, n int64)) error

// Jobs reports the job queue's jobs by kind and state, counted when
// Prometheus scrapes: every node sees the whole queue, as it is in the
// database, whichever node enqueued or ran a job.
func (m *Metrics) Jobs(count JobCounter) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(&jobsCollector{count: count})
}

var jobsDesc = prometheus.NewDesc("partnerhub_jobs",
	"Jobs in the queue by kind and state (discarded: failed for good, awaiting an administrator).",
	[]string{"kind", "state"}, nil)

var jobsUpDesc = prometheus.NewDesc("partnerhub_jobs_scrape_ok",
	"1 when the job queue could be counted at this scrape, 0 when the database did not answer.", nil, nil)

type jobsCollector struct {
	count JobCounter
}

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- jobsUpDesc
}

// Collect counts within a few seconds: a scrape must not hang on a
// database that does not answer, and says so instead of failing whole.
func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var counts []prometheus.Metric
	err := c.count(ctx, func(kind, state string, n int64) {
		counts = append(counts, prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), kind, state))
	})
	if err != nil {
		ch <- prometheus.MustNewConstMetric(jobsUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(jobsUpDesc, prometheus.GaugeValue, 1)
	for _, m := range counts {
		ch <- m
	}
}
