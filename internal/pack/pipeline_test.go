package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallTuning makes chunking and back-pressure happen on trees of a few hundred KiB.
func smallTuning(workers int) tuning {
	return tuning{chunkSize: 16 << 10, inFlightBytes: 64 << 10, inFlightItems: 8, workers: workers}
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

func codeText(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "export function handler%d(req) { return { status: %d, body: req.body } }\n", i, 200+i%7)
	}
	return b.String()[:n]
}

// mixedTree has small and multi-chunk files, compressible and not, stored by name and by content.
func mixedTree(t *testing.T) string {
	dir := t.TempDir()
	twice := string(randomBytes(4, 4_000))
	twice += twice
	files := map[string]string{
		"empty.txt":           "",
		"tiny.txt":            "x",
		"src/app.js":          codeText(5_000),
		"src/big.js":          codeText(100_000),              // several chunks, deflated
		"src/exact.js":        codeText(16 << 10),             // exactly one chunk
		"src/over.js":         codeText(16<<10 + 1),           // one byte into a second chunk
		"assets/logo.png":     codeText(3_000),                // stored by name even though it compresses
		"assets/blob.bin":     string(randomBytes(1, 40_000)), // several chunks, stored by content
		"assets/noise.dat":    string(randomBytes(2, 3_000)),  // one chunk, stored by content
		"assets/short.dat":    string(randomBytes(3, 200)),    // too short to judge: deflated
		"assets/twice.dat":    twice,                          // looks random to the probe: stored
		"assets/twice.js":     twice,                          // not probed (text by name); deflate halves it
		"data/名字.csv":         codeText(20_000),
		"node_modules/x/y.js": "skipped",
	}
	for i := range 40 {
		files[fmt.Sprintf("many/f%02d.js", i)] = codeText(100 + 97*i)
	}
	writeTree(t, dir, files)
	return dir
}

func zipTuned(t *testing.T, opts Options, tu tuning) ([]byte, *Result, int64) {
	t.Helper()
	var buf bytes.Buffer
	res, peak, err := zipWith(context.Background(), opts, &buf, tu)
	require.NoError(t, err)
	return buf.Bytes(), res, peak
}

func TestZipIsByteIdenticalAcrossRunsWorkersAndGOMAXPROCS(t *testing.T) {
	t.Parallel()
	dir := mixedTree(t)
	want, wantRes, _ := zipTuned(t, Options{Root: dir}, smallTuning(1))
	for _, workers := range []int{1, 2, 3, 8} {
		for run := range 3 {
			got, res, _ := zipTuned(t, Options{Root: dir}, smallTuning(workers))
			assert.True(t, bytes.Equal(want, got), "workers %d, run %d: the archive differs", workers, run)
			assert.Equal(t, wantRes, res)
		}
	}
	// The defaults, whatever the number of cores.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first []byte
	for _, procs := range []int{1, 2, 4, 8} {
		runtime.GOMAXPROCS(procs)
		got, _ := zipBytes(t, Options{Root: dir})
		if first == nil {
			first = got
		}
		assert.True(t, bytes.Equal(first, got), "GOMAXPROCS %d: the archive differs", procs)
	}
	// Same content whatever the chunking.
	assert.Equal(t, readZip(t, want), readZip(t, first))
}

func TestZipStoresWhatIsAlreadyCompressed(t *testing.T) {
	t.Parallel()
	dir := mixedTree(t)
	data, res, _ := zipTuned(t, Options{Root: dir}, smallTuning(3))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	methods := map[string]uint16{}
	for _, f := range zr.File {
		methods[f.Name] = f.Method
	}
	for name, want := range map[string]uint16{
		"assets/logo.png":  zip.Store,   // by extension
		"assets/blob.bin":  zip.Store,   // by content, multi-chunk
		"assets/noise.dat": zip.Store,   // by content
		"assets/short.dat": zip.Deflate, // too short to judge
		"assets/twice.dat": zip.Store,
		"assets/twice.js":  zip.Deflate,
		"src/app.js":       zip.Deflate,
		"src/big.js":       zip.Deflate,
		"empty.txt":        zip.Deflate,
		"tiny.txt":         zip.Deflate,
	} {
		assert.Equal(t, want, methods[name], name)
	}
	// Every entry reads back (the reader checks each CRC) to the file's content.
	got := readZip(t, data)
	assert.Len(t, got, res.Files)
	var total int64
	for name, content := range got {
		disk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Equal(t, string(disk), content, name)
		total += int64(len(disk))
	}
	assert.Equal(t, total, res.Bytes)
	assert.Equal(t, int64(len(data)), res.ZipBytes)
}

func TestZipStreamsBigFilesInBoundedMemory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := codeText(3 << 20)
	noise := randomBytes(7, 2<<20+12345)
	writeTree(t, dir, map[string]string{"big.js": text, "big.bin": string(noise), "small.txt": "s"})

	tu := tuning{chunkSize: 64 << 10, inFlightBytes: 256 << 10, inFlightItems: 16, workers: 4}
	data, res, peak := zipTuned(t, Options{Root: dir}, tu)
	assert.LessOrEqual(t, peak, tu.inFlightBytes, "more than the budget was buffered")
	assert.Equal(t, int64(len(text)+len(noise)+1), res.Bytes)

	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[f.Name] = f
	}
	for name, want := range map[string][]byte{"big.js": []byte(text), "big.bin": noise} {
		f := byName[name]
		require.NotNil(t, f, name)
		assert.NotZero(t, f.Flags&0x8, "%s: a streamed entry has a data descriptor", name)
		assert.Equal(t, crc32.ChecksumIEEE(want), f.CRC32, name)
		assert.Equal(t, uint64(len(want)), f.UncompressedSize64, name)
		rc, err := f.Open()
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		require.NoError(t, err, name) // includes the CRC check at EOF
		require.NoError(t, rc.Close())
		assert.True(t, bytes.Equal(want, got), name)
	}
	assert.Equal(t, uint16(zip.Deflate), byName["big.js"].Method)
	assert.Less(t, byName["big.js"].CompressedSize64, uint64(len(text)/2))
	assert.Equal(t, uint16(zip.Store), byName["big.bin"].Method)
	assert.Zero(t, byName["small.txt"].Flags&0x8, "a one-chunk entry has its sizes in the local header")
}

// entryHeader fills in by hand what zip.Writer.CreateHeader fills in; the two must read back alike.
func TestEntryHeaderMatchesCreateHeader(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a.txt", "dir/名字.txt", "x\\y"} {
		for _, mode := range []os.FileMode{0o644, 0o755} {
			var viaStd bytes.Buffer
			zw := zip.NewWriter(&viaStd)
			h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: fixedModTime}
			h.SetMode(mode)
			_, err := zw.CreateHeader(h)
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			std, err := zip.NewReader(bytes.NewReader(viaStd.Bytes()), int64(viaStd.Len()))
			require.NoError(t, err)

			var viaRaw bytes.Buffer
			ew := &entryWriter{zw: zip.NewWriter(&viaRaw)}
			require.NoError(t, ew.write(&chunk{name: name, mode: mode, first: true, last: true, method: zip.Deflate,
				data: []byte{3, 0}}))
			require.NoError(t, ew.zw.Close())
			raw, err := zip.NewReader(bytes.NewReader(viaRaw.Bytes()), int64(viaRaw.Len()))
			require.NoError(t, err)

			a, b := std.File[0].FileHeader, raw.File[0].FileHeader
			assert.Equal(t, a.Name, b.Name)
			assert.Equal(t, a.Flags&0x800, b.Flags&0x800, "%s: UTF-8 flag", name)
			assert.Equal(t, a.CreatorVersion, b.CreatorVersion)
			assert.Equal(t, a.ReaderVersion, b.ReaderVersion)
			//lint:ignore SA1019 the DOS fields are what the reference writes; compared as written
			assert.Equal(t, a.ModifiedDate, b.ModifiedDate)
			//lint:ignore SA1019 as above
			assert.Equal(t, a.ModifiedTime, b.ModifiedTime)
			assert.True(t, a.Modified.Equal(b.Modified), "%v vs %v", a.Modified, b.Modified)
			assert.Equal(t, a.Extra, b.Extra)
			assert.Equal(t, a.ExternalAttrs, b.ExternalAttrs)
			assert.Equal(t, a.Mode(), b.Mode())
		}
	}
}

func TestCRC32Combine(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	data := randomBytes(9, 100_000)
	for range 200 {
		cut := rng.IntN(len(data) + 1)
		end := cut + rng.IntN(len(data)-cut+1)
		a, b := data[:cut], data[cut:end]
		assert.Equal(t, crc32.ChecksumIEEE(data[:end]),
			crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))), "cut %d end %d", cut, end)
	}
}

// packGoroutines lists the stacks of goroutines still running pipeline code.
func packGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "internal/pack.(*pipeline)") || strings.Contains(g, "internal/pack.zipWith.func") {
			out = append(out, g)
		}
	}
	return out
}

func TestZipStopsCleanly(t *testing.T) {
	// Not parallel: it reads every goroutine's stack, and another test's
	// pipeline would be counted as a leak.
	dir := mixedTree(t)
	for i := range 300 {
		writeTree(t, dir, map[string]string{fmt.Sprintf("more/d%d/f%03d.js", i%5, i): codeText(2_000 + i)})
	}
	zipBytes(t, Options{Root: dir}) // the runtime's own descriptors (the poller) exist from here on
	fdsBefore := openFDs(t)

	t.Run("cancelled mid-way", func(t *testing.T) {
		for _, workers := range []int{1, 4, 64} {
			ctx, cancel := context.WithCancel(context.Background())
			var calls int
			_, _, err := zipWith(ctx, Options{Root: dir, Progress: func(int, int64) {
				calls++
				cancel()
			}}, io.Discard, smallTuning(workers))
			assert.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, 1, calls)
			assert.Empty(t, packGoroutines(), "goroutines left after Zip returned")
			cancel()
		}
	})
	t.Run("write error mid-way", func(t *testing.T) {
		_, _, err := zipWith(context.Background(), Options{Root: dir}, &failingWriter{after: 50_000}, smallTuning(64))
		assert.ErrorContains(t, err, "writing zip: disk full")
		assert.Empty(t, packGoroutines(), "goroutines left after Zip returned")
	})
	t.Run("limit hit mid-way", func(t *testing.T) {
		_, _, err := zipWith(context.Background(), Options{Root: dir, MaxFiles: 100}, io.Discard, smallTuning(64))
		assert.ErrorIs(t, err, ErrLimitExceeded)
		assert.Empty(t, packGoroutines(), "goroutines left after Zip returned")
	})
	if fdsBefore >= 0 {
		assert.Equal(t, fdsBefore, openFDs(t), "files left open")
	}
}

// openFDs counts this process's open descriptors where /proc tells (-1 elsewhere).
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if errors.Is(err, os.ErrNotExist) {
		return -1
	}
	require.NoError(t, err)
	return len(entries)
}

// The first error in walk order wins, as with a sequential packer, whatever the workers finish first.
func TestZipReportsTheFirstErrorInWalkOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 50 {
		files[fmt.Sprintf("a/f%02d.js", i)] = codeText(3_000)
	}
	writeTree(t, dir, files)
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "z-out")))
	for _, workers := range []int{1, 4} {
		_, _, err := zipWith(context.Background(), Options{Root: dir, MaxFiles: 30}, io.Discard, smallTuning(workers))
		assert.ErrorIs(t, err, ErrLimitExceeded, "the limit is hit before the walk reaches the link")
		_, _, err = zipWith(context.Background(), Options{Root: dir}, io.Discard, smallTuning(workers))
		assert.ErrorIs(t, err, ErrOutsideRoot)
	}
}
