// Package emulator is a local emulator of the Tencent CloudBase Run (tcbr)
// control plane, faithful at the wire level (shared/spec/tcbr-api.md):
// TC3-HMAC-SHA256 signatures are verified exactly as the real gateway does,
// answers use the real envelope and error codes, and services, versions,
// deploy records, manage tasks, release orders and logs move through their
// phases as a virtual clock advances. It never talks to Tencent Cloud.
//
// # HTTP surface
//
//	POST /  (any other path too)            signed API calls, routed on the credential-scope service (tcbr, tcb)
//	POST /func_tpl/v1.0/function_list/find  template list {"data":[...]}
//	GET  /__templates/<identifier>.zip      template zips built in memory
//	PUT  /__cos/upload/<env>/<pkgName>/<pkgVersion>?sign=..&expires=..  code upload (tcb DescribeCloudBaseBuildService ticket)
//	GET  /__cos/download/<env>/<svc>/<ver>.zip?expires=..&sign=..       package download (ticket with ServiceVersion)
//	     /__emulator/...                    admin, unsigned: reset, state, clock/advance?s=N, clock/speed?x=N,
//	                                        clock, faults (POST/GET/DELETE), requests (GET/DELETE),
//	                                        packages (GET: uploaded packages, see Emulator.Packages),
//	                                        violations (GET: see Emulator.WireViolations); loopback Host
//	                                        only, bodies only as application/json, no foreign Origin
//	                                        (no DNS rebinding, no cross-site form posts)
//
// # Actions
//
// tcbr reads (DescribeCloudRunServers, ...ServerDetail, ...DeployRecord,
// ...BuildLog, ...ProcessLog, DescribeServerManageTask, DescribeReleaseOrder,
// DescribeEnvBaseInfo, DescribeCloudRunEnvs, DescribeVersionDetail) and
// writes (CreateCloudRunServer, UpdateCloudRunServer, DeleteCloudRunServer,
// SubmitServerConfigChangeDiff, ReleaseGray, OperateServerManage,
// SubmitServerRollback, CreateCloudRunEnv); tcb DescribeEnvInfo, DescribeEnvs,
// DescribeCloudBaseBuildService, DescribeHTTPServiceRoute (the env's gateway
// domains and routes, see Scenario files). The other tcbr actions of spec
// §5.16 answer UnsupportedOperation. Every verified call is recorded
// (Requests) and subject to faults before its handler runs.
//
// # Strict parameters
//
// Like the real gateway, every request is checked against the field table
// of the public SDK models (internal/tcbr/wire) before its action runs: a
// field the action's model lacks answers UnknownParameter "The parameter
// `Items.0.Foo` is not recognized.", a value of the wrong JSON type (null
// included) InvalidParameter "The value type of parameter `PageSize` is not
// valid, input type should be `integer`.". Fields the real API takes beyond
// the models are allowed explicitly (wire.Allowances). Every answer the
// emulator gives is checked against the same table; one that departs is an
// InternalError. Both are recorded (WireViolations, GET
// /__emulator/violations) and logged at error level (WireViolationLog).
//
// # Object storage
//
// DescribeCloudBaseBuildService without ServiceVersion (the service need not
// exist) answers an upload ticket: PackageName = ServiceName, PackageVersion
// = unix seconds of the virtual clock (bumped so each ticket is unique),
// UploadUrl signed with a per-emulator HMAC key and valid for one virtual
// hour, UploadHeaders Content-Type: application/zip and x-cos-meta-emulator: 1.
// The PUT answers 403 AccessDenied (XML) for a bad or missing sign, an expired
// ticket or a missing x-cos-meta-emulator header; 400 MissingContentLength
// for an empty body, InvalidArgument when the body is not a zip (central
// directory), EntityTooLarge over 512 MiB; else it stores the bytes (a repeat
// PUT replaces them) and answers 200 with ETag "<md5>". With ServiceVersion
// the ticket's DownloadUrl serves the exact zip that version was deployed
// from (seeded versions: the service type's template; image versions: no
// URL). Storage requests are recorded as Service "cos", Action COSUpload /
// COSDownload; faults naming those actions (and only those) apply to them.
//
// # Deploys (CreateCloudRunServer, UpdateCloudRunServer)
//
// Checked in order: MissingParameter (EnvId, ServerName, DeployInfo,
// DeployInfo.DeployType, PackageName/PackageVersion or ImageUrl);
// InvalidParameter for a bad ServerName, DeployType (repository, pipeline,
// jar and war are UnsupportedOperation), ReleaseType, GRAY on create, Items
// (spec §7.5: value in the key's slot, enums, ranges, CpuSpecs+MemSpecs
// together and a valid pair, MinNum <= MaxNum, EnvParam a JSON object;
// unknown keys ignored), VpcInfo; ResourceNotFound for an unknown env,
// ResourceNotFound "云托管资源未开通" when CloudRun is not opened,
// ResourceUnavailable while it is still opening; create: ResourceInUse for
// an existing name, LimitExceeded beyond 10 services (Trial; 30, 50, 100 for
// Standard, Professional, Enterprise); update: ResourceNotFound.ServerNotFound,
// ResourceInUse "服务删除中" while deleting, ResourceInUse "已有部署发布任务运行中"
// while a task runs or a release order is open, InvalidParameter for GRAY
// without a version serving traffic; then InvalidParameter "package not
// found" when (PackageName, PackageVersion) was never uploaded to the env.
// Create makes a function service when an Items Tag is "function:" or
// DeployInfo.BuildPacks is set, else a container; Items apply over the
// platform defaults (create) or the current config (update); VpcInfo sets
// VpcConf. The answer's TaskId is the deploy's manage task.
//
// Timeline (virtual seconds from the call): package deploys build for 60 s
// (BuildId visible at 3 s) then create pods for 60 s; image deploys create
// for 30 s; InitialDelaySeconds is added to the create phase. FULL: the
// ReleaseVersion step takes 4 s, then the version gets 100 % and the task
// finishes. GRAY: when the version is ready a release order opens (candidate
// 0 %) and the task keeps running.
//
// Build simulation: at deploy start the zip is inspected. Containers need
// <BuildDir>/<Dockerfile> (build_failed "Dockerfile not found" after 10 s);
// function services (or BuildPacks, or HasDockerfile false) need
// <BuildDir>/package.json ("package.json not found"). The build log has one
// "Step i/N : <instruction>" per Dockerfile instruction (comments dropped,
// continuations joined), npm lines naming package.json dependencies,
// "Successfully built", "Successfully tagged <ImageUrl>" and the push;
// buildpacks builds log DETECTING/BUILDING/EXPORTING. Forced failures:
// EnvParams {"EMULATOR_FAIL":"build"} or a file .emulator/fail-build fails
// the build at the first RUN (or last) step; "deploy" or
// .emulator/fail-deploy fails readiness: "Readiness probe failed: dial tcp
// <ip>:<Port>: connect: connection refused" repeated for
// InitialDelaySeconds+150 s, then "check_eks_virtual_service: failed",
// version deploy_failed, task failed, traffic unchanged. An ImageUrl
// containing "fail" or "notfound" fails on image pull.
//
// # Traffic and tasks
//
// ReleaseGray (GrayType gray, TrafficType FLOW; URL_PARAMS and HEADERS are
// UnsupportedOperation) needs an open release order, else
// ResourceUnavailable. VersionFlowItems must name the order's stable and
// candidate versions with ratios in 0..100 summing to 100 (without items,
// GrayFlowRatio is the candidate's share); anything else is
// InvalidParameter. Ratios apply at once; the order turns "gray" with
// GrayStatus "processing" for 2 s, then "success". CloseGrayRelease true
// needs the candidate at 100: candidate 100 %, stable 0 %, order "finished",
// task finished. OperateServerManage (TaskId 0 = latest; unknown task or
// OperateType => InvalidParameter): done = CloseGrayRelease; go_back on the
// GRAY task of an open order = stable 100 %, candidate kept normal at 0 %,
// order "closed", task finished; go_back on the latest finished task starts
// a Rollback task (no new version, ReleaseVersion step of 4 s) moving all
// traffic back to its PreVersionName; cancel on a running task whose version
// is not ready yet fails the task ("cancelled") and makes the version
// deploy_failed (logs stop where they were). SubmitServerRollback
// (CurrentVersionName must be the serving version) starts the same kind of
// Rollback task.
//
// SubmitServerConfigChangeDiff validates Items like a deploy. If no key
// needing new pods changed value (EnvParam, CpuSpecs/MemSpecs, Port,
// HasDockerfile, Dockerfile, BuildDir, LogPath, LogType, LogSetId,
// LogTopicId, LogParseType, EntryPoint, Cmd, VpcConf, VolumesConf), it
// applies at once and answers TaskId 0; otherwise it starts an UpdateConfig
// task: a new version from the serving image (no build, 30 s create, 4 s
// release). UpdateTime bumps either way.
//
// CreateCloudRunEnv: PackageType Trial|Standard|Professional|Enterprise
// (else InvalidParameter), unknown env => ResourceNotFound, opened =>
// ResourceInUse (unless the same non-empty ReqKey repeats), else CloudRun is
// "creating" for 5 s, then "normal". TranId is "" for Trial, an order id
// otherwise.
//
// # Time
//
// Signature freshness is checked against the real wall clock (clients sign
// with time.Now()). Everything else runs on a virtual clock: origin
// Options.Start (default 2026-11-23T02:00:00Z), running at Options.Speed
// virtual seconds per real second, plus manual advances. State is computed
// lazily from event timestamps on every access; there are no background
// goroutines. Times are rendered "YYYY-MM-DD HH:MM:SS" in UTC+8.
//
// # Scenario files
//
// A scenario seeds the emulator; the embedded default is scenarios/demo.json
// (a copy lives in testdata/emulator/demo.json). All times are offsets from
// the clock origin, written as Go durations ("-72h", "40s") or as numbers of
// seconds. Layout:
//
//	{
//	  "name": "demo",
//	  "description": "free text",
//	  "account": {"uin": "100038201247", "appId": "1318273645"},
//	  "credentials": [{"secretId": "AKID...", "secretKey": "...", "token": "optional session token"}],
//	  "flags": {
//	    "codingBuildLog": false,          // DescribeCloudRunBuildLog answers FailedOperation with the CODING message
//	    "legacyStatusVocabulary": false,  // report deploying/running instead of creating/normal
//	    "serviceDataIllegal": false       // unknown service => InvalidParameter "service data illegal"
//	  },
//	  "envs": [{
//	    "envId": "demo-env-1a2b3c", "alias": "demo", "region": "ap-shanghai", "createdAt": "-2160h",
//	    "packageId": "baas_trial", "packageName": "体验版",          // tcb package (optional)
//	    "cloudRun": {                                              // absent = CloudRun not opened
//	      "packageType": "Trial", "envType": "baas", "vpcId": "", "subnetIds": [],
//	      "openedAt": "-2150h", "openDuration": "5s"               // creating -> normal
//	    },
//	    "services": [{
//	      "name": "hello-api", "type": "container",                // or "function"
//	      "createdAt": "-240h",                                    // default: first version's "at"
//	      "config": {"Port": 80, "Cpu": 0.5},                      // partial ServerBaseConfig over platform defaults
//	      "envParams": {"NODE_ENV": "production"},                 // convenience: becomes config EnvParams (JSON text)
//	      "versions": [{                                           // in deploy order; each deploy is one manage task
//	        "at": "-240h",                                         // deploy start
//	        "deployType": "package",                               // or "image" (needs "imageUrl"; BuildId stays 0)
//	        "imageUrl": "",
//	        "releaseType": "FULL",                                 // or "GRAY": an open release order, task running
//	        "grayFlowRatio": 0,                                    // GRAY: candidate % once the order is open
//	        "buildIdDelay": "3s", "buildDuration": "60s",          // package deploys only
//	        "createDuration": "60s",                               // 30s default for image deploys
//	        "releaseDuration": "4s",                               // FULL: ReleaseVersion step, then traffic moves
//	        "outcome": "normal",                                   // or "build_failed" / "deploy_failed"
//	        "failReason": "",
//	        "remark": "",
//	        "config": {}, "envParams": {}                          // config change carried by this deploy
//	      }]
//	    }],
//	    "gateway": [                                               // HTTP access gateway (DescribeHTTPServiceRoute)
//	      {"default": true, "routes": [                            // the env's <envId>-<appId>.<region>.app.tcloudbase.com
//	        {"path": "/hello", "upstreamName": "hello-api",        // upstreamType defaults to CBR
//	         "enable": true}]},
//	      {"domain": "api.example.com", "enable": true, "routes": [{"path": "/", "upstreamName": "hello-api"}]}
//	    ]
//	  }]
//	}
//
// A version's phases: building [at, at+buildDuration) with the BuildId
// visible from at+buildIdDelay, creating until +createDuration, then its
// outcome. A FULL deploy moves all traffic to the new version
// releaseDuration after it is ready; a GRAY deploy opens a release order
// when it is ready and its task stays running. A service may only start a
// deploy when its previous one has ended (and no release order is open).
package emulator
