package snsverify

import (
	"context"
	"crypto/x509"
	"errors"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestVerifyValid(t *testing.T) {
	t.Parallel()
	k := key(t)
	cs := newCertServer(t)
	certURL := cs.put("/SimpleNotificationService-test.pem", certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	v := New(localOptions(cs))

	noSubject := notification(certURL)
	delete(noSubject, "Subject")
	extras := notification(certURL) // unsigned fields may be anything
	extras["SequenceNumber"] = "10000000000000003000"
	extras["MessageAttributes"] = map[string]any{"k": map[string]string{"Type": "String", "Value": "<v>"}}
	extras["SomethingNew"] = []int{1}
	lambda := notification("") // Lambda's spelling of the URL keys
	delete(lambda, "SigningCertURL")
	delete(lambda, "UnsubscribeURL")
	lambda["SigningCertUrl"] = certURL
	lambda["UnsubscribeUrl"] = "https://example/unsub"

	cases := map[string]map[string]any{
		"notification":             notification(certURL),
		"notification no subject":  noSubject,
		"notification extras":      extras,
		"notification lambda keys": lambda,
		"subscription":             confirmation(TypeSubscriptionConfirmation, certURL),
		"unsubscribe":              confirmation(TypeUnsubscribeConfirmation, certURL),
	}
	for name, msg := range cases {
		for _, version := range []string{"1", "2"} {
			msg := maps.Clone(msg)
			sign(t, k, version, msg)
			got, err := v.Verify(context.Background(), body(t, msg))
			if err != nil {
				t.Errorf("%s v%s: %v", name, version, err)
				continue
			}
			if got.Type != msg["Type"] || got.Message != msg["Message"] || got.SignatureVersion != version {
				t.Errorf("%s v%s: got %+v", name, version, got)
			}
			if s, ok := msg["Subject"]; ok && got.Subject != s {
				t.Errorf("%s v%s: Subject %q", name, version, got.Subject)
			}
			if got.SigningCertURL != certURL {
				t.Errorf("%s v%s: SigningCertURL %q", name, version, got.SigningCertURL)
			}
		}
	}
	if got, err := v.Verify(context.Background(), body(t, func() map[string]any {
		m := maps.Clone(extras)
		sign(t, k, "2", m)
		return m
	}())); err != nil || got.MessageAttributes["k"] != (Attribute{Type: "String", Value: "<v>"}) || got.SequenceNumber == "" {
		t.Errorf("extras: %+v, %v", got, err)
	}
	if n := cs.hits.Load(); n != 1 {
		t.Errorf("certificate fetched %d times, want 1 (cached)", n)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	k := key(t)
	cs := newCertServer(t)
	now := time.Now()
	good := cs.put("/good.pem", certPEM(t, k, now.Add(-time.Hour), now.Add(time.Hour)))
	expired := cs.put("/expired.pem", certPEM(t, k, now.Add(-2*time.Hour), now.Add(-time.Hour)))
	future := cs.put("/future.pem", certPEM(t, k, now.Add(time.Hour), now.Add(2*time.Hour)))
	garbage := cs.put("/garbage.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	notPEM := cs.put("/text.pem", []byte("hello"))
	huge := cs.put("/huge.pem", make([]byte, MaxCertSize+1))
	v := New(localOptions(cs))

	signedNote := func(version string, edit func(m map[string]any)) func(m map[string]any) {
		return func(m map[string]any) {
			sign(t, k, version, m)
			edit(m)
		}
	}
	unsigned := func(edit func(m map[string]any)) func(m map[string]any) { return edit }
	set := func(key string, value any) func(m map[string]any) {
		return func(m map[string]any) { m[key] = value }
	}
	del := func(key string) func(m map[string]any) {
		return func(m map[string]any) { delete(m, key) }
	}
	for _, tc := range []struct {
		name string
		typ  string
		prep func(m map[string]any)
		want error
	}{
		{"tampered Message", TypeNotification, signedNote("1", set("Message", "Hello world?")), ErrBadSignature},
		{"tampered Message v2", TypeNotification, signedNote("2", set("Message", "Hello world?")), ErrBadSignature},
		{"tampered Subject", TypeNotification, signedNote("1", set("Subject", "other")), ErrBadSignature},
		{"removed Subject", TypeNotification, signedNote("2", del("Subject")), ErrBadSignature},
		{"added Subject", TypeNotification, func(m map[string]any) {
			delete(m, "Subject")
			sign(t, k, "1", m)
			m["Subject"] = ""
		}, ErrBadSignature},
		{"tampered TopicArn", TypeNotification, signedNote("1", set("TopicArn", "arn:aws:sns:us-west-2:123456789012:Other")), ErrBadSignature},
		{"tampered MessageId", TypeNotification, signedNote("2", set("MessageId", "x")), ErrBadSignature},
		{"tampered Timestamp", TypeNotification, signedNote("1", set("Timestamp", "2012-05-02T00:54:06.656Z")), ErrBadSignature},
		{"tampered Token", TypeSubscriptionConfirmation, signedNote("1", set("Token", "x")), ErrBadSignature},
		{"tampered SubscribeURL", TypeSubscriptionConfirmation, signedNote("2", set("SubscribeURL", "https://evil/")), ErrBadSignature},
		{"type swapped", TypeSubscriptionConfirmation, signedNote("1", set("Type", TypeUnsubscribeConfirmation)), ErrBadSignature},
		{"version swapped", TypeNotification, signedNote("1", set("SignatureVersion", "2")), ErrBadSignature},
		{"signature not base64", TypeNotification, signedNote("1", set("Signature", "!!!")), ErrBadSignature},
		{"signature of other bytes", TypeNotification, signedNote("1", set("Signature", "AAAA")), ErrBadSignature},
		{"unknown version", TypeNotification, signedNote("1", set("SignatureVersion", "3")), ErrSignatureVersion},
		{"no version", TypeNotification, signedNote("1", del("SignatureVersion")), ErrMissingField},
		{"no signature", TypeNotification, signedNote("1", del("Signature")), ErrUnsigned},
		{"empty signature", TypeNotification, signedNote("1", set("Signature", "")), ErrUnsigned},
		{"fifo, unsigned", TypeNotification, unsigned(set("SequenceNumber", "1")), ErrUnsigned},
		{"no cert url", TypeNotification, signedNote("1", del("SigningCertURL")), ErrMissingField},
		{"no MessageId", TypeNotification, signedNote("1", del("MessageId")), ErrMissingField},
		{"no Message", TypeNotification, signedNote("1", del("Message")), ErrMissingField},
		{"null Message", TypeNotification, signedNote("1", set("Message", nil)), ErrMissingField},
		{"no Token", TypeSubscriptionConfirmation, signedNote("1", del("Token")), ErrMissingField},
		{"no SubscribeURL", TypeUnsubscribeConfirmation, signedNote("1", del("SubscribeURL")), ErrMissingField},
		{"no Type", TypeNotification, signedNote("1", del("Type")), ErrMissingField},
		{"unknown Type", TypeNotification, signedNote("1", set("Type", "Other")), ErrUnknownType},
		{"Message not a string", TypeNotification, signedNote("1", set("Message", 1)), ErrMalformed},
		{"Message in other case", TypeNotification, signedNote("1", set("message", "evil")), ErrMalformed},
		{"Message in folded case", TypeNotification, signedNote("1", set("Meſſage", "evil")), ErrMalformed},
		{"both URL spellings", TypeNotification, signedNote("1", set("SigningCertUrl", "x")), ErrMalformed},
		{"wrong host", TypeNotification, signedNote("1", set("SigningCertURL", strings.Replace(good, "127.0.0.1", "localhost", 1))), ErrCertHost},
		{"aws host lookalike", TypeNotification, signedNote("1", set("SigningCertURL", "https://sns.us-east-1.amazonaws.com.evil.com/x.pem")), ErrCertHost},
		{"not pem", TypeNotification, signedNote("1", set("SigningCertURL", cs.URL+"/cert")), ErrCertURL},
		{"user info", TypeNotification, signedNote("1", set("SigningCertURL", "http://sns.us-east-1.amazonaws.com@127.0.0.1/good.pem")), ErrCertURL},
		{"query", TypeNotification, signedNote("1", set("SigningCertURL", good+"?x=.pem")), ErrCertURL},
		{"file scheme", TypeNotification, signedNote("1", set("SigningCertURL", "file:///etc/x.pem")), ErrCertURL},
		{"not found", TypeNotification, signedNote("1", set("SigningCertURL", cs.URL+"/missing.pem")), ErrCertFetch},
		{"redirect", TypeNotification, signedNote("1", set("SigningCertURL", cs.URL+"/redirect.pem")), ErrCertFetch},
		{"too large", TypeNotification, signedNote("1", set("SigningCertURL", huge)), ErrCertFetch},
		{"expired cert", TypeNotification, signedNote("1", set("SigningCertURL", expired)), ErrCertExpired},
		{"future cert", TypeNotification, signedNote("2", set("SigningCertURL", future)), ErrCertExpired},
		{"garbage cert", TypeNotification, signedNote("1", set("SigningCertURL", garbage)), ErrCertInvalid},
		{"no PEM", TypeNotification, signedNote("1", set("SigningCertURL", notPEM)), ErrCertInvalid},
	} {
		var msg map[string]any
		if tc.typ == TypeNotification {
			msg = notification(good)
		} else {
			msg = confirmation(tc.typ, good)
		}
		tc.prep(msg)
		got, err := v.Verify(context.Background(), body(t, msg))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if got != nil {
			t.Errorf("%s: returned a message with an error", tc.name)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	v := New(Options{})
	for _, b := range []string{
		``, `null`, `[]`, `"x"`, `{`, `{"Type":"Notification"`, `{"Type":"Notification"} {}`,
		`{"Type":"Notification","Type":"Notification"}`,
		`{"Type":"Notification","MessageAttributes":[1]}`,
		`{"Type":1}`,
	} {
		if _, err := v.Verify(context.Background(), []byte(b)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", b, err)
		}
	}
}

func TestVerifyHTTPNotAllowed(t *testing.T) {
	t.Parallel()
	k := key(t)
	cs := newCertServer(t)
	certURL := cs.put("/c.pem", certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	opts := localOptions(cs)
	opts.AllowHTTP = false
	msg := notification(certURL)
	sign(t, k, "1", msg)
	if _, err := New(opts).Verify(context.Background(), body(t, msg)); !errors.Is(err, ErrCertURL) {
		t.Errorf("http with AllowHTTP false: err = %v, want ErrCertURL", err)
	}
	if cs.hits.Load() != 0 {
		t.Error("certificate fetched over http")
	}
}

func TestVerifyMatchHostPort(t *testing.T) {
	t.Parallel()
	k := key(t)
	cs := newCertServer(t)
	certURL := cs.put("/c.pem", certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	hostPort := strings.TrimPrefix(cs.URL, "http://")
	msg := notification(certURL)
	sign(t, k, "2", msg)
	b := body(t, msg)

	opts := localOptions(cs)
	opts.HostPattern = regexp.MustCompile(`^` + regexp.QuoteMeta(hostPort) + `$`)
	if _, err := New(opts).Verify(context.Background(), b); !errors.Is(err, ErrCertHost) {
		t.Errorf("host:port pattern without MatchHostPort: err = %v, want ErrCertHost", err)
	}
	opts.MatchHostPort = true
	if _, err := New(opts).Verify(context.Background(), b); err != nil {
		t.Errorf("host:port pattern with MatchHostPort: %v", err)
	}
	opts.HostPattern = regexp.MustCompile(`^127\.0\.0\.1:1$`)
	if _, err := New(opts).Verify(context.Background(), b); !errors.Is(err, ErrCertHost) {
		t.Errorf("other port: err = %v, want ErrCertHost", err)
	}
}

func TestVerifyRoots(t *testing.T) {
	t.Parallel()
	k := key(t)
	cs := newCertServer(t)
	doc := certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	certURL := cs.put("/c.pem", doc)
	msg := notification(certURL)
	sign(t, k, "1", msg)
	b := body(t, msg)

	trusted := x509.NewCertPool()
	trusted.AppendCertsFromPEM(doc)
	opts := localOptions(cs)
	opts.Roots = trusted
	if _, err := New(opts).Verify(context.Background(), b); err != nil {
		t.Errorf("certificate in Roots: %v", err)
	}
	other := x509.NewCertPool()
	other.AppendCertsFromPEM(certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(2*time.Hour)))
	opts.Roots = other
	if _, err := New(opts).Verify(context.Background(), b); !errors.Is(err, ErrCertInvalid) {
		t.Errorf("certificate not in Roots: err = %v, want ErrCertInvalid", err)
	}
}

func TestVerifyCache(t *testing.T) {
	t.Parallel()
	k := key(t)
	block := make(chan struct{})
	cs := newBlockingCertServer(t, block)
	certURL := cs.put("/c.pem", certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	msg := notification(certURL)
	sign(t, k, "1", msg)
	b := body(t, msg)

	// Concurrent first verifications share one fetch.
	v := New(localOptions(cs))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), b)
			errs <- err
		})
	}
	<-cs.arrived
	close(block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := cs.hits.Load(); n != 1 {
		t.Errorf("%d fetches for 8 concurrent verifications, want 1", n)
	}

	// A stale entry is fetched again.
	opts := localOptions(cs)
	opts.CacheTTL = time.Nanosecond
	v = New(opts)
	for range 2 {
		if _, err := v.Verify(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if n := cs.hits.Load(); n != 3 {
		t.Errorf("%d fetches, want 3", n)
	}
}

func TestVerifyFetchCanceled(t *testing.T) {
	t.Parallel()
	k := key(t)
	block := make(chan struct{})
	cs := newBlockingCertServer(t, block)
	t.Cleanup(func() { close(block) })
	certURL := cs.put("/c.pem", certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	msg := notification(certURL)
	sign(t, k, "1", msg)

	opts := localOptions(cs)
	opts.FetchTimeout = 50 * time.Millisecond
	if _, err := New(opts).Verify(context.Background(), body(t, msg)); !errors.Is(err, ErrCertFetch) {
		t.Errorf("timeout: err = %v, want ErrCertFetch", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(localOptions(cs)).Verify(ctx, body(t, msg)); !errors.Is(err, ErrCertFetch) {
		t.Errorf("canceled: err = %v, want ErrCertFetch", err)
	}
}

func TestVerifyNow(t *testing.T) {
	t.Parallel()
	k := key(t)
	cs := newCertServer(t)
	certURL := cs.put("/c.pem", certPEM(t, k, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	msg := notification(certURL)
	sign(t, k, "1", msg)
	opts := localOptions(cs)
	opts.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := New(opts).Verify(context.Background(), body(t, msg)); !errors.Is(err, ErrCertExpired) {
		t.Errorf("err = %v, want ErrCertExpired", err)
	}
}

func TestCheckCertURLDefaultPattern(t *testing.T) {
	t.Parallel()
	v := New(Options{})
	for url, want := range map[string]error{
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem": nil,
		"https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem":                            nil,
		"https://sns.us-gov-west-1.amazonaws.com/x.pem":                                                      nil,
		"HTTPS://sns.us-east-1.amazonaws.com/x.pem":                                                          nil,
		"http://sns.us-east-1.amazonaws.com/x.pem":                                                           ErrCertURL,
		"https://sns.us-east-1.amazonaws.com/x.pem.txt":                                                      ErrCertURL,
		"https://sns.us-east-1.amazonaws.com/x.pem#f":                                                        ErrCertURL,
		"https://sns.us-east-1.amazonaws.com@evil.com/x.pem":                                                 ErrCertURL,
		"https:///x.pem":                        ErrCertURL,
		"https:sns.us-east-1.amazonaws.com.pem": ErrCertURL,
		"://x.pem":                              ErrCertURL,
		"https://sns.us-east-1.amazonaws.com.evil.com/x.pem": ErrCertHost,
		"https://evil.com/sns.us-east-1.amazonaws.com/x.pem": ErrCertHost,
		"https://s3.amazonaws.com/sns/x.pem":                 ErrCertHost,
		"https://sns.a.amazonaws.com/x.pem":                  ErrCertHost,
		"https://sns.us-east-1.amazonaws.com.cn.evil/x.pem":  ErrCertHost,
		"https://xsns.us-east-1.amazonaws.com/x.pem":         ErrCertHost,
	} {
		if err := v.checkCertURL(url); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", url, err, want)
		}
	}
}
