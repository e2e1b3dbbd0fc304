package hosted

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// A small registry that writes the Prometheus text exposition format
// (version 0.0.4). The hosted server has a dozen series; the Prometheus client
// library would bring five modules and, through their package init, about
// 4 ms and 2.5 MiB to every start of the binary, stdio sessions included,
// which never serve /metrics. Its own tests parse this output with
// Prometheus's parser.

// kind is a metric family's type.
type kind string

const (
	counterKind   kind = "counter"
	gaugeKind     kind = "gauge"
	histogramKind kind = "histogram"
)

// family is one metric with its series (one per label values).
type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64 // histograms: upper bounds, ascending, +Inf implied

	mu     sync.Mutex
	series map[string]*series
}

// series is one combination of label values.
type series struct {
	values []string
	value  float64  // counter or gauge
	counts []uint64 // histogram: per bucket (not cumulative), +Inf last
	sum    float64
	count  uint64
}

func newFamily(k kind, name, help string, buckets []float64, labels ...string) *family {
	return &family{name: name, help: help, kind: k, labels: labels, buckets: buckets, series: map[string]*series{}}
}

// get returns the series for values, creating it.
func (f *family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metric %s: %d label values for %d labels", f.name, len(values), len(f.labels)))
	}
	key := strings.Join(values, "\xff")
	s := f.series[key]
	if s == nil {
		s = &series{values: append([]string(nil), values...)}
		if f.kind == histogramKind {
			s.counts = make([]uint64, len(f.buckets)+1)
		}
		f.series[key] = s
	}
	return s
}

// add adds d to a counter or gauge.
func (f *family) add(d float64, values ...string) {
	f.mu.Lock()
	f.get(values).value += d
	f.mu.Unlock()
}

// observe records v in a histogram.
func (f *family) observe(v float64, values ...string) {
	f.mu.Lock()
	s := f.get(values)
	s.counts[sort.SearchFloat64s(f.buckets, v)]++
	s.sum += v
	s.count++
	f.mu.Unlock()
}

// write writes the family; label-less counters and gauges appear at 0
// before their first change, as client libraries show them.
func (f *family) write(w *bufio.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.series) == 0 && len(f.labels) == 0 {
		f.get(nil)
	}
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
	keys := make([]string, 0, len(f.series))
	for k := range f.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := f.series[k]
		if f.kind != histogramKind {
			fmt.Fprintf(w, "%s%s %s\n", f.name, labelText(f.labels, s.values, "", ""), number(s.value))
			continue
		}
		var cum uint64
		for i, c := range s.counts {
			cum += c
			le := "+Inf"
			if i < len(f.buckets) {
				le = number(f.buckets[i])
			}
			fmt.Fprintf(w, "%s_bucket%s %d\n", f.name, labelText(f.labels, s.values, "le", le), cum)
		}
		fmt.Fprintf(w, "%s_sum%s %s\n", f.name, labelText(f.labels, s.values, "", ""), number(s.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", f.name, labelText(f.labels, s.values, "", ""), s.count)
	}
}

// registry writes its families in the order they were added, then the
// runtime's and the process's own figures.
type registry struct{ families []*family }

func (r *registry) add(f ...*family) { r.families = append(r.families, f...) }

func (r *registry) writeTo(out io.Writer) error {
	w := bufio.NewWriter(out)
	for _, f := range r.families {
		f.write(w)
	}
	writeRuntime(w)
	return w.Flush()
}

// writeRuntime adds the usual go_ and process_ gauges.
func writeRuntime(w *bufio.Writer) {
	samples := []metrics.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
	}
	metrics.Read(samples)
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, number(v))
	}
	gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	gauge("go_memstats_heap_alloc_bytes", "Bytes of live and not yet swept heap objects.", sampleValue(samples[1]))
	gauge("go_memstats_sys_bytes", "Bytes of memory mapped by the Go runtime.", sampleValue(samples[2]))
	if rss, ok := residentBytes(); ok {
		gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(rss))
	}
}

func sampleValue(s metrics.Sample) float64 {
	switch s.Value.Kind() {
	case metrics.KindUint64:
		return float64(s.Value.Uint64())
	case metrics.KindFloat64:
		return s.Value.Float64()
	}
	return 0
}

// residentBytes reads the process's resident set size where the system
// tells it (Linux: /proc/self/statm, in pages).
func residentBytes() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * uint64(os.Getpagesize()), true
}

// labelText is {a="x",b="y"} with the names sorted, as client libraries
// write them (plus extra="value" last when extra is set, as le is), or
// nothing without labels.
func labelText(names, values []string, extra, extraValue string) string {
	if len(names) == 0 && extra == "" {
		return ""
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return names[order[a]] < names[order[b]] })
	pairs := make([]string, 0, len(names)+1)
	for _, i := range order {
		pairs = append(pairs, names[i]+`="`+escapeLabel(values[i])+`"`)
	}
	if extra != "" {
		pairs = append(pairs, extra+`="`+escapeLabel(extraValue)+`"`)
	}
	return "{" + strings.Join(pairs, ",") + "}"
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

// number formats a sample value as Prometheus does.
func number(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
