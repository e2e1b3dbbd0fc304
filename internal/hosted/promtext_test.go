package hosted

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExpositionParsesAsPrometheus: what /metrics writes is read back by
// Prometheus's own text parser with the values, labels and buckets put in,
// including label values that need escaping.
func TestExpositionParsesAsPrometheus(t *testing.T) {
	calls := newFamily(counterKind, "t_calls_total", "Calls by tool.\nSecond line \\ of help.", nil, "tool", "outcome")
	secs := newFamily(histogramKind, "t_seconds", "Durations.", []float64{0.1, 1, 10}, "tool")
	inflight := newFamily(gaugeKind, "t_in_flight", "In flight.", nil)
	idle := newFamily(counterKind, "t_idle_total", "Never changed.", nil)
	var r registry
	r.add(calls, secs, inflight, idle)

	calls.add(1, "deploy", "ok")
	calls.add(2, `we"ird\tool`+"\n", "error")
	for _, v := range []float64{0.05, 0.1, 0.5, 5, 50} {
		secs.observe(v, "deploy")
	}
	inflight.add(3)
	inflight.add(-1)

	var out bytes.Buffer
	require.NoError(t, r.writeTo(&out))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(out.String()))
	require.NoError(t, err, out.String())

	c := families["t_calls_total"]
	require.NotNil(t, c)
	assert.Equal(t, "Calls by tool.\nSecond line \\ of help.", c.GetHelp())
	got := map[string]float64{}
	for _, m := range c.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		got[labels["tool"]+"/"+labels["outcome"]] = m.GetCounter().GetValue()
	}
	assert.Equal(t, map[string]float64{"deploy/ok": 1, `we"ird\tool` + "\n/error": 2}, got)

	h := families["t_seconds"].GetMetric()[0].GetHistogram()
	assert.EqualValues(t, 5, h.GetSampleCount())
	assert.InDelta(t, 55.65, h.GetSampleSum(), 1e-9)
	cumulative := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		cumulative[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	assert.Equal(t, map[float64]uint64{0.1: 2, 1: 3, 10: 4, math.Inf(1): 5}, cumulative, "le is inclusive and buckets cumulative")

	assert.InDelta(t, 2, families["t_in_flight"].GetMetric()[0].GetGauge().GetValue(), 0)
	assert.InDelta(t, 0, families["t_idle_total"].GetMetric()[0].GetCounter().GetValue(), 0, "a label-less counter shows before it moves")
	assert.Greater(t, families["go_goroutines"].GetMetric()[0].GetGauge().GetValue(), 0.0)
	if rss, ok := families["process_resident_memory_bytes"]; ok {
		assert.Greater(t, rss.GetMetric()[0].GetGauge().GetValue(), 1e6)
	}
	for name := range families {
		assert.True(t, model.LegacyValidation.IsValidMetricName(name), name)
	}
}

// TestLabelsSortByName: series labels come out sorted by name, le last, as
// the client libraries write them, whatever order the family declares.
func TestLabelsSortByName(t *testing.T) {
	assert.Equal(t, `{a="2",a1="3",b="1"}`, labelText([]string{"b", "a", "a1"}, []string{"1", "2", "3"}, "", ""))
	assert.Equal(t, `{tool="x",le="+Inf"}`, labelText([]string{"tool"}, []string{"x"}, "le", "+Inf"))
	assert.Equal(t, "", labelText(nil, nil, "", ""))
}
