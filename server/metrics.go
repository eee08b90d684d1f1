package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/scv-go/scv"
	"github.com/scv-go/scv/identity"
)

// metrics are the server's Prometheus metrics. Labels are route patterns,
// status codes, formats and reasons: never a value from a request.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	records  *prometheus.CounterVec
	feedLag  prometheus.Histogram

	mu        sync.RWMutex
	observers map[routeCode]prometheus.Observer // requests' children, found once
}

// routeCode is the label pair of a request's latency.
type routeCode struct {
	route string
	code  int
}

func newMetrics(reg *prometheus.Registry) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scv_http_request_duration_seconds",
			Help:    "Latency of HTTP requests by route pattern and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scv_ingest_records_total",
			Help: "Records read by POST /v1/import, by format and outcome (accepted, or the quarantine reason).",
		}, []string{"format", "outcome"}),
		feedLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scv_feed_lag_seconds",
			Help:    "Time from a change-feed event to its delivery on a /v1/feed stream.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}),
	}
	reg.MustRegister(m.requests, m.records, m.feedLag)
	return m
}

// observe records a request's latency. The histogram of a route and
// status is looked up by its labels once, then kept: routes and statuses
// are few.
func (m *metrics) observe(route string, status int, d time.Duration) {
	k := routeCode{route, status}
	m.mu.RLock()
	o, ok := m.observers[k]
	m.mu.RUnlock()
	if !ok {
		o = m.requests.WithLabelValues(route, strconv.Itoa(status))
		m.mu.Lock()
		if m.observers == nil {
			m.observers = make(map[routeCode]prometheus.Observer)
		}
		m.observers[k] = o
		m.mu.Unlock()
	}
	o.Observe(d.Seconds())
}

func (m *metrics) ingested(f identity.Format, sum scv.Summary) {
	m.records.WithLabelValues(string(f), "accepted").Add(float64(sum.Accepted))
	for reason, n := range sum.Quarantined {
		m.records.WithLabelValues(string(f), string(reason)).Add(float64(n))
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
