package emulator

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Read models: how the state looks on the wire at a given time.

// vocab maps a status to the legacy vocabulary when the scenario asks for it.
func (st *state) vocab(status string) string {
	if !st.flags.LegacyStatusVocabulary {
		return status
	}
	switch status {
	case "creating":
		return "deploying"
	case "normal":
		return "running"
	}
	return status
}

func (st *state) serverBaseInfo(s *service, now time.Time) tcbr.ServerBaseInfo {
	return tcbr.ServerBaseInfo{
		ServerName:        s.Name,
		DefaultDomainName: s.Domain,
		CustomDomainName:  "",
		Status:            st.vocab(s.status(now)),
		UpdateTime:        fmtTime(s.Updated),
		AccessTypes:       append([]string{}, s.Config.OpenAccessTypes...),
		CustomDomainNames: []string{},
		ServerType:        s.Type,
		TrafficType:       "FLOW",
		CreateTime:        fmtTime(s.Created),
	}
}

func (st *state) serverConfig(s *service) tcbr.ServerBaseConfig {
	c := cloneConfig(s.Config)
	c.EnvId, c.ServerName, c.CreateTime = s.env.ID, s.Name, fmtTime(s.Created)
	return c
}

// onlineVersions are the versions holding traffic, highest ratio first, ties
// newest first.
func onlineVersions(s *service) []tcbr.OnlineVersionInfo {
	var vs []*version
	for _, v := range s.versions {
		if v.FlowRatio > 0 {
			vs = append(vs, v)
		}
	}
	slices.SortStableFunc(vs, func(a, b *version) int {
		return cmp.Or(cmp.Compare(b.FlowRatio, a.FlowRatio), cmp.Compare(b.Seq, a.Seq))
	})
	out := []tcbr.OnlineVersionInfo{}
	for _, v := range vs {
		out = append(out, tcbr.OnlineVersionInfo{
			VersionName: v.Name, ImageUrl: v.ImageURL, FlowRatio: tcbr.NumString(strconv.Itoa(v.FlowRatio)),
		})
	}
	return out
}

// releasing says the version is being rolled out: its deploy task runs or
// it is the candidate of an open release order.
func (s *service) releasing(v *version, now time.Time) bool {
	if t := s.activeTask(now); t != nil && (t.version == v || t.target == v) {
		return true
	}
	o := s.openOrder()
	return o != nil && o.Release == v
}

// deployRecords are one record per version, newest first, always an array.
func (st *state) deployRecords(s *service, now time.Time) []tcbr.DeployRecord {
	out := []tcbr.DeployRecord{}
	for i := len(s.versions) - 1; i >= 0; i-- {
		v := s.versions[i]
		out = append(out, tcbr.DeployRecord{
			DeployId:    v.Name,
			DeployTime:  fmtTime(v.Created),
			Status:      st.vocab(v.status(now)),
			RunId:       v.RunID,
			BuildId:     v.buildID(now),
			FlowRatio:   tcbr.FlexInt(v.FlowRatio),
			ImageUrl:    v.imageURL(now),
			ScaleStatus: "",
			HasTraffic:  v.FlowRatio > 0,
			TrafficType: "FLOW",
			IsReleasing: s.releasing(v, now),
		})
	}
	return out
}

func costSeconds(from, to time.Time) tcbr.FlexInt { return tcbr.FlexInt(to.Sub(from) / time.Second) }

// taskSteps are CreateVersion (build + create) and ReleaseVersion.
func taskSteps(t *task, now time.Time) []tcbr.TaskStepInfo {
	v := t.version
	if v == nil {
		if t.target == nil {
			return []tcbr.TaskStepInfo{}
		}
		// Traffic-only task (Rollback): one ReleaseVersion step.
		release := tcbr.TaskStepInfo{Name: "ReleaseVersion", Status: "running", StartTime: fmtTime(t.Created)}
		if end := t.releaseEnd(); !now.Before(end) {
			release.Status, release.EndTime, release.CostTime = "finished", fmtTime(end), costSeconds(t.Created, end)
		}
		return []tcbr.TaskStepInfo{release}
	}
	create := tcbr.TaskStepInfo{Name: "CreateVersion", Status: "running", StartTime: fmtTime(v.Created)}
	release := tcbr.TaskStepInfo{Name: "ReleaseVersion", Status: "todo"}
	ended := !t.endedAt.IsZero() && !now.Before(t.endedAt)
	switch done := v.doneAt(); {
	case !now.Before(done):
		create.Status, create.EndTime, create.CostTime = "finished", fmtTime(done), costSeconds(v.Created, done)
		if v.failed() {
			create.Status, create.FailReason = "failed", v.FailReason
			break
		}
		release.Status, release.StartTime = "running", fmtTime(v.Ready)
		end := time.Time{}
		switch {
		case t.ReleaseType == "FULL" && !now.Before(t.releaseEnd()):
			end = t.releaseEnd()
		case ended:
			end = t.endedAt
		}
		if !end.IsZero() {
			release.Status, release.EndTime, release.CostTime = "finished", fmtTime(end), costSeconds(v.Ready, end)
			if ended && t.endStatus == "failed" {
				release.Status, release.FailReason = "failed", t.endReason
			}
		}
	case ended:
		create.Status, create.EndTime = t.endStatus, fmtTime(t.endedAt)
		create.CostTime, create.FailReason = costSeconds(v.Created, t.endedAt), t.endReason
	}
	return []tcbr.TaskStepInfo{create, release}
}

func (st *state) taskInfo(s *service, t *task, now time.Time) *tcbr.ServerManageTaskInfo {
	info := &tcbr.ServerManageTaskInfo{
		Id: t.ID, EnvId: s.env.ID, ServerName: s.Name, CreateTime: fmtTime(t.Created),
		ChangeType: t.ChangeType, ReleaseType: t.ReleaseType, DeployType: t.DeployType,
		PreVersionName: t.PreVersionName, VersionName: t.VersionName,
		Status: t.status(now), Steps: taskSteps(t, now), OperatorRemark: t.OperatorRemark,
	}
	if t.ReleaseType == "GRAY" && t.version != nil && !now.Before(t.version.Ready) {
		info.ReleaseId = t.releaseID
	}
	switch {
	case info.Status == "failed" && t.endReason != "":
		info.FailReason = t.endReason
	case info.Status == "failed" && t.version != nil:
		info.FailReason = t.version.FailReason
	}
	return info
}

// zeroTask is what DescribeServerManageTask returns with IsExist false.
func zeroTask() *tcbr.ServerManageTaskInfo {
	return &tcbr.ServerManageTaskInfo{Steps: []tcbr.TaskStepInfo{}}
}

func (st *state) versionInfo(s *service, v *version, now time.Time, isDefault bool) *tcbr.VersionInfo {
	replicas := 0
	if v.status(now) == "normal" && (v.FlowRatio > 0 || v.Config.MinNum > 0) {
		replicas = max(1, int(v.Config.MinNum))
	}
	return &tcbr.VersionInfo{
		VersionName: v.Name, FlowRatio: tcbr.FlexInt(v.FlowRatio), Status: st.vocab(v.status(now)),
		CreatedTime: fmtTime(v.Created), UpdatedTime: fmtTime(v.updated(now)), BuildId: v.buildID(now),
		UploadType: v.DeployType, Remark: v.Remark, IsDefaultPriority: isDefault,
		FlowParams: []tcbr.ObjectKVPriority{}, MinReplicas: v.Config.MinNum, MaxReplicas: v.Config.MaxNum,
		RunId: v.RunID, Percent: int64(v.FlowRatio), CurrentReplicas: tcbr.FlexInt(replicas),
		Architecture: "x86_64",
	}
}

func (st *state) orderInfo(s *service, o *releaseOrder, now time.Time) *tcbr.ReleaseOrderInfo {
	info := &tcbr.ReleaseOrderInfo{
		Id: o.ID, ServerName: s.Name, GrayStatus: o.grayStatus(now), ReleaseStatus: o.ReleaseStatus,
		TrafficTypeValues: []tcbr.ObjectKV{}, TrafficType: o.TrafficType, FlowRatio: tcbr.FlexInt(o.FlowRatio),
		CreateTime: fmtTime(o.Created), IsReleasing: o.open(),
	}
	info.CurrentVersion = &tcbr.VersionInfo{FlowParams: []tcbr.ObjectKVPriority{}}
	if o.Current != nil {
		info.CurrentVersion = st.versionInfo(s, o.Current, now, true)
	}
	info.ReleaseVersion = st.versionInfo(s, o.Release, now, false)
	return info
}

// zeroOrder is the ReleaseOrderInfo returned with IsExist false.
func zeroOrder() *tcbr.ReleaseOrderInfo {
	return &tcbr.ReleaseOrderInfo{
		CurrentVersion:    &tcbr.VersionInfo{FlowParams: []tcbr.ObjectKVPriority{}},
		ReleaseVersion:    &tcbr.VersionInfo{FlowParams: []tcbr.ObjectKVPriority{}},
		TrafficTypeValues: []tcbr.ObjectKV{},
	}
}

func (st *state) envBaseInfo(e *env, now time.Time) (*tcbr.EnvBaseInfo, bool) {
	if e.cloudRun == nil {
		return &tcbr.EnvBaseInfo{EnvId: e.ID}, false
	}
	cr := e.cloudRun
	return &tcbr.EnvBaseInfo{
		EnvId: e.ID, PackageType: cr.PackageType, VpcId: cr.VpcID, CreateTime: fmtTime(cr.OpenedAt),
		Alias: e.Alias, Status: cr.status(now), Region: e.Region, EnvType: cr.EnvType,
		SubnetIds: strings.Join(cr.SubnetIDs, ","), Recycle: "",
	}, true
}

func (st *state) envInfo(e *env) tcbr.EnvInfo {
	return tcbr.EnvInfo{
		EnvId: e.ID, Source: "qcloud", Alias: e.Alias, CreateTime: fmtTime(e.Created),
		UpdateTime: fmtTime(e.Created), Status: "NORMAL", Region: e.Region, EnvType: "baas",
		PackageId: e.PackageID, PackageName: e.PackageName, EnvChannel: "qc_console", PayMode: "postpaid",
		Databases: []tcbr.DatabasesInfo{}, Storages: []tcbr.StorageInfo{}, Functions: []tcbr.FunctionInfo{},
		LogServices: []tcbr.LogServiceInfo{}, StaticStorages: []tcbr.StaticStorageInfo{}, Tags: []tcbr.Tag{},
		CustomLogServices: []tcbr.ClsInfo{},
	}
}

// versionDetail renders DescribeVersionDetail; EntryPoint and Cmd are
// strings there (JSON array text, "" when empty) [ASSUMED].
func (st *state) versionDetail(v *version, now time.Time) versionDetailResponse {
	arr := func(a []string) string {
		if len(a) == 0 {
			return ""
		}
		b, _ := json.Marshal(a)
		return string(b)
	}
	c := v.Config
	return versionDetailResponse{
		Name: v.Name, Port: c.Port, Cpu: c.Cpu, Mem: c.Mem, MinNum: c.MinNum, MaxNum: c.MaxNum,
		PolicyDetails: append([]tcbr.HpaPolicy{}, c.PolicyDetails...), Dockerfile: c.Dockerfile,
		BuildDir: c.BuildDir, EnvParams: c.EnvParams, Status: st.vocab(v.status(now)),
		CreatedTime: fmtTime(v.Created), UpdatedTime: fmtTime(v.updated(now)), LogPath: c.CustomLogs,
		EntryPoint: arr(c.EntryPoint), Cmd: arr(c.Cmd), VpcConf: c.VpcConf,
		VolumesConf: append([]tcbr.VolumeConf{}, c.VolumesConf...), BuildPacks: v.BuildPacks,
	}
}
