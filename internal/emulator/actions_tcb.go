package emulator

import (
	"cmp"
	"slices"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// tcb 2018-06-08 actions (spec §6). The client does not call DescribeEnvInfo
// or DescribeEnvs; their shapes are the table's (internal/tcbr/wire):
// DescribeEnvs the SDK model's EnvInfo, DescribeEnvInfo manager-node's
// EnvBaseInfo (the same plus EnvPreferences and EnvStatus).

// tcbEnvInfo is tcb's EnvInfo (DescribeEnvs).
type tcbEnvInfo struct {
	EnvId             string `json:"EnvId"`
	Source            string `json:"Source"`
	Alias             string `json:"Alias"`
	CreateTime        string `json:"CreateTime"`
	UpdateTime        string `json:"UpdateTime"`
	Status            string `json:"Status"`
	Databases         []any  `json:"Databases"`
	Storages          []any  `json:"Storages"`
	Functions         []any  `json:"Functions"`
	PackageId         string `json:"PackageId"`
	PackageName       string `json:"PackageName"`
	LogServices       []any  `json:"LogServices"`
	StaticStorages    []any  `json:"StaticStorages"`
	IsAutoDegrade     bool   `json:"IsAutoDegrade"`
	EnvChannel        string `json:"EnvChannel"`
	PayMode           string `json:"PayMode"`
	IsDefault         bool   `json:"IsDefault"`
	Region            string `json:"Region"`
	Tags              []any  `json:"Tags"`
	CustomLogServices []any  `json:"CustomLogServices"`
	EnvType           string `json:"EnvType"`
	IsDauPackage      bool   `json:"IsDauPackage"`
	PackageType       string `json:"PackageType"`
	ArchitectureType  string `json:"ArchitectureType"`
	Recycle           string `json:"Recycle"`
	Meta              []any  `json:"Meta"`
	PostgreSQL        []any  `json:"PostgreSQL"`
}

// tcbEnvBaseInfo is DescribeEnvInfo's EnvBaseInfo.
type tcbEnvBaseInfo struct {
	tcbEnvInfo
	EnvPreferences []any  `json:"EnvPreferences"`
	EnvStatus      string `json:"EnvStatus"`
}

type tcbEnvInfoDetail struct {
	EnvBaseInfo tcbEnvBaseInfo    `json:"EnvBaseInfo"`
	BillingInfo struct{}          `json:"BillingInfo"`
	UserInfo    map[string]string `json:"UserInfo"`
}

func (st *state) tcbEnv(en *env) tcbEnvInfo {
	return tcbEnvInfo{
		EnvId: en.ID, Alias: en.Alias, Status: "NORMAL", Region: en.Region, EnvType: "baas",
		PackageId: en.PackageID, PackageName: en.PackageName, PackageType: "baas", Source: "qcloud",
		CreateTime: fmtTime(en.Created), UpdateTime: fmtTime(en.Created),
		Databases: []any{}, Storages: []any{}, Functions: []any{}, LogServices: []any{},
		CustomLogServices: []any{}, StaticStorages: []any{}, EnvChannel: "qc_console", PayMode: "postpaid",
		Tags: []any{}, IsDauPackage: true, ArchitectureType: "x86", Meta: []any{}, PostgreSQL: []any{},
	}
}

func describeEnvInfo(c *call) (any, *apiError) {
	var req struct{ EnvId string }
	if aerr := cmp.Or(c.require("EnvId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		EnvInfo tcbEnvInfoDetail `json:"EnvInfo"`
		tcbr.Meta
	}{tcbEnvInfoDetail{EnvBaseInfo: tcbEnvBaseInfo{tcbEnvInfo: c.st.tcbEnv(en), EnvPreferences: []any{}, EnvStatus: "NORMAL"},
		UserInfo: map[string]string{"Uin": c.st.account.Uin, "AppId": c.st.account.AppID}}, c.meta()}, nil
}

// describeEnvs lists the account's envs: EnvId narrows to one, EnvTypes
// (accepted beyond the model, see wire.Allowances) to those types; Offset
// and Limit page.
func describeEnvs(c *call) (any, *apiError) {
	var req struct {
		EnvId         string
		EnvTypes      []string
		Offset, Limit int64
	}
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	list := []tcbEnvInfo{}
	for _, en := range c.st.envs {
		info := c.st.tcbEnv(en)
		if (req.EnvId == "" || req.EnvId == en.ID) && (req.EnvTypes == nil || slices.Contains(req.EnvTypes, info.EnvType)) {
			list = append(list, info)
		}
	}
	total := len(list)
	if req.Offset > 0 {
		list = list[min(int(req.Offset), len(list)):]
	}
	if req.Limit > 0 {
		list = list[:min(int(req.Limit), len(list))]
	}
	return struct {
		EnvList []tcbEnvInfo `json:"EnvList"`
		Total   int          `json:"Total"`
		tcbr.Meta
	}{list, total, c.meta()}, nil
}

// describeCloudBaseBuildService hands out upload tickets (no
// ServiceVersion; the service need not exist) and download tickets for a
// version's package (see cos.go).
func describeCloudBaseBuildService(c *call) (any, *apiError) {
	var req tcbr.DescribeCloudBaseBuildServiceRequest
	if aerr := cmp.Or(c.require("EnvId", "ServiceName"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	if req.ServiceVersion == "" {
		return c.uploadTicket(en, req.ServiceName), nil
	}
	s := en.service(req.ServiceName)
	if s == nil {
		return nil, newAPIError("InvalidParameter.ServiceNotExist", "The service `"+req.ServiceName+"` does not exist.")
	}
	v := s.version(req.ServiceVersion)
	if v == nil {
		return nil, newAPIError("ResourceNotFound.VersionNotFound",
			"The version `"+req.ServiceVersion+"` of service `"+s.Name+"` does not exist.")
	}
	resp := tcbr.DescribeCloudBaseBuildServiceResponse{UploadHeaders: []tcbr.KVPair{}, DownloadHeaders: []tcbr.KVPair{}, Meta: c.meta()}
	if v.isPackage() {
		resp.DownloadUrl = c.e.downloadURL(c.e.baseURL(c.r), en.ID, s.Name, v.Name, c.now)
	}
	return resp, nil
}
