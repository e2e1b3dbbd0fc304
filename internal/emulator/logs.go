package emulator

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// buildLogLines is the whole docker-like build log of a package deploy,
// generated once at deploy start (spec §9.5). Reads reveal a prefix of it in
// proportion to the elapsed build time.
func (st *state) buildLogLines(s *service, v *version) []string {
	if !v.hasBuild() {
		return nil
	}
	port := v.Config.Port
	var steps []string
	if v.BuildPacks != nil {
		lv := v.BuildPacks.LanguageVersion
		if lv == "" {
			lv = "20"
		}
		steps = []string{"FROM node:" + lv + "-alpine", "WORKDIR /workspace", "COPY . .",
			"RUN npm install --production", fmt.Sprintf("ENV PORT=%d", port), `CMD ["npx", "tcb-ff"]`}
	} else {
		steps = []string{"FROM node:20-alpine", "WORKDIR /app", "COPY package*.json ./",
			"RUN npm install --production", "COPY . .", fmt.Sprintf("EXPOSE %d", port), `CMD ["node", "index.js"]`}
	}
	lines := []string{
		fmt.Sprintf("[build] BuildId %d: building %s version %s", v.BuildID, s.Name, v.Name),
		fmt.Sprintf("[build] fetching code package %s ... done", s.Name),
	}
	if v.BuildPacks != nil {
		lines = append(lines, fmt.Sprintf("[build] no Dockerfile, using buildpacks: %s %s",
			v.BuildPacks.RepoLanguage, v.BuildPacks.LanguageVersion))
	}
	lines = append(lines, fmt.Sprintf("Sending build context to Docker daemon  %d.%02dkB", 8+st.ids.r.IntN(40), st.ids.r.IntN(100)))
	for i, step := range steps {
		lines = append(lines, fmt.Sprintf("Step %d/%d : %s", i+1, len(steps), step))
		if i == 0 {
			lines = append(lines, " ---> "+st.ids.hex(12))
			continue
		}
		if strings.HasPrefix(step, "RUN npm install") {
			lines = append(lines, " ---> Running in "+st.ids.hex(12))
			if v.Outcome == "build_failed" {
				return append(lines,
					"npm ERR! code E404",
					"npm ERR! 404 Not Found - GET https://registry.npmjs.org/@demo%2fmissing-lib - Not found",
					"npm ERR! 404  '@demo/missing-lib@^1.0.0' is not in this registry.",
					"The command '/bin/sh -c npm install --production' returned a non-zero code: 1",
					"ERROR: failed to build image "+v.ImageURL,
					"[build] build failed")
			}
			lines = append(lines,
				fmt.Sprintf("added %d packages, and audited %d packages in %ds", 40+st.ids.r.IntN(80), 120, 2+st.ids.r.IntN(6)),
				"found 0 vulnerabilities",
				"Removing intermediate container "+st.ids.hex(12))
		}
		lines = append(lines, " ---> "+st.ids.hex(12))
	}
	return append(lines,
		"Successfully built "+st.ids.hex(12),
		"Successfully tagged "+v.ImageURL,
		"The push refers to repository ["+strings.SplitN(v.ImageURL, ":", 2)[0]+"]",
		"push "+v.ImageURL+" done",
		fmt.Sprintf("[build] build finished in %ds", int(v.BuildEnd.Sub(v.Created).Seconds())))
}

// buildLogView serves the build log incrementally: Offset is a line index,
// Delivered the next offset, Total the lines visible so far, More whether
// the build is still running.
func buildLogView(v *version, now time.Time, offset int64) tcbr.BuildLog {
	visible := visibleBuildLines(v, now)
	building := v.building(now)
	start := int(min(max(offset, 0), int64(visible)))
	out := tcbr.BuildLog{
		Total:     int64(visible),
		Delivered: int64(visible),
		Text:      strings.Join(v.buildLog[start:visible], "\n"),
		More:      building,
	}
	if !building && v.status(now) == "build_failed" {
		out.FailType, out.FailReason = "BuildFailed", v.FailReason
	}
	return out
}

// visibleBuildLines is how many build log lines exist at now: a share of
// the whole log proportional to the elapsed build time, all once it ended.
func visibleBuildLines(v *version, now time.Time) int {
	if !v.building(now) {
		return len(v.buildLog)
	}
	span := v.BuildEnd.Sub(v.Created)
	frac := float64(now.Sub(v.Created)) / float64(span)
	return min(len(v.buildLog), max(1, int(frac*float64(len(v.buildLog)))))
}

// imagePullFails says an image deploy fails at pull time (spec §9.5).
func imagePullFails(v *version) bool {
	return !v.isPackage() && imageRefFails(v.ImageURL)
}

// imageRefFails says an image reference cannot be pulled: it contains
// "fail" or "notfound" (case-insensitive).
func imageRefFails(ref string) bool {
	u := strings.ToLower(ref)
	return strings.Contains(u, "fail") || strings.Contains(u, "notfound")
}

// processLog is the deploy/runtime log of a version run as visible at now:
// deploy-step lines, supervisor lines, app output or probe failures.
func processLog(s *service, v *version, now time.Time) []string {
	if v.Outcome == "build_failed" || (v.cancelled() && v.cancelledAt.Before(v.BuildEnd)) {
		return []string{}
	}
	start, span := v.BuildEnd, v.Ready.Sub(v.BuildEnd)
	at := func(frac float64) time.Time { return start.Add(time.Duration(frac * float64(span))) }
	type entry struct {
		t    time.Time
		text string
	}
	port := v.Config.Port
	entries := []entry{
		{at(0), "create_version_check_vpc: success"},
		{at(0.1), "create_eks_virtual_service: success"},
	}
	s6 := []entry{
		{at(0.4), "[s6-init] making user provided files available at /var/run/s6/etc...exited 0."},
		{at(0.45), "[s6-init] ensuring user provided files have correct perms...exited 0."},
		{at(0.5), "[services.d] starting services"},
		{at(0.55), "[services.d] done."},
	}
	switch {
	case v.Outcome == "normal":
		entries = append(entries, s6...)
		if s.Type == typeFunction {
			entries = append(entries, entry{at(0.7), "[functions-framework] loading function main from index.js"})
		} else {
			entries = append(entries, entry{at(0.7), "> node index.js"})
		}
		entries = append(entries,
			entry{at(0.8), fmt.Sprintf("server listening on 0.0.0.0:%d", port)},
			entry{v.Ready, "check_eks_virtual_service: success"})
	case imagePullFails(v):
		entries = append(entries,
			entry{at(0.2), fmt.Sprintf("Pulling image %q", v.ImageURL)},
			entry{at(0.3), fmt.Sprintf("Failed to pull image %q: rpc error: code = NotFound desc = failed to pull and unpack image %q: not found", v.ImageURL, v.ImageURL)},
			entry{at(0.35), "Error: ErrImagePull"},
			entry{at(0.6), fmt.Sprintf("Back-off pulling image %q", v.ImageURL)},
			entry{v.Ready, "check_eks_virtual_service: failed"})
	default:
		entries = append(entries, s6...)
		for i := range 5 {
			entries = append(entries, entry{at(0.6 + 0.07*float64(i)),
				fmt.Sprintf("Readiness probe failed: dial tcp %s:%d: connect: connection refused", v.podIP, port)})
		}
		entries = append(entries, entry{v.Ready, "check_eks_virtual_service: failed"})
	}
	if v.cancelled() {
		entries = slices.DeleteFunc(entries, func(e entry) bool { return e.t.After(v.cancelledAt) })
		entries = append(entries, entry{v.cancelledAt, "deploy cancelled: stopping version " + v.Name})
	}
	out := []string{}
	for _, e := range entries {
		if !now.Before(e.t) {
			out = append(out, e.text)
		}
	}
	return out
}
