package emulator

import (
	"time"
)

// grayApplyDelay is how long a ReleaseGray change shows GrayStatus
// "processing" before "success" (spec §9.3).
const grayApplyDelay = 2 * time.Second

// task is a manage task. Deploy tasks derive their status from their
// version's timeline until something ends them explicitly (endedAt).
// Traffic-only tasks (Rollback) have no version but a target: they run for
// releaseDur and then move all traffic to the target.
type task struct {
	ID             int64
	Created        time.Time
	ChangeType     string
	ReleaseType    string // FULL | GRAY
	DeployType     string
	PreVersionName string
	VersionName    string
	OperatorRemark string
	version        *version // deploys and config changes
	target         *version // traffic-only tasks
	releaseDur     time.Duration
	releaseID      int64 // reserved for GRAY; shown once the order exists
	grayRatio      int
	settled        bool // automatic effects applied
	endedAt        time.Time
	endStatus      string
	endReason      string
}

func (t *task) status(now time.Time) string {
	if !t.endedAt.IsZero() && !now.Before(t.endedAt) {
		return t.endStatus
	}
	v := t.version
	if v == nil {
		if t.target != nil && now.Before(t.releaseEnd()) {
			return "running"
		}
		return "finished"
	}
	if v.failed() {
		if !now.Before(v.doneAt()) {
			return "failed"
		}
		return "running"
	}
	if t.ReleaseType == "FULL" && !now.Before(t.releaseEnd()) {
		return "finished"
	}
	return "running"
}

// releaseStart is when the ReleaseVersion step starts.
func (t *task) releaseStart() time.Time {
	if t.version == nil {
		return t.Created
	}
	return t.version.Ready
}

func (t *task) releaseEnd() time.Time { return t.releaseStart().Add(t.releaseDur) }

func (t *task) active(now time.Time) bool {
	s := t.status(now)
	return s == "running" || s == "todo"
}

// end terminates the task explicitly at at.
func (t *task) end(at time.Time, status, reason string) {
	t.endedAt, t.endStatus, t.endReason = at, status, reason
}

// releaseOrder is a gray release: stable Current, candidate Release.
type releaseOrder struct {
	ID            int64
	Current       *version
	Release       *version
	Created       time.Time
	ReleaseStatus string // open | gray | finished | closed
	GrayStatus    string
	grayUntil     time.Time // GrayStatus reads "processing" before this
	TrafficType   string
	FlowRatio     int
}

func (o *releaseOrder) open() bool { return o.ReleaseStatus == "open" || o.ReleaseStatus == "gray" }

func (o *releaseOrder) grayStatus(now time.Time) string {
	if now.Before(o.grayUntil) {
		return "processing"
	}
	return o.GrayStatus
}

// orderTask is the GRAY deploy task that opened the order.
func (s *service) orderTask(o *releaseOrder) *task {
	for _, t := range s.tasks {
		if t.ReleaseType == "GRAY" && t.releaseID == o.ID {
			return t
		}
	}
	return nil
}

// grayTraffic applies gray ratios while an order is open.
func (s *service) grayTraffic(o *releaseOrder, stable, candidate int, now time.Time) {
	ratios := map[*version]int{o.Release: candidate}
	if o.Current != nil {
		ratios[o.Current] = stable
	}
	s.setTraffic(ratios, now)
	o.ReleaseStatus, o.GrayStatus, o.FlowRatio = "gray", "success", candidate
	o.grayUntil = now.Add(grayApplyDelay)
}

// promote finishes a gray release: the candidate takes all traffic, the order
// is "finished" and its task "finished".
func (s *service) promote(o *releaseOrder, now time.Time) {
	s.setTraffic(map[*version]int{o.Release: 100}, now)
	o.ReleaseStatus, o.GrayStatus, o.FlowRatio = "finished", "success", 100
	if t := s.orderTask(o); t != nil {
		t.end(now, "finished", "")
	}
	s.lastReleaseOK = now
}

// abandon closes a gray release keeping the stable version: stable 100 %,
// candidate kept (normal, 0 %), order "closed", task "finished".
func (s *service) abandon(o *releaseOrder, now time.Time) {
	ratios := map[*version]int{}
	if o.Current != nil {
		ratios[o.Current] = 100
	}
	s.setTraffic(ratios, now)
	o.ReleaseStatus, o.FlowRatio = "closed", 0
	if t := s.orderTask(o); t != nil {
		t.end(now, "finished", "")
	}
}

// cancel stops a running task whose version has not been released: the task
// fails with "cancelled", the version becomes deploy_failed and keeps no
// traffic. The caller has checked cancellable.
func (s *service) cancel(t *task, now time.Time) {
	v := t.version
	if now.Before(v.BuildEnd) {
		// Cut the build log where it was; the image is never pushed.
		n := visibleBuildLines(v, now)
		v.buildLog = append(v.buildLog[:n:n], "[build] build cancelled")
		if now.Before(v.BuildIDAt) {
			v.BuildID = 0
		}
	}
	v.cancelledAt, v.FailReason = now, "cancelled"
	t.end(now, "failed", "cancelled")
	t.settled = true
	s.touch(now)
}

// cancellable says whether OperateServerManage cancel applies to t.
func (t *task) cancellable(now time.Time) bool {
	return t.active(now) && t.version != nil && now.Before(t.version.Ready)
}

// startTraffic creates a traffic-only task (ChangeType Rollback) moving all
// traffic to target after the release step. The caller has checked that the
// service is idle.
func (st *state) startTraffic(s *service, target *version, changeType, remark string, now time.Time) *task {
	t := &task{
		ID: st.ids.taskID(), Created: now, ChangeType: changeType, ReleaseType: "FULL",
		DeployType: target.DeployType, VersionName: target.Name, OperatorRemark: remark,
		target: target, releaseDur: defaultDeploySpec(target.DeployType).ReleaseDur,
	}
	if stable := s.stable(); stable != nil {
		t.PreVersionName = stable.Name
	}
	s.tasks = append(s.tasks, t)
	s.touch(now)
	return t
}
