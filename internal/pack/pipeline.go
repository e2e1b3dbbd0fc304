package pack

import (
	"archive/zip"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
)

// The packer is a pipeline: the walker (one goroutine, the sorted walk) opens each file and cuts it into
// chunks; workers read and compress chunks concurrently; the writer (the caller's goroutine) takes them in
// walk order and appends them to the zip. The archive is therefore the same whatever the scheduling, and
// the chunks in flight are bounded in bytes and in number, so memory and open files are bounded too.
//
// A file up to one chunk is one deflate stream, written with its size and CRC in the local header. A
// larger file is cut at fixed offsets; each chunk is compressed on its own and ends with a sync flush (the
// last one closes the stream), so the chunks concatenate into one valid deflate stream; its CRC is
// combined from the chunks' and written in a data descriptor after the data.

// tuning sizes the pipeline; tests shrink it to exercise chunking and back-pressure on small trees.
type tuning struct {
	chunkSize     int64 // files above it are streamed in chunks of this size
	inFlightBytes int64 // budget of buffered chunks (their buffers' capacity), walker to writer
	inFlightItems int   // chunks in flight at most (bounds open files too)
	workers       int
}

func defaultTuning() tuning {
	// Beyond the cores, a couple more readers keep the disk busy when the page cache is cold.
	workers := runtime.GOMAXPROCS(0) + 2
	const chunk = 512 << 10
	return tuning{
		chunkSize: chunk,
		// Two chunks per worker keep every worker busy while the writer waits on the oldest. On 2 cores
		// that is 4 MiB: with the GC's headroom and the zip's central directory (~250 bytes an entry,
		// kept by archive/zip until Close) the packer's peak RSS stays near 35 MB on the 50,000-file
		// bench tree.
		inFlightBytes: min(max(2*int64(workers)*chunk, 4<<20), 32<<20),
		inFlightItems: 256,
		workers:       workers,
	}
}

// sharedFile is an open file read by its chunks' workers; the last one closes it.
type sharedFile struct {
	f    source
	refs atomic.Int32
}

func (s *sharedFile) release() {
	if s.refs.Add(-1) == 0 {
		_ = s.f.Close()
	}
}

const (
	methodUndecided = 0xffff // single-chunk files: the worker decides from the content
	uint32max       = 1<<32 - 1
)

// chunk is one unit of work, in walk order.
type chunk struct {
	name   string // entry name
	mode   fs.FileMode
	file   *sharedFile
	off, n int64 // the byte range read (from the size at open time)
	first  bool
	last   bool
	method uint16 // zip.Store, zip.Deflate or methodUndecided
	weight int64  // bytes reserved against tuning.inFlightBytes

	done chan struct{} // closed by the worker; the fields below are then set
	data []byte        // what goes into the zip for this chunk (a pooled buffer)
	raw  int64         // bytes read
	crc  uint32        // CRC-32 of the bytes read
	err  error
}

// flight bounds what the walker may queue ahead of the writer. One acquirer (the walker), one releaser
// (the writer).
type flight struct {
	maxBytes int64
	maxItems int

	mu    sync.Mutex
	bytes int64
	items int
	peak  int64         // highest bytes reserved at once, for tests
	freed chan struct{} // signalled on release
}

func newFlight(t tuning) *flight {
	return &flight{maxBytes: t.inFlightBytes, maxItems: t.inFlightItems, freed: make(chan struct{}, 1)}
}

func (f *flight) acquire(ctx context.Context, n int64) error {
	for {
		f.mu.Lock()
		// A chunk larger than the whole budget still goes through, alone.
		if f.items == 0 || (f.items < f.maxItems && f.bytes+n <= f.maxBytes) {
			f.items++
			f.bytes += n
			f.peak = max(f.peak, f.bytes)
			f.mu.Unlock()
			return nil
		}
		f.mu.Unlock()
		select {
		case <-f.freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *flight) release(n int64) {
	f.mu.Lock()
	f.items--
	f.bytes -= n
	f.mu.Unlock()
	select {
	case f.freed <- struct{}{}:
	default:
	}
}

// pipeline connects the walker to the workers and the writer.
type pipeline struct {
	ctx     context.Context
	tune    tuning
	flight  *flight
	ordered chan *chunk // walk order, to the writer
	work    chan *chunk // to the workers
	wg      sync.WaitGroup
}

func newPipeline(ctx context.Context, t tuning) *pipeline {
	// Channels hold every chunk the flight allows, so sending never blocks: only acquire waits.
	pl := &pipeline{ctx: ctx, tune: t, flight: newFlight(t),
		ordered: make(chan *chunk, t.inFlightItems), work: make(chan *chunk, t.inFlightItems)}
	for range max(1, t.workers) {
		pl.wg.Go(pl.worker)
	}
	return pl
}

// enqueue queues the file f (already opened and sized by the walker) as one chunk or several. It takes
// ownership of f.
func (pl *pipeline) enqueue(name string, mode fs.FileMode, f source, size int64) error {
	chunks := max(1, (size+pl.tune.chunkSize-1)/pl.tune.chunkSize)
	method := methodByName(name)
	if method == methodUndecided && chunks > 1 {
		// Every chunk must use the same method, so the content is probed before any is compressed.
		probe := make([]byte, probeSize)
		n, err := f.ReadAt(probe, 0)
		if err != nil && err != io.EOF {
			_ = f.Close()
			return fmt.Errorf("cannot read %s: %w", name, pathErrCause(err))
		}
		method = zip.Deflate
		if incompressible(probe[:n]) {
			method = zip.Store
		}
	}
	sf := &sharedFile{f: f}
	sf.refs.Store(int32(min(chunks, 1<<30)))
	for i := range chunks {
		off := i * pl.tune.chunkSize
		n := min(pl.tune.chunkSize, size-off)
		c := &chunk{name: name, mode: mode, file: sf, off: off, n: n, first: i == 0, last: i == chunks-1,
			method: method, weight: bufClass(n), done: make(chan struct{})}
		if err := pl.flight.acquire(pl.ctx, c.weight); err != nil {
			for range chunks - i { // the chunks never queued will not release it
				sf.release()
			}
			return err
		}
		pl.ordered <- c
		pl.work <- c
	}
	return nil
}

// close ends the input; the writer's range over ordered then ends.
func (pl *pipeline) close() {
	close(pl.ordered)
	close(pl.work)
}

func (pl *pipeline) worker() {
	fw, _ := newFlateWriter(nil) // level 1 is valid: no error
	scratch := &sliceWriter{}
	for c := range pl.work {
		if err := pl.ctx.Err(); err != nil {
			c.file.release()
			c.err = err
			close(c.done)
			continue
		}
		pl.process(fw, scratch, c)
		close(c.done)
	}
}

func (pl *pipeline) process(fw *flate.Writer, scratch *sliceWriter, c *chunk) {
	in := getBuf(c.n)
	n, err := c.file.f.ReadAt(in, c.off)
	c.file.release()
	if err != nil && err != io.EOF { // EOF: the file shrank since it was sized; pack what is there
		putBuf(in)
		c.err = fmt.Errorf("cannot read %s: %w", c.name, pathErrCause(err))
		return
	}
	in = in[:n]
	c.raw = int64(n)
	c.crc = crc32.ChecksumIEEE(in)
	if c.method == methodUndecided {
		c.method = zip.Deflate
		if incompressible(in) {
			c.method = zip.Store
		}
	}
	if c.method == zip.Store {
		c.data = in
		return
	}
	scratch.b = scratch.b[:0]
	fw.Reset(scratch)
	_, err = fw.Write(in)
	if err == nil && c.last {
		err = fw.Close()
	} else if err == nil {
		err = fw.Flush() // byte-aligned, not final: the next chunk's blocks follow
	}
	if err != nil { // sliceWriter never fails; a flate error is a bug worth surfacing
		putBuf(in)
		c.err = fmt.Errorf("compressing %s: %w", c.name, err)
		return
	}
	if c.first && c.last && n >= minStoreSize && len(scratch.b) >= n { // deflate gained nothing: store it
		c.method, c.data = zip.Store, in
		return
	}
	putBuf(in)
	// Copied out of the worker's scratch into a buffer of its own size class: compressed text is a
	// fraction of its input, and only that fraction waits for the writer.
	c.data = getBuf(int64(len(scratch.b)))
	copy(c.data, scratch.b)
}

// newFlateWriter is the packer's deflate: level 1 of klauspost/compress, about twice the speed of the
// standard library's level 1 for a similar size.
func newFlateWriter(w io.Writer) (*flate.Writer, error) {
	return flate.NewWriter(w, flate.BestSpeed)
}

type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// entryWriter is the writer's state: the zip and the multi-chunk entry being written.
type entryWriter struct {
	zw   *zip.Writer
	cur  io.Writer
	hdr  *zip.FileHeader // of a multi-chunk entry, completed after its last chunk
	crc  uint32
	raw  int64
	comp int64
}

// write appends c to the archive.
func (e *entryWriter) write(c *chunk) error {
	if c.first {
		hdr := entryHeader(c.name, c.method, c.mode)
		if c.last {
			hdr.CRC32, hdr.CompressedSize64, hdr.UncompressedSize64 = c.crc, uint64(len(c.data)), uint64(c.raw)
		} else {
			hdr.Flags |= 0x8 // sizes and CRC follow the data, in a data descriptor
		}
		w, err := e.zw.CreateRaw(hdr)
		if err != nil {
			return err
		}
		e.cur, e.hdr, e.crc, e.raw, e.comp = w, hdr, c.crc, 0, 0
	} else {
		e.crc = crc32Combine(e.crc, c.crc, c.raw)
	}
	if _, err := e.cur.Write(c.data); err != nil {
		return err
	}
	e.raw += c.raw
	e.comp += int64(len(c.data))
	if c.last && !c.first {
		// Read by the zip writer when it closes the entry (at the next Create or Close), as for entries
		// it compresses itself.
		h := e.hdr
		h.CRC32, h.CompressedSize64, h.UncompressedSize64 = e.crc, uint64(e.comp), uint64(e.raw)
		if h.CompressedSize64 >= uint32max || h.UncompressedSize64 >= uint32max {
			//lint:ignore SA1019 the zip writer reads the 32-bit sizes of an entry written raw; they must match the 64-bit ones
			h.CompressedSize, h.UncompressedSize = uint32max, uint32max
			h.ReaderVersion = 45 // ZIP64
		} else {
			//lint:ignore SA1019 as above
			h.CompressedSize, h.UncompressedSize = uint32(e.comp), uint32(e.raw)
		}
	}
	return nil
}

// drain waits for what is still queued after the writer stopped, so that no goroutine outlives Zip and
// every file is closed.
func (pl *pipeline) drain(walkerDone <-chan struct{}) {
	for range pl.ordered {
	}
	<-walkerDone
	pl.wg.Wait()
}

// Buffers come from per-size-class pools (powers of two), so that a small file does not hold a chunk-sized
// buffer and the in-flight budget counts real capacity.
const minBufClass = 4 << 10

var bufPools [32]sync.Pool

func bufClass(n int64) int64 {
	c := int64(minBufClass)
	for c < n {
		c <<= 1
	}
	return c
}

func classIndex(c int64) int {
	i := 0
	for c > minBufClass {
		c >>= 1
		i++
	}
	return i
}

// getBuf returns a buffer of length n.
func getBuf(n int64) []byte {
	c := bufClass(n)
	if i := classIndex(c); i < len(bufPools) {
		if b, ok := bufPools[i].Get().(*[]byte); ok {
			return (*b)[:n]
		}
	}
	return make([]byte, n, c)
}

func putBuf(b []byte) {
	c := int64(cap(b))
	if c < minBufClass || c&(c-1) != 0 { // not from a class (grown by append): let the GC have it
		return
	}
	if i := classIndex(c); i < len(bufPools) {
		b = b[:0]
		bufPools[i].Put(&b)
	}
}
