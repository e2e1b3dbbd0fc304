package localrun

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sync"
	"time"
)

const (
	ringLines       = 200 // lines kept in memory per run
	maxLineBytes    = 400 // longer lines are cut in the ring (the file keeps them whole)
	cutMark         = " … (line cut; the log file has all of it)"
	maxLogFileBytes = 32 << 20 // the file stops growing here; the ring goes on
	notePrefix      = "[cloudbase-mcp] "
)

// ansiEscape matches terminal colour and cursor sequences, which mean nothing in a tool result.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// logSink receives a child's stdout and stderr (and npm's): it appends to the
// run's log file and keeps the last lines in a ring. Write never fails: a
// failed Write would stop exec's copy goroutine, the pipe would fill and the
// child would block on its next console.log (the reference's deadlock).
type logSink struct {
	mu        sync.Mutex
	file      *os.File
	written   int64
	capped    bool
	partial   []byte
	cutLine   bool // the partial line overflowed maxLineBytes; drop the rest of it
	ring      []string
	next      int
	ringCount int
}

func newLogSink(f *os.File) *logSink {
	return &logSink{file: f, ring: make([]string, ringLines)}
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeFileLocked(p)
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			s.appendPartialLocked(rest)
			break
		}
		s.appendPartialLocked(rest[:i])
		line := string(s.partial)
		if s.cutLine {
			line += cutMark
		}
		s.pushLocked(line)
		s.partial = s.partial[:0]
		s.cutLine = false
		rest = rest[i+1:]
	}
	return len(p), nil
}

// note records a line of our own, marked so that it cannot be mistaken for the child's output.
func (s *logSink) note(format string, args ...any) {
	line := notePrefix + time.Now().Format(time.RFC3339) + " " + fmt.Sprintf(format, args...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.partial) > 0 { // finish the child's unterminated line first
		s.pushLocked(string(s.partial))
		s.partial = s.partial[:0]
		s.cutLine = false
		s.writeFileLocked([]byte("\n"))
	}
	s.writeFileLocked([]byte(line + "\n"))
	s.pushLocked(line)
}

func (s *logSink) writeFileLocked(p []byte) {
	if s.file == nil || s.capped {
		return
	}
	if room := maxLogFileBytes - s.written; int64(len(p)) > room {
		p = p[:room]
		s.capped = true
	}
	n, _ := s.file.Write(p)
	s.written += int64(n)
	if s.capped {
		_, _ = fmt.Fprintf(s.file, "\n%slog file reached %d MiB; further output is kept in memory only\n", notePrefix, maxLogFileBytes>>20)
	}
}

func (s *logSink) appendPartialLocked(b []byte) {
	if s.cutLine {
		return
	}
	if room := maxLineBytes - len(s.partial); len(b) > room {
		b = b[:room]
		s.cutLine = true
	}
	s.partial = append(s.partial, b...)
}

func (s *logSink) pushLocked(line string) {
	line = ansiEscape.ReplaceAllString(line, "")
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	s.ring[s.next] = line
	s.next = (s.next + 1) % len(s.ring)
	if s.ringCount < len(s.ring) {
		s.ringCount++
	}
}

// tail returns up to n of the last lines (an unterminated last line included); never nil.
func (s *logSink) tail(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, n)
	if n <= 0 {
		return out
	}
	extra := 0
	if len(s.partial) > 0 {
		extra = 1
	}
	take := min(n-extra, s.ringCount)
	if take < 0 {
		take = 0
	}
	for i := take; i > 0; i-- {
		out = append(out, s.ring[(s.next-i+len(s.ring))%len(s.ring)])
	}
	if extra == 1 {
		out = append(out, ansiEscape.ReplaceAllString(string(s.partial), ""))
	}
	return out
}

// close closes the file; the ring stays readable.
func (s *logSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		_ = s.file.Close()
		s.file = nil
	}
}
