package pack

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIgnoreRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    map[string]string
		nodeMods bool
		want     []string // packaged, any order
		samples  []string // must all be among ExcludedSamples
		excluded int      // -1: do not check
	}{
		{
			name: "always-skipped directories at any depth",
			files: map[string]string{
				"a.txt": "", ".git/config": "", "logs/x.log": "", "node_modules/p/index.js": "",
				"sub/.git/HEAD": "", "sub/logs/y": "", "sub/node_modules/q/i.js": "", "sub/b.txt": "",
				"lib/logs": "a file named logs is kept", "logs.txt": "", ".github/workflows/ci.yml": "",
			},
			want: []string{"a.txt", "lib/logs", "logs.txt", "sub/b.txt", ".github/workflows/ci.yml"},
			samples: []string{".git/ (always skipped)", "logs/ (always skipped)", "node_modules/ (always skipped)",
				"sub/node_modules/ (always skipped)"},
			excluded: 6,
		},
		{
			name:     "node_modules opt-in keeps it, still skips .git and logs",
			files:    map[string]string{"node_modules/p/index.js": "", "node_modules/p/.git/x": "", "a/logs/l": "", "a.js": ""},
			nodeMods: true,
			want:     []string{"a.js", "node_modules/p/index.js"},
			excluded: 2,
		},
		{
			name: "nested .gitignore is scoped to its directory",
			files: map[string]string{
				".gitignore": "*.tmp\n", "a/.gitignore": "secret.txt\n",
				"secret.txt": "", "b/secret.txt": "", "a/secret.txt": "", "a/deep/secret.txt": "",
				"x.tmp": "", "a/x.tmp": "", "a/keep.txt": "",
			},
			want:    []string{".gitignore", "a/.gitignore", "secret.txt", "b/secret.txt", "a/keep.txt"},
			samples: []string{"a/secret.txt (a/.gitignore: secret.txt)", "x.tmp (.gitignore: *.tmp)"},
		},
		{
			name: "negation in the same file and in a nested file",
			files: map[string]string{
				".gitignore": "*.log\n!keep.log\n", "b/.gitignore": "!*.log\n",
				"a.log": "", "keep.log": "", "a/keep.log": "", "a/x.log": "", "b/x.log": "",
			},
			want: []string{".gitignore", "b/.gitignore", "keep.log", "a/keep.log", "b/x.log"},
		},
		{
			name: "a file below an excluded directory cannot be re-included (git)",
			files: map[string]string{
				".gitignore": "vendor/\n!vendor/keep.txt\n", "vendor/keep.txt": "", "vendor/.gitignore": "!*\n",
				"main.go": "",
			},
			want:     []string{".gitignore", "main.go"},
			samples:  []string{"vendor/ (.gitignore: vendor/)"},
			excluded: 1,
		},
		{
			name: "dir-only rule does not match files",
			files: map[string]string{
				".gitignore": "build/\n", "build/out.js": "", "src/build/x.js": "", "lib/build": "a file",
			},
			want:    []string{".gitignore", "lib/build"},
			samples: []string{"build/ (.gitignore: build/)", "src/build/ (.gitignore: build/)"},
		},
		{
			name: "anchored rules",
			files: map[string]string{
				".gitignore": "/dist\ndocs/*.md\n", "dist/a.js": "", "src/dist/b.js": "",
				"docs/a.md": "", "docs/sub/b.md": "", "x/docs/a.md": "",
			},
			want: []string{".gitignore", "src/dist/b.js", "docs/sub/b.md", "x/docs/a.md"},
		},
		{
			name: "double-star globs",
			files: map[string]string{
				".gitignore": "**/cache\na/**/z.txt\ngen/**\n!gen/keep.txt\n**/tmp/**\n",
				"cache/a":    "", "x/y/cache/b": "", "a/z.txt": "", "a/b/c/z.txt": "", "a/y.txt": "",
				"gen/x.js": "", "gen/keep.txt": "", "gen/sub/y.js": "", "q/tmp/r/s.txt": "", "tmp.txt": "",
			},
			want: []string{".gitignore", "a/y.txt", "gen/keep.txt", "tmp.txt"},
		},
		{
			name: "comments, blank lines, CRLF, escapes",
			files: map[string]string{
				".gitignore":  "# a comment\r\n\r\n   \r\n*.bak\r\n\\#hash.txt\r\n\\!bang.txt\r\n",
				"# a comment": "", "x.bak": "", "#hash.txt": "", "!bang.txt": "", "y.txt": "",
			},
			want: []string{".gitignore", "# a comment", "y.txt"},
		},
		{
			name: ".dockerignore at the root is anchored, path-cleaned, with exceptions",
			files: map[string]string{
				".dockerignore": "# comment\ntmp\n*.md\n!README.md\nout/\n./coverage\nassets\n!assets/keep/\n",
				"tmp/a":         "", "sub/tmp/b": "", "a.md": "", "sub/a.md": "", "README.md": "", "out/x": "",
				"coverage/c": "", "assets/big.bin": "", "assets/keep/k.txt": "", "assets/keep/more/m.txt": "",
			},
			want: []string{".dockerignore", "sub/tmp/b", "sub/a.md", "README.md", "assets/keep/k.txt",
				"assets/keep/more/m.txt"},
			samples: []string{"a.md (.dockerignore: *.md)", "assets/big.bin (.dockerignore: assets)"},
		},
		{
			name: ".cloudbaseignore at the root, gitignore syntax, wins over .gitignore",
			files: map[string]string{
				".cloudbaseignore": "secrets/\n.env\n!dist/\n", ".gitignore": "dist/\n",
				"secrets/k": "", "a/secrets/k": "", ".env": "", "a/.env": "", "dist/app.js": "", "main.js": "",
			},
			want:    []string{".cloudbaseignore", ".gitignore", "dist/app.js", "main.js"},
			samples: []string{".env (.cloudbaseignore: .env)", "a/secrets/ (.cloudbaseignore: secrets/)"},
		},
		{
			name: "ignore files are packaged unless ignored themselves",
			files: map[string]string{
				".cloudbaseignore": ".cloudbaseignore\n.gitignore\n", ".gitignore": "x\n", ".dockerignore": "y\n",
				"sub/.gitignore": "", "x": "", "y": "", "z": "",
			},
			want: []string{".dockerignore", "z"},
		},
		{
			name: "the root Dockerfile is always packaged",
			files: map[string]string{
				".dockerignore": "Dockerfile\n.dockerignore\n**/Dockerfile\n", "Dockerfile": "FROM x",
				"sub/Dockerfile": "", "main.go": "",
			},
			want: []string{"Dockerfile", "main.go"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			data, res := zipBytes(t, Options{Root: dir, IncludeNodeModules: tc.nodeMods})
			got := zipNames(t, data)
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			assert.Equal(t, want, got)
			for _, s := range tc.samples {
				assert.Contains(t, res.ExcludedSamples, s)
			}
			if tc.excluded > 0 {
				assert.Equal(t, tc.excluded, res.Excluded)
			}
		})
	}
}

func TestExcludedSamplesAreCapped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{".gitignore": "*.log\n"}
	for _, c := range "abcdefghijklmnopqrstuvwxyz" {
		files[string(c)+".log"] = ""
	}
	writeTree(t, dir, files)
	_, res := zipBytes(t, Options{Root: dir})
	assert.Equal(t, 26, res.Excluded)
	assert.Len(t, res.ExcludedSamples, maxExcludedSamples)
	assert.Equal(t, "a.log (.gitignore: *.log)", res.ExcludedSamples[0])
}

func TestRuleSetMatch(t *testing.T) {
	t.Parallel()
	var s ruleSet
	s.push(parseGitignore([]byte("*.o\n/root-only\nbuild/\n"), nil, ".gitignore"))
	s.push(parseGitignore([]byte("!keep.o\n"), []string{"src"}, "src/.gitignore"))
	tests := []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"a.o", false, true},
		{"src/keep.o", false, false},
		{"keep.o", false, true},
		{"root-only", false, true},
		{"src/root-only", false, false},
		{"build", true, true},
		{"build", false, false},
		{"src/x/build", true, true},
	}
	for _, tc := range tests {
		got, _ := s.match(strings.Split(tc.path, "/"), tc.isDir)
		assert.Equal(t, tc.want, got, "%s (dir=%v)", tc.path, tc.isDir)
	}
}

func TestFixTrailingDoubleStar(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a/**":    "a/**/*",
		"!a/**":   "!a/**/*",
		"a/**/":   "a/**/*/",
		"/**":     "/**/*",
		"a/** ":   "a/**/*",
		"**":      "**",
		"**/":     "**/",
		"a/**/b":  "a/**/b",
		"a\\/** ": "a\\/**/*",
		"x\\ ":    "x\\ ",
	} {
		assert.Equal(t, want, fixTrailingDoubleStar(in), in)
	}
}

func TestParseDockerignore(t *testing.T) {
	t.Parallel()
	rules := parseDockerignore([]byte("\xef\xbb\xbf# c\n  spaced  \n/abs\n!./keep/\n../up\n.\n"))
	require.Len(t, rules, 3)
	assert.Equal(t, []string{"spaced"}, rules[0].docker)
	assert.Equal(t, []string{"abs"}, rules[1].docker)
	assert.True(t, rules[2].include)
	assert.Equal(t, []string{"keep"}, rules[2].docker)

	assert.True(t, segmentsMayExtend([]string{"a", "b"}, []string{"a"}))
	assert.True(t, segmentsMayExtend([]string{"**", "x"}, []string{"a", "b"}))
	assert.True(t, segmentsMayExtend([]string{"a*", "b"}, []string{"ab"}))
	assert.False(t, segmentsMayExtend([]string{"a"}, []string{"a"}))
	assert.False(t, segmentsMayExtend([]string{"b", "c"}, []string{"a"}))
}
