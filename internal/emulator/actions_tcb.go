package emulator

import (
	"cmp"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// tcb 2018-06-08 actions (spec §6). DescribeEnvInfo and DescribeEnvs are not
// in the tcbr package's models (the Go tool does not call them); their shapes
// follow manager-node's typings.

type tcbEnvBaseInfo struct {
	EnvId             string `json:"EnvId"`
	Alias             string `json:"Alias"`
	Status            string `json:"Status"`
	Region            string `json:"Region"`
	EnvType           string `json:"EnvType"`
	PackageId         string `json:"PackageId"`
	PackageName       string `json:"PackageName"`
	PackageType       string `json:"PackageType"`
	Source            string `json:"Source"`
	CreateTime        string `json:"CreateTime"`
	UpdateTime        string `json:"UpdateTime"`
	Databases         []any  `json:"Databases"`
	Storages          []any  `json:"Storages"`
	Functions         []any  `json:"Functions"`
	LogServices       []any  `json:"LogServices"`
	CustomLogServices []any  `json:"CustomLogServices"`
	StaticStorages    []any  `json:"StaticStorages"`
	IsAutoDegrade     bool   `json:"IsAutoDegrade"`
	EnvChannel        string `json:"EnvChannel"`
	PayMode           string `json:"PayMode"`
	IsDefault         bool   `json:"IsDefault"`
	Tags              []any  `json:"Tags"`
	IsDauPackage      bool   `json:"IsDauPackage"`
	ArchitectureType  string `json:"ArchitectureType"`
	Recycle           string `json:"Recycle"`
	EnvPreferences    []any  `json:"EnvPreferences"`
	Meta              []any  `json:"Meta"`
	PostgreSQL        []any  `json:"PostgreSQL"`
	EnvStatus         string `json:"EnvStatus"`
}

type tcbEnvInfo struct {
	EnvBaseInfo tcbEnvBaseInfo    `json:"EnvBaseInfo"`
	BillingInfo struct{}          `json:"BillingInfo"`
	UserInfo    map[string]string `json:"UserInfo"`
}

func (st *state) tcbEnvBase(en *env) tcbEnvBaseInfo {
	return tcbEnvBaseInfo{
		EnvId: en.ID, Alias: en.Alias, Status: "NORMAL", Region: en.Region, EnvType: "baas",
		PackageId: en.PackageID, PackageName: en.PackageName, PackageType: "baas", Source: "qcloud",
		CreateTime: fmtTime(en.Created), UpdateTime: fmtTime(en.Created),
		Databases: []any{}, Storages: []any{}, Functions: []any{}, LogServices: []any{},
		CustomLogServices: []any{}, StaticStorages: []any{}, EnvChannel: "qc_console", PayMode: "postpaid",
		Tags: []any{}, IsDauPackage: true, ArchitectureType: "x86", EnvPreferences: []any{}, Meta: []any{},
		PostgreSQL: []any{}, EnvStatus: "NORMAL",
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
		EnvInfo tcbEnvInfo `json:"EnvInfo"`
		tcbr.Meta
	}{tcbEnvInfo{EnvBaseInfo: c.st.tcbEnvBase(en),
		UserInfo: map[string]string{"Uin": c.st.account.Uin, "AppId": c.st.account.AppID}}, c.meta()}, nil
}

func describeEnvs(c *call) (any, *apiError) {
	var req struct{ EnvId string }
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	list := []tcbEnvBaseInfo{}
	for _, en := range c.st.envs {
		if req.EnvId == "" || req.EnvId == en.ID {
			list = append(list, c.st.tcbEnvBase(en))
		}
	}
	return struct {
		EnvList []tcbEnvBaseInfo `json:"EnvList"`
		Total   int              `json:"Total"`
		tcbr.Meta
	}{list, len(list), c.meta()}, nil
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
