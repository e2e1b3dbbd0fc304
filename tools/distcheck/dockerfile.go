package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
)

// image is what the Dockerfile says the final image is: the build stage's
// /rootfs (directories, modes, owners, copied files, the binary) copied to /
// of an empty image, and the final stage's settings.
type image struct {
	rootfs     string // the build stage's directory copied to /
	binary     string // where the build stage writes the binary, under rootfs
	dirs       []string
	modes      map[string]os.FileMode
	owners     map[string][2]int
	copies     [][2]string // host file → path under rootfs
	uid, gid   int
	env        []string
	workdir    string
	entrypoint []string
	labels     map[string]string
}

type instruction struct{ cmd, args string }

// readInstructions splits a Dockerfile into stages of instructions, joining
// continued lines and dropping comments.
func readInstructions(file string) ([][]instruction, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var stages [][]instruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		ins := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if ins.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], ins)
		}
	}
	for sc.Scan() {
		line := sc.Text()
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages, sc.Err()
}

func parseDockerfile(file string) (*image, error) {
	stages, err := readInstructions(file)
	if err != nil {
		return nil, err
	}
	if len(stages) < 2 {
		return nil, errors.New("want a build stage and a final stage")
	}
	img := &image{modes: map[string]os.FileMode{}, owners: map[string][2]int{}, labels: map[string]string{}}
	if err := img.final(stages[len(stages)-1]); err != nil {
		return nil, err
	}
	if err := img.build(stages[len(stages)-2]); err != nil {
		return nil, err
	}
	return img, nil
}

// final reads the last stage, which must need nothing but its files.
func (img *image) final(stage []instruction) error {
	if stage[0].args != "scratch" {
		return fmt.Errorf("the final stage is FROM %s, want scratch (nothing but the binary)", stage[0].args)
	}
	for _, ins := range stage[1:] {
		if read, ok := finalReaders[ins.cmd]; ok {
			if err := read(img, ins); err != nil {
				return err
			}
		}
	}
	if img.rootfs == "" || img.uid == 0 || len(img.entrypoint) == 0 {
		return errors.New("the final stage needs COPY --from, USER and ENTRYPOINT")
	}
	return nil
}

// finalReaders read the final stage's instructions, by name. One not listed
// (EXPOSE, STOPSIGNAL, ...) changes nothing this check looks at.
var finalReaders = map[string]func(*image, instruction) error{
	"RUN":         refuseInFinal,
	"SHELL":       refuseInFinal,
	"HEALTHCHECK": refuseInFinal,
	"ONBUILD":     refuseInFinal,
	"ADD":         refuseInFinal,
	"COPY":        (*image).readCopy,
	"USER":        (*image).readUser,
	"ENV":         (*image).readEnv,
	"WORKDIR":     (*image).readWorkdir,
	"LABEL":       (*image).readLabel,
	"ENTRYPOINT":  (*image).readEntrypoint,
}

// refuseInFinal refuses an instruction the final stage must not hold.
func refuseInFinal(_ *image, ins instruction) error {
	return fmt.Errorf("the final stage has %s %s: an empty image cannot run it", ins.cmd, ins.args)
}

func (img *image) readCopy(ins instruction) error {
	f := strings.Fields(ins.args)
	if len(f) != 3 || !strings.HasPrefix(f[0], "--from=") || f[2] != "/" {
		return fmt.Errorf("COPY %s: want one COPY --from=<stage> <dir>/ /", ins.args)
	}
	img.rootfs = strings.TrimSuffix(f[1], "/")
	return nil
}

func (img *image) readUser(ins instruction) error {
	u, g, ok := strings.Cut(ins.args, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil || uid == 0 {
		return fmt.Errorf("USER %s: want a numeric uid:gid other than root (no /etc/passwd in the image)", ins.args)
	}
	img.uid, img.gid = uid, gid
	return nil
}

func (img *image) readEnv(ins instruction) error {
	img.env = append(img.env, strings.Fields(ins.args)...)
	return nil
}

func (img *image) readWorkdir(ins instruction) error {
	img.workdir = ins.args
	return nil
}

func (img *image) readLabel(ins instruction) error {
	for k, v := range parseLabels(ins.args) {
		img.labels[k] = v
	}
	return nil
}

func (img *image) readEntrypoint(ins instruction) error {
	if err := json.Unmarshal([]byte(ins.args), &img.entrypoint); err != nil || len(img.entrypoint) == 0 || !path.IsAbs(img.entrypoint[0]) {
		return fmt.Errorf("ENTRYPOINT %s: want the exec form with an absolute path (the shell form needs /bin/sh)", ins.args)
	}
	return nil
}

// build reads the build stage's RUN that assembles the rootfs.
func (img *image) build(stage []instruction) error {
	for _, ins := range stage {
		if ins.cmd != "RUN" || !strings.Contains(ins.args, img.rootfs+"/") {
			continue
		}
		for _, step := range strings.Split(ins.args, "&&") {
			if err := img.step(strings.Fields(step)); err != nil {
				return err
			}
		}
	}
	if img.binary == "" {
		return fmt.Errorf("no go build -o %s/... in the build stage", img.rootfs)
	}
	return nil
}

// step reads one command of the RUN that assembles the rootfs: the go build
// (wherever "go build" appears: it may follow variable assignments), then
// the file commands by name.
func (img *image) step(f []string) error {
	switch {
	case len(f) == 0:
		return nil
	case hasWord(f, "go") && hasWord(f, "build"):
		return img.goBuild(f)
	}
	if read, ok := stepReaders[f[0]]; ok {
		return read(img, f)
	}
	return nil
}

// stepReaders read the rootfs's file commands, by name; each ignores a form
// it does not recognise (cp with options, chmod without a path).
var stepReaders = map[string]func(*image, []string) error{
	"mkdir": (*image).mkdir,
	"cp":    (*image).cp,
	"chmod": (*image).chmod,
	"chown": (*image).chown,
}

// under is p relative to the rootfs, if it lies there.
func (img *image) under(p string) (string, bool) { return strings.CutPrefix(p, img.rootfs) }

func (img *image) goBuild(f []string) error {
	if !hasWord(f, "CGO_ENABLED=0") || !hasWord(f, "-trimpath") {
		return errors.New("the build stage's go build lacks CGO_ENABLED=0 or -trimpath (the release flags)")
	}
	for i, w := range f {
		if p, ok := img.under(w); ok && i > 0 && f[i-1] == "-o" {
			img.binary = p
		}
	}
	return nil
}

func (img *image) mkdir(f []string) error {
	for _, w := range f[1:] {
		if p, ok := img.under(w); ok {
			img.dirs = append(img.dirs, p)
		}
	}
	return nil
}

func (img *image) cp(f []string) error {
	if len(f) != 3 {
		return nil
	}
	if p, ok := img.under(f[2]); ok {
		img.copies = append(img.copies, [2]string{f[1], p})
	}
	return nil
}

func (img *image) chmod(f []string) error {
	if len(f) < 3 {
		return nil
	}
	m, err := strconv.ParseUint(f[1], 8, 32)
	if err != nil {
		return fmt.Errorf("chmod %s: want an octal mode", f[1])
	}
	for _, w := range f[2:] {
		if p, ok := img.under(w); ok {
			img.modes[p] = os.FileMode(m&0o777) | stickyBit(m)
		}
	}
	return nil
}

func (img *image) chown(f []string) error {
	if len(f) < 3 {
		return nil
	}
	u, g, _ := strings.Cut(f[1], ":")
	uid, _ := strconv.Atoi(u)
	gid, _ := strconv.Atoi(g)
	for _, w := range f[2:] {
		if p, ok := img.under(w); ok {
			img.owners[p] = [2]int{uid, gid}
		}
	}
	return nil
}

func stickyBit(m uint64) os.FileMode {
	if m&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

func hasWord(f []string, w string) bool {
	for _, x := range f {
		if x == w {
			return true
		}
	}
	return false
}

// parseLabels reads key="value" pairs (values may hold spaces when quoted).
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			v, s = rest[1:1+end], rest[2+end:]
		} else {
			v, s, _ = strings.Cut(rest, " ")
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

func checkLabel(img *image, manifest string) error {
	var m struct {
		Name     string `json:"name"`
		Version  string `json:"version"`
		Packages []struct {
			RegistryType string `json:"registryType"`
			Identifier   string `json:"identifier"`
		} `json:"packages"`
	}
	if err := readJSON(manifest, &m); err != nil {
		return err
	}
	if got := img.labels["io.modelcontextprotocol.server.name"]; got != m.Name {
		return fmt.Errorf("the label is %q, server.json's name %q (the MCP registry checks they match)", got, m.Name)
	}
	for _, p := range m.Packages {
		if p.RegistryType == "oci" {
			return nil
		}
	}
	return errors.New("server.json lists no oci package")
}
