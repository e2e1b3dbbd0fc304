package pack

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Seeds live in testdata/fuzz/<Name>/; run longer with go test -fuzz FuzzIgnoreMatch ./internal/pack/.

// FuzzIgnoreMatch: any rules text and any path never panic, and appending a negated, anchored, escaped rule
// for the path itself always un-ignores it.
func FuzzIgnoreMatch(f *testing.F) {
	f.Add("*.log\n!keep.log\n", "a/keep.log")
	f.Add("build/\n/dist\n**/tmp/**\n", "x/tmp/y")
	f.Fuzz(func(t *testing.T, rules, p string) {
		var s ruleSet
		s.docker = parseDockerignore([]byte(rules))
		s.cloudbase = parseGitignore([]byte(rules), nil, cloudbaseignoreName)
		s.push(parseGitignore([]byte(rules), []string{"sub"}, "sub/.gitignore"))
		segs := strings.Split(p, "/")
		for _, isDir := range []bool{false, true} {
			s.match(segs, isDir)
			s.dockerMayReinclude(segs)
		}

		segs = fuzzPathSegments(p)
		if segs == nil {
			return
		}
		var neg ruleSet
		neg.push(parseGitignore([]byte(rules+"\n!/"+escapeGlob(strings.Join(segs, "/"))+"\n"), nil, ".gitignore"))
		for _, isDir := range []bool{false, true} {
			excluded, r := neg.match(segs, isDir)
			assert.False(t, excluded, "path %q (dir=%v) still excluded by %v", p, isDir, r)
		}
	})
}

// fuzzPathSegments keeps paths a walk could produce: non-empty segments, no . or .., one line.
func fuzzPathSegments(p string) []string {
	if p == "" || strings.ContainsAny(p, "\n\r") {
		return nil
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return nil
		}
	}
	return segs
}

// escapeGlob makes p match itself literally as a gitignore pattern.
func escapeGlob(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*', '?', '[', ']', '\\', ' ', '!', '#':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzExtract: arbitrary bytes as a zip never panic and never write anything outside the destination;
// on failure nothing at all is left.
func FuzzExtract(f *testing.F) {
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		parent := filepath.Join(base, "p")
		require.NoError(t, os.Mkdir(parent, 0o755))
		dest := filepath.Join(parent, "out")

		res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), dest, false,
			ExtractLimits{MaxFiles: 64, MaxBytes: 1 << 20})

		top, rerr := os.ReadDir(base)
		require.NoError(t, rerr)
		require.Len(t, top, 1, "something was written next to the parent")
		inParent, rerr := os.ReadDir(parent)
		require.NoError(t, rerr)
		if err != nil {
			require.Empty(t, inParent, "a failed extraction left %v", inParent)
			return
		}
		require.Len(t, inParent, 1)
		require.Equal(t, "out", inParent[0].Name())
		files := 0
		require.NoError(t, filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			require.NoError(t, err)
			require.True(t, d.IsDir() || d.Type().IsRegular(), "%s has type %v", p, d.Type())
			if !d.IsDir() {
				files++
			}
			return nil
		}))
		require.Equal(t, res.Files, files)
	})
}
