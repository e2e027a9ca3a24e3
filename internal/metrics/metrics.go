// Package metrics holds Gatehouse's Prometheus metrics: one registry per
// process (so tests running several apps in one process do not collide),
// the counters each part increments, and the handler that serves them.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is a process's metrics.
type Registry struct {
	reg   *prometheus.Registry
	Relay *Relay
}

// New makes a registry with the Go runtime and process collectors and
// every Gatehouse metric.
func New() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{reg: reg, Relay: NewRelay(reg)}
}

// Priority exports a process's dispatch.Priority (passed as functions:
// dispatch imports this package): busy is 1 while the process's accepts
// hold its dispatch back, held counts the dispatch rounds that waited.
func (r *Registry) Priority(busy func() float64, held func() float64) {
	r.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gatehouse", Subsystem: "dispatch", Name: "busy",
			Help: "1 while this process's event accepts hold its dispatch rounds back (see dispatch.Priority)."}, busy),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "gatehouse", Subsystem: "dispatch", Name: "held_rounds_total",
			Help: "Dispatch rounds (fast path and relay) that waited behind this process's event accepts."}, held))
}

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// Relay counts what the event relay does.
type Relay struct {
	Dispatched  prometheus.Counter // events whose deliveries it started
	Failures    prometheus.Counter // dispatches that failed through the event's own fault
	Skipped     prometheus.Counter // events set aside after too many such failures
	Unavailable prometheus.Counter // rounds stopped because MySQL or Temporal was unavailable
}

// NewRelay makes the relay's counters, registered with reg unless it is nil.
func NewRelay(reg prometheus.Registerer) *Relay {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "gatehouse", Subsystem: "relay", Name: name, Help: help})
		if reg != nil {
			reg.MustRegister(c)
		}
		return c
	}
	return &Relay{
		Dispatched:  counter("events_dispatched_total", "Events whose deliveries the relay started."),
		Failures:    counter("event_failures_total", "Dispatches the relay counted against the event (the event's own fault)."),
		Skipped:     counter("events_skipped_total", "Events set aside after failing too often; see events.dispatch_error and the EventDispatchFailed event."),
		Unavailable: counter("unavailable_total", "Relay rounds stopped because MySQL or Temporal was unavailable."),
	}
}
