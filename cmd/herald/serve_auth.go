package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/herald-dev/herald/internal/access"
	"github.com/herald-dev/herald/internal/identity"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/topic"
)

// loadIdentities returns the identities that may call the broker (nil with
// --no-auth), and the identity the publisher uses to deliver into this
// broker (added to the set, never written anywhere).
func loadIdentities(f *serveFlags, log *slog.Logger, stderr io.Writer) (*identity.Set, *identity.Identity, error) {
	if f.noAuth {
		log.Warn("authentication is off (--no-auth): every request is accepted as the account's root; queue and topic policies are not enforced")
		return nil, nil, nil
	}
	var ids *identity.Set
	var created *identity.Identity
	var err error
	path := f.identities
	switch {
	case path != "":
		ids, err = identity.Load(path)
	case f.inMemory:
		dev, nerr := identity.New(f.account, "arn:aws:iam::"+f.account+":root")
		if nerr != nil {
			return nil, nil, nerr
		}
		ids, err = identity.NewSet(dev)
		created = &dev
		path = "(in memory)"
	default:
		path = filepath.Join(f.data, identity.FileName)
		ids, created, err = identity.LoadOrCreate(path, f.account)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("identities: %w", err)
	}
	if created != nil {
		log.Info("created a development identity: the root of account "+f.account, "identities", path, "access_key_id", created.AccessKeyID)
		fmt.Fprintf(stderr, "\nSign requests with the development identity (it is in %s):\n\n  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s\n\n",
			path, created.AccessKeyID, created.SecretAccessKey, f.region)
	} else {
		log.Info("requests are authenticated (SigV4)", "identities", path, "count", ids.Len())
	}
	internal, err := identity.New(f.account, "arn:aws:iam::"+f.account+":user/herald-publisher")
	if err != nil {
		return nil, nil, err
	}
	if err := ids.Add(internal); err != nil {
		return nil, nil, err
	}
	return ids, &internal, nil
}

// newAccess builds the authenticator and authorizers of both protocols.
func newAccess(f *serveFlags, ids *identity.Set, topics func() *topic.Engine, log *slog.Logger) (*access.Access, *server.Access) {
	acc := access.New(access.Config{
		Identities: ids,
		Region:     f.region,
		Logger:     log,
		TopicPolicy: func(arn string) (string, bool) {
			t := topics()
			if t == nil {
				return "", false
			}
			return t.TopicPolicy(arn)
		},
	})
	return acc, &server.Access{
		SQSAuthenticate: acc.AuthenticateSQS,
		SNSAuthenticate: acc.AuthenticateSNS,
		SQSAuthorize:    acc.AuthorizeSQS,
		SNSAuthorize:    acc.AuthorizeSNS,
	}
}
