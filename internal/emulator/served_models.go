package emulator

import "github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"

// Wire types of the actions the emulator serves but our client does not
// call (so internal/tcbr does not model them). Their shapes are the public
// SDK models' (the strict checks hold them to internal/tcbr/wire).

type submitServerRollbackRequest struct {
	EnvId               string `json:"EnvId"`
	ServerName          string `json:"ServerName"`
	CurrentVersionName  string `json:"CurrentVersionName"`
	RollbackVersionName string `json:"RollbackVersionName"`
	OperatorRemark      string `json:"OperatorRemark,omitempty"`
}

type submitServerRollbackResponse struct {
	TaskId int64 `json:"TaskId"`
	tcbr.Meta
}

type describeVersionDetailRequest struct {
	EnvId       string `json:"EnvId"`
	ServerName  string `json:"ServerName"`
	VersionName string `json:"VersionName"`
	Channel     string `json:"Channel,omitempty"`
}

// versionDetailResponse is DescribeVersionDetail's answer; EntryPoint and
// Cmd are strings there (JSON array text).
type versionDetailResponse struct {
	Name          string               `json:"Name"`
	Port          tcbr.FlexInt         `json:"Port"`
	Cpu           float64              `json:"Cpu"`
	Mem           float64              `json:"Mem"`
	MinNum        tcbr.FlexInt         `json:"MinNum"`
	MaxNum        tcbr.FlexInt         `json:"MaxNum"`
	PolicyDetails []tcbr.HpaPolicy     `json:"PolicyDetails"`
	Dockerfile    string               `json:"Dockerfile"`
	BuildDir      string               `json:"BuildDir"`
	EnvParams     string               `json:"EnvParams"`
	Status        string               `json:"Status"`
	CreatedTime   string               `json:"CreatedTime"`
	UpdatedTime   string               `json:"UpdatedTime"`
	LogPath       string               `json:"LogPath"`
	EntryPoint    string               `json:"EntryPoint"`
	Cmd           string               `json:"Cmd"`
	VpcConf       *tcbr.VpcConf        `json:"VpcConf"`
	VolumesConf   []tcbr.VolumeConf    `json:"VolumesConf"`
	BuildPacks    *tcbr.BuildPacksInfo `json:"BuildPacks"`
	tcbr.Meta
}
