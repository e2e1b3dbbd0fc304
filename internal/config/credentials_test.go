package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	id1 = "AKIDfirstPairEXAMPLE1"
	id2 = "AKIDsecondPairEXAMPLE2"
	id3 = "AKIDiniFilePairEXAMPLE3"
)

func TestCredentialChain(t *testing.T) {
	iniDefault := "# comment\n[other]\nsecret_id = AKIDwrongSection000\nsecret_key = nope\n\n" +
		"[default]\nsecret_id = " + id3 + "\nsecret_key = key3\ntoken = tok3\n"
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		ini       string // ~/.tencentcloud/credentials; "" = absent
		wantID    string
		wantKey   string
		wantToken string
		wantSrc   string
		warn      string // substring of a warning; "" = no warnings
	}{
		{"none", nil, nil, "", "", "", "", "", ""},
		{"first pair", nil, map[string]string{"TENCENTCLOUD_SECRETID": id1, "TENCENTCLOUD_SECRETKEY": "key1", "TENCENTCLOUD_SESSIONTOKEN": "tok1"},
			iniDefault, id1, "key1", "tok1", "TENCENTCLOUD_SECRETID", ""},
		{"first pair beats second", nil, map[string]string{
			"TENCENTCLOUD_SECRETID": id1, "TENCENTCLOUD_SECRETKEY": "key1",
			"TENCENTCLOUD_SECRET_ID": id2, "TENCENTCLOUD_SECRET_KEY": "key2"},
			"", id1, "key1", "", "TENCENTCLOUD_SECRETID", ""},
		{"second pair", nil, map[string]string{"TENCENTCLOUD_SECRET_ID": id2, "TENCENTCLOUD_SECRET_KEY": "key2", "TENCENTCLOUD_SESSION_TOKEN": "tok2"},
			iniDefault, id2, "key2", "tok2", "TENCENTCLOUD_SECRET_ID", ""},
		{"pairs are not mixed", nil, map[string]string{"TENCENTCLOUD_SECRETID": id1, "TENCENTCLOUD_SECRET_KEY": "key2"},
			iniDefault, id3, "key3", "tok3", "~/.tencentcloud/credentials", "TENCENTCLOUD_SECRETID is set but TENCENTCLOUD_SECRETKEY is not"},
		{"ini file", nil, nil, iniDefault, id3, "key3", "tok3", "~/.tencentcloud/credentials", ""},
		{"partial first pair falls through with a warning", nil, map[string]string{"TENCENTCLOUD_SECRETID": id1, "TENCENTCLOUD_SECRET_ID": id2, "TENCENTCLOUD_SECRET_KEY": "key2"},
			"", id2, "key2", "", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRETID is set but TENCENTCLOUD_SECRETKEY is not"},
		{"key without id", nil, map[string]string{"TENCENTCLOUD_SECRETKEY": "key1"}, "", "", "", "", "", "TENCENTCLOUD_SECRETKEY is set but TENCENTCLOUD_SECRETID is not"},
		{"partial ini", nil, nil, "[default]\nsecret_id = " + id3 + "\n", "", "", "", "", "secret_key in"},
		{"malformed ini still read", nil, nil, "[default]\nsecret_id = " + id3 + "\nthis line is junk\nsecret_key=key3\n",
			id3, "key3", "", "~/.tencentcloud/credentials", "line 3: expected key = value"},
		{"ini without default section", nil, nil, "[prod]\nsecret_id = x\nsecret_key = y\n", "", "", "", "", "no [default] section"},
		{"flag picks identity, key from env", []string{"--secret-id", id1}, map[string]string{"TENCENTCLOUD_SECRETKEY": "key1"},
			"", id1, "key1", "", "flag", ""},
		{"flag skips a pair for another id", []string{"--secret-id=" + id3}, map[string]string{"TENCENTCLOUD_SECRETID": id1, "TENCENTCLOUD_SECRETKEY": "key1"},
			iniDefault, id3, "key3", "tok3", "flag", ""},
		{"flag without key", []string{"--secret-id", id1}, map[string]string{"TENCENTCLOUD_SECRETID": id2, "TENCENTCLOUD_SECRETKEY": "key2"},
			"", "", "", "", "", "--secret-id is set but no secret key"},
		{"sandbox ignores real credentials", []string{"--sandbox"}, map[string]string{"TENCENTCLOUD_SECRETID": id1, "TENCENTCLOUD_SECRETKEY": "key1"},
			"", "", "", "", "sandbox", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.args = tt.args
			for k, v := range tt.env {
				f.env[k] = v
			}
			if tt.ini != "" {
				writeFile(t, filepath.Join(f.home, ".tencentcloud", "credentials"), tt.ini)
			}
			cfg := f.load(t)
			c := cfg.Credentials
			assert.Equal(t, tt.wantID, c.SecretID)
			assert.Equal(t, tt.wantKey, c.SecretKey)
			assert.Equal(t, tt.wantToken, c.SessionToken)
			assert.Equal(t, tt.wantSrc, c.Source)
			assert.Equal(t, tt.wantID != "", c.Present())
			w := strings.Join(cfg.Warnings(), "\n")
			if tt.warn == "" {
				assert.Empty(t, w)
			} else {
				assert.Contains(t, w, tt.warn)
			}
			for _, secret := range []string{"key1", "key2", "key3", "tok1", "tok3"} {
				assert.NotContains(t, w, secret, "warnings never echo secrets")
			}
		})
	}
}

func TestCredentialsFileVariable(t *testing.T) {
	f := newFixture(t)
	path := writeFile(t, filepath.Join(f.wd, "creds.ini"), "[default]\nsecret_id=\""+id3+"\"\nsecret_key='key3'\n")
	f.env["TENCENTCLOUD_CREDENTIALS_FILE"] = "creds.ini"
	c := f.load(t).Credentials
	assert.Equal(t, id3, c.SecretID)
	assert.Equal(t, "key3", c.SecretKey)
	assert.Equal(t, "TENCENTCLOUD_CREDENTIALS_FILE", c.Source)

	f.env["TENCENTCLOUD_CREDENTIALS_FILE"] = path + ".missing"
	cfg := f.load(t)
	assert.False(t, cfg.Credentials.Present())
	assert.Contains(t, strings.Join(cfg.Warnings(), "\n"), "credentials file")
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	const key, token = "SuperSecretKeyValue123", "SessionTokenValue456"
	c := Credentials{SecretID: "AKIDEXAMPLEEXAMPLE", SecretKey: key, SessionToken: token, Source: "TENCENTCLOUD_SECRETID"}
	assert.Equal(t, "AKID****MPLE (from TENCENTCLOUD_SECRETID, with session token)", c.String())

	cfg := &Config{Credentials: c}
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("creds", "credentials", c, "config", cfg)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("creds", "credentials", c, "config", *cfg)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)

	renderings := map[string]string{
		"String":     c.String(),
		"LogValue":   c.LogValue().String(),
		"%v":         fmt.Sprintf("%v", c),
		"%+v config": fmt.Sprintf("%+v", *cfg),
		"%#v":        fmt.Sprintf("%#v", c),
		"%#v config": fmt.Sprintf("%#v", *cfg),
		"json":       string(js),
		"slog":       logged.String(),
	}
	for name, s := range renderings {
		assert.NotContains(t, s, key, name)
		assert.NotContains(t, s, token, name)
		assert.NotContains(t, s, c.SecretID, name+": the id is masked too")
	}
	assert.Contains(t, renderings["slog"], "AKID****MPLE")

	assert.Equal(t, "none", Credentials{SecretID: "AKIDonly"}.String())
	assert.Equal(t, "**** (from flag)", Credentials{SecretID: "short", SecretKey: "k", Source: "flag"}.String())
}

func TestMissingCredentialsMessage(t *testing.T) {
	m := MissingCredentialsMessage()
	for _, want := range []string{"TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "~/.tencentcloud/credentials",
		"https://console.cloud.tencentcloud.com/cam/capi", "CLOUDBASE_MCP_SANDBOX=true"} {
		assert.Contains(t, m, want)
	}
}

func TestParseINISection(t *testing.T) {
	sec, problems := parseINISection([]byte("\ufeff[default]\r\n; c\r\nSecret_ID = a = b\r\n[broken\r\n"), "default")
	assert.Equal(t, map[string]string{"secret_id": "a = b"}, sec)
	assert.Equal(t, []string{"line 4: malformed section header"}, problems)

	sec, problems = parseINISection([]byte("[x]\n"), "default")
	assert.Nil(t, sec)
	assert.Empty(t, problems)
}
