package pack

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzIgnoreRuleSet feeds arbitrary ignore-file text and paths to the parsers and to ruleSet.match.
//
// Properties:
//   - no panic in parseGitignore, parseDockerignore, ruleSet.match and dockerMayReinclude;
//   - matching is deterministic: parsing the same text twice and matching the same path gives the same
//     decision and the same deciding rule;
//   - a rule set that is empty or made only of comments and blank lines (every line of the input turned
//     into a comment, with a BOM and CRLFs) has no rules and matches nothing;
//   - a .gitignore parsed for directory "sub" decides sub/<path> exactly as the same file at the root
//     decides <path>, and never matches a path outside sub;
//   - differential against a reference for literal patterns (no glob characters): appended as the last
//     line of any rules text, `a/b` matches exactly a/b and everything below it, `b` matches a segment b
//     at any depth and everything below it, a trailing `/` leaves out a file of that exact name, and in
//     .dockerignore `a/b` and `b` are anchored at the root. When the literal does not match, the verdict
//     is the one of the rules text alone. A `!a/b` .dockerignore exception makes exactly the proper
//     prefixes of a/b worth entering.
//
// Run longer with: go test -run '^$' -fuzz '^FuzzIgnoreRuleSet$' -fuzztime 60s ./internal/pack/
func FuzzIgnoreRuleSet(f *testing.F) {
	f.Add("*.log\n!keep.log\n", "a/b", "a/b/c.txt", false)
	f.Add("build/\n/dist\n**/tmp/**\n", "build", "src/build", true)
	f.Add("# comment\n\n   \r\n\\#hash\n", "x", "x", false)
	f.Add("\xef\xbb\xbfa/**\n!a/keep\n", "a/keep", "a/keep/deep", true)
	f.Add("*\n!*/\n", "docs/api", "docs", true)
	f.Add("", "", "", false)
	f.Add("[z-a]\n\\\n!\n/\n**\n!**\n", "q", "q/r", false)
	f.Add("a/**/b\n**/c/\n", "a/x/b", "a/x/b/c", true)

	f.Fuzz(func(t *testing.T, rules, lit, p string, isDir bool) {
		data := []byte(rules)
		paths := [][]string{strings.Split(p, "/")}
		if segs := fzWalkSegments(p); segs != nil {
			paths = append(paths, segs)
		}
		litSegs := fzLiteralSegments(lit)
		if litSegs != nil {
			paths = append(paths, litSegs, litSegs[:len(litSegs)-1])
			if segs := fzWalkSegments(p); segs != nil {
				paths = append(paths, fzConcat(litSegs, segs), fzConcat(segs, litSegs))
			}
		}

		// Determinism, and no panic for any path (even ones a walk cannot produce).
		build := func() *ruleSet {
			return &ruleSet{
				cloudbase: parseGitignore(data, nil, cloudbaseignoreName),
				docker:    parseDockerignore(data),
				git:       [][]*rule{parseGitignore(data, nil, gitignoreName), parseGitignore(data, []string{"sub"}, "sub/.gitignore")},
			}
		}
		s1, s2 := build(), build()
		for _, q := range paths {
			for _, dir := range []bool{false, true} {
				ex1, r1 := s1.match(q, dir)
				ex2, r2 := s2.match(q, dir)
				require.Equal(t, ex1, ex2, "path %q dir=%v", q, dir)
				require.Equal(t, fzRuleID(r1), fzRuleID(r2), "path %q dir=%v", q, dir)
				if r1 == nil {
					require.False(t, ex1, "excluded without a deciding rule: %q", q)
				}
				require.Equal(t, s1.dockerMayReinclude(q), s2.dockerMayReinclude(q))
			}
		}

		// Empty and all-comment rule sets match nothing.
		var comments strings.Builder
		comments.WriteString("\xef\xbb\xbf")
		for line := range strings.SplitSeq(rules, "\n") {
			comments.WriteString("#" + line + "\r\n \t\r\n\n")
		}
		for _, text := range [][]byte{nil, []byte(comments.String())} {
			empty := &ruleSet{
				cloudbase: parseGitignore(text, nil, cloudbaseignoreName),
				docker:    parseDockerignore(text),
				git:       [][]*rule{parseGitignore(text, nil, gitignoreName), parseGitignore(text, []string{"sub"}, "sub/.gitignore")},
			}
			require.Empty(t, empty.cloudbase, "rules from %q", text)
			require.Empty(t, empty.docker, "rules from %q", text)
			require.Empty(t, empty.git[0], "rules from %q", text)
			for _, q := range paths {
				for _, dir := range []bool{false, true} {
					ex, r := empty.match(q, dir)
					require.False(t, ex, "path %q matched by comments %q", q, text)
					require.Nil(t, r)
				}
				require.False(t, empty.dockerMayReinclude(q))
			}
		}

		// Scoping: a nested .gitignore sees the path relative to its directory.
		root := parseGitignore(data, nil, gitignoreName)
		nested := parseGitignore(data, []string{"sub"}, "sub/.gitignore")
		for _, q := range paths {
			for _, dir := range []bool{false, true} {
				rr, rex := lastMatch(root, q, dir)
				nr, nex := lastMatch(nested, fzConcat([]string{"sub"}, q), dir)
				require.Equal(t, rex, nex, "path %q dir=%v", q, dir)
				require.Equal(t, fzRuleIndex(root, rr), fzRuleIndex(nested, nr), "path %q dir=%v", q, dir)
				if len(q) == 0 || q[0] != "sub" {
					r, _ := lastMatch(nested, q, dir)
					require.Nil(t, r, "sub/.gitignore rule matched %q outside sub", q)
				}
			}
		}

		if litSegs == nil {
			return
		}
		litPath := strings.Join(litSegs, "/")
		type variant struct {
			line   string
			docker bool
			want   func(q []string, dir bool) bool
		}
		variants := []variant{
			{line: litPath, want: func(q []string, _ bool) bool { return fzGitLiteralMatch(litSegs, false, false, q, true) }},
			{line: "/" + litPath, want: func(q []string, _ bool) bool { return fzGitLiteralMatch(litSegs, true, false, q, true) }},
			{line: litPath + "/", want: func(q []string, dir bool) bool { return fzGitLiteralMatch(litSegs, false, true, q, dir) }},
			{line: "/" + litPath + "/", want: func(q []string, dir bool) bool { return fzGitLiteralMatch(litSegs, true, true, q, dir) }},
			{line: litPath, docker: true, want: func(q []string, _ bool) bool { return fzHasPrefix(q, litSegs) }},
			{line: "/" + litPath + "/", docker: true, want: func(q []string, _ bool) bool { return fzHasPrefix(q, litSegs) }},
		}
		for _, v := range variants {
			text := []byte(rules + "\n" + v.line + "\n")
			var with, without ruleSet
			if v.docker {
				with.docker, without.docker = parseDockerignore(text), parseDockerignore(data)
			} else {
				with.push(parseGitignore(text, nil, gitignoreName))
				without.push(parseGitignore(data, nil, gitignoreName))
			}
			for _, q := range paths {
				if fzWalkSegments(strings.Join(q, "/")) == nil {
					continue
				}
				for _, dir := range []bool{false, true} {
					ex, r := with.match(q, dir)
					if v.want(q, dir) {
						require.True(t, ex, "literal %q (docker=%v) does not exclude %q dir=%v (decided by %v)", v.line, v.docker, q, dir, r)
						require.NotNil(t, r)
						require.Equal(t, v.line, strings.TrimSpace(r.line), "deciding rule for %q", q)
						continue
					}
					wex, wr := without.match(q, dir)
					require.Equal(t, wex, ex, "literal %q (docker=%v) changed the verdict on %q dir=%v", v.line, v.docker, q, dir)
					require.Equal(t, fzRuleID(wr), fzRuleID(r), "literal %q changed the deciding rule of %q", v.line, q)
				}
			}
		}

		// A .dockerignore exception `!a/b/c` is worth entering exactly a and a/b (and not a/b/c or beyond).
		var exc ruleSet
		exc.docker = parseDockerignore([]byte("!" + litPath + "\n"))
		require.Len(t, exc.docker, 1)
		for _, q := range paths {
			want := len(q) < len(litSegs) && fzHasPrefix(litSegs, q)
			require.Equal(t, want, exc.dockerMayReinclude(q), "exception %q, dir %q", litPath, q)
		}
	})
}

// fzWalkSegments keeps the paths a directory walk can produce: non-empty segments, no . or .., no NUL.
func fzWalkSegments(p string) []string {
	if p == "" || strings.ContainsRune(p, 0) {
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

// fzLiteralSegments returns the segments of lit when every segment is a plain name: non-empty, not . or ..,
// and without characters that gitignore, docker or filepath.Match treat specially (globs, escapes,
// negation, comments, blanks, control characters).
func fzLiteralSegments(lit string) []string {
	segs := fzWalkSegments(lit)
	if segs == nil {
		return nil
	}
	for _, s := range segs {
		for _, c := range s {
			if unicode.IsSpace(c) || unicode.IsControl(c) || c == utf8.RuneError || c == 0xfeff ||
				strings.ContainsRune(`*?[]\!#`, c) {
				return nil
			}
		}
	}
	return segs
}

// fzGitLiteralMatch is the reference for a literal gitignore pattern: anchored when it has a leading or an
// inner slash, else a name at any depth; everything below a match matches too; dirOnly leaves out a file
// that is the match itself.
func fzGitLiteralMatch(lit []string, leadingSlash, dirOnly bool, q []string, isDir bool) bool {
	if len(lit) > 1 || leadingSlash {
		if !fzHasPrefix(q, lit) {
			return false
		}
		return !(dirOnly && !isDir && len(q) == len(lit))
	}
	for i, s := range q {
		if s == lit[0] {
			return !(dirOnly && !isDir && i == len(q)-1)
		}
	}
	return false
}

func fzHasPrefix(q, prefix []string) bool {
	return len(q) >= len(prefix) && slices.Equal(q[:len(prefix)], prefix)
}

func fzConcat(a, b []string) []string {
	return append(slices.Clip(a), b...)
}

func fzRuleID(r *rule) string {
	if r == nil {
		return "<none>"
	}
	return r.String()
}

func fzRuleIndex(rules []*rule, r *rule) int {
	return slices.Index(rules, r)
}
