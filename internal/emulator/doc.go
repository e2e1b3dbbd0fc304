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
//	GET  /__cos/download/<env>/<svc>/<ver>.zip?expires=..&sign=..   package download (tcb DescribeCloudBaseBuildService)
//	     /__emulator/...                    admin, unsigned: reset, state, clock/advance?s=N, clock/speed?x=N,
//	                                        clock, faults (POST/GET/DELETE), requests (GET/DELETE)
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
//	    }]
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
