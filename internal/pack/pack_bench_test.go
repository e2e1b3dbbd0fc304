package pack

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// benchTreeVersion keys the cached tree: bump it when the generator changes.
const benchTreeVersion = "v1"

// BenchmarkZip200MB packages a ~200 MB, ~20k-file tree to io.Discard and reports throughput and the peak
// heap seen while it runs (sampled, so a lower bound on the true peak):
//
//	go test -run '^$' -bench Zip200MB -benchtime 1x ./internal/pack/
func BenchmarkZip200MB(b *testing.B) {
	dir := benchTree(b)

	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	runtime.GC()
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	var res *Result
	for b.Loop() {
		var err error
		res, err = Zip(context.Background(), Options{Root: dir}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-done

	b.SetBytes(res.Bytes)
	b.ReportMetric(float64(peak.Load())/1e6, "peak-heap-MB")
	b.ReportMetric(float64(res.Files), "files/op")
	b.ReportMetric(float64(res.ZipBytes)/float64(res.Bytes), "zip-ratio")
}

// benchTree returns a generated tree cached under os.TempDir (generated once per benchTreeVersion).
func benchTree(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "cloudbase-pack-bench-"+benchTreeVersion)
	marker := filepath.Join(dir, ".bench-complete")
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	b.Logf("generating the benchmark tree in %s (once)", dir)
	tmp, err := os.MkdirTemp(os.TempDir(), "cloudbase-pack-bench-build-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := generateBenchTree(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".bench-complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	_ = os.RemoveAll(dir) // an incomplete earlier attempt
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(marker); serr != nil { // not a concurrent run that got there first
			b.Fatal(err)
		}
	}
	return dir
}

// generateBenchTree writes ~200 MB of packaged content in ~20k files (70% compressible text, 30% random
// bytes; most files small, 100 large ones), plus content that the rules skip: node_modules, .git and
// .gitignore'd dist/ and *.log.
func generateBenchTree(root string) error {
	rng := rand.New(rand.NewPCG(1, 2))
	chacha := rand.NewChaCha8([32]byte{1, 2, 3})

	words := strings.Fields("const let var function return if else for while import export from require " +
		"module async await promise then catch error value result data config server client request response " +
		"handler router service deploy version build cloud run container function logger context timeout")
	var corpus strings.Builder
	for corpus.Len() < 8<<20 {
		corpus.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(8) == 0 {
			corpus.WriteString(";\n")
		} else {
			corpus.WriteByte(' ')
		}
	}
	text := corpus.String()
	random := make([]byte, 2<<20)

	write := func(name string, size int, compressible bool) error {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var data []byte
		if compressible {
			off := rng.IntN(len(text) - size)
			data = []byte(text[off : off+size])
		} else {
			if size > len(random) {
				random = make([]byte, size)
			}
			_, _ = chacha.Read(random[:size])
			data = random[:size]
		}
		return os.WriteFile(p, data, 0o644)
	}

	for i := range 19_900 { // ~100 MB of small files
		ext, compressible := ".js", true
		if i%10 >= 7 {
			ext, compressible = ".bin", false
		}
		name := fmt.Sprintf("src/pkg%02d/mod%02d/file%04d%s", i%40, (i/40)%25, i, ext)
		if err := write(name, 512+rng.IntN(9*1024), compressible); err != nil {
			return err
		}
	}
	for i := range 100 { // ~100 MB of large files
		if err := write(fmt.Sprintf("assets/large%03d.dat", i), 512<<10+rng.IntN(1<<20), i%2 == 0); err != nil {
			return err
		}
	}
	for i := range 2000 {
		if err := write(fmt.Sprintf("node_modules/dep%02d/lib/f%04d.js", i%50, i), 2048, true); err != nil {
			return err
		}
	}
	for i := range 500 {
		if err := write(fmt.Sprintf("dist/chunk%03d.js", i), 4096, true); err != nil {
			return err
		}
	}
	for i := range 200 {
		if err := write(fmt.Sprintf("src/pkg%02d/debug%03d.log", i%40, i), 1024, true); err != nil {
			return err
		}
	}
	for i := range 100 {
		if err := write(fmt.Sprintf(".git/objects/%02x/obj%03d", i, i), 1024, false); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(root, ".gitignore"), []byte("dist/\n*.log\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, ".cloudbaseignore"), []byte(".bench-complete\n"), 0o644)
}
