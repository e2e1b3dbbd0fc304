package localrun

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogSinkLines(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "x.log"))
	require.NoError(t, err)
	s := newLogSink(f)
	assert.Equal(t, []string{}, s.tail(5), "never nil")

	n, err := s.Write([]byte("one\ntw"))
	require.NoError(t, err)
	assert.Equal(t, 6, n)
	assert.Equal(t, []string{"one", "tw"}, s.tail(5), "an unterminated line is shown")
	_, _ = s.Write([]byte("o\r\n\x1b[32mgreen\x1b[0m\n"))
	assert.Equal(t, []string{"one", "two", "green"}, s.tail(5), "CR and colour codes are dropped")
	assert.Equal(t, []string{"green"}, s.tail(1))

	_, _ = s.Write([]byte(strings.Repeat("y", 3*maxLineBytes) + "\nafter\n"))
	tail := s.tail(2)
	assert.Equal(t, strings.Repeat("y", maxLineBytes)+cutMark, tail[0], "long lines are cut in memory, and say so")
	assert.Equal(t, "after", tail[1])

	for i := range 2 * ringLines {
		_, _ = fmt.Fprintf(s, "line %d\n", i)
	}
	all := s.tail(10 * ringLines)
	assert.Len(t, all, ringLines)
	assert.Equal(t, fmt.Sprintf("line %d", 2*ringLines-1), all[len(all)-1])

	s.note("ready on %s", "http://127.0.0.1:1/")
	assert.True(t, strings.HasPrefix(s.tail(1)[0], notePrefix))
	s.close()
	_, err = s.Write([]byte("late\n"))
	assert.NoError(t, err, "writes after close still succeed (the child must never block)")
	assert.Equal(t, "late", s.tail(1)[0])

	data, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	assert.Contains(t, string(data), "\x1b[32mgreen", "the file keeps the raw output")
	assert.Contains(t, string(data), strings.Repeat("y", 3*maxLineBytes))
	assert.NotContains(t, string(data), "late")
}
