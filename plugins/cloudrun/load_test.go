package cloudrun

import (
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
)

// TestLoadLeavesNothingRunning: 200 concurrent mixed calls in process; after
// them the goroutines and the heap are back near where they started.
func TestLoadLeavesNothingRunning(t *testing.T) {
	h := newHarness(t)
	h.emu.SetSpeed(400)
	h.project(t, "container-node")
	h.query(t, map[string]any{"action": "envStatus"}) // warm up
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := appGoroutines()

	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := 0
	for i := 0; i < 200; i++ {
		var tool string
		var args map[string]any
		switch i % 5 {
		case 0, 1:
			tool, args = QueryToolName, map[string]any{"action": "list", "pageSize": 1 + i%7, "refresh": i%3 == 0}
		case 2:
			tool, args = QueryToolName, map[string]any{"action": "detail", "detailServerName": "hello-api"}
		case 3:
			tool, args = ManageToolName, map[string]any{"action": "init", "serverName": fmt.Sprintf("load-%03d", i)}
		case 4:
			tool, args = ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node", "dryRun": true}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := mcp.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = tool, args
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := h.mcp.CallTool(ctx, req)
			if assert.NoError(t, err) && assert.False(t, res.IsError, "%s %v: %s", tool, args, resultText(res)) {
				mu.Lock()
				answered++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 200, answered)

	// Polled here, not with assert.Eventually, whose own goroutine would count.
	deadline := time.Now().Add(5 * time.Second)
	for appGoroutines() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !assert.LessOrEqual(t, appGoroutines(), goroutines, "goroutines back to the baseline") {
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Log(b.String())
	}
	h.plugin.reads.cache.lists.DeletePrefix("") // cached pages are not a leak
	h.plugin.reads.cache.details.DeletePrefix("")
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// The heap is measured by BenchmarkLoadHeap, not asserted here.
	t.Logf("heap in use: %d KiB before, %d KiB after", before.HeapInuse>>10, after.HeapInuse>>10)
}

// BenchmarkLoadHeap reports the heap in use after 200 concurrent mixed calls
// (caches dropped), next to the heap before them.
func BenchmarkLoadHeap(b *testing.B) {
	h := newHarness(b)
	h.emu.SetSpeed(400)
	h.project(b, "container-node")
	var before, after runtime.MemStats
	for range b.N {
		runtime.GC()
		runtime.ReadMemStats(&before)
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				req := mcp.CallToolRequest{}
				req.Params.Name = QueryToolName
				req.Params.Arguments = map[string]any{"action": "list", "pageSize": 1 + i%7, "refresh": i%3 == 0}
				if i%2 == 1 {
					req.Params.Name, req.Params.Arguments = ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node", "dryRun": true}
				}
				if _, err := h.mcp.CallTool(context.Background(), req); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		h.plugin.reads.cache.lists.DeletePrefix("")
		h.plugin.reads.cache.details.DeletePrefix("")
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(before.HeapInuse>>10), "KiB-heap-before")
	b.ReportMetric(float64(after.HeapInuse>>10), "KiB-heap-after")
}

// appGoroutines counts goroutines other than the HTTP connections kept alive
// in the client's and the emulator's pools (idle, bounded, not a leak) and
// this dump's own.
func appGoroutines() int {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	n := 0
	for _, g := range strings.Split(b.String(), "\n\n") {
		if strings.TrimSpace(g) == "" || strings.Contains(g, "net/http.(*persistConn)") || strings.Contains(g, "net/http.(*conn).serve") ||
			strings.Contains(g, "runtime/pprof.writeGoroutine") {
			continue
		}
		n++
	}
	return n
}
