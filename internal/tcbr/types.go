package tcbr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Service names and API versions of the two Tencent Cloud products we call.
const (
	ServiceTCBR = "tcbr"
	VersionTCBR = "2022-02-17"
	ServiceTCB  = "tcb"
	VersionTCB  = "2018-06-08"
)

// FlexInt decodes an integer sent either as a JSON number or as a string
// ("100", "", "xx" decode to 100, 0, 0) and encodes as a JSON number. The
// platform is inconsistent about ratios and ports (tcbr-api.md §4).
type FlexInt int64

// UnmarshalJSON accepts numbers, numeric strings, empty strings and null.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = 0
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*f = 0
			return nil
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			*f = FlexInt(v)
			return nil
		}
		*f = 0 // non-numeric strings ("xx") were observed; treat as unknown
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("flexint: %w", err)
	}
	*f = FlexInt(v)
	return nil
}

// NumString is a number carried as a JSON string on the wire (for example
// OnlineVersionInfo.FlowRatio "100"). It decodes from a string or a number and
// always encodes as a string.
type NumString string

// UnmarshalJSON accepts a string, a number or null.
func (n *NumString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*n = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = NumString(s)
		return nil
	}
	var v json.Number
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("numstring: %w", err)
	}
	*n = NumString(v.String())
	return nil
}

// Int returns the numeric value, 0 when empty or not a number.
func (n NumString) Int() int64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(n)), 64)
	if err != nil {
		return 0
	}
	return int64(v)
}

// Ptr returns a pointer to v; request fields whose zero value is meaningful
// (TaskId 0, IntValue 0, BoolValue false) are pointers.
func Ptr[T any](v T) *T { return &v }

// ---------------------------------------------------------------------------
// Shared data types (tcbr-api.md §7). JSON names exactly as on the wire.

// ServerBaseInfo is a service summary (§7.1).
type ServerBaseInfo struct {
	ServerName        string   `json:"ServerName"`
	DefaultDomainName string   `json:"DefaultDomainName"`
	CustomDomainName  string   `json:"CustomDomainName"`
	Status            string   `json:"Status"`
	UpdateTime        string   `json:"UpdateTime"`
	AccessTypes       []string `json:"AccessTypes"`
	CustomDomainNames []string `json:"CustomDomainNames"`
	ServerType        string   `json:"ServerType"`
	TrafficType       string   `json:"TrafficType"`
	CreateTime        string   `json:"CreateTime"`
}

// HpaPolicy is an autoscaling policy.
type HpaPolicy struct {
	PolicyType      string  `json:"PolicyType"`
	PolicyThreshold FlexInt `json:"PolicyThreshold"`
}

// TimerScale is a scheduled scaling rule.
type TimerScale struct {
	CycleType  string  `json:"CycleType,omitempty"`
	StartDate  string  `json:"StartDate,omitempty"`
	EndDate    string  `json:"EndDate,omitempty"`
	StartTime  string  `json:"StartTime,omitempty"`
	EndTime    string  `json:"EndTime,omitempty"`
	ReplicaNum FlexInt `json:"ReplicaNum"`
}

// VpcConf is a service's VPC attachment.
type VpcConf struct {
	VpcId      string `json:"VpcId,omitempty"`
	VpcCIDR    string `json:"VpcCIDR,omitempty"`
	SubnetId   string `json:"SubnetId,omitempty"`
	SubnetCIDR string `json:"SubnetCIDR,omitempty"`
}

// VolumeConf is a mounted volume.
type VolumeConf struct {
	Type       string `json:"Type,omitempty"`
	BucketName string `json:"BucketName,omitempty"`
	Endpoint   string `json:"Endpoint,omitempty"`
	KeyID      string `json:"KeyID,omitempty"`
	DstPath    string `json:"DstPath,omitempty"`
	SrcPath    string `json:"SrcPath,omitempty"`
	MountIP    string `json:"MountIP,omitempty"`
	ReadOnly   bool   `json:"ReadOnly,omitempty"`
	InstanceId string `json:"InstanceId,omitempty"`
}

// PublicNetConf toggles public egress.
type PublicNetConf struct {
	PublicNetStatus string `json:"PublicNetStatus,omitempty"`
}

// ServerBaseConfig is a service's effective configuration (§7.2).
type ServerBaseConfig struct {
	EnvId               string         `json:"EnvId"`
	ServerName          string         `json:"ServerName"`
	OpenAccessTypes     []string       `json:"OpenAccessTypes"`
	Cpu                 float64        `json:"Cpu"`
	Mem                 float64        `json:"Mem"`
	MinNum              FlexInt        `json:"MinNum"`
	MaxNum              FlexInt        `json:"MaxNum"`
	PolicyDetails       []HpaPolicy    `json:"PolicyDetails"`
	CustomLogs          string         `json:"CustomLogs"`
	EnvParams           string         `json:"EnvParams"`
	InitialDelaySeconds FlexInt        `json:"InitialDelaySeconds"`
	CreateTime          string         `json:"CreateTime"`
	Port                FlexInt        `json:"Port"`
	HasDockerfile       bool           `json:"HasDockerfile"`
	Dockerfile          string         `json:"Dockerfile"`
	BuildDir            string         `json:"BuildDir"`
	LogType             string         `json:"LogType"`
	LogSetId            string         `json:"LogSetId"`
	LogTopicId          string         `json:"LogTopicId"`
	LogParseType        string         `json:"LogParseType"`
	Tag                 string         `json:"Tag"`
	InternalAccess      string         `json:"InternalAccess"`
	InternalDomain      string         `json:"InternalDomain"`
	OperationMode       string         `json:"OperationMode"`
	TimerScale          []TimerScale   `json:"TimerScale"`
	EntryPoint          []string       `json:"EntryPoint"`
	Cmd                 []string       `json:"Cmd"`
	SessionAffinity     *string        `json:"SessionAffinity"`
	VpcConf             *VpcConf       `json:"VpcConf"`
	VolumesConf         []VolumeConf   `json:"VolumesConf"`
	LinkImageRegistry   string         `json:"LinkImageRegistry"`
	PublicNetConf       *PublicNetConf `json:"PublicNetConf"`
}

// OnlineVersionInfo is a version holding traffic; FlowRatio is a string on the wire.
type OnlineVersionInfo struct {
	VersionName string    `json:"VersionName"`
	ImageUrl    string    `json:"ImageUrl"`
	FlowRatio   NumString `json:"FlowRatio"`
}

// RepositoryInfo names a code repository.
type RepositoryInfo struct {
	Source string `json:"Source,omitempty"`
	Repo   string `json:"Repo,omitempty"`
	Branch string `json:"Branch,omitempty"`
}

// BuildPacksInfo describes a build without a Dockerfile.
type BuildPacksInfo struct {
	BaseImage       string `json:"BaseImage,omitempty"`
	EntryPoint      string `json:"EntryPoint,omitempty"`
	RepoLanguage    string `json:"RepoLanguage,omitempty"`
	UploadFilename  string `json:"UploadFilename,omitempty"`
	LanguageVersion string `json:"LanguageVersion,omitempty"`
}

// DeployParam is DeployInfo (§7.4).
type DeployParam struct {
	DeployType     string          `json:"DeployType"`
	ImageUrl       string          `json:"ImageUrl,omitempty"`
	PackageName    string          `json:"PackageName,omitempty"`
	PackageVersion string          `json:"PackageVersion,omitempty"`
	DeployRemark   string          `json:"DeployRemark,omitempty"`
	RepoInfo       *RepositoryInfo `json:"RepoInfo,omitempty"`
	BuildPacks     *BuildPacksInfo `json:"BuildPacks,omitempty"`
	ReleaseType    string          `json:"ReleaseType,omitempty"`
}

// DiffConfigItem is one config key with exactly one value slot (§7.5).
type DiffConfigItem struct {
	Key           string         `json:"Key"`
	Value         *string        `json:"Value,omitempty"`
	IntValue      *int64         `json:"IntValue,omitempty"`
	BoolValue     *bool          `json:"BoolValue,omitempty"`
	FloatValue    *float64       `json:"FloatValue,omitempty"`
	ArrayValue    []string       `json:"ArrayValue,omitempty"`
	PolicyDetails []HpaPolicy    `json:"PolicyDetails,omitempty"`
	TimerScale    []TimerScale   `json:"TimerScale,omitempty"`
	VpcConf       *VpcConf       `json:"VpcConf,omitempty"`
	VolumesConf   []VolumeConf   `json:"VolumesConf,omitempty"`
	PublicNetConf *PublicNetConf `json:"PublicNetConf,omitempty"`
}

// CreateVpcInfo attaches a VPC on create (CreateType 1 new, 2 existing).
type CreateVpcInfo struct {
	VpcId      string   `json:"VpcId"`
	CreateType int64    `json:"CreateType"`
	SubnetIds  []string `json:"SubnetIds,omitempty"`
}

// DeployRecord is one version's deploy record (§7.7).
type DeployRecord struct {
	DeployId    string  `json:"DeployId"`
	DeployTime  string  `json:"DeployTime"`
	Status      string  `json:"Status"`
	RunId       string  `json:"RunId"`
	BuildId     int64   `json:"BuildId"`
	FlowRatio   FlexInt `json:"FlowRatio"`
	ImageUrl    *string `json:"ImageUrl"`
	ScaleStatus string  `json:"ScaleStatus"`
	HasTraffic  bool    `json:"HasTraffic"`
	TrafficType string  `json:"TrafficType"`
	IsReleasing bool    `json:"IsReleasing"`
}

// TaskStepInfo is one step of a manage task.
type TaskStepInfo struct {
	Name       string  `json:"Name"`
	Status     string  `json:"Status"`
	StartTime  string  `json:"StartTime"`
	EndTime    string  `json:"EndTime"`
	CostTime   FlexInt `json:"CostTime"`
	FailReason string  `json:"FailReason"`
}

// ServerManageTaskInfo is a deploy, release or config-change task (§7.8).
type ServerManageTaskInfo struct {
	Id             int64          `json:"Id"`
	EnvId          string         `json:"EnvId"`
	ServerName     string         `json:"ServerName"`
	CreateTime     string         `json:"CreateTime"`
	ChangeType     string         `json:"ChangeType"`
	ReleaseType    string         `json:"ReleaseType"`
	DeployType     string         `json:"DeployType"`
	PreVersionName string         `json:"PreVersionName"`
	VersionName    string         `json:"VersionName"`
	PipelineId     int64          `json:"PipelineId"`
	PipelineTaskId int64          `json:"PipelineTaskId"`
	ReleaseId      int64          `json:"ReleaseId"`
	Status         string         `json:"Status"`
	Steps          []TaskStepInfo `json:"Steps"`
	FailReason     string         `json:"FailReason"`
	OperatorRemark string         `json:"OperatorRemark"`
}

// ObjectKV is a key/value pair.
type ObjectKV struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// ObjectKVPriority is a key/value pair with a priority.
type ObjectKVPriority struct {
	Key      string  `json:"Key"`
	Value    string  `json:"Value"`
	Priority FlexInt `json:"Priority"`
}

// VersionInfo is a version inside a release order (§7.9).
type VersionInfo struct {
	VersionName       string             `json:"VersionName"`
	FlowRatio         FlexInt            `json:"FlowRatio"`
	Status            string             `json:"Status"`
	CreatedTime       string             `json:"CreatedTime"`
	UpdatedTime       string             `json:"UpdatedTime"`
	BuildId           int64              `json:"BuildId"`
	UploadType        string             `json:"UploadType"`
	Remark            string             `json:"Remark"`
	UrlParam          *ObjectKV          `json:"UrlParam"`
	Priority          FlexInt            `json:"Priority"`
	IsDefaultPriority bool               `json:"IsDefaultPriority"`
	FlowParams        []ObjectKVPriority `json:"FlowParams"`
	MinReplicas       FlexInt            `json:"MinReplicas"`
	MaxReplicas       FlexInt            `json:"MaxReplicas"`
	RunId             string             `json:"RunId"`
	Percent           int64              `json:"Percent"`
	CurrentReplicas   FlexInt            `json:"CurrentReplicas"`
	Architecture      string             `json:"Architecture"`
}

// ReleaseOrderInfo is the state of a gray release (§7.9).
type ReleaseOrderInfo struct {
	Id                int64        `json:"Id"`
	ServerName        string       `json:"ServerName"`
	CurrentVersion    *VersionInfo `json:"CurrentVersion"`
	ReleaseVersion    *VersionInfo `json:"ReleaseVersion"`
	GrayStatus        string       `json:"GrayStatus"`
	ReleaseStatus     string       `json:"ReleaseStatus"`
	TrafficTypeValues []ObjectKV   `json:"TrafficTypeValues"`
	TrafficType       string       `json:"TrafficType"`
	FlowRatio         FlexInt      `json:"FlowRatio"`
	CreateTime        string       `json:"CreateTime"`
	IsReleasing       bool         `json:"IsReleasing"`
}

// VersionFlowInfo is one version's traffic share in ReleaseGray.
type VersionFlowInfo struct {
	VersionName       string    `json:"VersionName"`
	IsDefaultPriority bool      `json:"IsDefaultPriority"`
	FlowRatio         int64     `json:"FlowRatio"`
	UrlParam          *ObjectKV `json:"UrlParam,omitempty"`
	Priority          int64     `json:"Priority"`
}

// EnvBaseInfo is CloudRun's view of an env (§7.10). SubnetIds is a string.
type EnvBaseInfo struct {
	EnvId       string `json:"EnvId"`
	PackageType string `json:"PackageType"`
	VpcId       string `json:"VpcId"`
	CreateTime  string `json:"CreateTime"`
	Alias       string `json:"Alias"`
	Status      string `json:"Status"`
	Region      string `json:"Region"`
	EnvType     string `json:"EnvType"`
	SubnetIds   string `json:"SubnetIds"`
	Recycle     string `json:"Recycle"`
}

// EnvInfo is an env as listed by DescribeCloudRunEnvs.
type EnvInfo struct {
	EnvId             string              `json:"EnvId"`
	Source            string              `json:"Source"`
	Alias             string              `json:"Alias"`
	CreateTime        string              `json:"CreateTime"`
	UpdateTime        string              `json:"UpdateTime"`
	Status            string              `json:"Status"`
	IsAutoDegrade     bool                `json:"IsAutoDegrade"`
	EnvChannel        string              `json:"EnvChannel"`
	PayMode           string              `json:"PayMode"`
	IsDefault         bool                `json:"IsDefault"`
	Region            string              `json:"Region"`
	EnvType           string              `json:"EnvType"`
	Databases         []DatabasesInfo     `json:"Databases"`
	Storages          []StorageInfo       `json:"Storages"`
	Functions         []FunctionInfo      `json:"Functions"`
	LogServices       []LogServiceInfo    `json:"LogServices"`
	StaticStorages    []StaticStorageInfo `json:"StaticStorages"`
	Tags              []Tag               `json:"Tags"`
	CustomLogServices []ClsInfo           `json:"CustomLogServices"`
	PackageId         string              `json:"PackageId"`
	PackageName       string              `json:"PackageName"`
}

// DatabasesInfo is an env's database instance.
type DatabasesInfo struct {
	InstanceId string `json:"InstanceId"`
	Status     string `json:"Status"`
	Region     string `json:"Region"`
}

// StorageInfo is an env's object storage bucket.
type StorageInfo struct {
	Region    string `json:"Region"`
	Bucket    string `json:"Bucket"`
	CdnDomain string `json:"CdnDomain"`
	AppId     string `json:"AppId"`
}

// FunctionInfo is an env's cloud function namespace.
type FunctionInfo struct {
	Namespace string `json:"Namespace"`
	Region    string `json:"Region"`
}

// LogServiceInfo is an env's log set and topic.
type LogServiceInfo struct {
	LogsetName string `json:"LogsetName"`
	LogsetId   string `json:"LogsetId"`
	TopicName  string `json:"TopicName"`
	TopicId    string `json:"TopicId"`
	Region     string `json:"Region"`
}

// StaticStorageInfo is an env's static hosting.
type StaticStorageInfo struct {
	StaticDomain   string `json:"StaticDomain"`
	DefaultDirName string `json:"DefaultDirName"`
	Status         string `json:"Status"`
	Region         string `json:"Region"`
	Bucket         string `json:"Bucket"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// ClsInfo is a custom log service binding.
type ClsInfo struct {
	ClsRegion   string `json:"ClsRegion"`
	ClsLogsetId string `json:"ClsLogsetId"`
	ClsTopicId  string `json:"ClsTopicId"`
	CreateTime  string `json:"CreateTime"`
}

// KVPair is tcb's key/value pair (upload headers).
type KVPair struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// BuildLog is the Log object of DescribeCloudRunBuildLog (§5.7).
type BuildLog struct {
	Total      int64  `json:"Total"`
	Delivered  int64  `json:"Delivered"`
	Text       string `json:"Text"`
	More       bool   `json:"More"`
	FailType   string `json:"FailType"`
	FailReason string `json:"FailReason"`
}

// Filter is a tcb list filter: Values match Name exactly.
type Filter struct {
	Name   string   `json:"Name"`
	Values []string `json:"Values,omitempty"`
}

// HTTPServiceDomain is a domain of the HTTP access gateway and its routes
// (tcb DescribeHTTPServiceRoute). Fields we read.
type HTTPServiceDomain struct {
	Domain     string             `json:"Domain"`
	DomainType string             `json:"DomainType"`
	IsDefault  bool               `json:"IsDefault"`
	Enable     *bool              `json:"Enable"`
	Status     string             `json:"Status"`
	Protocol   string             `json:"Protocol"`
	Routes     []HTTPServiceRoute `json:"Routes"`
}

// HTTPServiceRoute is one path on a gateway domain and the resource behind
// it; Enable nil means enabled (only false disables a route).
type HTTPServiceRoute struct {
	Path                 string `json:"Path"`
	UpstreamResourceType string `json:"UpstreamResourceType"`
	UpstreamResourceName string `json:"UpstreamResourceName"`
	Enable               *bool  `json:"Enable"`
	EnableAuth           *bool  `json:"EnableAuth"`
}
