package tcbr

// Typed requests and responses of every action we call (tcbr-api.md §5, §6.1).
// Request fields whose zero value means something (TaskId 0 = latest) are sent
// always; optional ones carry omitempty. Every response embeds its RequestId.

// Meta carries the RequestId every response has.
type Meta struct {
	RequestId string `json:"RequestId"`
}

// --- 5.1 DescribeCloudRunServers

type DescribeCloudRunServersRequest struct {
	EnvId      string `json:"EnvId"`
	PageSize   int64  `json:"PageSize,omitempty"`
	PageNum    int64  `json:"PageNum,omitempty"`
	ServerName string `json:"ServerName,omitempty"`
	ServerType string `json:"ServerType,omitempty"`
	VpcId      string `json:"VpcId,omitempty"`
}

type DescribeCloudRunServersResponse struct {
	ServerList []ServerBaseInfo `json:"ServerList"`
	Total      int64            `json:"Total"`
	Meta
}

// --- 5.2 DescribeCloudRunServerDetail

type DescribeCloudRunServerDetailRequest struct {
	EnvId      string `json:"EnvId"`
	ServerName string `json:"ServerName"`
}

type DescribeCloudRunServerDetailResponse struct {
	BaseInfo           *ServerBaseInfo     `json:"BaseInfo"`
	ServerConfig       *ServerBaseConfig   `json:"ServerConfig"`
	OnlineVersionInfos []OnlineVersionInfo `json:"OnlineVersionInfos"`
	Meta
}

// --- 5.3 CreateCloudRunServer

type CreateCloudRunServerRequest struct {
	EnvId      string           `json:"EnvId"`
	ServerName string           `json:"ServerName"`
	DeployInfo DeployParam      `json:"DeployInfo"`
	Items      []DiffConfigItem `json:"Items,omitempty"`
	VpcInfo    *CreateVpcInfo   `json:"VpcInfo,omitempty"`
}

type CreateCloudRunServerResponse struct {
	TaskId int64 `json:"TaskId"`
	Meta
}

// --- 5.4 UpdateCloudRunServer

type UpdateCloudRunServerRequest struct {
	EnvId      string           `json:"EnvId"`
	ServerName string           `json:"ServerName"`
	DeployInfo DeployParam      `json:"DeployInfo"`
	Business   string           `json:"Business,omitempty"`
	Items      []DiffConfigItem `json:"Items,omitempty"`
}

type UpdateCloudRunServerResponse struct {
	EnvId  string `json:"EnvId"`
	TaskId int64  `json:"TaskId"`
	Meta
}

// --- 5.5 DeleteCloudRunServer

type DeleteCloudRunServerRequest struct {
	EnvId          string `json:"EnvId"`
	ServerName     string `json:"ServerName"`
	OperatorRemark string `json:"OperatorRemark,omitempty"`
}

type DeleteCloudRunServerResponse struct {
	Result string `json:"Result"`
	Meta
}

// --- 5.6 DescribeCloudRunDeployRecord

type DescribeCloudRunDeployRecordRequest struct {
	EnvId      string `json:"EnvId"`
	ServerName string `json:"ServerName"`
}

type DescribeCloudRunDeployRecordResponse struct {
	DeployRecords []DeployRecord `json:"DeployRecords"`
	Meta
}

// --- 5.7 DescribeCloudRunBuildLog (not in the public SDK models)

type DescribeCloudRunBuildLogRequest struct {
	EnvId         string `json:"EnvId"`
	ServerName    string `json:"ServerName"`
	ServerVersion string `json:"ServerVersion"`
	BuildId       int64  `json:"BuildId"`
	Offset        int64  `json:"Offset"`
}

type DescribeCloudRunBuildLogResponse struct {
	Log BuildLog `json:"Log"`
	Meta
}

// --- 5.8 DescribeCloudRunProcessLog (the model has no ServerName: a RunId
// names the version)

type DescribeCloudRunProcessLogRequest struct {
	EnvId string `json:"EnvId"`
	RunId string `json:"RunId"`
}

type DescribeCloudRunProcessLogResponse struct {
	Logs []string `json:"Logs"`
	Meta
}

// --- 5.9 DescribeServerManageTask (TaskId 0 = latest)

type DescribeServerManageTaskRequest struct {
	EnvId          string `json:"EnvId"`
	ServerName     string `json:"ServerName"`
	TaskId         int64  `json:"TaskId"`
	OperatorRemark string `json:"OperatorRemark,omitempty"`
}

type DescribeServerManageTaskResponse struct {
	IsExist bool                  `json:"IsExist"`
	Task    *ServerManageTaskInfo `json:"Task"`
	Meta
}

// --- 5.10 DescribeReleaseOrder

type DescribeReleaseOrderRequest struct {
	EnvId      string `json:"EnvId"`
	ServerName string `json:"ServerName"`
	Status     string `json:"Status,omitempty"`
}

type DescribeReleaseOrderResponse struct {
	IsExist                 bool              `json:"IsExist"`
	ReleaseOrderInfo        *ReleaseOrderInfo `json:"ReleaseOrderInfo"`
	LastReleasedSuccessTime string            `json:"LastReleasedSuccessTime"`
	Meta
}

// --- 5.11 ReleaseGray

type ReleaseGrayRequest struct {
	EnvId            string            `json:"EnvId"`
	ServerName       string            `json:"ServerName"`
	GrayType         string            `json:"GrayType"`
	TrafficType      string            `json:"TrafficType"`
	VersionFlowItems []VersionFlowInfo `json:"VersionFlowItems,omitempty"`
	OperatorRemark   string            `json:"OperatorRemark,omitempty"`
	GrayFlowRatio    *int64            `json:"GrayFlowRatio,omitempty"`
	CloseGrayRelease bool              `json:"CloseGrayRelease,omitempty"`
}

type ReleaseGrayResponse struct {
	Meta
}

// --- 5.12 OperateServerManage

type OperateServerManageRequest struct {
	EnvId          string `json:"EnvId"`
	ServerName     string `json:"ServerName"`
	TaskId         int64  `json:"TaskId"`
	OperateType    string `json:"OperateType"`
	OperatorRemark string `json:"OperatorRemark,omitempty"`
}

type OperateServerManageResponse struct {
	Meta
}

// --- 5.13 DescribeEnvBaseInfo

type DescribeEnvBaseInfoRequest struct {
	EnvId string `json:"EnvId"`
}

type DescribeEnvBaseInfoResponse struct {
	EnvBaseInfo *EnvBaseInfo `json:"EnvBaseInfo"`
	IsExist     bool         `json:"IsExist"`
	Meta
}

// --- 5.14 CreateCloudRunEnv

type CreateCloudRunEnvRequest struct {
	PackageType string   `json:"PackageType"`
	EnvId       string   `json:"EnvId"`
	EnvType     string   `json:"EnvType,omitempty"`
	VpcId       string   `json:"VpcId,omitempty"`
	SubNetIds   []string `json:"SubNetIds,omitempty"`
	Alias       string   `json:"Alias,omitempty"`
	FreeQuota   string   `json:"FreeQuota,omitempty"`
	Flag        string   `json:"Flag,omitempty"`
	ReqKey      string   `json:"ReqKey,omitempty"`
	Source      string   `json:"Source,omitempty"`
	Channel     string   `json:"Channel,omitempty"`
}

type CreateCloudRunEnvResponse struct {
	EnvId  string `json:"EnvId"`
	TranId string `json:"TranId"`
	Meta
}

// --- 5.15 SubmitServerConfigChangeDiff (TaskId 0 = applied synchronously)

type SubmitServerConfigChangeDiffRequest struct {
	EnvId      string           `json:"EnvId"`
	ServerName string           `json:"ServerName"`
	Items      []DiffConfigItem `json:"Items,omitempty"`
}

type SubmitServerConfigChangeDiffResponse struct {
	TaskId int64 `json:"TaskId"`
	Meta
}

// --- 5.16 DescribeCloudRunEnvs

type DescribeCloudRunEnvsRequest struct {
	EnvId     string   `json:"EnvId,omitempty"`
	IsVisible *bool    `json:"IsVisible,omitempty"`
	Channels  []string `json:"Channels,omitempty"`
}

type DescribeCloudRunEnvsResponse struct {
	EnvList []EnvInfo `json:"EnvList"`
	Meta
}

// --- 6.1 tcb DescribeCloudBaseBuildService (upload/download tickets)

type DescribeCloudBaseBuildServiceRequest struct {
	EnvId          string `json:"EnvId"`
	ServiceName    string `json:"ServiceName"`
	CIBusiness     string `json:"CIBusiness,omitempty"`
	ServiceVersion string `json:"ServiceVersion,omitempty"`
	Suffix         string `json:"Suffix,omitempty"`
}

type DescribeCloudBaseBuildServiceResponse struct {
	UploadUrl       string   `json:"UploadUrl"`
	UploadHeaders   []KVPair `json:"UploadHeaders"`
	PackageName     string   `json:"PackageName"`
	PackageVersion  string   `json:"PackageVersion"`
	DownloadUrl     string   `json:"DownloadUrl"`
	DownloadHeaders []KVPair `json:"DownloadHeaders"`
	OutDate         bool     `json:"OutDate"`
	Meta
}

// --- 6.2 tcb DescribeHTTPServiceRoute (the HTTP access gateway's domains
// and the routes bound on them)

type DescribeHTTPServiceRouteRequest struct {
	EnvId   string   `json:"EnvId"`
	Filters []Filter `json:"Filters,omitempty"`
	Offset  int64    `json:"Offset,omitempty"`
	Limit   int64    `json:"Limit,omitempty"`
}

type DescribeHTTPServiceRouteResponse struct {
	Domains      []HTTPServiceDomain `json:"Domains"`
	OriginDomain string              `json:"OriginDomain"`
	TotalCount   int64               `json:"TotalCount"`
	Meta
}
