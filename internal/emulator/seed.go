package emulator

import (
	"fmt"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// newState seeds a state from a scenario: every service's deploys are
// replayed through startDeploy/settle at their (past or future) times, so the
// seeded state is exactly what the live state machines would have produced.
func newState(sc *Scenario, origin time.Time, seed int64) (*state, error) {
	st := &state{origin: origin, flags: sc.Flags, account: sc.Account, ids: newIDGen(seed),
		packageIdx: map[string]*codePackage{}, lastPkgVersion: map[string]int64{}}
	if st.account.Uin == "" {
		st.account.Uin = "100038201247"
	}
	if st.account.AppID == "" {
		st.account.AppID = "1318273645"
	}
	for _, es := range sc.Envs {
		if err := st.seedEnv(es); err != nil {
			return nil, err
		}
	}
	st.settle(origin)
	return st, nil
}

func (st *state) seedEnv(es EnvSpec) error {
	if es.EnvID == "" {
		return fmt.Errorf("an env has no envId")
	}
	if st.env(es.EnvID) != nil {
		return fmt.Errorf("env %s is listed twice", es.EnvID)
	}
	e := &env{
		ID: es.EnvID, Alias: es.Alias, Region: es.Region, Created: st.origin.Add(es.CreatedAt.D()),
		PackageID: es.PackageID, PackageName: es.PackageName, registryNS: st.ids.lower(4),
	}
	if e.Region == "" {
		e.Region = "ap-shanghai"
	}
	if e.PackageID == "" {
		e.PackageID, e.PackageName = "baas_trial", "体验版"
	}
	st.envs = append(st.envs, e)
	if err := st.seedGateway(e, es.Gateway); err != nil {
		return fmt.Errorf("env %s: %w", e.ID, err)
	}
	if es.CloudRun == nil {
		if len(es.Services) > 0 {
			return fmt.Errorf("env %s has services but CloudRun is not opened", es.EnvID)
		}
		return nil
	}
	cr := es.CloudRun
	e.cloudRun = &cloudRun{
		PackageType: cr.PackageType, EnvType: cr.EnvType, VpcID: cr.VpcID,
		SubnetIDs: append([]string{}, cr.SubnetIDs...), OpenedAt: st.origin.Add(cr.OpenedAt.D()),
	}
	if e.cloudRun.PackageType == "" {
		e.cloudRun.PackageType = "Trial"
	}
	if e.cloudRun.EnvType == "" {
		e.cloudRun.EnvType = "baas"
	}
	open := cr.OpenDuration.D()
	if open == 0 {
		open = 5 * time.Second
	}
	e.cloudRun.ReadyAt = e.cloudRun.OpenedAt.Add(open)
	for _, ss := range es.Services {
		if err := st.seedService(e, ss); err != nil {
			return fmt.Errorf("env %s: %w", e.ID, err)
		}
	}
	return nil
}

func (st *state) seedService(e *env, ss ServiceSpec) error {
	if len(ss.Versions) == 0 {
		return fmt.Errorf("service %s has no versions", ss.Name)
	}
	created := st.origin.Add(ss.Versions[0].At.D())
	if ss.CreatedAt != nil {
		created = st.origin.Add(ss.CreatedAt.D())
	}
	s, err := st.newService(e, ss.Name, ss.Type, created)
	if err != nil {
		return err
	}
	s.Config, err = overlayConfig(s.Config, ss.Config, ss.EnvParams)
	if err != nil {
		return fmt.Errorf("service %s: %w", s.Name, err)
	}
	prev := created
	for i, vs := range ss.Versions {
		at := st.origin.Add(vs.At.D())
		if at.After(st.origin) {
			return fmt.Errorf("service %s version %d starts after the clock origin; seed only past or current deploys", s.Name, i+1)
		}
		if at.Before(prev) {
			return fmt.Errorf("service %s version %d starts before the previous one (or the service)", s.Name, i+1)
		}
		prev = at
		s.settle(at)
		if t := s.activeTask(at); t != nil {
			return fmt.Errorf("service %s version %d starts at %s while task %d (%s) is still %s",
				s.Name, i+1, fmtTime(at), t.ID, t.VersionName, t.status(at))
		}
		if s.openOrder() != nil {
			return fmt.Errorf("service %s version %d starts while a gray release order is open", s.Name, i+1)
		}
		sp, err := seedDeploySpec(s, vs)
		if err != nil {
			return fmt.Errorf("service %s version %d: %w", s.Name, i+1, err)
		}
		if _, _, err := st.startDeploy(s, at, sp); err != nil {
			return fmt.Errorf("service %s version %d: %w", s.Name, i+1, err)
		}
	}
	return nil
}

func seedDeploySpec(s *service, vs VersionSpec) (deploySpec, error) {
	dt := vs.DeployType
	if dt == "" {
		dt = "package"
	}
	sp := defaultDeploySpec(dt)
	sp.Name, sp.ImageURL, sp.Remark, sp.FailReason = vs.Name, vs.ImageURL, vs.Remark, vs.FailReason
	sp.GrayFlowRatio = vs.GrayFlowRatio
	if vs.ReleaseType != "" {
		sp.ReleaseType = vs.ReleaseType
	}
	if vs.Outcome != "" {
		sp.Outcome = vs.Outcome
	}
	for _, d := range []struct {
		from *Duration
		to   *time.Duration
	}{
		{vs.BuildIDDelay, &sp.BuildIDDelay}, {vs.BuildDuration, &sp.BuildDuration},
		{vs.CreateDuration, &sp.CreateDuration}, {vs.ReleaseDuration, &sp.ReleaseDur},
	} {
		if d.from != nil {
			*d.to = d.from.D()
		}
	}
	cfg, err := overlayConfig(s.Config, vs.Config, vs.EnvParams)
	if err != nil {
		return sp, err
	}
	sp.Config = cfg
	if s.Type == typeFunction && dt == "package" {
		sp.BuildPacks = &tcbr.BuildPacksInfo{LanguageVersion: "20.18", RepoLanguage: "Node.js"}
	}
	return sp, nil
}
