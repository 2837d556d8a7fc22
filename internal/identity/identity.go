// Package identity holds the identities that may call Herald's broker:
// each an access key (id and secret, as AWS SDKs sign with), the account it
// acts for, and the principal it is (ARN and id). They are kept in one JSON
// file, by default identities.json in herald serve's data directory:
//
//	{"identities": [
//	  {"access_key_id": "AKIA…", "secret_access_key": "…",
//	   "account": "123456789012",
//	   "principal_arn": "arn:aws:iam::123456789012:user/alice",
//	   "principal_id": "AIDA…"}
//	]}
//
// The principal id is what SQS reports as a message's SenderId. For an
// account's root principal (arn:aws:iam::<account>:root) it may be left out
// and is the account id.
package identity

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// FileName is the identities file's name in a data directory.
const FileName = "identities.json"

// Identity is one access key and who it is.
type Identity struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	Account         string `json:"account"`
	PrincipalARN    string `json:"principal_arn"`
	PrincipalID     string `json:"principal_id,omitempty"`
}

var (
	keyIDRE     = regexp.MustCompile(`^[A-Za-z0-9_]{3,128}$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	principalRE = regexp.MustCompile(`^arn:aws:(iam|sts)::([0-9]{12}):(root|user/.+|role/.+|assumed-role/.+)$`)
)

// Validate checks an identity and fills in a root principal's id.
func (id *Identity) Validate() error {
	var errs []error
	if !keyIDRE.MatchString(id.AccessKeyID) {
		errs = append(errs, fmt.Errorf("access_key_id %q: want 3 to 128 letters, digits or _", id.AccessKeyID))
	}
	if id.SecretAccessKey == "" {
		errs = append(errs, errors.New("secret_access_key is required"))
	}
	if !accountRE.MatchString(id.Account) {
		errs = append(errs, fmt.Errorf("account %q: want 12 digits", id.Account))
	}
	m := principalRE.FindStringSubmatch(id.PrincipalARN)
	switch {
	case m == nil:
		errs = append(errs, fmt.Errorf("principal_arn %q: want arn:aws:iam::<account>:root, :user/NAME or :role/NAME", id.PrincipalARN))
	case m[2] != id.Account:
		errs = append(errs, fmt.Errorf("principal_arn %q is not in account %s", id.PrincipalARN, id.Account))
	case id.PrincipalID == "" && m[3] == "root":
		id.PrincipalID = id.Account
	case id.PrincipalID == "":
		errs = append(errs, fmt.Errorf("principal_id is required for %s", id.PrincipalARN))
	}
	if len(errs) > 0 {
		return fmt.Errorf("identity %q: %w", id.AccessKeyID, errors.Join(errs...))
	}
	return nil
}

// Set is a set of identities by access key id, safe for concurrent use.
type Set struct {
	mu   sync.RWMutex
	byID map[string]Identity
}

// NewSet returns a set of the identities given (validated).
func NewSet(ids ...Identity) (*Set, error) {
	s := &Set{byID: map[string]Identity{}}
	for _, id := range ids {
		if err := s.Add(id); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add validates and adds an identity; an access key id in use is an error.
func (s *Set) Add(id Identity) error {
	if err := id.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byID[id.AccessKeyID]; dup {
		return fmt.Errorf("identity %q: access key id listed twice", id.AccessKeyID)
	}
	s.byID[id.AccessKeyID] = id
	return nil
}

// Lookup returns the identity of an access key id.
func (s *Set) Lookup(accessKeyID string) (Identity, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byID[accessKeyID]
	return id, ok
}

// Len returns the number of identities.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}

type file struct {
	Identities []Identity `json:"identities"`
}

// Load reads an identities file.
func Load(path string) (*Set, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f file
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, err := NewSet(f.Identities...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// LoadOrCreate reads path, or, when it does not exist, creates it holding
// one new development identity: the root of account, with a random access
// key. It returns the set and, when it created the file, that identity.
func LoadOrCreate(path, account string) (*Set, *Identity, error) {
	s, err := Load(path)
	if err == nil {
		return s, nil, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	dev, err := New(account, "arn:aws:iam::"+account+":root")
	if err != nil {
		return nil, nil, err
	}
	raw, _ := json.MarshalIndent(file{Identities: []Identity{dev}}, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	// Written aside and renamed, with owner-only permissions: it holds
	// secrets.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o600); err != nil {
		return nil, nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, nil, err
	}
	s, err = NewSet(dev)
	if err != nil {
		return nil, nil, err
	}
	return s, &dev, nil
}

// New returns an identity with a random access key (an id of 20 upper-case
// letters and digits starting "HKIA", a 40-character secret) for the
// principal, whose id is the account (root) or random ("AIDA…").
func New(account, principalARN string) (Identity, error) {
	id := Identity{
		AccessKeyID:     "HKIA" + randomString(16, upperDigits),
		SecretAccessKey: randomString(40, secretChars),
		Account:         account,
		PrincipalARN:    principalARN,
	}
	if m := principalRE.FindStringSubmatch(principalARN); m != nil && m[3] != "root" {
		id.PrincipalID = "AIDA" + randomString(17, upperDigits)
	}
	if err := id.Validate(); err != nil {
		return Identity{}, err
	}
	return id, nil
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString returns n characters drawn uniformly from chars (whose
// length divides 256) with crypto/rand.
func randomString(n int, chars string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("identity: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}
