//go:build linux

package main

import (
	"fmt"
	"strings"
)

func (r *report) appendDeployRows(rows []row) []row {
	if r.deployWarm == nil && r.deployCold == nil && r.deployErr == nil {
		return rows
	}
	add := func(metric, ours, ref, ratio string) {
		rows = append(rows, row{metric: metric, ours: ours, ref: ref, ratio: ratio})
	}
	rows = append(rows, row{section: true, metric: "Deploy budget: manageCloudRun deploy of the same project over stdio MCP to the emulator on loopback (reference: its packer only, see Method)"})
	if r.deployErr != nil {
		add("deploy", errText(r.deployErr), "—", "—")
	}
	for _, d := range []*deployRun{r.deployCold, r.deployWarm} {
		if d == nil {
			continue
		}
		word := "warm"
		ref := r.packRef.median()
		if d.Cold {
			word, ref = "cold cache", r.packRef.cold
		}
		refPack, refRatio := "—", "—"
		if ref != nil {
			refPack, refRatio = secs(ref.Seconds), ratio(d.Packaging.Seconds(), ref.Seconds, true)
		}
		add("deploy, "+word+": call → result", secs(d.Total.Seconds()), "needs the real cloud", "—")
		add("  arguments and paths (→ \"packaging\")", secs(d.Before.Seconds()), "—", "—")
		add("  packaging (→ first \"uploading\"; incl. the planning calls)", secs(d.Packaging.Seconds())+cpuNote(d.PackagingCPU), refPack, refRatio)
		add(fmt.Sprintf("  uploading %s (→ \"uploaded\")", mb(d.ZipBytes)), secs(d.Uploading.Seconds())+cpuNote(d.UploadingCPU), "—", "—")
		add("  create + waiting for registration (→ result)", secs(d.Registration.Seconds()), "—", "—")
		add("  server peak RSS, whole session / CPU time", mib(d.PeakKB)+" / "+secs(d.CPU.Seconds()), "—", "—")
	}
	return rows
}

// cpuNote says who spent CPU in a stage: the server, and the bench process (where the emulator runs).
func cpuNote(c stageCPU) string {
	return fmt.Sprintf(" (CPU: server %.2f s, emulator %.2f s)", c.Server.Seconds(), c.Bench.Seconds())
}

// deployNotes is the deploy budget's part of the method.
func (r *report) deployNotes() string {
	d := r.deployWarm
	if d == nil {
		d = r.deployCold
	}
	if d == nil {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("### Deploy budget")
	p("")
	p("- Ours: the built binary (`%s`), spawned by mcp-go's stdio client exactly as a user's MCP client would, with `CLOUDBASE_API_BASE_URL` pointing at the emulator (`internal/emulator`, started in the bench process on 127.0.0.1, default scenario, speed 1), the emulator's demo credentials, env `%s`, and the project's parent as the workspace. One `manageCloudRun` call `{action: deploy, serverName: bench-deploy, targetPath: <project>}` with a progress token; nothing of the plugin is imported by the bench: the stages are read from the progress notifications the server sends (their first words), timestamped as the client receives them.", r.opts.bin, deployEnv)
	p("- The project has no Dockerfile, and a container deploy needs one: the bench writes a 4-line `Dockerfile` at its root before the call and removes it (and the `cloudbaserc.json` the deploy writes) afterwards; both are removed at the start of the bench too, in case an earlier run was interrupted. Packaging therefore packs one more file than in the packaging rows.")
	p("- Stages: arguments and paths = call sent → the \"packaging …\" message; packaging = → the first \"uploading: …\" message (this includes the few loopback API calls that plan the deploy and fetch the upload ticket, milliseconds here); uploading = → \"uploaded …\" (a PUT of the zip to the emulator's object storage over loopback; the emulator then reads the zip: it held %s in %s entries, checked against the result's zipBytes); create + waiting for registration = \"starting the deploy\" → the result (CreateCloudRunServer, then polls until the emulated build gets its id, which the emulator assigns 3 s of its virtual time after the deploy is accepted: an emulated figure, not a measurement of the cloud).", mb(d.Stored), commas(d.StoredFiles))
	p("- Cold: the page cache is dropped right before the call (after initialize), so packaging reads the project from disk. Peak RSS is the server process's VmHWM over the whole session (sampled as for startup); CPU time is its user+system time from wait4. Per stage, the CPU spent by the server (`/proc/<pid>/stat`, 10 ms ticks) and by the bench process (getrusage; it hosts the emulator, which receives the upload: it reads the whole body into memory, takes its MD5 and lists the zip, and it also runs the bench's MCP client and RSS sampler) is read at each progress message: on a loaded 2-core machine it tells whose work a stage waited for.")
	p("- Reference: `manageCloudRun` deploy of @cloudbase/cloudbase-mcp talks to the real Tencent Cloud hosts (its upload goes through the COS SDK to a real bucket) and cannot be pointed at the emulator, so only its packer (codeToZip, measured above on the same project, cold and warm) stands beside our packaging stage. Its packer also holds the whole zip in memory until the upload (`Buffer.concat`): its peak RSS row above is what a deploy of this project costs it in memory before any byte is sent.")
	p("- Progress messages of the warm run (time since the call was sent):")
	p("")
	p("```")
	for _, m := range compactMarks(d.Marks) {
		p("%8s  %s", fmt.Sprintf("%.3f s", m.At.Seconds()), m.Message)
	}
	p("%8s  %s", fmt.Sprintf("%.3f s", d.Total.Seconds()), "(result)")
	p("```")
	return b.String()
}

// compactMarks keeps the first and last message of each run of the same stage.
func compactMarks(marks []stageMark) []stageMark {
	stage := func(m stageMark) string { s, _, _ := strings.Cut(m.Message, ":"); return s }
	var out []stageMark
	for i, m := range marks {
		first := i == 0 || stage(marks[i-1]) != stage(m)
		last := i == len(marks)-1 || stage(marks[i+1]) != stage(m)
		if first || last {
			out = append(out, m)
		}
	}
	return out
}
