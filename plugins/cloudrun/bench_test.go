package cloudrun

import (
	"testing"
)

// BenchmarkListCacheHit is a whole tool call served from the cache: MCP
// request handling, validation, binding, the cache lookup and encoding.
func BenchmarkListCacheHit(b *testing.B) {
	h := newHarness(b)
	args := map[string]any{"action": "list"}
	h.query(b, args) // warm
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, _ := h.query(b, args)
		if res.IsError {
			b.Fatal(resultText(res))
		}
	}
}

// BenchmarkListCacheMiss is the same call read upstream from the emulator
// over loopback (signed request, envelope decoding) every time.
func BenchmarkListCacheMiss(b *testing.B) {
	h := newHarness(b)
	args := map[string]any{"action": "list", "refresh": true}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, _ := h.query(b, args)
		if res.IsError {
			b.Fatal(resultText(res))
		}
	}
}
