package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateMakesADevelopmentIdentityOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", FileName)
	s, dev, err := LoadOrCreate(path, "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if dev == nil || s.Len() != 1 {
		t.Fatalf("created %v, set of %d", dev, s.Len())
	}
	if !strings.HasPrefix(dev.AccessKeyID, "HKIA") || len(dev.AccessKeyID) != 20 || len(dev.SecretAccessKey) != 40 {
		t.Errorf("dev identity %+v", dev)
	}
	if dev.PrincipalID != "123456789012" || dev.PrincipalARN != "arn:aws:iam::123456789012:root" {
		t.Errorf("dev principal %s / %s", dev.PrincipalARN, dev.PrincipalID)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v; want 0600", fi.Mode(), err)
	}
	again, created, err := LoadOrCreate(path, "123456789012")
	if err != nil || created != nil {
		t.Fatalf("second LoadOrCreate created %v, %v", created, err)
	}
	if got, ok := again.Lookup(dev.AccessKeyID); !ok || got != *dev {
		t.Errorf("reloaded %+v, want %+v", got, *dev)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"unknown field":   `{"identities":[{"access_key_id":"AKID1","secret_access_key":"s","account":"123456789012","principal_arn":"arn:aws:iam::123456789012:root","color":"red"}]}`,
		"short account":   `{"identities":[{"access_key_id":"AKID1","secret_access_key":"s","account":"1234","principal_arn":"arn:aws:iam::1234:root"}]}`,
		"other account":   `{"identities":[{"access_key_id":"AKID1","secret_access_key":"s","account":"123456789012","principal_arn":"arn:aws:iam::210987654321:root"}]}`,
		"user without id": `{"identities":[{"access_key_id":"AKID1","secret_access_key":"s","account":"123456789012","principal_arn":"arn:aws:iam::123456789012:user/alice"}]}`,
		"no secret":       `{"identities":[{"access_key_id":"AKID1","account":"123456789012","principal_arn":"arn:aws:iam::123456789012:root"}]}`,
		"duplicate key": `{"identities":[{"access_key_id":"AKID1","secret_access_key":"s","account":"123456789012","principal_arn":"arn:aws:iam::123456789012:root"},
			{"access_key_id":"AKID1","secret_access_key":"t","account":"123456789012","principal_arn":"arn:aws:iam::123456789012:root"}]}`,
		"not json": `{`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
}

func TestNewUserIdentity(t *testing.T) {
	id, err := New("123456789012", "arn:aws:iam::123456789012:user/publisher")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id.PrincipalID, "AIDA") || len(id.PrincipalID) != 21 {
		t.Errorf("principal id %q", id.PrincipalID)
	}
}
