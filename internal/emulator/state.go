package emulator

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// deletionDelay is how long a deleted service stays "deleting" (spec §9.3).
const deletionDelay = 10 * time.Second

// state is everything CloudRun knows. It is guarded by Emulator.mu; every
// access first calls settle(now) so effects that fell due are applied in
// timestamp order, and everything else is derived from timestamps on read.
type state struct {
	origin  time.Time
	flags   Flags
	account Account
	ids     *idGen
	envs    []*env
	// Uploaded code packages, in upload order, indexed by pkgKey.
	packages       []*codePackage
	packageIdx     map[string]*codePackage
	lastPkgVersion map[string]int64 // env+name -> last PackageVersion handed out
}

type env struct {
	ID, Alias, Region      string
	Created                time.Time
	PackageID, PackageName string
	registryNS             string // 4 chars in the image registry namespace
	cloudRun               *cloudRun
	services               []*service       // creation order
	gateway                []*gatewayDomain // the default domain first
}

type cloudRun struct {
	PackageType, EnvType, VpcID string
	SubnetIDs                   []string
	OpenedAt, ReadyAt           time.Time
	reqKey, tranID              string // CreateCloudRunEnv idempotency key and order id
}

func (c *cloudRun) status(now time.Time) string {
	if now.Before(c.ReadyAt) {
		return "creating"
	}
	return "normal"
}

type service struct {
	env           *env
	Name, Type    string
	Created       time.Time
	Updated       time.Time
	Domain        string
	Config        tcbr.ServerBaseConfig
	seq           int
	versions      []*version // deploy order
	tasks         []*task    // creation order
	orders        []*releaseOrder
	deletingSince time.Time
	lastReleaseOK time.Time
}

// version is one deployed revision and its timeline: building
// [Created, BuildEnd) (package deploys), creating [BuildEnd, Ready), then
// Outcome. build_failed ends at BuildEnd.
type version struct {
	Name       string
	Seq        int
	DeployType string // package | image
	ImageURL   string // built image (package) or the deployed one (image)
	BuildID    int64  // 0 for image deploys
	RunID      string
	Created    time.Time
	BuildIDAt  time.Time
	BuildEnd   time.Time
	Ready      time.Time
	Outcome    string // normal | build_failed | deploy_failed
	FailReason string
	FlowRatio  int
	ratioAt    time.Time // last traffic change
	Config     tcbr.ServerBaseConfig
	BuildPacks *tcbr.BuildPacksInfo
	Remark     string
	buildLog   []string
	podIP      string
	pkg        *codePackage // uploaded code package (API deploys), nil for seeded or image versions
	reused     bool         // redeploy of an existing image (config change): no build
	// cancelledAt is when OperateServerManage cancel stopped the deploy; the
	// version is deploy_failed from then on.
	cancelledAt time.Time
}

func (v *version) isPackage() bool { return v.DeployType != "image" }

// hasBuild says the version runs a build (package deploys that are not
// config-change redeploys of an existing image).
func (v *version) hasBuild() bool { return v.isPackage() && !v.reused }

func (v *version) cancelled() bool { return !v.cancelledAt.IsZero() }

func (v *version) failed() bool { return v.Outcome != "normal" || v.cancelled() }

// doneAt is when the version reaches its outcome.
func (v *version) doneAt() time.Time {
	switch {
	case v.cancelled():
		return v.cancelledAt
	case v.Outcome == "build_failed":
		return v.BuildEnd
	}
	return v.Ready
}

// building says the build runs at now.
func (v *version) building(now time.Time) bool {
	return v.hasBuild() && now.Before(v.BuildEnd) && (!v.cancelled() || now.Before(v.cancelledAt))
}

func (v *version) status(now time.Time) string {
	switch {
	case v.cancelled() && !now.Before(v.cancelledAt):
		return "deploy_failed"
	case v.building(now):
		return "building"
	case v.Outcome == "build_failed":
		return "build_failed"
	case now.Before(v.Ready):
		return "creating"
	}
	return v.Outcome
}

// buildID is the BuildId as visible at now (0 before it is assigned).
func (v *version) buildID(now time.Time) int64 {
	if v.BuildID == 0 || now.Before(v.BuildIDAt) {
		return 0
	}
	return v.BuildID
}

// imageURL is nil until a package build has pushed its image.
func (v *version) imageURL(now time.Time) *string {
	if v.hasBuild() && (now.Before(v.BuildEnd) || v.Outcome == "build_failed" ||
		(v.cancelled() && v.cancelledAt.Before(v.BuildEnd))) {
		return nil
	}
	return tcbr.Ptr(v.ImageURL)
}

func (v *version) updated(now time.Time) time.Time {
	t := v.Created
	if d := v.doneAt(); !now.Before(d) && d.After(t) {
		t = d
	}
	if v.ratioAt.After(t) && !now.Before(v.ratioAt) {
		t = v.ratioAt
	}
	return t
}

// --- lookups

func (st *state) env(id string) *env {
	for _, e := range st.envs {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func (e *env) service(name string) *service {
	for _, s := range e.services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (e *env) versionByRunID(runID string) (*service, *version) {
	for _, s := range e.services {
		for _, v := range s.versions {
			if v.RunID == runID {
				return s, v
			}
		}
	}
	return nil, nil
}

func (s *service) version(name string) *version {
	for _, v := range s.versions {
		if v.Name == name {
			return v
		}
	}
	return nil
}

func (s *service) versionByBuildID(id int64, now time.Time) *version {
	for _, v := range s.versions {
		if id != 0 && v.buildID(now) == id {
			return v
		}
	}
	return nil
}

// task finds a task by id; 0 means the latest (the API's TaskId convention).
func (s *service) task(id int64) *task {
	if id == 0 {
		return s.latestTask()
	}
	for _, t := range s.tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (s *service) latestTask() *task {
	if len(s.tasks) == 0 {
		return nil
	}
	return s.tasks[len(s.tasks)-1]
}

// activeTask is the service's non-terminal task, if any.
func (s *service) activeTask(now time.Time) *task {
	if t := s.latestTask(); t != nil && t.active(now) {
		return t
	}
	return nil
}

func (s *service) openOrder() *releaseOrder {
	for _, o := range s.orders {
		if o.open() {
			return o
		}
	}
	return nil
}

// stable is the version holding the most traffic (newest on ties), or nil.
func (s *service) stable() *version {
	var best *version
	for _, v := range s.versions {
		if v.FlowRatio > 0 && (best == nil || v.FlowRatio >= best.FlowRatio) {
			best = v
		}
	}
	return best
}

// busy is the reason a write that needs the service idle must be refused.
func (s *service) busy(now time.Time) bool {
	return s.activeTask(now) != nil || s.openOrder() != nil
}

func (s *service) status(now time.Time) string {
	if !s.deletingSince.IsZero() {
		return "deleting"
	}
	for _, v := range s.versions {
		if v.status(now) == "normal" {
			return "normal"
		}
	}
	if n := len(s.versions); n > 0 {
		if v := s.versions[n-1]; v.failed() && !now.Before(v.doneAt()) {
			return "create_failed"
		}
	}
	return "creating"
}

// --- settle: apply the effects that fell due, in order

func (st *state) settle(now time.Time) {
	for _, e := range st.envs {
		e.services = slices.DeleteFunc(e.services, func(s *service) bool {
			s.settle(now)
			return !s.deletingSince.IsZero() && !now.Before(s.deletingSince.Add(deletionDelay))
		})
	}
}

func (s *service) settle(now time.Time) {
	for _, t := range s.tasks {
		if t.settled {
			continue
		}
		v := t.version
		switch {
		case v == nil:
			if t.target == nil {
				t.settled = true
			} else if at := t.releaseEnd(); !now.Before(at) {
				s.setTraffic(map[*version]int{t.target: 100}, at)
				s.lastReleaseOK = at
				t.settled = true
			}
		case v.failed():
			if !now.Before(v.doneAt()) {
				t.settled = true
				s.touch(v.doneAt())
			}
		case t.ReleaseType == "GRAY":
			if !now.Before(v.Ready) {
				s.openGray(t, v.Ready)
				t.settled = true
			}
		default:
			if at := t.releaseEnd(); !now.Before(at) {
				s.setTraffic(map[*version]int{v: 100}, at)
				s.lastReleaseOK = at
				t.settled = true
			}
		}
	}
}

func (s *service) touch(at time.Time) {
	if at.After(s.Updated) {
		s.Updated = at
	}
}

// setTraffic gives each listed version its ratio and every other version 0.
func (s *service) setTraffic(ratios map[*version]int, at time.Time) {
	for _, v := range s.versions {
		r := ratios[v]
		if r != v.FlowRatio {
			v.FlowRatio, v.ratioAt = r, at
		}
	}
	s.touch(at)
}

// openGray opens the release order of a GRAY deploy whose candidate is ready.
func (s *service) openGray(t *task, at time.Time) {
	o := &releaseOrder{
		ID:            t.releaseID,
		Current:       s.version(t.PreVersionName),
		Release:       t.version,
		Created:       at,
		ReleaseStatus: "open",
		TrafficType:   "FLOW",
	}
	s.orders = append(s.orders, o)
	if t.grayRatio > 0 && o.Current != nil {
		s.setTraffic(map[*version]int{o.Current: 100 - t.grayRatio, o.Release: t.grayRatio}, at)
		o.ReleaseStatus, o.GrayStatus, o.FlowRatio = "gray", "success", t.grayRatio
	}
	s.touch(at)
}

// --- creating things (used by seeding; later by the write actions)

// Compiled on first use, so that the server binary does not pay for it at startup.
var serverNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{2,44}$`) })

// newService adds a service with the platform default config.
func (st *state) newService(e *env, name, serverType string, at time.Time) (*service, error) {
	if !serverNameRE().MatchString(name) {
		return nil, fmt.Errorf("service name %q is invalid", name)
	}
	if serverType != typeFunction && serverType != typeContainer {
		return nil, fmt.Errorf("service %s: type %q is not function or container", name, serverType)
	}
	if e.service(name) != nil {
		return nil, fmt.Errorf("service %s exists", name)
	}
	region := "sh"
	if r, ok := regionShort[e.Region]; ok {
		region = r
	}
	s := &service{
		env: e, Name: name, Type: serverType, Created: at, Updated: at,
		Domain: fmt.Sprintf("https://%s-%s-%s-%s.%s.run.tcloudbase.com",
			name, st.ids.digits(6), st.ids.digits(2), st.account.AppID, region),
		Config: defaultConfig(e.ID, name, serverType),
	}
	e.services = append(e.services, s)
	return s, nil
}

var regionShort = map[string]string{
	"ap-shanghai": "sh", "ap-guangzhou": "gz", "ap-beijing": "bj", "ap-nanjing": "nj",
	"ap-chengdu": "cd", "ap-hongkong": "hk", "ap-singapore": "sg",
}

// deploySpec is what a deploy needs; durations are used as given.
type deploySpec struct {
	Name           string // "" = <server>-NNN
	DeployType     string // package | image
	ImageURL       string
	ReleaseType    string // FULL | GRAY
	ChangeType     string // "" = CreateServer for the first deploy, else UpdateServer
	Config         tcbr.ServerBaseConfig
	BuildPacks     *tcbr.BuildPacksInfo
	BuildIDDelay   time.Duration
	BuildDuration  time.Duration
	CreateDuration time.Duration
	ReleaseDur     time.Duration
	Outcome        string // normal | build_failed | deploy_failed
	FailReason     string
	GrayFlowRatio  int
	Remark         string
	OperatorRemark string
	Package        *codePackage // uploaded code (API package deploys)
	Plan           *buildPlan   // build simulated from Package; nil = synthetic log
	ReuseImage     bool         // config-change redeploy: run ImageURL, no build
}

// defaultDeploySpec has the spec §9.3 phase durations.
func defaultDeploySpec(deployType string) deploySpec {
	sp := deploySpec{DeployType: deployType, ReleaseType: "FULL", Outcome: "normal",
		BuildIDDelay: 3 * time.Second, BuildDuration: 60 * time.Second,
		CreateDuration: 60 * time.Second, ReleaseDur: 4 * time.Second}
	if deployType == "image" {
		sp.CreateDuration = 30 * time.Second
	}
	return sp
}

// startDeploy creates a version and its manage task at time at. The caller
// has checked that the service is idle.
func (st *state) startDeploy(s *service, at time.Time, sp deploySpec) (*task, *version, error) {
	if err := checkDeployKind(sp); err != nil {
		return nil, nil, err
	}
	if err := checkDeployRelease(s, sp); err != nil {
		return nil, nil, err
	}
	v, err := st.newVersion(s, at, sp)
	if err != nil {
		return nil, nil, err
	}
	t := st.newTask(s, v, at, sp)
	s.versions = append(s.versions, v)
	s.tasks = append(s.tasks, t)
	s.Config = cloneConfig(v.Config)
	s.touch(at)
	return t, v, nil
}

// runsGivenImage: the deploy runs ImageURL as given instead of building one.
func (sp deploySpec) runsGivenImage() bool {
	return sp.DeployType == "image" || sp.ReuseImage
}

// checkDeployKind refuses what the deploy is and how it ends; the first
// refusal wins, in the order the checks have always run.
func checkDeployKind(sp deploySpec) error {
	switch {
	case sp.DeployType != "package" && sp.DeployType != "image":
		return fmt.Errorf("deployType %q is not package or image", sp.DeployType)
	case sp.runsGivenImage() && sp.ImageURL == "":
		return fmt.Errorf("an image deploy needs an imageUrl")
	case sp.Outcome != "normal" && sp.Outcome != "build_failed" && sp.Outcome != "deploy_failed":
		return fmt.Errorf("outcome %q is not normal, build_failed or deploy_failed", sp.Outcome)
	case sp.Outcome == "build_failed" && sp.runsGivenImage():
		return fmt.Errorf("an image deploy cannot fail its build")
	}
	return nil
}

// checkDeployRelease refuses how the deploy is released and its timings;
// it runs after checkDeployKind.
func checkDeployRelease(s *service, sp deploySpec) error {
	switch {
	case sp.ReleaseType != "FULL" && sp.ReleaseType != "GRAY":
		return fmt.Errorf("releaseType %q is not FULL or GRAY", sp.ReleaseType)
	case sp.ReleaseType == "GRAY" && s.stable() == nil:
		return fmt.Errorf("a GRAY deploy needs a version already holding traffic")
	case sp.GrayFlowRatio < 0 || sp.GrayFlowRatio > 100:
		return fmt.Errorf("grayFlowRatio %d is not within 0..100", sp.GrayFlowRatio)
	case sp.BuildDuration < 0 || sp.CreateDuration < 0 || sp.ReleaseDur < 0 || sp.BuildIDDelay < 0:
		return fmt.Errorf("durations must not be negative")
	}
	return nil
}

// newVersion names the next version of s and lays out its timeline and
// build log. The sequence number is taken before the name is checked, so a
// refused name still uses one up.
func (st *state) newVersion(s *service, at time.Time, sp deploySpec) (*version, error) {
	s.seq++
	name := sp.Name
	if name == "" {
		name = fmt.Sprintf("%s-%03d", s.Name, s.seq)
	}
	if s.version(name) != nil {
		return nil, fmt.Errorf("version %s exists", name)
	}
	v := &version{
		Name: name, Seq: s.seq, DeployType: sp.DeployType, Created: at,
		Outcome: sp.Outcome, FailReason: sp.FailReason, Config: cloneConfig(sp.Config),
		BuildPacks: sp.BuildPacks, Remark: sp.Remark, RunID: st.ids.runID(), podIP: st.ids.ipv4(),
		pkg: sp.Package, reused: sp.ReuseImage,
	}
	v.Config.EnvId, v.Config.ServerName = s.env.ID, s.Name
	if v.hasBuild() {
		v.BuildID = st.ids.buildID()
		v.BuildIDAt = at.Add(min(sp.BuildIDDelay, sp.BuildDuration))
		v.BuildEnd = at.Add(sp.BuildDuration)
		v.ImageURL = fmt.Sprintf("ccr.ccs.tencentyun.com/tcb-%s-%s/%s_%s:%s-%s",
			st.account.Uin, s.env.registryNS, s.env.ID, s.Name, name, v.BuildEnd.In(cst).Format("20060102150405"))
	} else {
		v.BuildEnd = at
		v.ImageURL = sp.ImageURL
	}
	v.Ready = v.BuildEnd.Add(sp.CreateDuration)
	if v.FailReason == "" {
		v.FailReason = defaultFailReason(v)
	}
	if sp.Plan != nil {
		v.buildLog = st.renderBuildLog(s, v, sp.Plan)
	} else {
		v.buildLog = st.buildLogLines(s, v)
	}
	return v, nil
}

// newTask is the manage task that releases v; called before v joins s.versions,
// so the first deploy of a service is told apart by an empty version list.
func (st *state) newTask(s *service, v *version, at time.Time, sp deploySpec) *task {
	t := &task{
		ID: st.ids.taskID(), Created: at, ChangeType: sp.ChangeType, ReleaseType: sp.ReleaseType,
		DeployType: sp.DeployType, VersionName: v.Name, OperatorRemark: sp.OperatorRemark,
		version: v, releaseDur: sp.ReleaseDur, grayRatio: sp.GrayFlowRatio,
	}
	if t.ChangeType == "" {
		t.ChangeType = "UpdateServer"
		if len(s.versions) == 0 {
			t.ChangeType = "CreateServer"
		}
	}
	if stable := s.stable(); stable != nil {
		t.PreVersionName = stable.Name
	}
	if sp.ReleaseType == "GRAY" {
		t.releaseID = st.ids.releaseID()
	}
	return t
}

func defaultFailReason(v *version) string {
	switch v.Outcome {
	case "build_failed":
		return "The command '/bin/sh -c npm install --production' returned a non-zero code: 1"
	case "deploy_failed":
		if imagePullFails(v) {
			return fmt.Sprintf("Failed to pull image %q: not found", v.ImageURL)
		}
		return fmt.Sprintf("Readiness probe failed: dial tcp %s:%d: connect: connection refused", v.podIP, v.Config.Port)
	}
	return ""
}
