package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
)

// MaxMessage bounds one JSON-RPC message on stdio. The transport reads a whole
// line before parsing it, and parsing costs many times the line's size: a
// 64 MB line would cost over a gigabyte. No message of ours comes near 4 MiB
// (arguments are bounded at MaxArguments).
const MaxMessage = 4 << 20

// StdioGuard sits between the process's stdin/stdout and the MCP transport:
//   - a line longer than MaxMessage is never buffered whole: it is answered
//     with a JSON-RPC error for its id (read from its first bytes) and dropped;
//   - the moment stdin ends is signalled on EOF(), even while the transport is
//     still busy, so the server can bound its shutdown;
//   - writes to stdout are whole messages, one at a time, so the guard's own
//     answers never interleave with the transport's.
type StdioGuard struct {
	in      *bufio.Reader
	out     *lockedWriter
	logger  *slog.Logger
	max     int
	pending []byte // the rest of the current line, handed out by Read
	eof     chan struct{}
	eofOnce sync.Once
	err     error
}

// NewStdioGuard wraps stdin and stdout; max <= 0 means MaxMessage.
func NewStdioGuard(stdin io.Reader, stdout io.Writer, max int, logger *slog.Logger) *StdioGuard {
	if max <= 0 {
		max = MaxMessage
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &StdioGuard{in: bufio.NewReaderSize(stdin, 64<<10), out: &lockedWriter{w: stdout}, logger: logger, max: max, eof: make(chan struct{})}
}

// Stdout is the writer the transport must use.
func (g *StdioGuard) Stdout() io.Writer { return g.out }

// EOF is closed when stdin has ended (or failed).
func (g *StdioGuard) EOF() <-chan struct{} { return g.eof }

// Read hands out stdin one accepted line at a time.
func (g *StdioGuard) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		if g.err != nil {
			return 0, g.err
		}
		g.pending, g.err = g.nextLine()
		if g.err != nil {
			g.eofOnce.Do(func() { close(g.eof) })
		}
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

// nextLine reads one line of at most max bytes (newline included). A longer
// line is discarded as it streams by and answered with an error.
func (g *StdioGuard) nextLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := g.in.ReadSlice('\n')
		if len(line)+len(chunk) <= g.max {
			line = append(line, chunk...)
		} else {
			return g.refuse(line, chunk, err)
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err // EOF: hand out what came before it
		}
	}
}

// refuse drains the rest of an oversized line and answers it.
func (g *StdioGuard) refuse(head, chunk []byte, err error) ([]byte, error) {
	if len(head) < 64<<10 { // enough to find the id
		head = append(head, chunk[:min(len(chunk), 64<<10-len(head))]...)
	}
	size := len(head) + len(chunk)
	for errors.Is(err, bufio.ErrBufferFull) {
		chunk, err = g.in.ReadSlice('\n')
		size += len(chunk)
	}
	id, ok := leadingID(head)
	g.logger.Warn("a JSON-RPC message over the size limit was refused", "bytes", size, "limit", g.max, "hasId", ok)
	if ok {
		resp := mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: id}
		resp.Error.Code = mcp.INVALID_REQUEST
		resp.Error.Message = fmt.Sprintf("message too large: %d bytes (the limit per JSON-RPC message is %d bytes); send smaller arguments", size, g.max)
		if b, merr := json.Marshal(resp); merr == nil {
			_, _ = g.out.Write(append(b, '\n'))
		}
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}

// leadingID finds the top-level "id" of a JSON object from its first bytes.
func leadingID(head []byte) (mcp.RequestId, bool) {
	dec := json.NewDecoder(bytes.NewReader(head))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return mcp.RequestId{}, false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return mcp.RequestId{}, false
		}
		if key == "id" {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return mcp.RequestId{}, false
			}
			var id mcp.RequestId
			if err := json.Unmarshal(raw, &id); err != nil || id.IsNil() {
				return mcp.RequestId{}, false
			}
			return id, true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return mcp.RequestId{}, false
		}
	}
	return mcp.RequestId{}, false
}

// lockedWriter makes each Write whole and exclusive.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
