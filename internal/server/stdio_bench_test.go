package server

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// repeatReader yields n copies of one byte without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	for i := range p {
		p[i] = r.b
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// BenchmarkStdioGuardOversizedLine streams one 64 MB JSON-RPC line through
// the guard at the server's 4 MiB limit, then a normal line. B/op is what
// the hostile line costs the server: bounded by the limit, not by the line
// (the unguarded JSON-RPC loop took over 1.5 GiB for it).
func BenchmarkStdioGuardOversizedLine(b *testing.B) {
	const size = 64 << 20
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		in := io.MultiReader(
			strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"x":"`),
			&repeatReader{b: 'A', n: size},
			strings.NewReader("\"}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n"))
		var out bytes.Buffer
		got, err := io.ReadAll(NewStdioGuard(in, &out, MaxMessage, nil))
		if err != nil || !strings.Contains(string(got), `"id":2`) || !strings.Contains(out.String(), "message too large") {
			b.Fatalf("err %v, passed %q, answered %q", err, got, out.String())
		}
	}
}
